"""Managers on a running model: the virtual manager started by the operator, the FOM's vote,
a partitioned node away for quorum and data."""
from vsa_harness import vsa_world


def states(run, kind):
    ev = run.world.recorder.frame()
    rows = ev[ev.kind == kind]
    return [(t, s, n) for t, s, n in zip(rows.time_s, rows.subject, rows.name)]


def test_two_nodes_lose_quorum_until_the_operator_starts_the_virtual_manager():
    run = vsa_world(2, storage={"virtual_manager_start_s": 600})
    run.world.run(until=100)
    run.targets.shutdown("vsa1", "test: vsa1 off")
    run.world.run(until=2000)
    quorum = [(t, n) for t, s, n in states(run, "vsa_quorum")]
    assert quorum == [(0.0, "held"), (100.0, "lost"), (700.0, "held")]
    assert (700.0, "vsa/virtual", "running") in states(run, "vsa_manager")
    volumes = [(t, n) for t, s, n in states(run, "vsa_volumes")]
    assert volumes == [(0.0, "online"), (100.0, "offline"), (700.0, "degraded")]


def test_a_fom_keeps_quorum_for_two_nodes_and_fails_with_its_host():
    run = vsa_world(2, storage={"clusters": [{"name": "c", "fom": True}]})
    run.world.run(until=100)
    run.targets.shutdown("vsa1", "test")
    run.world.run(until=200)
    assert [n for _, _, n in states(run, "vsa_quorum")] == ["held"]  # vsa0 + FOM: 2 of 3
    run.targets.shutdown("seed", "test: the seed host off")
    run.world.run(until=300)
    assert [(t, n) for t, _, n in states(run, "vsa_quorum")] == [(0.0, "held"), (200.0, "lost")]
    assert not any(s == "vsa/virtual" for _, s, _ in states(run, "vsa_manager"))


def test_a_partitioned_node_is_away_for_data_and_comes_back_stale():
    run = vsa_world(3, storage={"write_rate_mib_s": 1.0})
    run.world.run(until=100)
    run.targets.partition("p", [["vsa2"], ["vsa0", "vsa1", "seed"]], "test: vsa2 cut off")
    run.world.run(until=200)
    run.targets.heal("p", "test: healed")
    run.world.run(until=3600)
    nodes = [(t, n) for t, s, n in states(run, "vsa_node") if s == "vsa/vsa2"]
    assert [n for _, n in nodes] == ["current", "away", "resyncing", "current"]
    assert nodes[1][0] == 100.0 and nodes[2][0] == 200.0
    assert [n for _, _, n in states(run, "vsa_quorum")] == ["held"]  # 2 of 3 managers on the majority side
