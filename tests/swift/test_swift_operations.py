"""Swift in operations runs (twin/cloud/swift/model.py, replicator.py, metrics.py): the proxy's
write availability against its analytic value, replication time against bytes over bandwidth,
under-replicated partitions that heal, lost partitions, determinism."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from opstest_helpers import build  # noqa: E402

from twin.cloud.swift.analyze import replica_table  # noqa: E402
from twin.cloud.swift.build import build_ring  # noqa: E402
from twin.cloud.swift.config import SwiftConfig  # noqa: E402
from twin.cloud.swift.model import RingState  # noqa: E402
from twin.cloud.swift.proxy import availability  # noqa: E402
from twin.runs import simulate  # noqa: E402


class _Node:
    def __init__(self, name):
        self.name = name


def _ring(servers: int, disks: int, zones: int, part_power: int = 8, replicas: float = 3):
    config = SwiftConfig(part_power=part_power, replicas=replicas,
                         disks=[{"device": f"d{k}", "size_gib": 100} for k in range(disks)])
    nodes = [_Node(f"s{i}") for i in range(servers)]
    builder = build_ring(config, nodes, {n.name: 1 + i % zones for i, n in enumerate(nodes)}, 6000, "object")
    return builder, RingState("object", builder, 0.5, {n.name: i for i, n in enumerate(nodes)})


def _shares(state: RingState, up_servers: set[int]) -> tuple[float, float]:
    nodes_up = np.array([i in up_servers for i in range(len(state.node_index))])
    ans = state.answers(nodes_up)
    held = state.present & state.has & ans[state.table]
    return float(held.any(axis=0).mean()), float(state.writable(ans).mean())


@pytest.mark.parametrize("disks", [1, 2])
def test_one_server_of_a_three_zone_ring_down_leaves_every_partition_readable_and_writable(disks):
    """3 replicas in 3 zones of one server each: swift puts one replica per zone, so a server down
    takes exactly one replica of every partition; 2 primaries answer >= the Juno quorum 3 // 2 + 1
    = 2: every PUT succeeds (even before handoffs), every GET finds a replica."""
    builder, state = _ring(3, disks, 3)
    table = replica_table(builder)
    zones = np.array([d["zone"] if d else -1 for d in builder.devs])[table]
    assert (np.sort(zones, axis=0) == np.array([[1], [2], [3]])).all()  # one replica per zone
    for down in range(3):
        assert _shares(state, {0, 1, 2} - {down}) == (1.0, 1.0)


@pytest.mark.parametrize("disks, write", [(1, 0.0), (2, 1.0)])
def test_two_servers_of_three_down_write_needs_a_handoff_on_the_last_server(disks, write):
    """Two of three servers down: one primary answers (< quorum 2). The PUT walks 2 x 3 = 6 nodes:
    the 3 primaries, then 3 handoffs. One disk per server: no other device exists, the PUT
    fails everywhere. Two disks per server: there are exactly 3 non-primary devices, all tried,
    and the live server's second disk is one: 2 writes = quorum, every PUT succeeds. Reads: the
    live primary holds every partition."""
    _builder, state = _ring(3, disks, 3)
    for up in range(3):
        assert _shares(state, {up}) == (1.0, write)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(servers=st.integers(3, 6), disks=st.integers(1, 3), zones=st.integers(1, 4),
       replicas=st.sampled_from([2, 3, 4]), down=st.sets(st.integers(0, 5), max_size=4))
def test_the_vectorised_proxy_equals_swifts_ring_walk_partition_by_partition(servers, disks, zones, replicas, down):
    """The model's write share (numpy over the table, handoffs only where primaries miss quorum)
    equals proxy.availability, which asks swift's Ring (get_part_nodes, get_more_nodes) for every
    partition."""
    if servers * disks < replicas:
        return
    builder, state = _ring(servers, disks, zones, part_power=6, replicas=replicas)
    up_servers = set(range(servers)) - down
    read, write = _shares(state, up_servers)
    up_ids = [d["id"] for d in builder._iter_devs() if int(d["ip"][1:]) in up_servers]
    truth = availability(builder, up_ids)
    assert (read, write) == (truth["read"], truth["write"])


def _swift(sc, **replication):
    return sc.model_copy(update={"swift": SwiftConfig.model_validate({"replication": replication})})


def _rows(events, kind, name=None):
    rows = events[events.kind == kind]
    return rows if name is None else rows[rows.name == name]


def test_a_swift_node_crash_leaves_partitions_under_replicated_until_it_is_back():
    crash = [{"kind": "node_crash", "node": "swift0", "at_s": 1000, "for_s": 2000}]
    result = simulate(*build(crash, duration_s=20000, swift=3, control=3), 1)
    events, m = result.events, result.metrics
    ups = _rows(events[events.subject == "swift0"], "liveness", "up").time_s
    back = ups[ups > 1000].min()
    under = _rows(events, "swift_parts", "under_replicated")
    assert under.value.max() > 0 and under.value.iloc[-1] == 0
    assert under[under.value > 0].time_s.min() == 1000.0 and under.time_s.iloc[-1] == back
    assert m["time_to_full_redundancy_s_max"] == pytest.approx(back - 1000.0)
    assert m["redundancy_episodes"] == 1 and m["replicated_gib"] == 0 and m["objects_lost"] == 0
    assert m["availability_swift_read"] == 1.0 and m["availability_swift_write"] == 1.0
    from twin.runs import digest

    line = [x for x in digest(result.summary, Path("out"))[0].splitlines() if "object storage (Swift)" in x]
    assert line and f"under-replicated partitions max {m['partitions_under_replicated_max']:.0f}" in line[0]


def test_replication_after_a_server_loss_takes_its_bytes_over_the_links_bandwidth():
    """Swift0 is down past server_remove_delay_s: the operator removes it, swift rebalances, and
    the survivors push the moved replicas. Alone on the 10 Gbit/s link (NICs faster than a third
    of it, so the link is the bottleneck and never idle once the first pass starts), the last
    pass ends total bytes / bandwidth after the first started."""
    crash = [{"kind": "node_crash", "node": "swift0", "at_s": 1000, "for_s": 50000}]
    sc, inventory = build(crash, duration_s=30000, swift=4, control=3)
    result = simulate(_swift(sc, server_remove_delay_s=3600), inventory, 1)
    events = result.events
    ring = _rows(events, "swift_ring", "rebalance")
    assert list(ring.time_s) == [4600.0]
    starts, ends = _rows(events, "swift_replication", "start"), _rows(events, "swift_replication", "end")
    total = starts.value.sum()
    assert ends.value.sum() == pytest.approx(total)
    link_bps = 10e9 / 8
    assert ends.time_s.max() - starts.time_s.min() == pytest.approx(total / link_bps, rel=1e-9)
    # the bytes: the moved replicas, each ~ the ring's used bytes over its partition replicas
    used = 4 * 2 * 931 * 0.5 * 1024 ** 3
    assert total == pytest.approx(ring.value.iloc[0] * used / (1024 * 3), rel=0.02)
    assert starts.detail.astype(int).sum() == ring.value.iloc[0]
    under = _rows(events, "swift_parts", "under_replicated")
    assert under.value.iloc[-1] == 0 and under.time_s.iloc[-1] == ends.time_s.max()
    assert result.metrics["time_to_full_redundancy_s_max"] == pytest.approx(ends.time_s.max() - 1000.0)
    assert result.metrics["replicated_gib"] == pytest.approx(total / 1024 ** 3)


def test_every_replica_destroyed_is_a_lost_partition():
    """Two Swift nodes hold all 3 replicas of every partition: both disks failing loses them all."""
    faults = [{"kind": "disk_failure", "node": f"swift{i}", "at_s": 500} for i in range(2)]
    result = simulate(*build(faults, duration_s=5000, swift=2, control=3), 1)
    assert result.metrics["objects_lost"] == 1024
    assert result.metrics["availability_swift_read"] == pytest.approx(500 / 5000)
    plane = _rows(result.events[result.events.subject == "swift"], "service")
    assert plane.name.iloc[-1] == "down" and "no Swift storage device" in plane.detail.iloc[-1]


def test_same_seed_same_swift_events():
    faults = [{"kind": "node_crash", "node": "swift1", "at_s": 800, "for_s": 40000},
              {"kind": "nic_down", "node": "swift2", "at_s": 6000, "for_s": 300}]
    sc, inventory = build(faults, duration_s=20000, swift=4, control=3)
    sc = _swift(sc, server_remove_delay_s=1800)
    a, b = (simulate(sc, inventory, 7).events for _ in range(2))
    assert len(_rows(a, "swift_replication")) > 0
    assert a.equals(b)


def test_a_disk_replaced_before_its_removal_is_refilled_in_place_with_what_it_held():
    """swift1's disk fails and is replaced before the operator would remove it (1 h): its devices
    come back empty and the replicator pushes back exactly the bytes they held at the start."""
    faults = [{"kind": "disk_failure", "node": "swift1", "at_s": 500, "for_s": 600}]
    result = simulate(*build(faults, duration_s=30000, swift=3, control=3), 1)
    events = result.events
    assert _rows(events, "swift_ring").empty  # never removed
    fill = _rows(events, "swift_fill")
    mine = fill[fill.subject.str.startswith("object/swift1/")]
    held = mine[mine.time_s == 0].value.sum()
    assert held > 0 and mine.groupby("subject").value.last().sum() == pytest.approx(held)
    assert _rows(events, "swift_replication", "end").value.sum() == pytest.approx(held)
    states = _rows(events, "swift_device")
    assert list(states[states.subject == "object/swift1/sdb"].name) == ["serving", "failed", "away", "serving"]
    assert _rows(events, "swift_parts", "under_replicated").value.iloc[-1] == 0
    assert result.metrics["objects_lost"] == 0


def test_the_report_has_a_swift_section_with_the_runs_metrics():
    from twin.report.operations import render_operations_report

    crash = [{"kind": "node_crash", "node": "swift0", "at_s": 1000, "for_s": 20000}]
    sc, inventory = build(crash, duration_s=20000, swift=4, control=3)
    result = simulate(_swift(sc, server_remove_delay_s=3600), inventory, 1)
    html = render_operations_report(result.events, result.summary)
    assert 'id="swift"' in html and 'id="swift-parts"' in html and 'id="swift-traffic"' in html
    assert 'id="swift-fill"' in html and "Ring changes by the operator" in html
    for key in ("replicated_gib", "time_to_full_redundancy_s_max"):
        assert f"<td>{key}</td><td class=num>{result.summary['storage']['swift'][key]:,.6g}</td>" in html


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crashes=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20000), st.integers(60, 20000)),
                        min_size=1, max_size=4))
def test_crashes_alone_never_lose_a_partition_and_the_cluster_heals(crashes):
    """Whatever servers crash when and for how long (removals after 1 h included): no partition is
    lost (a partition keeps a holder), and once every node is back and the replicator is done
    nothing is under-replicated; a pass that ends pushed what it set out to, an interrupted one
    at most that."""
    faults = [{"kind": "node_crash", "node": f"swift{n}", "at_s": float(at), "for_s": float(span)}
              for n, at, span in crashes]
    sc, inventory = build(faults, duration_s=100000, swift=4, control=3)
    result = simulate(_swift(sc, server_remove_delay_s=3600), inventory, 3)
    events, m = result.events, result.metrics
    assert m["objects_lost"] == 0
    assert _rows(events, "swift_parts", "under_replicated").value.iloc[-1] == 0
    started: dict[str, float] = {}
    for subject, edge, value in zip(*(_rows(events, "swift_replication")[c] for c in ("subject", "name", "value"))):
        if edge == "start":
            started[subject] = value
        elif edge == "end":
            assert value == started.pop(subject)
        else:
            assert value <= started.pop(subject)
    assert not started  # nothing still running at the end
