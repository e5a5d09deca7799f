"""The Ironic provision-state table and the state machine that records it."""
import pytest

from twin.kernel.sim import make_sim_world
from twin.workflows import states as s


def test_every_state_is_reachable_from_enroll():
    reached, frontier = {s.ENROLL}, [s.ENROLL]
    while frontier:
        state = frontier.pop()
        for (src, _event), dst in s.TRANSITIONS.items():
            if src == state and dst not in reached:
                reached.add(dst)
                frontier.append(dst)
    assert reached == set(s.STATES)


def test_the_happy_path_is_ironics():
    w = make_sim_world(0)
    sm = s.ProvisionState(w, "n")
    for event in ("manage", "done", "provide", "deploy", "wait", "resume", "done"):
        sm.fire(event)
    assert sm.state == s.ACTIVE
    log = w.recorder.frame()
    assert list(log.name) == ["enroll", "verifying", "manageable", "available", "deploying",
                              "wait call-back", "deploying", "active"]
    assert list(log.detail)[1:] == list(log.name)[:-1]  # each change records where it came from


@pytest.mark.parametrize("state,event,expected", [
    (s.VERIFYING, "fail", s.ENROLL),
    (s.WAIT_CALLBACK, "fail", s.DEPLOY_FAILED),
    (s.DEPLOYING, "fail", s.DEPLOY_FAILED),
    (s.DEPLOY_FAILED, "deploy", s.DEPLOYING),
    (s.ACTIVE, "delete", s.DELETING),
    (s.DELETING, "done", s.AVAILABLE),
])
def test_failure_and_rebuild_transitions(state, event, expected):
    sm = s.ProvisionState(make_sim_world(0), "n", initial=state)
    assert sm.fire(event, "why") == expected


@pytest.mark.parametrize("state,event", [(s.ENROLL, "deploy"), (s.AVAILABLE, "done"), (s.ACTIVE, "deploy"),
                                         (s.MANAGEABLE, "wait")])
def test_a_transition_not_in_the_table_is_refused(state, event):
    sm = s.ProvisionState(make_sim_world(0), "n", initial=state)
    with pytest.raises(s.InvalidTransition):
        sm.fire(event)
    assert sm.state == state
