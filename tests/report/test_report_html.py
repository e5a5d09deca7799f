"""The HTML report: one self-contained, escaped, bounded document, and its derived data."""
from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from twin.record.events import StateChanged
from twin.record.recorder import Recorder
from twin.report import gantt_figure, state_intervals, write_report
from twin.report import render_deploy_report as render_report
from twin.report.derive import NodeRow, natural_key, node_table, phase_table, select_nodes
from twin.report.gantt import hms
from twin.report.html import MAX_GANTT_NODES

CAUSE = "PXE: no DHCP offer after 3 tries (dhcp_timeout)"


def _log(*changes):
    """A log of (time_s, node, state) provision-state rows."""
    rec = Recorder()
    for t, node, state in changes:
        rec.record(t, StateChanged(node, state, ""))
    return rec.frame()


# ---- the document -----------------------------------------------------------------------------


def test_one_html_document_with_every_node_and_the_cause(small_run):
    events, summary = small_run
    page = render_report(events, summary)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<html") == 1 and page.count("</html>") == 1
    assert page.rstrip().endswith("</html>")
    for name in ("undercloud", "controller0", "swift0", "compute0", "compute1"):
        assert f"<td>{name}</td>" in page
    assert CAUSE in page
    assert "helion-reference" in page and "FAILED" in page
    assert "0:06:40 (400.0 s)" in page  # makespan, h:mm:ss and seconds


def test_self_contained_plotly_inline_once_no_external_scripts(small_run):
    page = render_report(*small_run)
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?https?:", page, re.I)
    assert page.count('id="gantt"') == 1
    assert page.count("plotly.js v") == 1  # the library's banner: embedded exactly once


def test_user_text_is_escaped(make_run):
    evil = "<script>x</script>"
    events, summary = make_run(
        [(evil, "OvercloudCompute"), ("compute0", "OvercloudCompute")],
        fail={evil: "bad <b>cause</b> & more"},
    )
    summary["scenario"] = "<img src=x onerror=alert(1)>"
    page = render_report(events, summary)
    assert evil not in page
    assert "<b>cause</b>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "bad &lt;b&gt;cause&lt;/b&gt; &amp; more" in page


def test_no_failures(make_run):
    page = render_report(*make_run([("controller0", "OvercloudControl")]))
    assert "No failures" in page
    assert "SUCCESS" in page


def test_failures_table_lists_node_role_state_cause_time(small_run):
    page = render_report(*small_run)
    section = page.split('id="failures"')[1].split('id="timeline"')[0]
    row = re.search(r"<tr><td>compute1</td>.*?</tr>", section).group(0)
    assert "OvercloudCompute" in row and "deploy failed" in row and CAUSE in row
    assert "0:01:04 (64.0 s)" in row  # node 4 enters `deploy failed` at 4 + 6*10 s


def test_many_failures_are_grouped_by_cause_and_all_listed(make_run):
    nodes = [(f"compute{i}", "OvercloudCompute") for i in range(60)]
    fail = {f"compute{i}": ("BMC: IPMI timeout" if i % 3 else "disk: no root device") for i in range(40)}
    page = render_report(*make_run(nodes, fail=fail))
    section = page.split('id="failures"')[1].split('id="timeline"')[0]
    assert "40 failures, 2 distinct cause(s)" in section
    assert re.search(r"BMC: IPMI timeout</td><td class=\"num\">26</td>", section)
    assert "<details><summary>All 40 failures</summary>" in section
    assert all(f"<td>compute{i}</td>" in section for i in range(40))


def test_summary_cause_without_failure_row_and_silent_failed_state_are_listed():
    events = _log((0.0, "compute0", "deploying"), (30.0, "compute0", "deploy failed"),
                  (0.0, "compute1", "deploying"))
    summary = {"deployment": {"outcome": "failed", "makespan_s": 50.0,
                              "nodes": {"compute1": {"role": "OvercloudCompute", "state": "error",
                                                     "cause": "BMC: IPMI session timed out"}}}}
    page = render_report(events, summary)
    section = page.split('id="failures"')[1].split('id="timeline"')[0]
    assert "BMC: IPMI session timed out" in section
    assert "(no cause recorded)" in section and "0:00:30 (30.0 s)" in section


def test_empty_inputs_still_render():
    page = render_report(pd.DataFrame(columns=["seq", "time_s", "kind", "subject", "name",
                                               "detail", "cause", "value"]), {})
    assert "No failures" in page and "No provision states or phases were recorded" in page
    assert "UNKNOWN" in page


def test_single_node(make_run):
    page = render_report(*make_run([("undercloud", "Undercloud")], phases=()))
    assert "<td>undercloud</td>" in page and 'id="gantt"' in page and "No phases" in page


