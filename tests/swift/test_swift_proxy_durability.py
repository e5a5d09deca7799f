"""The proxy model against swift's own placement and analytic values; the durability Monte Carlo
against exact probabilities."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from swift_helpers import grid, make_ring
from twin.cloud.swift import analyze, durability, proxy, verbs
from twin.sweep.stats import wilson_interval


def test_partition_of_is_swifts_get_part(monkeypatch):
    from swift.common import utils

    b = make_ring(10, 3, grid())
    monkeypatch.setattr(utils, "HASH_PATH_PREFIX", b"pre")
    monkeypatch.setattr(utils, "HASH_PATH_SUFFIX", b"changeme")
    ring = proxy.ring_for(b)
    for i in range(300):
        a, c, o = f"AUTH_t{i % 7}", f"c{i % 13}", f"obj-{i}"
        assert proxy.partition_of(10, a, c, o, b"pre", b"changeme") == ring.get_part(a, c, o)
        assert proxy.partition_of(10, a, c, None, b"pre", b"changeme") == ring.get_part(a, c)


def test_quorum_is_the_2014_rule():
    assert [proxy.write_quorum(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]


def test_one_server_down_in_a_three_zone_three_replica_ring():
    """Every partition has one replica per zone, so one server down leaves 2 of 3: quorum, always."""
    b = make_ring(8, 3, grid(zones=3, servers=2, disks=2))
    down = {d["id"] for d in b._iter_devs() if d["ip"] == "10.1.1.1"}
    up = [d["id"] for d in b._iter_devs() if d["id"] not in down]
    for handoffs in (False, True):
        assert proxy.availability(b, up, handoffs=handoffs) == {"read": 1.0, "write": 1.0}


def test_two_replica_ring_with_a_device_down_equals_the_analytic_value():
    """Quorum of 2 replicas is 2: without handoffs a write fails on exactly the partitions of the down
    device (its partition count from swift's builder); with handoffs every write finds a second node."""
    b = make_ring(8, 2, grid(zones=2, servers=2, disks=2))
    dev = verbs.devices(b)[0]
    up = [d["id"] for d in b._iter_devs() if d["id"] != dev["id"]]
    got = proxy.availability(b, up, handoffs=False)
    assert got == {"read": 1.0, "write": 1 - dev["parts"] / b.parts}
    assert proxy.availability(b, up, handoffs=True)["write"] == 1.0


def test_handoffs_are_swifts_and_skip_primaries():
    b = make_ring(6, 3, grid(zones=3, servers=2, disks=1))
    ring = proxy.ring_for(b)
    for part in range(b.parts):
        primaries = {d["id"] for d in ring.get_part_nodes(part)}
        handoffs = [d["id"] for d in itertools.islice(ring.get_more_nodes(part), 3)]
        assert not primaries & set(handoffs) and len(set(handoffs)) == 3


def exact_loss_probability(table: np.ndarray, n_devices: int, p: float) -> float:
    """P(some partition has every replica on a failed device) when each device fails with prob p."""
    sets = {frozenset(int(d) for d in table[:, part] if d >= 0) for part in range(table.shape[1])}
    total = 0.0
    for k in range(n_devices + 1):
        for failed in itertools.combinations(range(n_devices), k):
            f = set(failed)
            if any(s <= f for s in sets):
                total += p ** k * (1 - p) ** (n_devices - k)
    return total


@pytest.mark.parametrize("replicas,layout", [(2, grid(zones=2, servers=1, disks=2)), (3, grid(zones=3, servers=1, disks=2)),
                                             (2.5, grid(zones=2, servers=2, disks=1))])
def test_durability_without_repair_equals_the_exact_probability(replicas, layout):
    """With no repair, a disk is lost once it fails: in T years it has failed with p = 1 - (1-AFR)^T."""
    b = make_ring(5, replicas, layout)
    table = analyze.replica_table(b)
    n = len(b.devs)
    afr, years, reps = 0.3, 2.0, 4000
    params = durability.DurabilityParams(afr=afr, replacement_delay_h=math.inf)
    r = durability.loss_probability(table, np.zeros(n + 1), params, years, reps, seed=11)
    exact = exact_loss_probability(table, n, 1 - (1 - afr) ** years)
    low, high = wilson_interval(r["runs_with_loss"], reps, confidence=0.999)
    assert low <= exact <= high, (r, exact)


def test_instant_repair_never_loses_and_longer_outages_lose_more():
    b = make_ring(5, 2, grid(zones=2, servers=1, disks=2))
    table, used = analyze.replica_table(b), analyze.used_bytes(b)
    runs = {}
    for delay in (0.0, 24.0 * 30, 24.0 * 365):
        params = durability.DurabilityParams(afr=0.5, replacement_delay_h=delay, rebuild_gbps=math.inf)
        runs[delay] = durability.loss_probability(table, used * 0, params, 1.0, 600, seed=3)["runs_with_loss"]
    assert runs[0.0] == 0
    assert runs[24.0 * 30] < runs[24.0 * 365]


def test_outage_is_delay_plus_rebuild():
    params = durability.DurabilityParams(replacement_delay_h=10, rebuild_gbps=8)
    assert params.outage_h(np.array([3600 * 1e9])) == pytest.approx([11.0])
