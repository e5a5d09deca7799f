"""run_validate: exit codes 0/1/2, the human lines and the exact --json shape."""
from __future__ import annotations

import json

import pytest
from invtest_helpers import EXAMPLE_11, FIXTURES, PASSWORD, csv_text, minimal_rows, row, write

from twin.inventory.validate import run_validate

NODE_KEYS = ["name", "role", "mac", "power_management", "bmc_address", "cpus", "memory_mib", "disk_gib"]
PROBLEM_KEYS = ["file", "line", "field", "message"]


def run(capsys, *args, **kwargs):
    code = run_validate(*args, **kwargs)
    out, err = capsys.readouterr()
    assert PASSWORD not in out and PASSWORD not in err
    return code, out


def test_valid_file_exits_0_with_a_verdict(tmp_path, capsys):
    path = write(tmp_path, "baremetal.csv", csv_text(minimal_rows()))
    code, out = run(capsys, path)
    assert code == 0
    assert out == f"{path}: 7 nodes, valid (profile kvm-30x40)\n"


def test_warnings_alone_stay_valid(tmp_path, capsys):
    path = write(tmp_path, "baremetal.csv", csv_text(minimal_rows() + [row(7, role="OvercloudVSAStorage")]))
    code, out = run(capsys, path)
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith(f"warning: {path}:8: role: only 1 OvercloudVSAStorage")
    assert lines[1] == f"{path}: 8 nodes, valid with 1 warning (profile kvm-30x40)"


def test_invalid_file_exits_1_with_one_line_per_problem(capsys):
    path = str(FIXTURES / EXAMPLE_11)
    code, out = run(capsys, path)
    lines = out.splitlines()
    assert code == 1
    assert [l.split(": ")[0:2] for l in lines[:4]] == [
        [f"{path}:8", "disk_GiB"], ["warning", f"{path}:8"], [f"{path}:9", "disk_GiB"], ["warning", f"{path}:9"]]
    assert lines[4] == f"{path}: 9 nodes, invalid: 2 errors, 2 warnings (profile kvm-30x40)"


def test_parse_problems_exit_1_and_skip_counts(tmp_path, capsys):
    rows = minimal_rows()
    rows[2] = row(2, role="OvercloudControll")
    rows[4] = row(4, mac="zz", role="OvercloudSwiftStorage")
    path = write(tmp_path, "baremetal.csv", csv_text(rows))
    code, out = run(capsys, path, as_json=True)
    document = json.loads(out)
    assert code == 1 and document["valid"] is False
    assert [(e["line"], e["field"]) for e in document["errors"]] == [(3, "role"), (5, "mac")]
    assert len(document["nodes"]) == 6  # the rows that parsed
    code, out = run(capsys, path)
    assert code == 1
    assert out.splitlines()[-1] == (f"{path}: 6 nodes, invalid: 2 errors (profile kvm-30x40); "
                                    "role and row counts are checked once every row parses")


def test_unreadable_exits_2(tmp_path, capsys):
    missing = str(tmp_path / "nope.csv")
    code, out = run(capsys, missing)
    assert code == 2
    assert out.splitlines() == [f"{missing}:0: file: no such file", f"{missing}: not validated (unreadable)"]


def test_unknown_profile_exits_2_listing_known_profiles(tmp_path, capsys):
    path = write(tmp_path, "baremetal.csv", csv_text(minimal_rows()))
    code, out = run(capsys, path, profile="kvm-99")
    assert code == 2
    assert "unknown profile 'kvm-99'; known profiles: kvm-30x40, commercial-1.1, esx" in out


def test_json_shape_exact(capsys):
    path = str(FIXTURES / EXAMPLE_11)
    code, out = run(capsys, path, as_json=True)
    document = json.loads(out)
    assert code == 1
    assert list(document) == ["valid", "nodes", "errors", "warnings"]
    assert document["valid"] is False
    assert all(list(n) == NODE_KEYS for n in document["nodes"])
    assert all(list(p) == PROBLEM_KEYS for p in document["errors"] + document["warnings"])
    assert document["nodes"][7] == {"name": "vsa0", "role": "OvercloudVSAStorage", "mac": "e4:11:5b:b7:ae:be",
                                    "power_management": "IPMI", "bmc_address": "10.1.192.40", "cpus": 12,
                                    "memory_mib": 73728, "disk_gib": 70}
    assert [(e["file"], e["line"], e["field"]) for e in document["errors"]] == [
        (path, 8, "disk_GiB"), (path, 9, "disk_GiB")]
    assert [(w["line"], w["field"]) for w in document["warnings"]] == [(8, "role"), (9, "role")]
    assert "gone2far" not in out  # the file's real password


def test_json_for_valid_and_moonshot(tmp_path, capsys):
    rows = minimal_rows()
    rows[6] = row(6, role="OvercloudCompute", power="HP_Moonshot:0x84:0x72", address="10.9.9.9:6230")
    code, out = run(capsys, write(tmp_path, "b.csv", csv_text(rows)), as_json=True)
    document = json.loads(out)
    assert code == 0 and document["valid"] is True and document["errors"] == [] == document["warnings"]
    assert document["nodes"][6]["power_management"] == "HP_Moonshot:0x84:0x72"
    assert document["nodes"][6]["bmc_address"] == "10.9.9.9:6230/0x72"


@pytest.mark.parametrize("make", ["missing", "invalid-json", "profile"])
def test_json_for_unreadable_and_unknown_profile(tmp_path, capsys, make):
    path = str(tmp_path / "x.json")
    if make == "invalid-json":
        (tmp_path / "x.json").write_text('{"nodes": [\n')
    if make == "profile":
        (tmp_path / "x.json").write_text('{"nodes": []}')
    code, out = run(capsys, path, profile="nope" if make == "profile" else "kvm-30x40", as_json=True)
    document = json.loads(out)
    assert code == 2
    assert document["valid"] is False and document["nodes"] == [] and document["warnings"] == []
    (error,) = document["errors"]
    assert list(error) == PROBLEM_KEYS and error["file"] == path
    assert error["field"] == {"missing": "file", "invalid-json": "json", "profile": "profile"}[make]


def test_deleted_rows_are_mentioned_in_the_verdict(tmp_path, capsys):
    path = write(tmp_path, "b.csv", csv_text(minimal_rows() + [row(9, role="OvercloudCompute:deleted")]))
    code, out = run(capsys, path)
    assert code == 0 and out == f"{path}: 7 nodes (1 deleted row ignored), valid (profile kvm-30x40)\n"