def test_deterministic(small_run):
    assert render_report(*small_run) == render_report(*small_run)


@pytest.mark.slow  # > 0.8 s: left out of `make test-fast`
def test_2000_nodes_bounded_and_says_how_many_omitted(make_run):
    nodes = [("undercloud", "Undercloud")] + [(f"controller{i}", "OvercloudControl") for i in range(3)]
    nodes += [(f"compute{i}", "OvercloudCompute") for i in range(1996)]
    events, summary = make_run(nodes, fail={"compute1990": "disk: no root device"})
    page = render_report(events, summary)
    assert len(page) < 8_000_000
    assert f"Showing {MAX_GANTT_NODES} of 2,000 nodes" in page
    assert "1,700 omitted" in page
    assert "<td>compute1995</td>" in page  # the table still has every node
    shown = {y for t in gantt_figure(events, summary).data for y in t.y}
    assert len(shown) == MAX_GANTT_NODES + 2  # plus the two phase rows
    assert "compute1990" in shown  # a failed node is kept even past the quota


def test_write_report_is_atomic_and_leaves_no_temp(tmp_path, small_run):
    target = tmp_path / "out" / "report.html"
    write_report(*small_run, target)
    assert target.read_text(encoding="utf-8") == render_report(*small_run)
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]
    assert target.stat().st_mode & 0o777 == 0o644
    target.write_text("old")
    write_report(*small_run, target)  # replaces
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_write_report_failure_keeps_old_file_and_cleans_temp(tmp_path, small_run, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("old")
    import twin.fileio as mod  # the one atomic writer every output goes through

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(mod.os, "replace", boom)
    with pytest.raises(OSError):
        write_report(*small_run, target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


# ---- the derived data -------------------------------------------------------------------------


def test_state_intervals_exact():
    events = _log(
        (0.0, "c0", "enroll"),
        (5.0, "c1", "enroll"),
        (10.0, "c0", "manageable"),
        (10.0, "c0", "available"),  # same instant: a zero-length stay
        (40.5, "c0", "deploying"),
        (20.0, "c1", "deploy failed"),
    )
    got = state_intervals(events, end_s=100.0)
    assert got[0]._fields == ("node", "state", "start_s", "end_s")
    rows = [tuple(r) for r in got]
    assert rows == [
        ("c0", "enroll", 0.0, 10.0),
        ("c0", "manageable", 10.0, 10.0),
        ("c0", "available", 10.0, 40.5),
        ("c0", "deploying", 40.5, 100.0),
        ("c1", "enroll", 5.0, 20.0),
        ("c1", "deploy failed", 20.0, 100.0),
    ]


def test_state_intervals_defaults_and_edges():
    events = _log((0.0, "a", "enroll"), (7.0, "a", "active"))
    assert [r.end_s for r in state_intervals(events)] == [7.0, 7.0]  # default end: last event
    assert [r.end_s for r in state_intervals(events, end_s=3.0)] == [7.0, 7.0]  # never before start
    assert state_intervals(_log(), end_s=10.0) == []


def test_gantt_bars_carry_the_state_durations(small_run):
    events, summary = small_run
    fig = gantt_figure(*small_run)
    bars = {}
    for trace in (t for t in fig.data if t.type == "bar"):  # the markers of failures are scatter traces
        for y, base, x in zip(trace.y, trace.base, trace.x):
            bars[(trace.name, y)] = (base, x)
    # compute1 is node 4: enroll at 4 s, a state every 10 s, `deploy failed` at 64 s until 400 s.
    assert bars[("enroll", "compute1")] == (4.0, 10.0)
    assert bars[("wait call-back", "compute1")] == (54.0, 10.0)
    assert bars[("deploy failed", "compute1")] == (64.0, 336.0)
    assert bars[("TripleO phase", "phase: overcloud")] == (100.0, 300.0)
    order = list(fig.layout.yaxis.categoryarray)
    assert order == ["phase: undercloud", "phase: overcloud", "undercloud", "controller0",
                     "swift0", "compute0", "compute1"]
    assert {t.name for t in fig.data} >= {"enroll", "active", "deploy failed"}


def test_long_runs_use_minutes(make_run):
    fig = gantt_figure(*make_run([("compute0", "OvercloudCompute")], makespan=5123.4))
    assert "min" in fig.layout.xaxis.title.text
    active = next(t for t in fig.data if t.name == "active")
    assert math.isclose(active.base[0] + active.x[0], 5123.4 / 60)


def test_node_table_merges_summary_and_log():
    events = _log((0.0, "compute10", "enroll"), (1.0, "compute2", "active"), (2.0, "ghost", "error"))
    summary = {"deployment": {"nodes": {"compute2": {"role": "OvercloudCompute", "state": "active",
                                                     "deploy_s": 12.5},
                                        "ctl": {"role": "OvercloudControl", "state": "active"},
                                        "compute10": {"role": "OvercloudCompute"}}}}
    t = node_table(events, summary)
    assert [r.node for r in t] == ["ctl", "compute2", "compute10", "ghost"]
    by_node = {r.node: r for r in t}
    assert by_node["compute10"].state == "enroll"  # from the log
    assert by_node["compute2"].deploy_s == 12.5


def test_phase_table_from_events_when_summary_has_none(small_run):
    events, _ = small_run
    p = phase_table(events, {})
    assert p[0]._fields == ("name", "attempt", "start_s", "end_s", "outcome", "cause")
    assert [list(r) for r in p] == [["undercloud", 1, 0.0, 100.0, "success", ""],
                                    ["overcloud", 1, 100.0, 400.0, "success", ""]]


def _frame(rows):
    """A log DataFrame typed as the recorder types it, from (time_s, kind, subject, name, detail, cause)."""
    df = pd.DataFrame(
        [(i, t, k, s, n, d, c, float("nan")) for i, (t, k, s, n, d, c) in enumerate(rows)],
        columns=["seq", "time_s", "kind", "subject", "name", "detail", "cause", "value"],
    )
    return df.astype({"kind": "string", "subject": "string", "name": "string", "detail": "string",
                      "cause": "string"})


def test_policy_restart_attempts_in_phases_and_failures():
    events = _frame([
        (0.0, "run", "run", "start", "", ""),
        (0.0, "node", "compute0", "planned", "OvercloudCompute", ""),
        (0.0, "node", "compute9", "planned", "OvercloudCompute", ""),  # never enrolled
        (0.0, "phase", "overcloud", "start", "", ""),
        (5.0, "state", "compute0", "deploying", "available", ""),
        (50.0, "state", "compute0", "deploy failed", "wait call-back", ""),
        (50.0, "failure", "compute0", "failed", "", "deploy: timed out waiting for call-back"),
        (50.0, "phase", "overcloud", "end", "failed", "1 node failed"),
        (60.0, "run", "run", "attempt", "2", ""),
        (60.0, "phase", "overcloud", "start", "", ""),
        (70.0, "state", "compute0", "deploying", "deploy failed", ""),
        (90.0, "state", "compute0", "active", "wait call-back", ""),
    ])
    p = phase_table(events, {})
    assert [[r.name, r.attempt, r.start_s, r.outcome, r.cause] for r in p] == [
        ["overcloud", 1, 0.0, "failed", "1 node failed"], ["overcloud", 2, 60.0, "", ""]]
    assert p[0].end_s == 50.0 and math.isnan(p[1].end_s)  # attempt 2 never ended
    page = render_report(events, {"deployment": {"makespan_s": 100.0}})
    phases = page.split('id="phases"')[1].split('id="nodes"')[0]
    assert "<th>attempt</th>" in phases and "not ended" in phases and "1 node failed" in phases
    failures = page.split('id="failures"')[1].split('id="timeline"')[0]
    assert "deploy: timed out waiting for call-back" in failures
    assert '<td class="num">1</td></tr>' in failures  # failed in attempt 1 of 2
    assert "<td>compute9</td><td>OvercloudCompute</td><td></td>" in page  # planned only


def test_select_nodes_quota_per_role():
    nodes = ([NodeRow("u", "Undercloud", "active", 1.0, "")]
             + [NodeRow(f"c{i}", "OvercloudCompute", "active", 1.0, "boom" if i == 9 else "") for i in range(10)]
             + [NodeRow(f"k{i}", "OvercloudControl", "active", 1.0, "") for i in range(2)])
    shown, omitted = select_nodes(nodes, 6)
    assert shown == ["u", "c0", "c1", "c9", "k0", "k1"]
    assert omitted == {"OvercloudCompute": 7}


def test_helpers():
    assert hms(5123.4) == "1:25:23" and hms(0) == "0:00:00" and hms(float("nan")) == "—"
    assert hms(86399.4) == "23:59:59"  # short durations read as before


def test_times_past_a_day_read_as_days_and_clock_time():
    """Issue 13 item 8: a year printed as '8760:00:00' and an outage 'at 6798:59:46'."""
    assert hms(86400) == "day 1 00:00" and hms(86400, span=True) == "1 d 00:00"
    assert hms(6798 * 3600 + 59 * 60 + 46) == "day 283 06:59"  # 6798 h = 283 d 6 h; seconds dropped
    assert hms(365 * 86400, span=True) == "365 d 00:00" and hms(-2 * 86400 - 60) == "-day 2 00:01"
    assert sorted(["compute10", "compute2", "compute1"], key=natural_key) == ["compute1", "compute2", "compute10"]
