"""Every kind of report opened in headless Chromium: no console error, every figure drawn (an SVG
with marks in it), and the numbers of its tables equal to the run's summary (issue 13: tests in a
real browser). A screenshot of each page is saved (conftest.py: $TWIN_BROWSER_SHOTS)."""
from __future__ import annotations

from pathlib import Path

from twin.runs import load_scenario, render_report, resolve_inventory, simulate
from twin.timefmt import hms
import pytest

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

REPO = Path(__file__).resolve().parents[2]


def _run(name: str):
    loaded = load_scenario(REPO / "scenarios" / f"{name}.yaml")
    inventory, _ = resolve_inventory(loaded)
    return simulate(loaded.scenario, inventory, loaded.scenario.seed)


def _open(chromium, html: str, folder: Path, name: str) -> dict:
    page = folder / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    facts = chromium.open(page, screenshot=folder / f"{name}.png")
    assert facts["console"] == [], facts["console"]
    assert facts["figs"], "no figure on the page"
    for fig in facts["figs"]:
        assert fig["svgs"] >= 1 and fig["marks"] >= 1 and fig["width"] > 300, fig
    return facts


def _cells(facts: dict) -> set[str]:
    return {cell for table in facts["tables"] for row in table for cell in row}


def _row(facts: dict, first: str) -> list[str]:
    return next(row for table in facts["tables"] for row in table if row and row[0] == first)


def test_the_deployment_report(chromium, shots):
    run = _run("helion-faults")
    facts = _open(chromium, render_report(run.events, run.summary), shots, "deploy")
    d = run.summary["deployment"]
    assert _row(facts, "makespan")[1] == f"{hms(d['makespan_s'], span=True)} ({d['makespan_s']:,.1f} s)"
    cells = _cells(facts)
    for node, info in d["nodes"].items():
        assert node in cells, node
        if info.get("cause"):
            assert any(info["cause"] in c for c in cells), info["cause"]


def test_the_operations_report(chromium, shots):
    run = _run("ha-drill")
    o = run.summary["operations"]
    facts = _open(chromium, render_report(run.events, run.summary), shots, "operations")
    ids = {f["id"] for f in facts["figs"]}
    # and the one-node VSA cluster's and the Swift section's (no replication in this run: no traffic)
    assert ids - VSA_FIGURES[0] - SWIFT_FIGURES == {"levels", "outage-timeline", "requests"}
    for service, a in o["availability"].items():
        if service != "overall":
            assert _row(facts, service)[1] == f"{100 * a:.4f}%", service
    outage = next(row for table in facts["tables"] for row in table if row and row[0].startswith(hms(300.0)))
    assert f"glance, keystone, swift {o['outages'][0]['service_s']['keystone']:,.1f} s" in outage[5]
    assert outage[6].startswith("cinder-volume (singleton) is down")


SWIFT_FIGURES = {"swift-parts", "swift-fill"}
VSA_FIGURES = ({"vsa-0-nodes", "vsa-0-managers", "vsa-0-volumes", "vsa-0-resync"},
               {"vsa-1-nodes", "vsa-1-managers", "vsa-1-volumes"})


def test_the_block_storage_section(chromium, shots, vsa_faults_run):
    """Two VSA clusters with faults (tests/conftest.py): each cluster's figures drawn, its metrics
    as summary.json has them."""
    m = vsa_faults_run.summary["storage"]["vsa"]
    facts = _open(chromium, render_report(vsa_faults_run.events, vsa_faults_run.summary), shots, "operations-vsa")
    assert VSA_FIGURES[0] | VSA_FIGURES[1] <= {f["id"] for f in facts["figs"]}  # silver had no resync
    for cluster in ("gold", "silver"):
        assert _row(facts, f"availability_vsa_{cluster}")[1] == f"{100 * m[f'availability_vsa_{cluster}']:.4f}%"
        assert _row(facts, f"degraded_s_vsa_{cluster}")[1] == f"{m[f'degraded_s_vsa_{cluster}']:,.3f}"
    assert _row(facts, "resync_gib")[1] == f"{m['resync_gib']:,.3f}"  # gold's row comes first: it ran them all


def test_the_object_storage_section(chromium, shots):
    """swift1's disk fails and is replaced (tests/swift/test_swift_operations.py): the section draws
    the under-replicated partitions, the replication traffic and the fill, with the run's metrics."""
    from opstest_helpers import build

    faults = [{"kind": "disk_failure", "node": "swift1", "at_s": 500, "for_s": 600}]
    run = simulate(*build(faults, duration_s=30000, swift=3, control=3), 1)
    facts = _open(chromium, render_report(run.events, run.summary), shots, "operations-swift")
    assert SWIFT_FIGURES | {"swift-traffic"} <= {f["id"] for f in facts["figs"]}
    m = run.summary["storage"]["swift"]
    assert m["replicated_gib"] > 0
    for metric in ("replicated_gib", "partitions_under_replicated_max", "availability_swift_read"):
        assert _row(facts, metric)[1] == f"{m[metric]:,.6g}", metric



