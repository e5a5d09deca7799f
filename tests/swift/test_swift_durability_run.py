"""`run: durability` as a user runs it: `twin run` and `twin sweep` on a ring built from the
scenario or an operator's builder file; the event log against the summary; determinism; the
sweep's P(loss per year) against the analytic rate of overlapping failures; located bad input."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from swift_helpers import grid, make_ring
from twin.cli import main
from twin.cloud.swift.durability import HOURS_PER_YEAR
from twin.errors import InputError
from twin.runs import load_scenario, resolve_inventory, run_live, simulate
from twin.sweep import run_sweep

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses and sweeps)

REPO = Path(__file__).resolve().parents[2]


def scenario(tmp_path: Path, durability: str, swift: str = "", nodes: int = 4, name: str = "dur.yaml",
             extra: str = "", replicas: int = 2) -> Path:
    """A durability scenario on a generated inventory of `nodes` Swift nodes (one zone each)."""
    path = tmp_path / name
    path.write_text(f"""name: dur
seed: 7
run: durability
inventory:
  generate: {{undercloud: 1, control: 3, swift: {nodes}, compute: 1}}
{extra}swift:
  part_power: 6
  replicas: {replicas}
  disks: [{{device: sdb, size_gib: 100}}]
{swift}durability:
{durability}""", encoding="utf-8")
    return path


#: A fragile ring: it loses partitions in most years, so the log has every kind of event.
FRAGILE = "  years: 3\n  afr: 0.9\n  replacement_delay_h: 500\n  rebuild_gbps: 0.01\n"


def twin_run(capsys, *args) -> tuple[int, str, str]:
    code = main(["run", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_twin_run_writes_a_log_the_summary_agrees_with(tmp_path, capsys):
    code, out, err = twin_run(capsys, scenario(tmp_path, FRAGILE), "--out", tmp_path / "run", "--quiet")
    assert code == 0, err
    assert "dur (durability, seed 7): object ring (64 partitions, 2 replicas, 4 disks in 4 zone(s)), 3 year(s)" in out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    events = pd.read_parquet(tmp_path / "run" / "events.parquet")
    s = summary["durability"]
    failed = events[(events.kind == "disk") & (events.name == "failed")]
    restored = events[(events.kind == "disk") & (events.name == "restored")]
    lost = events[events.kind == "partitions_lost"]
    assert summary["run"] == "durability" and s["lost_any"] == 1  # AFR 90% and 3 weeks out: a loss is sure
    assert s["disk_failures"] == len(failed) > 0 and s["partitions_lost"] == lost.value.sum() > 0
    assert s["first_loss_year"] == pytest.approx(lost.time_s.min() / (HOURS_PER_YEAR * 3600))
    assert set(failed.subject) <= {f"swift{i}/sdb" for i in range(4)}
    # a disk comes back only after it failed, out for the delay plus 50 GiB at 0.01 Gbit/s
    outage_h = 500 + 50 * 1024 ** 3 / (0.01e9 / 8) / 3600
    assert failed.value.unique().tolist() == [pytest.approx(outage_h)]
    for device, back in restored.groupby("subject").time_s:
        fails = failed[failed.subject == device].time_s.to_numpy()
        assert all(b == pytest.approx(f + outage_h * 3600) for b, f in zip(back, fails))
    # no partition is lost unless every disk holding it is out: at least 2 disks out at that moment
    for t in lost.time_s:
        out_now = sum(1 for f in failed.time_s if f <= t < f + outage_h * 3600)
        assert out_now >= 2
    assert 0 < s["years_with_loss"] <= 3 and summary["metrics"]["loss_years_fraction"] == s["years_with_loss"] / 3
    report = (tmp_path / "run" / "report.html").read_text()
    assert "partition(s) lost" in report and any(f"swift{i}/sdb" in report for i in range(4))


def test_same_seed_same_log_byte_for_byte(tmp_path, capsys):
    path = scenario(tmp_path, FRAGILE)
    for out, seed in (("a", 1), ("b", 1), ("c", 2)):
        assert twin_run(capsys, path, "--out", tmp_path / out, "--seed", seed, "--quiet")[0] == 0
    log = {o: (tmp_path / o / "events.parquet").read_bytes() for o in "abc"}
    assert log["a"] == log["b"] and log["a"] != log["c"]
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "c")]) == 0
    assert "same ring and parameters" in capsys.readouterr().out


def test_disk_failures_over_a_long_run_are_poisson_at_the_afr(tmp_path):
    """With no outage a disk is back at once, so its failures are a Poisson process of rate
    -ln(1 - AFR): 6 disks x 200 years at AFR 50% expect 6 x 200 x ln 2 = 831.8 (sd 28.8)."""
    loaded = load_scenario(scenario(tmp_path, "  years: 200\n  afr: 0.5\n  replacement_delay_h: 0\n  used_gib: 0\n",
                                    nodes=6))
    inventory, _ = resolve_inventory(loaded)
    counts = [simulate(loaded.scenario, inventory, seed).metrics["disk_failures"] for seed in range(10)]
    mean, expected = sum(counts) / 10, 6 * 200 * math.log(2)
    assert abs(mean - expected) < 4 * math.sqrt(expected / 10), (mean, expected)
    assert all(simulate(loaded.scenario, inventory, s).metrics["lost_any"] == 0 for s in range(3))  # never out


def test_the_sweep_gives_p_loss_per_year_equal_to_the_analytic_rate(tmp_path):
    """2 replicas on 6 disks (6 zones), AFR 85%, a failed disk out exactly 100 h (nothing to
    rebuild). A disk alternates up (exponential, rate lam = -ln 0.15 per year) and out (D = 100 h),
    so it is out with probability po = D / (1/lam + D). A pair of disks holding a partition loses
    it when one fails while the other is out: rate 2 lam (1 - po) po per pair. Over the pairs of
    the ring's table (swift's placement), loss events are nearly a Poisson process (lam D = 2%):
    P(loss in a year) = 1 - exp(-rate x 1 year), within the sweep's 99.9% Wilson interval."""
    path = scenario(tmp_path, "  years: 1\n  afr: 0.85\n  replacement_delay_h: 100\n  used_gib: 0\n", nodes=6)
    loaded = load_scenario(path)
    resolve_inventory(loaded)
    table = loaded.scenario.durability._resolved.table
    pairs = {frozenset(int(d) for d in table[:, p]) for p in range(table.shape[1])}
    assert all(len(pair) == 2 for pair in pairs)
    lam, d_years = -math.log(0.15), 100 / HOURS_PER_YEAR
    po = d_years / (1 / lam + d_years)
    rate = len(pairs) * 2 * lam * (1 - po) * po
    analytic = 1 - math.exp(-rate)
    result = run_sweep(path, 3000, workers=1, confidence=0.999)
    est = result.summary["points"][0]["metrics"]["lost_any"]
    assert est["interval"] == "wilson" and est["n"] == 3000
    print(f"P(loss)/yr {est['mean']:.4f} [{est['ci_low']:.4f}, {est['ci_high']:.4f}], analytic {analytic:.4f}, "
          f"{len(pairs)} pairs")
    assert est["ci_low"] <= analytic <= est["ci_high"], (est, analytic, len(pairs))
    # and not by luck of a wide interval: twice the outage is clearly outside it
    doubled = 1 - math.exp(-len(pairs) * 2 * lam * (2 * d_years / (1 / lam + 2 * d_years)))
    assert not est["ci_low"] <= doubled <= est["ci_high"]


