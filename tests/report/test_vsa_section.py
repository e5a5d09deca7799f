"""The operations report's block storage section (twin/report/vsa.py) on a real simulated run with two
VSA clusters and faults on their nodes (tests/conftest.py `vsa_faults_run`): its metrics equal
summary.json's (computed by twin/cloud/vsa/metrics.py, a separate reading of the log), its charts
follow the event log (node bars start where the liveness log says the node went down, the volume
shares add up to all volumes, every resync attempt is listed), a run without VSA has no section,
the page is the same bytes for the same run and every text from the log is escaped."""
from __future__ import annotations

import json
import re
from html import unescape

import pytest

from twin.record.events import VsaManager, VsaNodeData, VsaQuorum, VsaResync, VsaVolumes
from twin.record.recorder import Recorder
from twin.report.operations import render_operations_report
from twin.runs import render_report, simulate

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

DURATION = 20000.0


def _chunks(html: str) -> dict[str, str]:
    """Each cluster's part of the page, by cluster name."""
    parts = re.split(r'<h3 id="vsa-\d+">Cluster ', html.split('<h2 id="vsa">', 1)[1])[1:]
    return {unescape(p.split(" (", 1)[0]): p for p in parts}


def _rows(chunk: str) -> list[list[str]]:
    return [[unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr)]
            for tr in re.findall(r"<tr>(.*?)</tr>", chunk)]


def _metrics(chunk: str) -> dict[str, str]:
    return {r[0]: r[1] for r in _rows(chunk) if len(r) == 3 and r[0] != "metric"}


def _figure(html: str, div_id: str) -> tuple[list, dict]:
    payload = re.search(r"var f=(.*?);Plotly\.newPlot\(\"" + re.escape(div_id) + '"', html).group(1)
    return json.loads(payload.replace("<\\/", "</"))


def test_the_section_s_metrics_equal_the_summary(vsa_faults_run):
    html = render_report(vsa_faults_run.events, vsa_faults_run.summary)
    m = vsa_faults_run.summary["storage"]["vsa"]
    chunks = _chunks(html)
    assert sorted(chunks) == ["gold", "silver"]
    assert m["quorum_losses"] == 3 and m["resyncs"] == 2 and m["resyncs_interrupted"] == 1  # the faults bit
    for name, chunk in chunks.items():
        shown = _metrics(chunk)
        assert shown[f"availability_vsa_{name}"] == f"{100 * m[f'availability_vsa_{name}']:.4f}%"
        assert shown[f"degraded_s_vsa_{name}"] == f"{m[f'degraded_s_vsa_{name}']:,.3f}"
        assert shown[f"volumes_lost_vsa_{name}"] == f"{m[f'volumes_lost_vsa_{name}']:,}"
    per = [_metrics(c) for c in chunks.values()]
    for key in ("resyncs", "resyncs_interrupted", "quorum_losses"):  # the run's counts are the clusters' sums
        assert sum(int(p[key].replace(",", "")) for p in per) == m[key], key
    assert sum(float(p["resync_gib"].replace(",", "")) for p in per) == pytest.approx(m["resync_gib"], abs=2e-3)
    assert max(p["resync_s_max"] for p in per if p["resyncs"] != "0") == f"{m['resync_s_max']:,.3f}"
    gold = _metrics(chunks["gold"])
    assert gold["resync_s_mean"] == f"{m['resync_s_mean']:,.3f}"  # gold ran every resync


