"""Invariants of day-2 operations over random action and fault timelines (hypothesis):
- Galera never loses its primary component through a controller replace done one node at a time;
- a restore's recovery point never exceeds the backup interval plus the backup duration (unless
  the log says a backup failed);
- every removed node is in the summary's deleted rows (and powered off), and only those (a
  removal refused for short capacity removes none of its nodes from the refused one on);
- every action that starts ends or fails with a cause, whatever the timeline.
(No VM lost by a removal unless the report says capacity was short: tests/day2/test_nova.py.)"""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.day2.conftest import action_window, build, galera_status
from twin.runs import simulate

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONTROLLERS = ["controller0", "controller1", "controller2"]
COMPUTES = ["compute0", "compute1", "compute2", "compute3"]


def backup_s(f, target):
    return f.sizes_gib[target] * 8 * 2**30 / (f.backup_gbps * 1e9) + f.backup_overhead_s


@SETTINGS
@given(node=st.sampled_from(CONTROLLERS), kind=st.sampled_from(["power_loss", "node_crash", "disk_failure"]),
       at=st.floats(0, 5000), wait=st.floats(0, 7200), seed=st.integers(0, 2**16),
       compute_fault=st.one_of(st.none(), st.tuples(st.sampled_from(COMPUTES), st.floats(0, 20000))))
def test_galera_keeps_its_primary_component_through_a_replace(node, kind, at, wait, seed, compute_fault):
    faults = [{"kind": kind, "node": node, "at_s": at}]
    if compute_fault:
        faults.append({"kind": "power_loss", "node": compute_fault[0], "at_s": compute_fault[1], "for_s": 600})
    sc, inv = build({"schedule": [{"do": "replace_controller", "nodes": [node],
                                   "when": {"node_down": node, "for_s": wait}}]}, faults, duration_s=30000, compute=4)
    r = simulate(sc, inv, seed)
    assert all(status != "non_primary" for _, status in galera_status(r))
    _, _, outcome = action_window(r, "replace_controller[0]")
    assert outcome == "end" and r.operations.plane.galera.synced_primary(node)


@SETTINGS
@given(target=st.sampled_from(["database", "undercloud", "seed", "controller"]),
       every=st.floats(600, 20000), gbps=st.floats(0.2, 10), restores=st.lists(st.floats(1, 40000), min_size=1,
                                                                              max_size=3),
       fault_at=st.one_of(st.none(), st.floats(0, 40000)), seed=st.integers(0, 2**16))
def test_the_recovery_point_is_at_most_the_interval_plus_the_backup(target, every, gbps, restores, fault_at, seed):
    schedule = [{"do": "backup", "target": target, "at_s": 0, "every_s": every}]
    schedule += [{"do": "restore", "target": target, "at_s": t} for t in restores]
    host = {"database": None, "undercloud": "undercloud", "seed": "seed", "controller": "controller0"}[target]
    faults = [{"kind": "power_loss", "node": host, "at_s": fault_at, "for_s": 3000}] if host and fault_at else []
    sc, inv = build({"schedule": schedule, "figures": {"backup_gbps": gbps}}, faults, duration_s=45000)
    r = simulate(sc, inv, seed)
    e = r.events
    points = e[(e.kind == "action") & e.name.str.startswith("recovery_point")]
    assert len(points) == len(restores)
    bound = every + backup_s(sc.actions.figures, target)
    if r.metrics["backups_failed"] == 0:
        assert (points.value <= bound + 1e-6).all(), (list(points.value), bound)
    else:  # a failed backup is in the log, with its cause
        failed = e[(e.kind == "action") & (e.name == "action:backup") & (e.detail == "failed")]
        assert (failed.cause.str.len() > 0).all()


@SETTINGS
@given(removed=st.lists(st.lists(st.sampled_from(COMPUTES), min_size=1, max_size=2, unique=True), min_size=1,
                        max_size=2),
       times=st.lists(st.floats(0, 10000), min_size=2, max_size=2),
       crash=st.one_of(st.none(), st.tuples(st.sampled_from(COMPUTES), st.floats(0, 10000))),
       seed=st.integers(0, 2**16))
