"""derive.normalise: a report normalises its log once and hands the result to every table."""
from __future__ import annotations

import pandas as pd

from twin.report import derive


def test_a_normalised_log_is_passed_on_as_it_is_and_equals_a_fresh_normalisation(make_run):
    events, _ = make_run([("n1", "compute"), ("n2", "control")], fail={"n2": "PXE timeout"})
    shuffled = events.sample(frac=1.0, random_state=3)  # out of order: normalise sorts
    before = shuffled.copy()
    log = derive.normalise(shuffled)
    assert derive.normalise(log) is log
    pd.testing.assert_frame_equal(log, derive.normalise(shuffled.copy()))
    keys = list(zip(log["time_s"], log["seq"]))
    assert keys == sorted(keys)  # by time, then by the order of recording
    pd.testing.assert_frame_equal(shuffled, before)  # the caller's frame is never changed


def test_any_other_frame_is_normalised_afresh(make_run):
    events, _ = make_run([("n1", "compute")])
    log = derive.normalise(events)
    part = log[log["kind"] == "state"]  # a slice of a normalised log is a new frame
    again = derive.normalise(part)
    assert again is not part
    assert list(again.index) == list(range(len(part)))
