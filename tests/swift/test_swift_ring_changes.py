"""A planned ring change in the Swift model (RingState.rebalance: swift's set_dev_weight / add_dev
then rebalance): the moved replicas stay on their old holders until the replicator pushes them,
so nothing is lost or unreadable meanwhile; devices added mid-run get slots in the per-device
arrays. Truth: swift's own reassigned count and the builder's table."""
from __future__ import annotations

import numpy as np

from twin.cloud.swift.analyze import replica_table
from twin.cloud.swift.build import build_ring
from twin.cloud.swift.config import SwiftConfig
from twin.cloud.swift.model import RingState

HOURS = 25 * 3600.0  # past the default min_part_hours (24): every partition may move


class _Node:
    def __init__(self, name):
        self.name = name


def _ring(servers=3, disks=2):
    config = SwiftConfig(part_power=8, disks=[{"device": f"d{k}", "size_gib": 100} for k in range(disks)])
    nodes = [_Node(f"s{i}") for i in range(servers + 1)]
    builder = build_ring(config, nodes[:servers], {n.name: 1 + i for i, n in enumerate(nodes)}, 6000, "object")
    return RingState("object", builder, 0.5, {n.name: i for i, n in enumerate(nodes)})


def test_a_weight_cut_leaves_the_moved_replicas_on_their_old_holder_until_pushed():
    state = _ring()
    before, fill = replica_table(state.builder), state.fill()
    moved, reassigned, nbytes = state.rebalance(lambda b: b.set_dev_weight(0, 0.0), seed=3, now=HOURS)
    after = replica_table(state.builder)
    changed = after != before
    assert moved == reassigned == int(changed.sum()) > 0  # the model's diff is swift's own count
    assert nbytes == np.broadcast_to(state.part_bytes, changed.shape)[changed].sum()
    assert (state.old[changed] == before[changed]).all() and (state.old[~changed] == -1).all()
    assert (before[changed] == 0).sum() > 0  # the zero-weight device gave replicas away
    assert np.allclose(state.fill(), fill)  # nothing crossed the wire yet: every device holds what it held
    copies = (state.present & state.has).sum(axis=0) + (state.old >= 0).sum(axis=0)
    assert (copies == 3).all()  # three copies of every partition throughout


def test_a_device_added_mid_run_gets_its_slots_and_starts_empty():
    state = _ring()
    n = state.n_ids

    def add(b):
        b.add_dev({"region": 1, "zone": 4, "ip": "s3", "port": 6000, "device": "d0", "weight": 100.0,
                   "replication_ip": "s3", "replication_port": 6000, "meta": ""})

    moved, reassigned, _ = state.rebalance(add, seed=3, now=HOURS)
    assert state.n_ids == n + 1 and len(state.failed) == len(state.removed) == len(state.fill_recorded) == n + 2
    new = state.n_ids - 1
    assert state.dev_node[new] == 3 and state.labels[new] == "s3/d0"
    assert moved == reassigned == int((state.table == new).sum()) > 0  # only replicas moved onto it
    assert state.fill()[new] == 0 and not state.has[state.table == new].any()
    assert not state.failed[-1] and not state.removed[-1]  # the "no device" slot stays last, never failed
