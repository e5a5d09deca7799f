"""`twin run`, `twin schema` and `twin validate` as a user runs them: real processes, real files."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

REPO = Path(__file__).resolve().parents[2]
SECRET = "Sup3r-S3cret-BMC-pw"


def twin(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "twin.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    proc = twin("run", "scenarios/helion-reference.yaml", "--out", str(out), "--quiet")
    return proc, out


def test_the_reference_run_succeeds_and_writes_its_three_outputs(reference_run):
    proc, out = reference_run
    assert proc.returncode == 0, proc.stderr
    assert "SUCCESS" in proc.stdout and "report.html" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "helion-reference" and summary["backend"] == "sim" and summary["seed"] == 42
    d = summary["deployment"]
    assert d["outcome"] == "success" and d["makespan_s"] > 0
    assert {p["name"] for p in d["phases"]} == {"seed", "undercloud", "overcloud-control", "overcloud-compute"}
    assert len(d["nodes"]) == 10 and all(n["state"] == "active" for n in d["nodes"].values())
    events = pd.read_parquet(out / "events.parquet")
    assert list(events.columns) == ["seq", "time_s", "kind", "subject", "name", "detail", "cause", "value"]
    assert len(events) == summary["counts"]["events"]
    html = (out / "report.html").read_text()
    assert "<html" in html.lower() and "controller2" in html
    assert not list(out.glob(".*"))  # no temporary files left behind


def test_same_scenario_and_seed_give_byte_identical_event_logs(reference_run, tmp_path):
    _, out = reference_run
    again = twin("run", "scenarios/helion-reference.yaml", "--out", str(tmp_path), "--quiet")
    assert again.returncode == 0
    assert (tmp_path / "events.parquet").read_bytes() == (out / "events.parquet").read_bytes()
    assert (tmp_path / "summary.json").read_text() == (out / "summary.json").read_text()


def test_a_different_seed_gives_different_timings(reference_run, tmp_path):
    _, out = reference_run
    assert twin("run", "scenarios/helion-reference.yaml", "--seed", "7", "--out", str(tmp_path), "--quiet").returncode == 0
    a, b = pd.read_parquet(out / "events.parquet"), pd.read_parquet(tmp_path / "events.parquet")
    assert not a.time_s.equals(b.time_s)


def _inventory_with_secret(tmp_path):
    rows = Path(REPO / "scenarios/inventories/helion-reference.csv").read_text().replace("password", SECRET)
    csv = tmp_path / "baremetal.csv"
    csv.write_text(rows)
    return csv


def test_bmc_passwords_appear_nowhere_in_output_logs_events_summary_or_report(tmp_path):
    csv = _inventory_with_secret(tmp_path)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"name: secret\ninventory: {{file: {csv.name}}}\nfaults:\n"
                        "  - {kind: bmc_wrong_credentials, node: compute1}\n  - {kind: bmc_no_answer, node: compute2}\n")
    out = tmp_path / "out"
    proc = twin("run", str(scenario), "--out", str(out), "--quiet")
    assert proc.returncode == 1  # the deployment failed (two nodes), and said so
    assert "compute1" in proc.stdout and "credentials" in proc.stdout
    for text in (proc.stdout, proc.stderr, *(p.read_bytes().decode("latin-1") for p in out.iterdir())):
        assert SECRET not in text
    events = pd.read_parquet(out / "events.parquet")
    assert not events.astype(str).apply(lambda col: col.str.contains(SECRET)).any().any()
    validate = twin("validate", str(csv), "--json")
    assert validate.returncode == 0 and SECRET not in validate.stdout + validate.stderr


def test_a_bad_scenario_is_one_line_per_problem_with_file_line_and_field_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninventory:\n  generate: {compute: 2}\ntiming:\n  post_s: {dist: lognormal, median: 0, sigma: 1}\n"
                   "faults:\n  - {kind: slow_nic, node: compute9}\n")
    proc = twin("run", str(bad), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"{bad}:5: timing.post_s.median:" in proc.stderr
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_a_fault_naming_an_unknown_node_is_located_in_the_scenario(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninventory:\n  generate: {compute: 2}\nfaults:\n  - kind: slow_nic\n    node: compute9\n")
    proc = twin("run", str(bad))
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"{bad}:6: faults[0].node: no node named 'compute9'")


def test_an_invalid_inventory_is_refused_before_anything_runs(tmp_path):
    scenario = tmp_path / "s.yaml"
    sample = REPO / "tests/fixtures/inventory/helion-docs/helion-1.1-docs-example.csv"
    scenario.write_text(f"name: x\ninventory: {{file: {sample}}}\n")
    proc = twin("run", str(scenario), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1 and "disk_GiB" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_missing_scenario_exits_2(tmp_path):
    proc = twin("run", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2 and "no such file" in proc.stderr and "Traceback" not in proc.stderr


def test_schema_prints_the_json_schema_of_a_scenario():
    proc = twin("schema")
    schema = json.loads(proc.stdout)
    assert proc.returncode == 0
    assert {"name", "inventory", "timing", "faults", "policy"} <= set(schema["properties"])


def test_the_shipped_max_scenario_deploys(tmp_path):
    proc = twin("run", "scenarios/helion-max.yaml", "--out", str(tmp_path), "--quiet")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts"]["nodes"] == 39 and summary["deployment"]["outcome"] == "success"
