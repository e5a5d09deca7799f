"""Sweeps that really run: determinism, independent streams, common random numbers, the results
table and summary, local worker processes, resume after lost parts and after an interruption."""
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from twin.runs import load_scenario
from twin.sweep import SweepError, SweepInterrupted, SweepUsageError, replication_seeds, run_sweep, t_interval, wilson_interval
from twin.sweep.tasks import resolve_inventory, simulate

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

REFERENCE = Path(__file__).resolve().parents[2] / "scenarios" / "helion-reference.yaml"

AXES = {"network.management_gbps": [1, 10]}


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Equal tables, every column and dtype, except the measured wall time."""
    return a.drop(columns="wall_s").equals(b.drop(columns="wall_s"))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The reference sweep, in this process: 2 points x 3 replications."""
    return run_sweep(REFERENCE, 3, AXES, out_dir=tmp_path_factory.mktemp("baseline"))


def test_the_table_has_a_row_per_point_and_replication(baseline):
    t = baseline.table
    assert list(t.columns) == ["point", "network.management_gbps", "replication", "seed", "success", "makespan_s",
                               "attempts", "nodes_active", "nodes_failed", "wall_s"]
    assert len(t) == 6 and t["point"].tolist() == [0, 0, 0, 1, 1, 1] and t["replication"].tolist() == [0, 1, 2] * 2
    assert t["network.management_gbps"].tolist() == [1, 1, 1, 10, 10, 10]
    assert t["seed"].tolist() == replication_seeds(42, 3) * 2  # the scenario's seed is the base seed
    assert (t["wall_s"] > 0).all() and (t["success"] == 1.0).all()
    on_disk = pd.read_parquet(baseline.out_dir / "results.parquet")
    assert on_disk.equals(t)


def test_each_row_is_simulate_with_its_seed(baseline):
    """The row of (point, replication) is exactly what `simulate` gives for that seed: the same
    numbers `twin run --seed SEED` with the point's settings prints."""
    loaded = load_scenario(REFERENCE)
    inventory, _ = resolve_inventory(loaded)
    rows = baseline.table[baseline.table["point"] == 1].to_dict("records")  # 10 Gb/s: the file's own value
    assert len(rows) == 3
    for row in rows:
        metrics = simulate(loaded.scenario, inventory, row["seed"]).metrics
        assert {k: row[k] for k in metrics} == metrics


def test_same_sweep_same_table_and_summary(baseline, tmp_path):
    again = run_sweep(REFERENCE, 3, AXES, out_dir=tmp_path)
    assert same(again.table, baseline.table)
    assert again.summary == baseline.summary
    assert (tmp_path / "summary.json").read_text() == (baseline.out_dir / "summary.json").read_text()


def test_another_base_seed_gives_other_makespans(baseline):
    other = run_sweep(REFERENCE, 3, AXES, seed=7)
    assert other.table["seed"].tolist() == replication_seeds(7, 3) * 2
    assert set(other.table["makespan_s"]).isdisjoint(baseline.table["makespan_s"])


def test_replications_are_independent_streams(baseline):
    for _, point in baseline.table.groupby("point"):
        assert point["makespan_s"].nunique() == 3 and point["seed"].nunique() == 3
    # the management network's speed matters: the same streams give other makespans at 1 Gb/s
    by_point = baseline.table.pivot(index="replication", columns="point", values="makespan_s")
    assert (by_point[0] != by_point[1]).all()


def test_common_random_numbers_across_an_irrelevant_parameter():
    result = run_sweep(REFERENCE, 3, {"description": ["one", "two"]})
    t = result.table
    a = t[t["point"] == 0].drop(columns=["point", "description", "wall_s"]).reset_index(drop=True)
    b = t[t["point"] == 1].drop(columns=["point", "description", "wall_s"]).reset_index(drop=True)
    assert a.equals(b) and a["makespan_s"].nunique() == 3


def test_the_summary_shape_and_intervals(baseline):
    s = baseline.summary
    assert s["scenario"] == "helion-reference" and s["replications"] == 3 and s["seed"] == 42
    assert s["axes"] == {"network.management_gbps": [1, 10]} and s["confidence"] == 0.95
    assert s["kinds"] == {"success": "proportion", "makespan_s": "duration", "attempts": "count",
                          "nodes_active": "count", "nodes_failed": "count"}
    assert s["intervals"] == {"success": "wilson", "makespan_s": "t", "attempts": "t", "nodes_active": "t",
                              "nodes_failed": "t"}
    assert [p["params"] for p in s["points"]] == [{"network.management_gbps": 1}, {"network.management_gbps": 10}]
    for p in s["points"]:
        values = baseline.table[baseline.table["point"] == p["point"]]
        m = p["metrics"]["makespan_s"]
        assert set(m) == {"mean", "sd", "n", "ci_low", "ci_high", "interval"} and m["n"] == 3
        assert m["mean"] == pytest.approx(values["makespan_s"].mean(), rel=1e-12)
        assert m["sd"] == pytest.approx(values["makespan_s"].std(), rel=1e-12)
        assert (m["ci_low"], m["ci_high"]) == pytest.approx(t_interval(values["makespan_s"]), rel=1e-12)
        assert m["ci_low"] < m["mean"] < m["ci_high"]
        ok = p["metrics"]["success"]
        assert (ok["ci_low"], ok["ci_high"]) == wilson_interval(3, 3) and ok["interval"] == "wilson"
    on_disk = json.loads((baseline.out_dir / "summary.json").read_text())
    assert on_disk["points"][0]["metrics"]["makespan_s"] == s["points"][0]["metrics"]["makespan_s"]


