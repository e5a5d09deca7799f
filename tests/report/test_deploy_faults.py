"""The deployment report lists the injected faults, every failure and rogue node of the log, and
marks them on the Gantt (issue 13 items 8 and 15)."""
from __future__ import annotations

import pandas as pd

from twin.record.events import BootStage
from twin.record.recorder import Recorder
from twin.report import render_deploy_report
from twin.report.html import gantt_figure

CAUSE = "PXE: no DHCP offer after 3 tries (dhcp_timeout)"
ROGUE = "unknown MAC refused: GET /boot/52:54:00:aa:bb:cc.ipxe"


def _with_rogue(events: pd.DataFrame) -> pd.DataFrame:
    rec = Recorder()
    rec.record(42.0, BootStage("52:54:00:aa:bb:cc", "rogue_node", ROGUE))
    extra = rec.frame()
    extra["seq"] = extra["seq"] + int(events["seq"].max()) + 1
    return pd.concat([events, extra], ignore_index=True)


def test_the_report_lists_declared_faults_failures_and_rogue_nodes(small_run):
    events, summary = small_run
    summary["faults"] = [{"kind": "pxe_timeout", "node": "compute1", "from_s": 0.0},
                         {"kind": "slow_nic", "node": "controller0", "rate_mbps": 100.0}]
    page = render_deploy_report(_with_rogue(events), summary)
    section = page[page.index('id="faults"'):page.index('id="timeline"')]
    assert "2 fault(s) injected by the scenario" in section
    assert "<td>pxe_timeout</td><td>compute1</td>" in section and "<td>100</td>" in section
    assert ROGUE in section and "rogue node (unknown MAC refused)" in section  # issue 13 item 15
    assert CAUSE in section and "node failed" in section


def test_the_gantt_marks_each_failure_on_its_node_row(small_run):
    events, summary = small_run
    fig = gantt_figure(events, summary)
    marks = [t for t in fig.data if t.type == "scatter"]
    assert [t.name for t in marks] == ["node failed"]
    failed_at = float(events[(events.kind == "failure")].time_s.iloc[0])
    assert list(marks[0].y) == ["compute1"] and failed_at / marks[0].x[0] in (1.0, 60.0)  # seconds or minutes


def test_a_summary_without_faults_says_so(small_run):
    page = render_deploy_report(*small_run)
    assert "The scenario injected no fault" in page


def test_the_report_from_the_recorders_rows_is_the_report_from_the_dataframe_read_back(tmp_path):
    """A run writes its report from the recorder's rows (no pandas); `twin compare` and tests read
    the log back as a DataFrame: both give the same page, byte for byte (failures and their marks)."""
    from pathlib import Path

    from twin.analysis.runs import read_run
    from twin.runs import load_scenario, resolve_inventory, simulate, write_outputs

    loaded = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "helion-faults.yaml")
    inventory, _ = resolve_inventory(loaded)
    result = simulate(loaded.scenario, inventory, 42)
    from_rows = render_deploy_report(result.recorder, result.summary)
    assert "node failed" in from_rows and "compute2" in from_rows
    write_outputs(result, tmp_path / "run")
    back = read_run(tmp_path / "run")
    assert render_deploy_report(back.events, back.summary) == from_rows
    assert render_deploy_report(result.events, result.summary) == from_rows
    assert (tmp_path / "run" / "report.html").read_text(encoding="utf-8") == from_rows
