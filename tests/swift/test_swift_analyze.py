"""analyze's failure figures against the builder's own replica2part2dev table, read with plain Python,
and balance/dispersion against what the real swift-ring-builder prints for the same file."""
from __future__ import annotations

import math

import pytest

from swift_helpers import grid, make_ring, swift_figures
from twin.cloud.swift import analyze, rings, verbs
from twin.errors import InputError

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

GIB = 1024 ** 3


def truth(builder, failed: set[int], used_gib: dict[int, float]) -> dict:
    """The failure figures computed directly, partition by partition, from builder._replica2part2dev."""
    r2p2d, none = builder._replica2part2dev, builder.none_dev_id
    held = {}
    for part2dev in r2p2d:
        for dev in part2dev:
            held[dev] = held.get(dev, 0) + 1
    per_replica = {d: used_gib[d] * GIB / held[d] for d in held if d != none}
    lost_total, degraded, all_lost, by, to_copy = 0, 0, 0, {}, 0.0
    for part in range(builder.parts):
        devs = [p2d[part] for p2d in r2p2d if part < len(p2d) and p2d[part] != none]
        lost = [d for d in devs if d in failed]
        lost_total += len(lost)
        if lost:
            degraded += 1
            by[len(lost)] = by.get(len(lost), 0) + 1
        if lost and len(lost) == len(devs):
            all_lost += 1
        else:
            to_copy += sum(per_replica[d] for d in lost)
    return {"part_replicas_lost": lost_total, "partitions_degraded": degraded, "partitions_all_lost": all_lost,
            "partitions_by_replicas_lost": {str(k): by.get(k, 0) for k in range(1, len(r2p2d) + 1)},
            "bytes_to_replicate": to_copy}


def specs_for(builder) -> list[list[str]]:
    devs = verbs.devices(builder)
    first, last = devs[0], devs[-1]
    zones = sorted({d["zone"] for d in devs})
    return [[f"device:{first['ip']}/{first['device']}"],
            [f"server:{first['ip']}"],
            [f"zone:{zones[0]}"],
            [f"region:{first['region']}"],
            [f"zone:{zones[-1]}", f"device:{first['ip']}/{first['device']}", f"server:{last['ip']}"]]


def test_failure_figures_equal_the_table_read_directly(ring_case):
    b = ring_case
    for specs in specs_for(b):
        failed = analyze.failed_devices(b, specs)
        used_gib = {d["id"]: 0.5 * d["weight"] for d in b._iter_devs()}
        got = analyze.failure_impact(b, failed, analyze.used_bytes(b))
        want = truth(b, set(failed), used_gib)
        for key in ("part_replicas_lost", "partitions_degraded", "partitions_all_lost", "partitions_by_replicas_lost"):
            assert got[key] == want[key], (specs, key)
        assert math.isclose(got["bytes_to_replicate"], want["bytes_to_replicate"], rel_tol=1e-9), specs


def test_failure_figures_with_used_gib_per_device(ring_case):
    b = ring_case
    devs = verbs.devices(b)
    used_gib = {d["id"]: 0.5 * d["weight"] for d in devs}
    used_gib[devs[0]["id"]] = 7.0
    used_gib[devs[-1]["id"]] = 1234.5
    specs = [f"server:{devs[0]['ip']}", f"server:{devs[-1]['ip']}"]
    failed = analyze.failed_devices(b, specs)
    got = analyze.failure_impact(b, failed, analyze.used_bytes(b, {devs[0]["id"]: 7.0, devs[-1]["id"]: 1234.5}))
    assert math.isclose(got["bytes_to_replicate"], truth(b, set(failed), used_gib)["bytes_to_replicate"], rel_tol=1e-9)


def test_every_device_failing_loses_every_partition():
    b = make_ring(6, 2, grid(zones=2, servers=1, disks=2))
    f = analyze.failure_impact(b, analyze.failed_devices(b, ["region:1"]), analyze.used_bytes(b))
    assert f["partitions_all_lost"] == b.parts == f["partitions_degraded"]
    assert f["partitions_by_replicas_lost"] == {"1": 0, "2": b.parts}
    assert f["bytes_to_replicate"] == 0.0
    assert math.isclose(f["bytes_lost"], sum(0.5 * 100 * GIB for _ in range(4)) / 2, rel_tol=1e-9)


def test_balance_and_dispersion_equal_swift_ring_builder(ring_case, tmp_path):
    path = tmp_path / "object.builder"
    rings.save_builder(ring_case, path)
    shown = swift_figures(path)
    v = verbs.view(rings.load_builder(path))
    assert shown["parts"] == v["parts"] and shown["replicas"] == pytest.approx(v["replicas"])
    assert shown["devices"] == len(v["devices"]) and shown["zones"] == v["zones"] and shown["regions"] == v["regions"]
    assert shown["balance"] == f"{v['balance']:.2f}"
    assert shown["dispersion"] == f"{v['dispersion']:.2f}"
    assert shown["device_parts"] == {d["id"]: d["parts"] for d in v["devices"]}


@pytest.mark.parametrize("spec", ["zone:99", "server:192.0.2.1", "device:10.1.1.1/nope", "rack:1", "zone:x", "zone"])
def test_a_spec_matching_nothing_or_malformed_is_an_error(spec):
    b = make_ring(5, 2, grid(zones=2, servers=1, disks=1))
    with pytest.raises(InputError) as e:
        analyze.failed_devices(b, [spec], where="o.builder")
    assert str(e.value).startswith("o.builder:0: --fail: ") and spec.split(":")[-1] in str(e.value)


def test_rebalance_prediction_is_what_swift_then_does():
    """The first predicted round equals swift's own rebalance with the same seed, replica by replica."""
    import copy

    b = make_ring(8, 3, grid(zones=3, servers=2, disks=2), min_part_hours=0)
    verbs.add_disk(b, region=1, zone=2, ip="10.1.2.9", port=6000, device="sdb", weight=300)
    real = copy.deepcopy(b)
    before = analyze.replica_table(b)
    pred = analyze.rebalance_impact(b, analyze.used_bytes(b), seed=3)
    verbs.rebalance(real, seed=3)
    after = analyze.replica_table(real)
    moved = (after != before)
    assert pred["per_round"][0]["part_replicas_moved"] == int(moved.sum())
    assert pred["per_round"][0]["partitions_moved"] == int(moved.any(axis=0).sum())
    assert pred["rounds"] >= 1 and pred["hours_at_least"] == 0
    assert pred["part_replicas_moved"] >= pred["partitions_moved"] >= pred["per_round"][0]["partitions_moved"]
    assert analyze.replica_table(b).tobytes() == before.tobytes()  # the builder itself is untouched


def test_rebalance_of_a_zone_weight_change_needs_rounds_of_min_part_hours():
    """Swift moves at most one replica of a partition per min_part_hours: a change that needs two
    replicas of some partitions to move takes more than one round."""
    b = make_ring(7, 3, grid(zones=3, servers=1, disks=2), min_part_hours=24)
    b.pretend_min_part_hours_passed()
    for z in (4, 5, 6):
        for d in ("sdb", "sdc"):
            verbs.add_disk(b, region=1, zone=z, ip=f"10.1.{z}.1", port=6000, device=d, weight=100)
    pred = analyze.rebalance_impact(b, analyze.used_bytes(b), seed=1)
    assert pred["rounds"] >= 2
    assert pred["hours_at_least"] == 24 * (pred["rounds"] - 1)
    first = pred["per_round"][0]
    assert first["part_replicas_moved"] == first["partitions_moved"]  # one replica per partition per round
