"""Swift nodes added and removed by day-2 actions (twin/cloud/day2/swift_steps.py,
twin/cloud/swift/membership.py): a spare's disks enter the object ring in weight steps
(25/50/75/100 % of their full weight, one step per min_part_hours), a removal drains the node
(75/50/25/0 %) before its devices leave the ring and its row is :deleted.

Independent truths: swift's own count of reassigned replicas (RingBuilder.rebalance) against the
model's table diff; the builder's weights after each step read from swift's builder; bytes per
step from the ring's arithmetic (a balanced ring of equal disks: every replica holds
fill x size / replicas-per-device)."""
import hashlib
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.day2.conftest import steps
from twin.inventory import generate_from_spec
from twin.kernel.sim import make_sim_world
from twin.record.events import RunMark
from twin.record.recorder import Recorder
from twin.runs import Scenario, simulate
from twin.runs.operations import Operations, _helion_named
from twin.sim.hardware import SimHardware
from twin.sim.ops import SimTargets

GIB = 2**30
DISK_GIB = 931  # the default swift disks: sdb, sdc of 931 GiB, weight = size
FILL = 0.5  # swift.replication.fill default
HOUR = 3600.0


def scenario(schedule, duration_s=40000, swift=3, min_part_hours=1, faults=(), so=0):
    counts = {"swift": swift, "compute": 1, **({"so_swift_storage": so} if so else {})}
    sc = Scenario(name="s", run="operations", inventory={"generate": counts}, faults=list(faults),
                  operations={"duration_s": duration_s}, actions={"schedule": schedule},
                  swift={"min_part_hours": min_part_hours, "part_power": 8})
    return sc, generate_from_spec(sc.inventory.generate.model_dump())


def run(schedule, seed=1, **kw):
    sc, inventory = scenario(schedule, **kw)
    return simulate(sc, inventory, seed)


GROW_SHRINK = [{"do": "add_nodes", "nodes": ["swift2"], "at_s": 4000, "label": "grow"},
               {"do": "remove_nodes", "nodes": ["swift0"], "after": "grow", "label": "shrink"}]


@pytest.fixture(scope="module")
def grown():
    return run(GROW_SHRINK)


def rows(r, prefix):
    """[(time, cause, value)] of the action rows whose step starts with prefix."""
    a = r.events[(r.events.kind == "action") & r.events.name.str.startswith(prefix) & (r.events.detail == "end")]
    return [(float(t), str(c), float(v)) for t, c, v in zip(a.time_s, a.cause, a.value)]


def ring_rows(r, action):
    e = r.events[(r.events.kind == "swift_ring") & (r.events.name == action)]
    return [(float(t), str(d), float(v)) for t, d, v in zip(e.time_s, e.detail, e.value)]


def test_a_spare_swift_node_enters_the_ring_in_four_weight_steps_one_per_min_part_hours(grown):
    r = grown
    assert steps(r, "grow")[-1] == "swift_weight_steps"
    weight_steps = rows(r, "swift_weight_step swift2")
    assert [c.split(":")[0] for _, c, _ in weight_steps] == ["object 25%", "object 50%", "object 75%", "object 100%"]
    times = [t for t, _, _ in weight_steps]
    assert np.diff(times) == pytest.approx([HOUR] * 3)  # min_part_hours = 1
    deployed = r.events[(r.events.kind == "action") & (r.events.name == "join_storage_cluster")
                        & (r.events.detail == "end") & (r.events.subject == "grow")]
    assert times[0] == pytest.approx(float(deployed.time_s.iloc[0]))  # right after the node is deployed
    # the spare held no device before: its devices' first state rows come with the first step
    dev = r.events[(r.events.kind == "swift_device") & r.events.subject.str.startswith("object/swift2/")]
    assert float(dev.time_s.min()) >= times[0]
    # the weights the ring changes named: step x the disk's full weight
    weights = [d for _, d, _ in ring_rows(r, "weight") if d.startswith("swift2/")]
    assert weights == [f"swift2/sdb={f * DISK_GIB:g}, swift2/sdc={f * DISK_GIB:g}" for f in (0.25, 0.5, 0.75, 1.0)]


