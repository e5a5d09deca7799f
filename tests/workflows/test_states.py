"""Ironic's provision-state tables (Juno, the Helion default, and Kilo) and the per-node machine
that records them."""
import pytest

from twin.kernel.sim import make_sim_world
from twin.runs import Scenario
from twin.workflows import states as s


@pytest.mark.parametrize("release", [s.JUNO, s.KILO], ids=lambda r: r.name)
def test_every_state_is_reachable_from_where_node_create_leaves_a_node(release):
    assert release.table.reachable(release.enrolled) == set(release.table.states)


def test_juno_has_ironic_2014_2s_states_and_no_enroll_cycle():
    # ironic/common/states.py at tag 2014.2: NOSTATE = None, DEPLOYING, DEPLOYWAIT 'wait call-back',
    # ACTIVE, DEPLOYFAIL 'deploy failed', DELETING, ERROR (DEPLOYDONE, DELETED, REBUILD: targets only)
    assert set(s.JUNO.table.states) == {"None", "deploying", "wait call-back", "active", "deploy failed",
                                        "deleting", "error"}
    assert not {"enroll", "verifying", "manageable", "available"} & set(s.JUNO.table.states)
    assert s.JUNO.enrolled == s.JUNO.ready == s.NOSTATE == "None"


def test_the_scenario_default_is_juno_and_kilo_is_the_named_alternative():
    sc = Scenario(name="t", inventory={"generate": {}})
    assert sc.ironic_release == "juno" and s.release(sc.ironic_release) is s.JUNO
    assert s.release("kilo") is s.KILO


@pytest.mark.parametrize("release", [s.JUNO, s.KILO], ids=lambda r: r.name)
def test_active_and_deploy_failed_are_terminal_in_both_releases(release):
    assert release.table.terminal == {s.ACTIVE, s.DEPLOY_FAILED}
    assert not release.table.is_stable(s.DEPLOYING) and not release.table.is_stable(s.WAIT_CALLBACK)
    assert release.table.is_stable(release.ready)


def test_juno_happy_path_is_the_conductors():
    w = make_sim_world(0)
    sm = s.ProvisionState(w, "n")  # default release: Juno
    for event in ("deploy", "wait", "resume", "done"):
        sm.fire(event)
    assert sm.state == s.ACTIVE
    log = w.recorder.frame()
    assert list(log.name) == ["None", "deploying", "wait call-back", "deploying", "active"]
    assert list(log.detail) == [""] + list(log.name)[:-1]  # each change records where it came from


def test_kilo_happy_path_is_ironics():
    w = make_sim_world(0)
    sm = s.ProvisionState(w, "n", release=s.KILO)
    for event in ("manage", "done", "provide", "deploy", "wait", "resume", "done"):
        sm.fire(event)
    assert sm.state == s.ACTIVE
    log = w.recorder.frame()
    assert list(log.name) == ["enroll", "verifying", "manageable", "available", "deploying",
                              "wait call-back", "deploying", "active"]
    assert list(log.detail)[1:] == list(log.name)[:-1]


@pytest.mark.parametrize("state,event,expected", [
    (s.WAIT_CALLBACK, "fail", s.DEPLOY_FAILED),  # the callback timeout
    (s.DEPLOYING, "fail", s.DEPLOY_FAILED),
    (s.DEPLOY_FAILED, "rebuild", s.DEPLOYING),
    (s.ACTIVE, "rebuild", s.DEPLOYING),
    (s.ACTIVE, "delete", s.DELETING),
    (s.WAIT_CALLBACK, "delete", s.DELETING),
    (s.DELETING, "done", s.NOSTATE),  # Juno: a torn-down node is back in NOSTATE
    (s.DELETING, "fail", s.ERROR),
])
def test_juno_failure_rebuild_and_teardown_transitions(state, event, expected):
    sm = s.ProvisionState(make_sim_world(0), "n", initial=state)
    assert sm.fire(event, "why") == expected


@pytest.mark.parametrize("state,event,expected", [
    (s.VERIFYING, "fail", s.ENROLL),
    (s.WAIT_CALLBACK, "fail", s.DEPLOY_FAILED),
    (s.DEPLOYING, "fail", s.DEPLOY_FAILED),
    (s.DEPLOY_FAILED, "deploy", s.DEPLOYING),
    (s.ACTIVE, "delete", s.DELETING),
    (s.DELETING, "done", s.AVAILABLE),
])
def test_kilo_failure_and_rebuild_transitions(state, event, expected):
    sm = s.ProvisionState(make_sim_world(0), "n", initial=state, release=s.KILO)
    assert sm.fire(event, "why") == expected


@pytest.mark.parametrize("release,state,event", [
    (s.KILO, s.ENROLL, "deploy"), (s.KILO, s.AVAILABLE, "done"), (s.KILO, s.ACTIVE, "deploy"),
    (s.KILO, s.MANAGEABLE, "wait"),
    (s.JUNO, s.NOSTATE, "manage"), (s.JUNO, s.NOSTATE, "provide"), (s.JUNO, s.ACTIVE, "deploy"),
    (s.JUNO, s.DEPLOYING, "resume"),
], ids=str)
def test_a_transition_not_in_the_table_is_refused_and_names_what_was_asked(release, state, event):
    w = make_sim_world(0)
    sm = s.ProvisionState(w, "node7", initial=state, release=release)
    with pytest.raises(s.InvalidTransition) as e:
        sm.fire(event)
    assert sm.state == state
    assert f"ironic-{release.name}" in str(e.value) and "node7" in str(e.value)
    assert f"'{event}'" in str(e.value) and f"'{state}'" in str(e.value)
    assert len(w.recorder) == 1  # only the initial state: nothing recorded for the refusal


def test_a_kilo_state_is_not_a_juno_state():
    with pytest.raises(s.InvalidTransition):
        s.ProvisionState(make_sim_world(0), "n", initial=s.AVAILABLE)
