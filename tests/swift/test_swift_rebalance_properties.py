"""Hypothesis: random sequences of add-disk / remove-disk / set-weight / rebalance through twin's verbs
on swift's RingBuilder never crash, never put two replicas of a partition on one device, and move
partitions only as swift's rule allows.

Swift's rule, read from swift/common/ring/builder.py (RingBuilder.rebalance and its _gather_* steps):
every replica on a device removed since the last rebalance is reassigned, and its partition is
marked moved; the dispersion and balance steps skip any partition that is marked moved in this
rebalance or was moved less than min_part_hours ago (`_can_part_move`), and take at most one replica
of a partition each (a second replica only when one device holds two, which only old rings have).
So per rebalance and partition: replicas moved off surviving devices <= 1, and = 0 when the
partition also had a replica on a removed device or moved in a rebalance less than min_part_hours
ago (the first rebalance places, so "moves", every partition). Time only passes here through
`pretend_min_part_hours_passed`, so with min_part_hours 1 a partition moved by any rebalance since
the last pass stays put (but for removals).
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.cloud.swift import analyze, verbs
from twin.errors import InputError

ops = st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(1, 4), st.sampled_from([50.0, 100.0, 200.0])),
    st.tuples(st.just("remove"), st.integers(0, 50)),
    st.tuples(st.just("weight"), st.integers(0, 50), st.sampled_from([0.0, 25.0, 100.0, 300.0])),
    st.tuples(st.just("rebalance"), st.integers(0, 3)),
    st.tuples(st.just("pass"),),
), min_size=1, max_size=14)


def live_devices(b):
    removing = {d["id"] for d in b._remove_devs}
    return [d for d in b._iter_devs() if d["id"] not in removing]


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(part_power=st.integers(3, 6), replicas=st.sampled_from([2.0, 3.0, 2.5]), mph=st.sampled_from([0, 1]),
       initial=st.integers(3, 6), steps=ops)
def test_random_ring_operations_follow_swifts_rules(part_power, replicas, mph, initial, steps):
    b = verbs.create(part_power, replicas, mph)
    serial = 0

    def add(zone, weight):
        nonlocal serial
        serial += 1
        verbs.add_disk(b, region=1, zone=zone, ip=f"10.0.{zone}.{serial % 3 + 1}", port=6000,
                       device=f"d{serial}", weight=weight)

    for i in range(initial):
        add(i % 3 + 1, 100.0)
    recently_moved = None  # partitions moved by a rebalance since time last passed (min_part_hours > 0)
    for step in steps + [("rebalance", 0)]:
        kind = step[0]
        if kind == "add":
            add(step[1], step[2])
        elif kind in ("remove", "weight"):
            live = live_devices(b)
            if not live:
                continue
            dev = live[step[1] % len(live)]
            if kind == "remove":
                verbs.remove_disk(b, f"d{dev['id']}")
            else:
                verbs.set_weight(b, f"d{dev['id']}", step[2])
        elif kind == "pass":
            b.pretend_min_part_hours_passed()
            recently_moved = None
        else:
            moved = check_rebalance(b, step[1], recently_moved if mph else None)
            recently_moved = moved if recently_moved is None else recently_moved | moved


def check_rebalance(b, seed, recently_moved):
    weighted = sum(1 for d in live_devices(b) if d["weight"] > 0)
    before = analyze.replica_table(b) if b.ever_rebalanced else None
    removed = np.zeros(len(b.devs) + 1, dtype=bool)
    removed[[d["id"] for d in b._remove_devs]] = True
    try:
        verbs.rebalance(b, seed=seed)
    except InputError as e:
        assert weighted < b.replicas, e  # swift refuses only a ring with too few weighted devices
        return np.zeros(b.parts, dtype=bool)
    assert weighted >= b.replicas
    verbs.validate(b)  # swift's own check: every slot on an existing device, no duplicates
    after = analyze.replica_table(b)
    for part in range(b.parts):
        devs = [d for d in after[:, part] if d >= 0]
        assert len(devs) == len(set(devs)), f"partition {part} has two replicas on one device: {devs}"
    assert after.shape[0] == math.ceil(b.replicas)
    if before is None:
        return np.ones(b.parts, dtype=bool)  # the first rebalance places every partition
    changed = (after != before) & (before >= 0)
    off_removed = changed & removed[before]
    off_surviving = (changed & ~removed[before]).sum(axis=0)
    allowed = np.where(off_removed.any(axis=0), 0, 1)
    if recently_moved is not None:
        allowed = np.where(recently_moved, 0, allowed)
    over = np.nonzero(off_surviving > allowed)[0]
    assert over.size == 0, f"partitions {over[:5].tolist()} moved {off_surviving[over[:5]].tolist()} replicas"
    zone = next(d["zone"] for d in verbs.devices(b) if d["parts"])
    f = analyze.failure_impact(b, analyze.failed_devices(b, [f"zone:{zone}"]), analyze.used_bytes(b))
    in_zone = {d["id"] for d in b._iter_devs() if d["zone"] == zone}
    assert f["partitions_degraded"] == sum(any(int(d) in in_zone for d in after[:, p]) for p in range(b.parts)) > 0
    return changed.any(axis=0)