def test_each_step_moves_what_swift_reassigned_and_its_bytes_cross_the_network(grown):
    r = grown
    ring = r.operations.swift.rings["object"]
    # 2 starter nodes x 2 equal disks, 256 partitions x 3 replicas: 192 replicas per device at the start
    per_replica = FILL * DISK_GIB * GIB / (256 * 3 / 4)
    assert ring.part_bytes == pytest.approx(np.full(256, per_replica))
    model_moved = [v for _, _, v in ring_rows(r, "weight")] + [v for _, _, v in ring_rows(r, "rebalance")]
    swift_moved = [v for _, _, v in rows(r, "swift_weight_step ") + rows(r, "swift_drain_step ")
                   + rows(r, "swift_devices_removed ")]
    assert model_moved == swift_moved and sum(swift_moved) > 0  # the table diff is swift's own count
    for _, cause, value in rows(r, "swift_weight_step ") + rows(r, "swift_drain_step "):
        gib = float(re.search(r"([0-9.]+) GiB", cause).group(1))
        assert gib == pytest.approx(value * per_replica / GIB, abs=0.005)
    rep = r.events[(r.events.kind == "swift_replication") & (r.events.name == "end")]
    assert float(rep.value.sum()) == pytest.approx(sum(swift_moved) * per_replica)
    assert r.metrics["swift_replicas_moved"] == sum(swift_moved)
    assert r.metrics["replicated_gib"] == pytest.approx(sum(swift_moved) * per_replica / GIB)


def test_a_removed_swift_node_is_drained_in_steps_then_leaves_the_ring_and_is_deleted(grown):
    r = grown
    drain = rows(r, "swift_drain_step swift0")
    assert [c.split(":")[0] for _, c, _ in drain][:4] == ["object 75%", "object 50%", "object 25%", "object 0%"]
    assert np.diff([t for t, _, _ in drain]) == pytest.approx([HOUR] * (len(drain) - 1))
    ring = r.operations.swift.rings["object"]
    assert not [d for d in ring.builder._iter_devs() if d["ip"] == "swift0"]
    assert {d["ip"] for d in ring.builder._iter_devs()} == {"swift1", "swift2"}
    assert not (np.isin(ring.table, [i for i, lab in ring.labels.items() if lab.startswith("swift0/")])).any()
    assert r.summary["inventory_deleted"] == ["swift0"]
    assert r.metrics["objects_lost"] == 0
    off = r.events[(r.events.kind == "liveness") & (r.events.subject == "swift0") & (r.events.name == "down")]
    removed = rows(r, "swift_devices_removed swift0")
    assert float(off.time_s.iloc[-1]) > removed[-1][0] > drain[-1][0]  # powered off only after the drain
    # the drained disks kept serving what they gave away until the replicator pushed it: their
    # fill falls step by step, and is 0 before the devices leave the ring
    fill = r.events[(r.events.kind == "swift_fill") & r.events.subject.str.startswith("object/swift0/")]
    for device in ("sdb", "sdc"):
        f = fill[fill.subject == f"object/swift0/{device}"]
        assert float(f[f.time_s <= removed[-1][0]].value.iloc[-1]) == 0.0
        at_steps = [float(f[f.time_s <= t].value.iloc[-1]) for t, _, _ in drain]
        assert at_steps == sorted(at_steps, reverse=True) and at_steps[0] > 0
    # every slot is filled again by the end: full redundancy, nothing under-replicated
    assert ring.has[ring.present].all()


def test_the_ring_holds_the_stepped_weights_after_each_step():
    """The run stepped by hand: after each weight step, swift's builder has the node's disks at
    step x full weight (read from the builder, not from the events)."""
    sc, inventory = scenario(GROW_SHRINK[:1], duration_s=20000)
    full = simulate(sc, inventory, 1)
    times = [t for t, _, _ in rows(full, "swift_weight_step swift2")]
    sc, nodes, _ = _helion_named(sc, inventory.active)
    world = make_sim_world(1, Recorder(), lambda w: SimHardware(w, nodes, sc.timing, sc.network, sc.faults))
    targets = SimTargets(world, world.hardware)
    targets.start_deployed()
    ops = Operations(world, sc, nodes, targets, targets)
    ops.start()
    builder = ops.swift.rings["object"].builder
    assert not [d for d in builder._iter_devs() if d["ip"] == "swift2"]
    seen = []
    for t in times:
        world.run(until=t + 1.0)
        seen.append(sorted(d["weight"] for d in builder._iter_devs() if d["ip"] == "swift2"))
    assert seen == [[f * DISK_GIB] * 2 for f in (0.25, 0.5, 0.75, 1.0)]
    world.run(until=20000.0)
    world.record(RunMark("end", "success"))  # as operate() closes a run
    assert world.recorder.frame().to_csv() == full.events.to_csv()  # same run, byte for byte