def test_the_charts_follow_the_event_log(vsa_faults_run):
    events = vsa_faults_run.events
    html = render_report(events, vsa_faults_run.summary)
    index = {name: i for i, name in enumerate(sorted(_chunks(html)))}
    data, layout = _figure(html, f"vsa-{index['gold']}-nodes")
    scale = 3600.0  # a 20,000 s run is drawn in hours
    assert layout["xaxis"]["title"]["text"] == "hours"
    bars = [(t["name"], y, b * scale, (b + x) * scale) for t in data if t["type"] == "bar"
            for y, b, x in zip(t["y"], t["base"], t["x"])]
    live = events[(events.kind == "liveness") & (events.name == "down")]
    for node in ("vsa0", "vsa1", "vsa2", "vsa3"):
        mine = sorted((s, e, state) for state, y, s, e in bars if y == node)
        assert mine[0][0] == 0.0 and mine[-1][1] == pytest.approx(DURATION)  # the whole run, no gap
        assert all(a[1] == pytest.approx(b[0]) for a, b in zip(mine, mine[1:]))
        gone = [s for s, _, state in mine if state in ("away", "destroyed")]
        assert gone == pytest.approx(sorted(live[live.subject == node].time_s)), node
    assert any(state == "resyncing" for state, y, _, _ in bars if y == "vsa3")

    data, _ = _figure(html, f"vsa-{index['gold']}-volumes")
    shares = [t["y"] for t in data]
    assert all(sum(col) == pytest.approx(1.0) for col in zip(*shares))
    offline = next(t for t in data if t["name"] == "offline")
    quorum = events[(events.kind == "vsa_quorum") & (events.subject == "gold")]
    lost = [(t, end) for t, end, state in zip(quorum.time_s, list(quorum.time_s[1:]) + [DURATION], quorum.name)
            if state == "lost"]
    assert len(lost) == 2
    starts = [x * scale for x in offline["x"][::2]]
    inside = [y for s, y in zip(starts, offline["y"][::2]) if any(a <= s < b for a, b in lost)]
    assert inside and all(y == 1.0 for y in inside)  # without quorum every volume is offline

    attempts = events[(events.kind == "vsa_resync") & (events.name != "start")]
    table = [r for r in _rows(_chunks(html)["gold"]) if len(r) == 9 and r[0] != "node"]
    assert [r[7] for r in table] == ["completed", "interrupted", "completed"]
    assert len(table) == len(attempts)
    moved = sorted(f"{v / 1024 ** 3:,.3f}" for v in attempts.value)
    assert sorted(r[6] for r in table) == moved


def test_a_run_without_vsa_has_no_section(operate):
    run = operate(duration_s=600.0)
    assert not run.events.kind.astype(str).str.startswith("vsa").any()
    html = render_report(run.events, run.summary)
    assert 'id="vsa' not in html and "Block storage" not in html and "StoreVirtual" not in html


def test_the_same_run_gives_the_same_page(vsa_faults_run, vsa_faults_scenario):
    again = simulate(*vsa_faults_scenario, 1)
    first = render_report(vsa_faults_run.events, vsa_faults_run.summary)
    assert render_report(again.events, again.summary).encode() == first.encode()
    assert first.count("<script") == first.count("</script>") and first.count("Plotly.newPlot(") == len(
        re.findall(r'class="plotly-graph-div"', first))


def test_every_text_from_the_log_is_escaped():
    bad = '<img src=x onerror="alert(1)">'
    rec = Recorder()
    rec.record(0.0, VsaManager(bad, "vsa0", "running", "vsa0", bad))
    rec.record(0.0, VsaQuorum(bad, "held", 1, 1, bad))
    rec.record(0.0, VsaVolumes(bad, "10", "online", "", 3, bad))
    rec.record(0.0, VsaNodeData(bad, "vsa0", "current", "", bad))
    rec.record(10.0, VsaNodeData(bad, "vsa0", bad, "current", bad))
    rec.record(10.0, VsaResync(bad, "vsa0", "start", bad, 2 * 1024 ** 3, bad))
    rec.record(20.0, VsaResync(bad, "vsa0", "end", bad, 2 * 1024 ** 3, bad))
    html = render_operations_report(rec.frame(), {"operations": {"duration_s": 100.0}})
    assert "onerror=" in html and bad not in html and 'onerror="' not in html
    assert '<h3 id="vsa-0">Cluster &lt;img src=x' in html
