"""Hypothesis: random sequences of node losses, NIC failures, partitions and returns on random
clusters (3 to 6 nodes, any level that fits, with or without a FOM on the seed host).

Quorum and presence are computed here, independently of the model, from the world's own
answers (`up`, `reachable`): quorum = some running voter reaches a strict majority of all
voters; a node is present when it is up and reachable from that side.
- Without writes no copy ever goes stale, so the state must be exactly: offline without quorum
  or when some stripe group has more than its tolerance of members absent; degraded when some
  member is absent; online otherwise.
- With writes and disk failures: never online or degraded without quorum or with a stripe group
  short of present current copies; never offline while quorum holds and every stripe group has
  enough present current copies (the model's copies; lost is the separate, sticky state)."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vsa_harness import vsa_world

from twin.cloud.vsa.model import FOM
from twin.cloud.vsa.placement import LEVELS
from twin.cloud.vsa.volumes import ACCESSIBLE, DEGRADED, LOST, OFFLINE, ONLINE

ACTIONS = ("down", "up", "nic_down", "nic_up", "partition", "heal", "disk")


@st.composite
def cases(draw, disks: bool):
    n = draw(st.integers(3, 6))
    level = draw(st.sampled_from([k for k, v in LEVELS.items() if v.min_nodes <= n]))
    fom = draw(st.booleans())
    actions = ACTIONS if disks else ACTIONS[:-1]
    steps = draw(st.lists(st.tuples(st.floats(1, 3000), st.sampled_from(actions), st.integers(0, n),
                                    st.sets(st.integers(0, n), min_size=1, max_size=n)), max_size=25))
    return n, level, fom, steps


def independent_view(run, plan):
    lv = run.targets
    voters = [(m, m) for m in plan.managers.managers] + ([(FOM, plan.managers.fom_host)] if plan.managers.fom_host else [])
    best = []
    for _, host in voters:
        if lv.up(host):
            side = [h for _, h in voters if lv.up(h) and lv.reachable(host, h)]
            best = side if len(side) > len(best) else best
    quorum = 2 * len(best) > len(voters)
    present = {node: quorum and lv.up(node) and lv.reachable(best[0], node) for node in plan.nodes}
    return quorum, present


def play(n, level, fom, steps, storage):
    storage = {"clusters": [{"name": "c", "network_raid": level, "fom": fom}], **storage}
    run = vsa_world(n, storage=storage)
    nodes = [f"vsa{i}" for i in range(n)] + ["seed"]
    t, keys = 0.0, 0
    for dt, action, k, side in steps:
        t += dt
        run.world.run(until=t)
        node, cause = nodes[k], f"{action} {nodes[k]}"
        if action == "down":
            run.targets.shutdown(node, cause)
        elif action == "up" and not run.targets.up(node):
            run.targets.restart(node, cause)
        elif action == "nic_down":
            run.targets.nic_down(node, cause)
        elif action == "nic_up" and node in run.targets._nic_down:
            run.targets.nic_up(node, cause)
        elif action == "partition":
            keys += 1
            a = [nodes[i] for i in sorted(side)]
            run.targets.partition(f"p{keys}", [a, [x for x in nodes if x not in a]], cause)
        elif action == "heal" and keys:
            run.targets.heal(f"p{keys}", cause)
        elif action == "disk" and node != "seed":
            run.targets.disk_fail(node, cause)
        run.world.run(until=t + 0.5)
        yield run


def groups_short(level, n, good):
    """Some stripe group has more than the tolerance of members outside `good`."""
    return not level.readable(n, {i for i in range(n) if i not in good})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(disks=False))
def test_without_writes_the_state_is_exactly_quorum_and_presence(case):
    n, level_name, fom, steps = case
    level = LEVELS[level_name]
    for run in play(n, level_name, fom, steps, {"write_rate_mib_s": 0}):
        cluster = run.model.clusters["c"]
        quorum, present = independent_view(run, cluster.plan)
        here = {i for i, node in enumerate(cluster.nodes) if present[node]}
        if not quorum or groups_short(level, n, here):
            expected = OFFLINE
        elif len(here) < n:
            expected = DEGRADED
        else:
            expected = ONLINE
        assert cluster.classes[level_name].state == expected, (run.world.now, quorum, present)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(disks=True))
def test_with_writes_never_online_without_quorum_nor_offline_with_quorum_and_copies(case):
    n, level_name, fom, steps = case
    level = LEVELS[level_name]
    for run in play(n, level_name, fom, steps, {"write_rate_mib_s": 1.0, "resync_gbps": 0.1}):
        cluster = run.model.clusters["c"]
        vc = cluster.classes[level_name]
        quorum, present = independent_view(run, cluster.plan)
        serving = {i for i in vc.holding if present[cluster.nodes[i]]}
        enough = not groups_short(level, n, serving)
        if vc.state in ACCESSIBLE:
            assert quorum and enough, (run.world.now, vc.state, quorum, present, vc.holding)
        elif vc.state == OFFLINE:
            assert not (quorum and enough), (run.world.now, quorum, present, vc.holding)
        else:
            assert vc.state == LOST and vc.lost
