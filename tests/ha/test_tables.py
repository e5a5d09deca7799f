"""The control plane's state tables, and the event-driven health check against ticking it."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.cloud.ha import galera, rabbit, singletons, vrrp
from twin.cloud.ha.checks import HealthCheck

TABLES = {
    "vrrp": (vrrp.TRANSITIONS, {vrrp.STOPPED, vrrp.BACKUP, vrrp.MASTER, vrrp.FAULT}),
    "galera": (galera.TRANSITIONS, {galera.DOWN, galera.NON_PRIMARY, galera.JOINER, galera.SYNCED}),
    "rabbit": (rabbit.TRANSITIONS, {rabbit.DOWN, rabbit.RUNNING, rabbit.PAUSED}),
    "singletons": (singletons.TRANSITIONS, {singletons.RUNNING, singletons.LOST}),
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_transition_joins_known_states_and_every_state_is_reachable_and_left(name):
    table, states = TABLES[name]
    assert {s for s, _ in table} <= states and set(table.values()) <= states
    assert {s for s, _ in table} == states  # every state has a way out
    start = next(iter(s for s, _ in table))
    seen, todo = {start}, [start]
    while todo:
        s = todo.pop()
        for (a, _), b in table.items():
            if a == s and b not in seen:
                seen.add(b)
                todo.append(b)
    assert seen == states


def test_vrrp_rules_as_the_rfc_states_them():
    T = vrrp.TRANSITIONS
    assert T[(vrrp.STOPPED, "start")] == vrrp.BACKUP  # keepalived starts as BACKUP
    assert (vrrp.STOPPED, "master_down") not in T  # only a running BACKUP takes over
    assert T[(vrrp.MASTER, "check_fail")] == vrrp.FAULT  # chk_haproxy failed: the VIP is given up
    assert vrrp.master_down_s(100, 1.0) == pytest.approx(3.609375)  # docs/domain.md s4: ~3.6 s
    assert vrrp.skew_s(255, 1.0) == pytest.approx(1 / 256)
    assert vrrp.master_down_s(100, 2.0) == pytest.approx(2 * 3.609375)


def test_galera_rules_a_joiner_serves_only_after_its_transfer():
    T = galera.TRANSITIONS
    assert T[(galera.DOWN, "view_primary_stale")] == galera.JOINER
    assert T[(galera.JOINER, "view_primary_current")] == galera.JOINER
    assert T[(galera.JOINER, "transferred")] == galera.SYNCED
    assert T[(galera.SYNCED, "view_non_primary")] == galera.NON_PRIMARY
    assert all(T[(s, "stop")] == galera.DOWN for s in (galera.SYNCED, galera.NON_PRIMARY, galera.JOINER))


def test_only_a_movable_singleton_has_a_manual_failover():
    assert singletons.MOVABLE == {"cinder_volume": True, "consoleauth": True, "sherpa": False}


# --- the health check: event-driven vs a tick-by-tick reference -------------------------------------

def ticked(inter, rise, fall, phase, changes, horizon):
    """The reference: run every check tick, count streaks; [(time the verdict flipped, verdict)]."""
    verdict, streak, flips = True, 0, []
    k = math.ceil(-phase / inter)
    while phase + k * inter <= horizon:
        t = phase + k * inter
        healthy = True
        for when, h in changes:
            if when <= t:
                healthy = h
        if healthy == verdict:
            streak = 0
        else:
            streak += 1
            if streak == (rise if healthy else fall):
                verdict, streak = healthy, 0
                flips.append((round(t, 6), verdict))
        k += 1
    return flips


def evented(inter, rise, fall, phase, changes, horizon):
    check, flips, pending = HealthCheck(inter, rise, fall, phase), [], []
    events = sorted(changes)
    for when, h in events:
        for at in sorted(pending):
            if at < when and check.due(at):
                flips.append((round(at, 6), check.up))
        pending = [p for p in pending if p >= when]
        at = check.observe(h, when)
        if at is not None:
            pending.append(at)
    for at in sorted(pending):
        if at <= horizon and check.due(at):
            flips.append((round(at, 6), check.up))
    return flips


@settings(max_examples=300, deadline=None)
@given(inter=st.sampled_from([1.0, 2.0, 3.0]), rise=st.integers(1, 4), fall=st.integers(1, 6),
       phase=st.floats(0.01, 0.99),
       gaps=st.lists(st.floats(0.05, 30.0), min_size=1, max_size=14))
def test_the_event_driven_check_flips_exactly_when_ticking_would(inter, rise, fall, phase, gaps):
    phase *= inter
    t, h, changes = 0.0, True, []
    for gap in gaps:
        t += gap
        h = not h
        changes.append((t + 0.0001, h))  # off the tick grid: no tie between a change and a check
    horizon = t + 100.0
    expected = [f for f in ticked(inter, rise, fall, phase, changes, horizon)]
    got = evented(inter, rise, fall, phase, changes, horizon)
    assert got == expected


def test_a_check_reset_finds_the_server_as_it_is():
    c = HealthCheck(2.0, 2, 5, 0.5)
    assert c.observe(False, 10.0) == pytest.approx(10.5 + 4 * 2.0)
    c.reset(False)
    assert not c.up and c.flip_at is None
    assert c.observe(True, 20.0) == pytest.approx(20.5 + 2.0)


ENGINE_TABLES = {"vrrp": vrrp.TABLE, "galera": galera.TABLE, "rabbit": rabbit.TABLE, "singletons": singletons.TABLE}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_each_model_runs_its_table_on_the_state_machine_engine(name):
    table, states = TABLES[name]
    engine = ENGINE_TABLES[name]
    assert engine.transitions == table and set(engine.states) == states


def test_a_component_refuses_a_transition_its_table_does_not_have(operate):
    from twin.kernel.statemachine import InvalidTransition

    plane = operate(duration_s=10).operations.plane
    assert plane.vrrp.state["controller0"] == vrrp.MASTER
    with pytest.raises(InvalidTransition, match="vrrp controller0: no transition 'master_down' from state 'master'"):
        plane.vrrp.sm.fire("controller0", "master_down")
    with pytest.raises(InvalidTransition, match="galera-cluster"):
        plane.galera.cluster.fire("cluster", "split")