def test_every_removed_node_is_marked_deleted(removed, times, crash, seed):
    schedule = [{"do": "remove_nodes", "nodes": nodes, "at_s": t} for nodes, t in zip(removed, times)]
    faults = [{"kind": "node_crash", "node": crash[0], "at_s": crash[1], "for_s": 900}] if crash else []
    sc, inv = build({"schedule": schedule}, faults, duration_s=30000, compute=4)
    r = simulate(sc, inv, seed)
    e = r.events
    wanted = []
    for k, nodes in enumerate(removed):
        label = f"remove_nodes[{k}]"
        refused = e[(e.kind == "action") & (e.subject == label) & e.name.str.startswith("capacity_short ")]
        stop = nodes.index(refused.name.iloc[0].removeprefix("capacity_short ")) if len(refused) else len(nodes)
        wanted += nodes[:stop]
    assert sorted(r.summary["inventory_deleted"]) == sorted(wanted)  # a node removed twice is listed twice
    machines = r.operations.world.hardware.machines
    for node in set(wanted):
        last = r.events[(r.events.kind == "liveness") & (r.events.subject == node)]
        assert last.name.iloc[-1] == "down" or not machines[node].os_running


ACTIONS = st.one_of(
    st.builds(lambda t: {"do": "rolling_update", "at_s": t}, st.floats(0, 20000)),
    st.builds(lambda t, g: {"do": "backup", "target": g, "at_s": t}, st.floats(0, 20000),
              st.sampled_from(["database", "undercloud", "seed", "controller"])),
    st.builds(lambda t, g: {"do": "restore", "target": g, "at_s": t}, st.floats(0, 20000),
              st.sampled_from(["database", "undercloud", "seed", "controller"])),
    st.builds(lambda t: {"do": "add_nodes", "nodes": ["compute3"], "at_s": t}, st.floats(0, 20000)),
)


@SETTINGS
@given(actions=st.lists(ACTIONS, min_size=1, max_size=4), seed=st.integers(0, 2**16),
       fault=st.one_of(st.none(), st.tuples(st.sampled_from(["undercloud", *CONTROLLERS, "compute1"]),
                                            st.floats(0, 20000))))
def test_every_action_that_starts_ends_or_fails_with_a_cause(actions, seed, fault):
    if sum(a["do"] == "add_nodes" for a in actions) > 1:
        actions = [a for a in actions if a["do"] != "add_nodes"] + [next(a for a in actions if a["do"] == "add_nodes")]
    faults = [{"kind": "power_loss", "node": fault[0], "at_s": fault[1], "for_s": 1200}] if fault else []
    sc, inv = build({"schedule": actions}, faults, duration_s=60000, compute=4)
    r = simulate(sc, inv, seed)
    e = r.events
    rows = e[(e.kind == "action") & e.name.str.startswith("action:")]
    for label, group in rows.groupby("subject"):
        edges = list(group.detail)
        assert edges[0] == "start" and edges[-1] in ("end", "failed") and len(edges) == 2, (label, edges)
        if edges[-1] == "failed":
            assert group.cause.iloc[-1]
    assert r.metrics["actions_done"] + r.metrics["actions_failed"] == rows.subject.nunique()


@pytest.mark.parametrize("seed", [1, 2])
def test_replacing_two_controllers_at_once_is_what_loses_the_primary(seed):
    """The contrast that makes the first invariant meaningful: two controllers lost together (not
    one at a time) leave one node, non-primary, until both are replaced."""
    sc, inv = build({"schedule": [{"do": "replace_controller", "nodes": [n],
                                   "when": {"node_down": n, "for_s": 600}} for n in ("controller1", "controller2")]},
                    [{"kind": "power_loss", "node": n, "at_s": 100} for n in ("controller1", "controller2")],
                    duration_s=20000)
    r = simulate(sc, inv, seed)
    assert any(status == "non_primary" for _, status in galera_status(r))


def test_a_removed_node_stays_out_even_when_a_fault_repair_powers_it_on():
    sc, inv = build({"schedule": [{"do": "remove_nodes", "nodes": ["compute1"], "at_s": 0},
                                  {"do": "add_nodes", "nodes": ["compute2"], "at_s": 8000}]},
                    [{"kind": "power_loss", "node": n, "at_s": 4000, "for_s": 600} for n in ("compute1", "compute2")],
                    duration_s=20000)
    r = simulate(sc, inv, 1)
    power = r.events[(r.events.kind == "power") & (r.events.time_s > 4000) & (r.events.time_s < 8000)]
    assert {"compute1", "compute2"} <= set(power[power.name == "on"].subject)  # the operator powered both on
    machines = r.operations.world.hardware.machines
    assert not machines["compute1"].os_running  # removed: nothing to boot
    assert machines["compute2"].os_running  # the spare came up only through its add_nodes deployment
    up = r.events[(r.events.kind == "liveness") & (r.events.subject == "compute2") & (r.events.name == "up")]
    assert float(up.time_s.iloc[-1]) > 8000 and (up.time_s.iloc[1:] > 8000).all()