def test_a_removal_leaving_fewer_devices_than_replicas_is_refused_with_the_reason():
    r = run([{"do": "remove_nodes", "nodes": ["swift1"], "at_s": 1000}], swift=2, duration_s=8000)
    a = r.events[(r.events.kind == "action") & (r.events.name == "action:remove_nodes")]
    assert a.detail.iloc[-1] == "failed"
    assert "ring object would keep 2 device(s)" in a.cause.iloc[-1]
    assert rows(r, "swift_drain_step") == [] and r.summary["inventory_deleted"] == []


def test_a_scale_out_node_enters_only_the_object_1_ring():
    r = run([{"do": "add_nodes", "nodes": ["soswiftstorage2"], "at_s": 4000, "label": "grow",
              "weight_steps": [0.5, 1.0]}], so=3, duration_s=20000)
    ring_names = {c.split(" ")[0] for _, c, _ in rows(r, "swift_weight_step ")}
    assert ring_names == {"object-1"}
    b = r.operations.swift.rings["object-1"].builder
    assert sorted(d["weight"] for d in b._iter_devs() if d["ip"] == "soswiftstorage2") == [DISK_GIB] * 2
    assert not [d for d in r.operations.swift.rings["object"].builder._iter_devs() if d["ip"] == "soswiftstorage2"]


@pytest.mark.parametrize("steps_, message", [([0.5, 0.9], "end at 1"), ([0.5, 0.25, 1.0], "rise"),
                                              ([1.5, 1.0], "between 0 and 1")])
def test_bad_weight_steps_are_refused(steps_, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        scenario([{"do": "add_nodes", "nodes": ["swift2"], "at_s": 1, "weight_steps": steps_}])


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(at_s=st.floats(0, 30000), hours=st.integers(1, 3), seed=st.integers(0, 50),
       steps_=st.sampled_from([None, [0.5, 0.0], [0.9, 0.3, 0.0]]),
       outage=st.none() | st.tuples(st.sampled_from(["swift0", "swift2"]), st.floats(0, 20000), st.floats(60, 10000)))
def test_a_removal_never_loses_a_partition_and_ends_out_of_the_ring(at_s, hours, seed, steps_, outage):
    """Over random start times, min_part_hours, step lists and an outage of another Swift node
    (shorter than the operator's removal delay) during the drain."""
    action = {"do": "remove_nodes", "nodes": ["swift1"], "at_s": at_s,
              **({"weight_steps": steps_} if steps_ else {})}
    faults = [] if outage is None else [{"kind": "power_loss", "node": outage[0], "at_s": at_s + outage[1],
                                         "for_s": outage[2]}]
    r = run([action], seed=seed, min_part_hours=hours, duration_s=at_s + 8 * hours * HOUR + 30000, faults=faults)
    assert r.metrics["objects_lost"] == 0
    assert r.summary["inventory_deleted"] == ["swift1"]
    ring = r.operations.swift.rings["object"]
    assert {d["ip"] for d in ring.builder._iter_devs()} == {"swift0", "swift2"}
    assert not ring.lost.any() and ring.has[ring.present].all()


def test_same_seed_same_log():
    a, b = run(GROW_SHRINK, seed=4), run(GROW_SHRINK, seed=4)
    assert hashlib.sha256(a.events.to_csv().encode()).digest() == hashlib.sha256(b.events.to_csv().encode()).digest()


def test_a_failed_node_whose_devices_the_operator_removed_is_deleted_without_a_drain():
    """swift1 is down for good: after `server_remove_delay_s` the operator removed its devices;
    the removal then has nothing to drain (no weight steps, no time) and deletes the row."""
    r = run([{"do": "remove_nodes", "nodes": ["swift1"], "at_s": 20000, "label": "gone"}], duration_s=30000,
            faults=[{"kind": "power_loss", "node": "swift1", "at_s": 1000}])
    assert [d for _, d, _ in ring_rows(r, "rebalance")] == ["swift1/sdb, swift1/sdc"]  # at 1000 + 14400 s
    assert float(r.events[(r.events.kind == "swift_ring")].time_s.iloc[0]) == pytest.approx(1000 + 14400)
    assert rows(r, "swift_drain_step") == [] and rows(r, "swift_devices_removed") == []
    a = r.events[(r.events.kind == "action") & (r.events.name == "swift_drain swift1") & (r.events.detail == "end")]
    assert float(a.value.iloc[0]) == 0.0
    assert r.summary["inventory_deleted"] == ["swift1"] and r.metrics["objects_lost"] == 0