def test_twin_sweep_cli_prints_lost_any_with_a_wilson_interval(tmp_path):
    path = scenario(tmp_path, FRAGILE.replace("years: 3", "years: 1"))
    proc = subprocess.run([sys.executable, "-m", "twin.cli", "sweep", str(path), "--replications", "20", "--workers",
                           "1", "--out", str(tmp_path / "sweep"), "--quiet"], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    row = next(line.split() for line in proc.stdout.splitlines() if " lost_any " in line)
    assert row[1:3] == ["lost_any", "20"] and row[-1] == "wilson"
    table = pd.read_parquet(tmp_path / "sweep" / "results.parquet")
    assert len(table) == 20 and set(table.lost_any) <= {0.0, 1.0}
    assert float(row[3]) == pytest.approx(table.lost_any.mean())


def test_a_builder_file_relative_to_the_scenario(tmp_path, capsys, monkeypatch):
    from twin.cloud.swift.rings import save_builder

    (tmp_path / "rings").mkdir()
    b = make_ring(7, 3, grid(zones=3, servers=2, disks=2))
    save_builder(b, tmp_path / "rings" / "object.builder")
    path = scenario(tmp_path, "  builder: rings/object.builder\n  afr: 0.5\n")
    monkeypatch.chdir(REPO)  # not the scenario's folder
    code, _, err = twin_run(capsys, path, "--out", tmp_path / "run", "--quiet")
    assert code == 0, err
    ring = json.loads((tmp_path / "run" / "summary.json").read_text())["durability"]["ring"]
    assert ring == {"name": str(tmp_path / "rings" / "object.builder"), "source": "builder", "parts": 128,
                    "replicas": 3.0, "devices": 12, "zones": 3}
    events = pd.read_parquet(tmp_path / "run" / "events.parquet")
    assert set(events[events.kind == "disk"].subject) <= {f"10.1.{z}.{s}/{d}" for z in (1, 2, 3) for s in (1, 2)
                                                          for d in ("sdb", "sdc")}


@pytest.mark.parametrize("durability,swift,replicas,field,message", [
    ("  builder: missing/object.builder\n", "", 2, "durability.builder", "missing/object.builder: no such builder file"),
    ("  ring: objekt\n", "", 2, "durability.ring", "'object-1'"),
    ("  ring: object-1\n", "", 2, "durability.ring", "the scenario builds no object-1 ring"),
    ("  ring: object\n  builder: x.builder\n", "", 2, "durability", "not both"),
    ("  ring: object\n", "  builders: {object: gone.builder}\n", 2, "swift.builders.object", "no such builder file"),
    ("  ring: object\n", "", 5, "swift", "replicas: 5 replicas need at least 5 disks"),
])
def test_bad_input_is_one_located_line(tmp_path, capsys, durability, swift, replicas, field, message):
    path = scenario(tmp_path, durability, swift=swift, replicas=replicas)
    code, _, err = twin_run(capsys, path, "--out", tmp_path / "run", "--quiet")
    assert code == 1 and "Traceback" not in err and not (tmp_path / "run").exists()
    line = next(line for line in err.splitlines() if line.strip())
    assert line.startswith(f"{path}:") and f": {field}: " in line and message in line, err


def test_a_durability_run_refuses_to_run_live(tmp_path):
    loaded = load_scenario(scenario(tmp_path, "  ring: object\n"))
    with pytest.raises(InputError) as e:
        run_live(loaded, None, 1, "lab")
    assert "run: durability cannot run live" in str(e.value.problems[0])


def test_a_builder_never_rebalanced_is_refused_at_its_key(tmp_path, capsys):
    from twin.cloud.swift import verbs
    from twin.cloud.swift.rings import save_builder

    b = verbs.create(6, 2, 1)
    for z in (1, 2):
        verbs.add_disk(b, region=1, zone=z, ip=f"10.0.0.{z}", port=6000, device="sdb", weight=100)
    save_builder(b, tmp_path / "new.builder")
    path = scenario(tmp_path, "  builder: new.builder\n")
    code, _, err = twin_run(capsys, path, "--out", tmp_path / "run", "--quiet")
    assert code == 1 and "Traceback" not in err
    assert err.startswith(f"{path}:11: durability.builder: {tmp_path / 'new.builder'}: the builder was never rebalanced")