def test_a_single_replication_has_no_interval(tmp_path):
    result = run_sweep(REFERENCE, 1, out_dir=tmp_path)
    m = result.summary["points"][0]["metrics"]["makespan_s"]
    assert m["n"] == 1 and math.isnan(m["sd"]) and math.isnan(m["ci_low"]) and math.isnan(m["ci_high"])
    on_disk = json.loads((tmp_path / "summary.json").read_text())["points"][0]["metrics"]["makespan_s"]
    assert on_disk["sd"] is None and on_disk["ci_low"] is None  # strict JSON: NaN is written as null


def test_two_local_workers_give_the_table_of_one(baseline):
    two = run_sweep(REFERENCE, 3, AXES, workers=2)
    assert two.ran == 6 and same(two.table, baseline.table)


def test_resume_runs_only_the_missing_replications(baseline, tmp_path):
    out = tmp_path / "sweep"
    first = run_sweep(REFERENCE, 3, AXES, out_dir=out)
    parts = sorted((out / "parts").glob("*.json"))
    assert first.ran == 6 and len(parts) == 6
    lost = [parts[1], parts[4]]
    kept = {p: p.stat().st_mtime_ns for p in parts if p not in lost}
    for p in lost:
        p.unlink()
    rows = []
    resumed = run_sweep(REFERENCE, 3, AXES, out_dir=out, resume=True, on_row=rows.append)
    assert resumed.ran == 2 and resumed.reused == 4
    assert sorted((r["point"], r["replication"]) for r in rows) == [(0, 1), (1, 1)]
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # finished parts are not rewritten
    assert same(resumed.table, baseline.table)
    nothing = run_sweep(REFERENCE, 3, AXES, out_dir=out, resume=True)  # a finished sweep: nothing to do
    assert nothing.ran == 0 and same(nothing.table, baseline.table)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_interrupted_sweep_resumes_to_the_uninterrupted_table(workers, tmp_path):
    out = tmp_path / "sweep"
    axes = {"description": ["a", "b", "c"]}
    whole = run_sweep(REFERENCE, 4, axes)

    def ctrl_c_after_five(row, seen=[]):  # noqa: B006 - a counter across calls
        seen.append(row)
        if len(seen) == 5:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as e:
        run_sweep(REFERENCE, 4, axes, workers=workers, out_dir=out, on_row=ctrl_c_after_five)
    assert e.value.total == 12 and 5 <= e.value.done < 12 and e.value.out_dir == out
    assert len(list((out / "parts").glob("*.json"))) == e.value.done
    assert not list((out / "parts").glob(".part-*"))
    assert not (out / "results.parquet").exists()
    rows = []
    resumed = run_sweep(REFERENCE, 4, axes, workers=workers, out_dir=out, resume=True, on_row=rows.append)
    assert resumed.reused == e.value.done and resumed.ran == len(rows) == 12 - e.value.done
    assert same(resumed.table, whole.table)


def test_a_folder_holding_a_sweep_needs_resume_and_the_same_definition(tmp_path):
    out = tmp_path / "sweep"
    scenario = tmp_path / "reference.yaml"
    scenario.write_text(REFERENCE.read_text().replace("inventories/", str(REFERENCE.parent / "inventories") + "/"))
    run_sweep(scenario, 2, AXES, out_dir=out)
    with pytest.raises(SweepUsageError, match=r"already holds a sweep \(4 replication\(s\) finished\): add --resume"):
        run_sweep(scenario, 2, AXES, out_dir=out)
    for kwargs, why in [({"replications": 3}, "--replications differs"), ({"seed": 1}, "the seed differs"),
                        ({"axes": {"network.management_gbps": [1, 100]}}, "the --set axes differ")]:
        args = {"replications": 2, "axes": AXES, **kwargs}
        with pytest.raises(SweepUsageError, match=f"cannot resume the sweep in .*: {why}"):
            run_sweep(scenario, args["replications"], args["axes"], out_dir=out, resume=True, seed=kwargs.get("seed"))
    scenario.write_text(scenario.read_text().replace("policy: carry-on", "policy: helion"))
    with pytest.raises(SweepUsageError, match="the scenario file changed"):
        run_sweep(scenario, 2, AXES, out_dir=out, resume=True)


def test_no_output_folder_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_sweep(REFERENCE, 2)
    assert result.out_dir is None and len(result.table) == 2 and not list(tmp_path.iterdir())


def test_a_failing_task_stops_the_sweep_naming_it_and_keeps_what_finished(tmp_path):
    """The inventory file vanishes after the plan was checked: the next point's task cannot read it."""
    inventory = tmp_path / "nodes.csv"
    inventory.write_text((REFERENCE.parent / "inventories" / "helion-reference.csv").read_text())
    scenario = tmp_path / "reference.yaml"
    scenario.write_text(REFERENCE.read_text().replace("inventories/helion-reference.csv", "nodes.csv"))
    out = tmp_path / "sweep"

    def remove_the_inventory(row):
        inventory.unlink(missing_ok=True)

    with pytest.raises(SweepError) as e:
        run_sweep(scenario, 2, AXES, out_dir=out, on_row=remove_the_inventory)
    assert str(e.value).startswith("point 1 (network.management_gbps=10), replication 0 (seed ")
    assert "nodes.csv" in str(e.value)
    assert [p.name for p in (out / "parts").glob("*.json")] == ["00000-000000.json"]


def test_a_folder_without_finished_parts_is_simply_started_again(tmp_path):
    """E.g. a sweep whose scheduler could not be reached: nothing finished, nothing to resume."""
    out = tmp_path / "sweep"
    (out / "parts").mkdir(parents=True)
    (out / "sweep.json").write_text('{"format": 1, "definition": {"replications": 99}}')
    result = run_sweep(REFERENCE, 2, out_dir=out)
    assert result.ran == 2
    assert json.loads((out / "sweep.json").read_text())["definition"]["replications"] == 2
