"""VSA nodes added and removed by day-2 actions (twin/cloud/vsa/membership.py): a spare is not a
member until its add_nodes joins it (the cluster restripes onto it: its share under the new
layout moves as one flow); a removal drains the node first (its share moves off), refused with
the reason when it runs a manager. Byte counts against Network RAID-10's arithmetic (2 copies:
each of n nodes holds 2/n of the data); flow times against the resync cap."""
import pytest

from tests.day2.conftest import steps
from twin.inventory import generate_from_spec
from twin.runs import Scenario, simulate

GIB = 2**30


def run(schedule, duration_s=40000, faults=(), seed=1, storage=None):
    sc = Scenario(name="v", run="operations", inventory={"generate": {"vsa": 4, "compute": 1}},
                  operations={"duration_s": duration_s}, actions={"schedule": schedule}, faults=list(faults),
                  storage=storage or {"vsa": {"write_rate_mib_s": 0}})
    return simulate(sc, generate_from_spec(sc.inventory.generate.model_dump()), seed)


def resyncs(r, reason):
    e = r.events[(r.events.kind == "vsa_resync") & (r.events.detail == reason)]
    return [(float(t), name, float(v)) for t, name, v in zip(e.time_s, e.name, e.value)]


def data_bytes(r):
    cluster = r.operations.vsa.clusters["vsa"]
    return sum(vc.data_bytes for vc in cluster.classes.values())


def test_a_spare_vsa_node_is_no_member_until_added_then_the_cluster_restripes_onto_it():
    r = run([{"do": "add_nodes", "nodes": ["vsa3"], "at_s": 5000, "label": "grow"}])
    cluster = r.operations.vsa.clusters["vsa"]
    (t0, _, owed), (t1, edge, moved) = resyncs(r, "restripe")
    assert edge == "end" and owed == moved == pytest.approx(data_bytes(r) * 2 / 4)  # NR-10 share of 4 nodes
    assert t1 - t0 == pytest.approx(moved * 8 / 1e9)  # alone on the network: the 1 Gb/s resync cap
    assert cluster.nodes == ["vsa0", "vsa1", "vsa2", "vsa3"] and cluster.n == 4
    assert all(vc.holding == {0, 1, 2, 3} for vc in cluster.classes.values())
    # the spare (down until deployed) never made the volumes degraded: it was not a member
    assert r.metrics["degraded_s_vsa_vsa"] == 0 and r.metrics["availability_vsa_vsa"] == 1.0
    assert steps(r, "grow")[-2:] == ["join_storage_cluster", "swift_weight_steps"]  # no Swift row: no time
    join = r.events[(r.events.kind == "action") & (r.events.name == "join_storage_cluster")]
    assert float(join.time_s.iloc[-1]) == pytest.approx(t1)


def test_removing_a_vsa_node_drains_it_first_then_it_leaves_without_degrading_the_volumes():
    r = run([{"do": "remove_nodes", "nodes": ["vsa3"], "at_s": 1000}])
    cluster = r.operations.vsa.clusters["vsa"]
    (t0, _, owed), (t1, edge, moved) = resyncs(r, "drain")
    assert t0 == 1000 and owed == moved == pytest.approx(data_bytes(r) * 2 / 4)
    assert t1 - t0 == pytest.approx(moved * 8 / 1e9)
    assert cluster.nodes == ["vsa0", "vsa1", "vsa2"]
    assert r.summary["inventory_deleted"] == ["vsa3"]
    assert r.metrics["degraded_s_vsa_vsa"] == 0 and r.metrics["volumes_lost_vsa_vsa"] == 0
    off = r.events[(r.events.kind == "liveness") & (r.events.subject == "vsa3") & (r.events.name == "down")]
    assert float(off.time_s.iloc[-1]) > t1  # powered off for good only after the drain
    left = r.events[(r.events.kind == "vsa_node") & (r.events.subject == "vsa/vsa3")]
    assert left.name.iloc[-1] == "left"


def test_a_vsa_node_running_a_manager_is_not_removed_and_says_why():
    r = run([{"do": "remove_nodes", "nodes": ["vsa0"], "at_s": 1000}], duration_s=5000)
    a = r.events[(r.events.kind == "action") & (r.events.name == "action:remove_nodes")]
    assert a.detail.iloc[-1] == "failed" and "runs a manager" in a.cause.iloc[-1]
    assert resyncs(r, "drain") == [] and r.summary["inventory_deleted"] == []
    assert r.operations.vsa.clusters["vsa"].n == 4


def test_a_down_vsa_node_cannot_be_drained():
    r = run([{"do": "remove_nodes", "nodes": ["vsa3"], "at_s": 1000}], duration_s=5000,
            faults=[{"kind": "power_loss", "node": "vsa3", "at_s": 500}])
    a = r.events[(r.events.kind == "action") & (r.events.name == "action:remove_nodes")]
    assert a.detail.iloc[-1] == "failed" and "not present" in a.cause.iloc[-1]


def test_add_then_remove_moves_the_same_share_both_ways_and_the_cluster_is_as_before():
    r = run([{"do": "add_nodes", "nodes": ["vsa3"], "at_s": 1000, "label": "grow"},
             {"do": "remove_nodes", "nodes": ["vsa3"], "after": "grow"}])
    (_, _, restripe), *_ = resyncs(r, "restripe")
    (_, _, drain), *_ = resyncs(r, "drain")
    assert restripe == pytest.approx(drain)
    cluster = r.operations.vsa.clusters["vsa"]
    assert cluster.nodes == ["vsa0", "vsa1", "vsa2"] and r.metrics["resync_gib"] == pytest.approx(2 * drain / GIB)
