"""Issue 13, defect 13 (the sweep's part): `--resume` checks every part file (schema, checksum,
the task its name names) and runs bad ones again; the resumed table equals the uninterrupted one."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from twin.sweep import run_sweep
from twin.sweep.core import row_head
from twin.sweep.parts import BadPart, encode_part, read_part
from twin.sweep.spec import plan_sweep

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "scenarios" / "helion-reference.yaml"
AXES = {"network.management_gbps": [1, 10]}


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a.drop(columns="wall_s").equals(b.drop(columns="wall_s"))


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The reference sweep, 2 points x 3 replications, with its folder (copied by each test)."""
    out = tmp_path_factory.mktemp("whole") / "sweep"
    return run_sweep(REFERENCE, 3, AXES, out_dir=out)


def _row(path: Path) -> dict:
    return json.loads(path.read_text())["row"]


def _rewrite(path: Path, row: dict) -> None:  # a part with a valid checksum: what only the row checks can catch
    path.write_text(encode_part(row))


def _copy(whole, tmp_path) -> Path:
    out = tmp_path / "sweep"
    (out / "parts").mkdir(parents=True)
    (out / "sweep.json").write_bytes((whole.out_dir / "sweep.json").read_bytes())
    for p in (whole.out_dir / "parts").glob("*.json"):
        (out / "parts" / p.name).write_bytes(p.read_bytes())
    return out


PART = "00001-000002.json"  # point 1 (10 Gb/s), replication 2


def _empty_object(p): p.write_text("{}")
def _null(p): p.write_text("null")
def _a_list(p): p.write_text("[1, 2]")
def _not_json(p): p.write_text('{"format": 2, "sha')
def _row_is_text(p): p.write_text(json.dumps({"format": 2, "sha256": "x", "row": "makespan_s=1"}))
def _old_format(p): p.write_text(json.dumps(_row(p)))  # a bare row (format 1): no checksum
def _changed_value(p): p.write_text(p.read_text().replace('"makespan_s": ', '"makespan_s": 1'))
def _success_half(p): _rewrite(p, {**_row(p), "success": 0.5})
def _point_as_text(p): _rewrite(p, {**_row(p), "point": "1"})
def _metric_as_text(p): _rewrite(p, {**_row(p), "attempts": "1"})
def _negative_count(p): _rewrite(p, {**_row(p), "nodes_failed": -1.0})
def _no_wall_time(p): _rewrite(p, {k: v for k, v in _row(p).items() if k != "wall_s"})
def _other_seed(p): _rewrite(p, {**_row(p), "seed": _row(p)["seed"] + 1})
def _other_parameter(p): _rewrite(p, {**_row(p), "network.management_gbps": 1})
def _replication_of_another_file(p): _rewrite(p, {**_row(p.with_name("00001-000001.json"))})


CORRUPTIONS = [
    (_empty_object, "not a part of format 2"), (_null, "not a part of format 2"), (_a_list, "not a part of format 2"),
    (_not_json, "not JSON"), (_row_is_text, "its row is str"), (_old_format, "not a part of format 2"),
    (_changed_value, "checksum does not match"), (_success_half, "success: 0.5 is not 0 or 1"),
    (_point_as_text, "point is '1', where its task's is 1"), (_metric_as_text, "attempts: '1' is not a number"),
    (_negative_count, "nodes_failed: -1.0 is outside [0, inf]"), (_no_wall_time, "no 'wall_s'"),
    (_other_seed, "seed is"), (_other_parameter, "network.management_gbps is 1, where its task's is 10"),
    (_replication_of_another_file, "replication is 1, where its task's is 2"),
]


@pytest.mark.parametrize("corrupt, why", CORRUPTIONS, ids=[c.__name__.strip("_") for c, _ in CORRUPTIONS])
def test_a_bad_part_is_named_and_run_again(whole, tmp_path, corrupt, why):
    out = _copy(whole, tmp_path)
    corrupt(out / "parts" / PART)
    rows = []
    resumed = run_sweep(REFERENCE, 3, AXES, out_dir=out, resume=True, on_row=rows.append)
    assert resumed.reused == 5 and resumed.ran == 1 and [(r["point"], r["replication"]) for r in rows] == [(1, 2)]
    notes = [w for w in resumed.warnings if PART in w]
    assert len(notes) == 1 and why in notes[0] and notes[0].endswith("it runs again"), notes
    assert same(resumed.table, whole.table) and len(resumed.table) == 6
    head = row_head(plan_sweep(REFERENCE, 3, AXES), 1, 2)
    assert read_part((out / "parts" / PART).read_text(), head)["seed"] == head["seed"]  # written anew, whole


def test_a_part_of_a_task_the_sweep_does_not_have_is_dropped(whole, tmp_path):
    out = _copy(whole, tmp_path)
    stray = out / "parts" / "00007-000000.json"
    stray.write_bytes((out / "parts" / "00000-000000.json").read_bytes())
    resumed = run_sweep(REFERENCE, 3, AXES, out_dir=out, resume=True)
    assert resumed.ran == 0 and len(resumed.table) == 6 and same(resumed.table, whole.table)
    assert any("00007-000000.json: this sweep has no such point and replication" in w for w in resumed.warnings)
    assert not stray.exists()


def test_many_bad_parts_are_counted_not_listed(whole, tmp_path):
    out = _copy(whole, tmp_path)
    for p in (out / "parts").glob("*.json"):
        p.write_text("null")
    resumed = run_sweep(REFERENCE, 3, AXES, out_dir=out, resume=True)
    assert resumed.ran == 6 and same(resumed.table, whole.table)
    assert len(resumed.warnings) - len(whole.warnings) == 6  # 5 named, then "and 1 more"
    assert resumed.warnings[-1].startswith("warning: and 1 more bad part(s)")


def test_the_part_format_round_trips_and_rejects_a_bad_head():
    row = {"point": 0, "replication": 1, "seed": 7, "success": 1.0, "vip_takeover_s": float("nan"), "wall_s": 0.1}
    back = read_part(encode_part(row), {"point": 0, "replication": 1, "seed": 7})
    assert back.keys() == row.keys() and back["success"] == 1.0 and back["vip_takeover_s"] != back["vip_takeover_s"]
    with pytest.raises(BadPart, match="replication is 1, where its task's is 2"):
        read_part(encode_part(row), {"point": 0, "replication": 2, "seed": 7})
    with pytest.raises(BadPart, match="replication is True"):
        read_part(encode_part({**row, "replication": True}), {"point": 0, "replication": 1, "seed": 7})


def test_the_cli_resumes_over_bad_parts_in_one_line_each(whole, tmp_path):
    out = _copy(whole, tmp_path)
    (out / "parts" / PART).write_text("{}")
    _success_half(out / "parts" / "00000-000001.json")
    proc = subprocess.run([sys.executable, "-m", "twin.cli", "sweep", str(REFERENCE), "-r", "3",
                           "--set", "network.management_gbps=1,10", "--out", str(out), "--resume", "--quiet"],
                          cwd=REPO, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
                          timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    bad = [line for line in proc.stderr.splitlines() if "it runs again" in line]
    assert len(bad) == 2 and all(line.startswith(f"warning: {out / 'parts'}/") for line in bad)
    assert "(4 finished before, 2 to run)" in proc.stdout
    assert same(pd.read_parquet(out / "results.parquet"), whole.table)