def test_an_operations_report_without_controllers(chromium, shots):
    """A storage-only run (as a live storage drill on the lab): no API service to give an
    availability for, so no per-service table; the Swift section draws as usual."""
    from opstest_helpers import build

    faults = [{"kind": "disk_failure", "node": "swift1", "at_s": 500, "for_s": 600}]
    run = simulate(*build(faults, duration_s=30000, swift=3, control=0, compute=0), 1)
    assert set(run.summary["operations"]["availability"]) == {"overall"}
    facts = _open(chromium, render_report(run.events, run.summary), shots, "operations-no-controllers")
    assert SWIFT_FIGURES <= {f["id"] for f in facts["figs"]}
    assert not any(table and table[0][:2] == ["service", "availability"] for table in facts["tables"])
    assert _row(facts, "faults started")[1] == "1"

def test_the_durability_report(chromium, shots):
    """Five years of disks failing at 50% a year (the example scenario's ring): every failure listed."""
    loaded = load_scenario(REPO / "scenarios" / "swift-durability.yaml")
    inventory, _ = resolve_inventory(loaded)
    sc = loaded.scenario
    sc = sc.model_copy(update={"durability": sc.durability.model_copy(update={"afr": 0.5, "years": 5})})
    run = simulate(sc, inventory, 3)
    assert run.summary["durability"]["disk_failures"] > 0
    page = shots / "durability.html"
    page.write_text(render_report(run.events, run.summary), encoding="utf-8")
    facts = chromium.open(page, screenshot=shots / "durability.png")
    assert facts["console"] == [] and run.summary["scenario"] in facts["title"]
    s = run.summary["durability"]
    assert _row(facts, "disk failures")[1] == f"{s['disk_failures']:,}"
    failures = [row for table in facts["tables"] for row in table if len(row) == 3 and "/" in row[1]]
    assert len(failures) == min(s["disk_failures"], 500)


def test_the_capacity_report(chromium, shots):
    run = _run("capacity-reference")
    facts = _open(chromium, render_report(run.events, run.summary), shots, "capacity")
    assert run.summary["scenario"] in facts["title"]
    by_flavor = run.summary["capacity"]["requests"]["by_flavor"]
    assert by_flavor and sum(v["requests"] for v in by_flavor.values()) > 100
    for flavor, v in by_flavor.items():
        assert _row(facts, flavor)[1:3] == [f"{v['requests']:,}", f"{v['blocked']:,}"], flavor


def test_the_plan_report(chromium, shots):
    from twin.plan.cli import plan_table
    from twin.plan.plot import plan_html
    from twin.plan.search import Planner, PlanOptions

    result = Planner(REPO / "scenarios" / "capacity-reference.yaml", PlanOptions(months=2, replications=2)).run()
    facts = _open(chromium, plan_html(result, plan_table(result)), shots, "plan")
    assert len(facts["figs"]) == 1
    for plan in result.candidates.values():
        for mp in plan:
            assert str(mp.hosts) in _row(facts, f"month {mp.month}"), mp
    # every evaluated point, with its mean blocking and that mean's interval (within [0, 1])
    from twin.sweep.stats import estimate

    rows = [row for table in facts["tables"] for row in table if len(row) == 9 and row[1].isdigit()]
    assert len(rows) == len(result.points)
    for p in result.points:
        row = next(r for r in rows if r[:3] == [p.hardware, str(p.month), str(p.hosts)])
        e = estimate(p.blocking, "fraction")
        assert row[3] == str(len(p.blocking)) and row[4] == f"{100 * e['mean']:.2f}%"
        if e["interval"] == "t":
            low, high = (float(x.rstrip("%")) / 100 for x in row[5].split(" .. "))
            assert 0 <= low <= e["mean"] <= high <= 1


def test_the_sweep_page(chromium, shots):
    """A real sweep (2 points x 3 replications): a chart per metric with the interval as error bars,
    and the table's numbers equal to the sweep's summary."""
    from twin.report.sweep import num, point_label, render_sweep_report
    from twin.sweep.core import run_sweep

    result = run_sweep(REPO / "scenarios" / "helion-reference.yaml", 3, {"timing.post_s": [60, 240]})
    summary = result.summary
    facts = _open(chromium, render_sweep_report(summary), shots, "sweep")
    metrics = list(summary["points"][0]["metrics"])
    assert len(facts["figs"]) == len(metrics)
    rows = [row for table in facts["tables"] for row in table if len(row) == 9 and row[0].isdigit()]
    assert len(rows) == len(metrics) * len(summary["points"])
    for point in summary["points"]:
        for metric, s in point["metrics"].items():
            row = next(r for r in rows if r[0] == str(point["point"]) and r[2] == metric)
            assert row[1] == point_label(point["params"])
            assert row[3:8] == [str(s["n"]), num(s["mean"]), num(s["sd"]), num(s["ci_low"]), num(s["ci_high"])]
    makespan = next(f for f, m in zip(facts["figs"], metrics) if m == "makespan_s")
    assert makespan["xticks"] and makespan["marks"] >= 2  # the two points, on the post_s axis
