"""derive.normalise: a report normalises its log once and hands the result to every table; a log
read back as a DataFrame and the same log as the run's Recorder give the same rows."""
from __future__ import annotations

import math

from twin.record.events import NodeFailed, PhaseEdge, RunMark, StateChanged
from twin.record.recorder import Recorder
from twin.report import derive


def test_a_normalised_log_is_passed_on_as_it_is_and_equals_a_fresh_normalisation(make_run):
    events, _ = make_run([("n1", "compute"), ("n2", "control")], fail={"n2": "PXE timeout"})
    shuffled = events.sample(frac=1.0, random_state=3)  # out of order: normalise sorts
    before = shuffled.copy()
    log = derive.normalise(shuffled)
    assert derive.normalise(log) is log
    assert log == derive.normalise(shuffled.copy())
    keys = [(r.time_s, r.seq) for r in log]
    assert keys == sorted(keys)  # by time, then by the order of recording
    assert shuffled.equals(before)  # the caller's frame is never changed


def test_any_other_sequence_of_rows_is_normalised_afresh(make_run):
    events, _ = make_run([("n1", "compute")])
    log = derive.normalise(events)
    part = [r for r in log if r.kind == "state"][::-1]  # a plain list of rows, out of order
    again = derive.normalise(part)
    assert again is not part and isinstance(again, derive.Log)
    assert again == sorted(part, key=lambda r: (r.time_s, r.seq))


def test_a_recorder_and_its_frame_give_the_same_log():
    rec = Recorder()
    rec.record(0.0, RunMark("start"))
    rec.record(0.0, PhaseEdge("undercloud", "start"))
    rec.record(5.0, StateChanged("n1", "deploy failed", "deploying", "no callback"))
    rec.record(5.0, NodeFailed("n1", "no callback"))
    rec.record(9.5, RunMark("end", "failed"))
    from_rows, from_frame = derive.normalise(rec), derive.normalise(rec.frame())
    assert from_rows == from_frame
    assert [type(v) for v in from_frame[2]] == [int, float, str, str, str, str, str, float]
    assert from_frame[2][:7] == (2, 5.0, "state", "n1", "deploy failed", "deploying", "no callback")
    assert math.isnan(from_frame[2].value) and math.isnan(from_rows[2].value)
