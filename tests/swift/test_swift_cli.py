"""`twin ring`: every verb, its --json keys, the files it writes (opened by the real swift-ring-builder),
and located one-line errors without a traceback."""
from __future__ import annotations

import json
import os
import pickle
import stat

import pytest

from swift_helpers import swift_figures, swift_ring_builder
from twin.cli import main

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

ANALYZE_KEYS = {"parts", "replicas", "balance", "dispersion", "devices"}
DEVICE_KEYS = {"id", "region", "zone", "ip", "port", "device", "weight", "parts"}
FAILURE_KEYS = {"part_replicas_lost", "partitions_degraded", "partitions_by_replicas_lost", "partitions_all_lost",
                "bytes_to_replicate"}


def ring(capsys, *args) -> tuple[int, str, str]:
    code = main(["ring", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def ring_json(capsys, *args) -> dict:
    code, out, err = ring(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def built(tmp_path, capsys):
    """A builder made only with `twin ring`: 2^7 partitions, 3 replicas, 3 zones x 2 servers x 2 disks."""
    path = tmp_path / "object.builder"
    assert ring_json(capsys, "create", path, 7, 3, 1) == {"builder": str(path), "parts": 128, "replicas": 3.0,
                                                          "min_part_hours": 1}
    for z in (1, 2, 3):
        for s in (1, 2):
            for dev in ("sdb", "sdc"):
                ring_json(capsys, "add-disk", path, "--region", 1, "--zone", z, "--ip", f"10.0.{z}.{s}",
                          "--port", 6000, "--device", dev, "--weight", 100 * s)
    r = ring_json(capsys, "rebalance", path, "--seed", 5)
    assert set(r) >= {"reassigned", "balance", "dispersion", "removed_devices"} and r["reassigned"] == 3 * 128
    return path


def test_a_twin_builder_round_trips_through_swift_ring_builder(built, capsys, tmp_path):
    assert sorted(p.name for p in tmp_path.iterdir()) == ["object.builder"]  # no temporary file left
    view = ring_json(capsys, "view", built)
    shown = swift_figures(built)  # (swift-ring-builder makes a backups/ folder)
    assert (shown["parts"], shown["replicas"], shown["devices"], shown["zones"]) == (128, 3.0, 12, 3)
    assert shown["balance"] == f"{view['balance']:.2f}" and shown["dispersion"] == f"{view['dispersion']:.2f}"
    assert shown["device_parts"] == {d["id"]: d["parts"] for d in view["devices"]}
    assert stat.S_IMODE(os.stat(built).st_mode) == 0o644
    # and back: swift-ring-builder changes the file, twin reads swift's change
    out = swift_ring_builder(built, "set_weight", "10.0.1.1/sdb", "33")
    assert out.returncode == 0, out.stdout
    again = ring_json(capsys, "view", built)
    assert next(d["weight"] for d in again["devices"] if d["ip"] == "10.0.1.1" and d["device"] == "sdb") == 33.0


def test_every_verb(built, capsys, tmp_path):
    before = ring_json(capsys, "view", built)
    assert set(before) >= {"parts", "replicas", "balance", "dispersion", "devices", "min_part_hours"}
    assert all(set(d) >= DEVICE_KEYS for d in before["devices"])
    assert sum(d["parts"] for d in before["devices"]) == 3 * 128

    r = ring_json(capsys, "set-weight", built, "10.0.1.1/sdb", 50)
    assert r["old_weight"] == 100.0 and r["device"]["weight"] == 50.0
    r = ring_json(capsys, "remove-disk", built, "10.0.3.2/sdc")
    assert r["removed"]["ip"] == "10.0.3.2"
    assert ring_json(capsys, "set-min-part-hours", built, 0)["min_part_hours"] == 0
    assert ring_json(capsys, "set-replicas", built, 2.5)["replicas"] == 2.5
    r = ring_json(capsys, "rebalance", built, "--seed", 1)
    assert r["removed_devices"] == 1
    after = ring_json(capsys, "view", built)
    assert after["replicas"] == 2.5 and len(after["devices"]) == 11
    assert sum(d["parts"] for d in after["devices"]) == 2 * 128 + 64
    assert ring_json(capsys, "validate", built)["valid"] is True

    w = ring_json(capsys, "write-ring", built)
    ring_file = tmp_path / "object.ring.gz"
    assert w["ring"] == str(ring_file) and stat.S_IMODE(os.stat(ring_file).st_mode) == 0o644
    from swift.common.ring import RingData

    data = RingData.load(str(ring_file))
    assert len(data._replica2part2dev_id) == 3 and len(data._replica2part2dev_id[2]) == 64
    assert "up-to-date" in swift_figures(built)["stdout"]  # swift agrees the ring matches the builder


def test_analyze_json_has_exactly_the_issues_keys(built, capsys):
    plain = ring_json(capsys, "analyze", built)
    assert set(plain) >= ANALYZE_KEYS and "failure" not in plain
    assert all(set(d) == DEVICE_KEYS for d in plain["devices"])
    a = ring_json(capsys, "analyze", built, "--fail", "zone:1", "--fail", "device:10.0.2.1/sdb",
                  "--used-gib", "10.0.2.1/sdb=10", "--fill", "0.25")
    assert set(a["failure"]) >= FAILURE_KEYS
    assert set(a["failure"]["partitions_by_replicas_lost"]) == {"1", "2", "3"}
    f = a["failure"]
    assert f["part_replicas_lost"] == sum(int(k) * v for k, v in f["partitions_by_replicas_lost"].items())
    assert f["partitions_degraded"] == sum(f["partitions_by_replicas_lost"].values())
    code, text, _ = ring(capsys, "analyze", built, "--fail", "server:10.0.1.1")
    assert code == 0 and "partitions degraded" in text


def test_analyze_rebalance(built, capsys):
    ring_json(capsys, "add-disk", built, "--region", 1, "--zone", 4, "--ip", "10.0.4.1", "--port", 6000,
              "--device", "sdb", "--weight", 400)
    r = ring_json(capsys, "analyze", built, "--rebalance", "--seed", 2)["rebalance"]
    assert r["rounds"] >= 1 and r["partitions_moved"] > 0 and r["bytes_to_move"] > 0
    # the builder was rebalanced just now with min_part_hours 1: nothing may move before that hour is over
    assert 0 < r["wait_before_first_round_h"] <= 1 and r["hours_at_least"] >= r["wait_before_first_round_h"]
    code, text, _ = ring(capsys, "analyze", built, "--rebalance", "--seed", 2)
    assert code == 0 and "round 1:" in text
    assert set(r) >= {"rounds", "partitions_moved", "part_replicas_moved", "bytes_to_move", "min_part_hours",
                      "hours_at_least", "per_round"}


def one_error_line(err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], err


def test_located_errors(built, capsys, tmp_path):
    original = built.read_bytes()
    cases = [
        (("analyze", built, "--fail", "zone:9"), 1, ("object.builder:0: --fail:", "zone:9")),
        (("analyze", built, "--fail", "rack:1"), 1, ("--fail", "rack:1")),
        (("analyze", built, "--fail", "device:10.0.1.1/sdz"), 1, ("--fail", "10.0.1.1/sdz")),
        (("set-weight", built, "10.0.1.1/sdz", 10), 1, ("device", "10.0.1.1/sdz")),
        (("set-weight", built, "10.0.1.1/sdb", -3), 1, ("weight", "-3")),
        (("remove-disk", built, "d99"), 1, ("device", "d99")),
        (("add-disk", built, "--region", 1, "--zone", 1, "--ip", "10.0.1.1", "--port", 6000, "--device", "sdb",
          "--weight", 1), 1, ("--device", "10.0.1.1:6000/sdb", "already")),
        (("add-disk", built, "--region", 1, "--zone", 1, "--ip", "10.0.9.1", "--port", 70000, "--device", "sdb",
          "--weight", 1), 1, ("--port", "70000")),
        (("set-replicas", built, 0.5), 1, ("replicas",)),
        (("create", built, 7, 3, 1), 1, ("already exists",)),
        (("create", tmp_path / "big.builder", 40, 3, 1), 1, ("part_power", "40")),
        (("analyze", built, "--used-gib", "10.0.1.1/sdb"), 1, ("--used-gib",)),
        (("view", tmp_path / "missing.builder"), 2, ("missing.builder:0: builder: no such builder file",)),
        (("rebalance", tmp_path), 2, ("directory",)),
    ]
    for args, code, needles in cases:
        got, _out, err = ring(capsys, *args)
        assert got == code, (args, err)
        one_error_line(err, *needles)
    assert built.read_bytes() == original  # refused changes leave the file as it was


@pytest.mark.parametrize("content", [b"not a pickle at all", pickle.dumps([1, 2, 3], protocol=2),
                                     pickle.dumps({"devs": []}, protocol=2), b""])
def test_a_corrupt_builder_is_unreadable(tmp_path, capsys, content):
    path = tmp_path / "bad.builder"
    path.write_bytes(content)
    for verb in ("view", "analyze", "validate", "rebalance"):
        code, _out, err = ring(capsys, verb, path)
        assert code == 2, (verb, err)
        one_error_line(err, "bad.builder:0: builder: not a swift ring builder file")
    assert path.read_bytes() == content


def test_rebalance_refused_by_swift_is_located(tmp_path, capsys):
    path = tmp_path / "tiny.builder"
    ring_json(capsys, "create", path, 4, 3, 1)
    ring_json(capsys, "add-disk", path, "--region", 1, "--zone", 1, "--ip", "10.0.0.1", "--port", 6000,
              "--device", "sdb", "--weight", 10)
    before = path.read_bytes()
    code, _out, err = ring(capsys, "rebalance", path)
    assert code == 1
    one_error_line(err, "tiny.builder:0: rebalance:", "requires more than 1 devices")
    code, _out, err = ring(capsys, "write-ring", path)
    assert code == 1
    one_error_line(err, "never rebalanced")
    code, _out, err = ring(capsys, "analyze", path, "--fail", "zone:1")
    assert code == 1
    one_error_line(err, "never rebalanced")
    assert path.read_bytes() == before


def test_usage_errors_exit_2(capsys, tmp_path):
    with pytest.raises(SystemExit) as e:
        main(["ring", "create", str(tmp_path / "x.builder"), "seven", "3", "1"])
    assert e.value.code == 2
    assert "argument PART_POWER: invalid int value: 'seven'" in capsys.readouterr().err
