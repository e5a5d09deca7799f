"""The state-machine engine: table validation, stable/terminal marks, fire and what it records."""
from functools import partial

import pytest

from twin.kernel.sim import make_sim_world
from twin.kernel.statemachine import InvalidTransition, Machine, Table, TableError
from twin.record.events import ComponentState, StateChanged

DOOR = {("closed", "open"): "opened", ("opened", "close"): "closed", ("closed", "lock"): "locked",
        ("locked", "unlock"): "closed", ("opened", "slam"): "closed", ("closed", "push"): "closed"}


def door(**kw) -> Table:
    return Table("door", DOOR, states=("closed", "opened", "locked"), stable=("closed", "opened", "locked"), **kw)


# --- the table ---------------------------------------------------------------------------------

def test_a_transition_to_an_unlisted_state_is_refused_when_the_table_is_built():
    with pytest.raises(TableError, match="door: state 'ajar' is used by a transition but not listed"):
        Table("door", {**DOOR, ("opened", "wind"): "ajar"}, states=("closed", "opened", "locked"),
              stable=("closed", "opened", "locked"))


def test_a_transient_state_without_a_way_out_is_refused():
    with pytest.raises(TableError, match="state 'locked' is neither stable nor has a way out"):
        Table("door", {("closed", "lock"): "locked"}, states=("closed", "locked"), stable=("closed",))


def test_terminal_states_must_be_stable_and_stable_states_must_exist():
    with pytest.raises(TableError, match="terminal state 'opened' is not stable"):
        Table("door", DOOR, states=("closed", "opened", "locked"), stable=("closed", "locked"),
              terminal=("opened",))
    with pytest.raises(TableError, match="stable state 'gone' is not a state"):
        Table("door", DOOR, states=("closed", "opened", "locked"), stable=("closed", "opened", "locked", "gone"))


def test_states_default_to_those_the_transitions_name():
    t = Table("door", DOOR, stable=("closed", "opened", "locked"))
    assert set(t.states) == {"closed", "opened", "locked"}
    assert t.events == {"open", "close", "lock", "unlock", "slam", "push"}


def test_stable_terminal_and_reachable():
    t = door(terminal=("locked",))
    assert t.is_stable("opened") and t.is_terminal("locked") and not t.is_terminal("closed")
    assert t.reachable("locked") == {"locked", "closed", "opened"}
    assert t.next("closed", "open") == "opened" and t.next("opened", "lock") is None


# --- the machine -------------------------------------------------------------------------------

def test_fire_follows_the_table_and_records_each_change_with_the_models_own_event():
    w = make_sim_world(0)
    m = Machine(door(), w.record, partial(ComponentState, "door"))
    m.enter("front", "closed", "start")
    m.enter("back", "locked", "start")
    assert m.fire("front", "open", "a visitor") == "opened"
    assert m.fire("back", "unlock") == "closed"
    assert m.state == {"front": "opened", "back": "closed"}
    log = w.recorder.frame()
    assert list(zip(log.kind, log.subject, log.name, log.detail, log.cause)) == [
        ("ha", "door/front", "closed", "", "start"),
        ("ha", "door/back", "locked", "", "start"),
        ("ha", "door/front", "opened", "closed", "a visitor"),
        ("ha", "door/back", "closed", "locked", ""),
    ]


def test_the_same_machine_records_ironic_state_changes_through_their_own_event_type():
    w = make_sim_world(0)
    m = Machine(door(), w.record, StateChanged)
    m.enter("n1", "closed")
    m.fire("n1", "open", "why")
    log = w.recorder.frame()
    assert list(log.kind) == ["state", "state"]
    assert list(zip(log.subject, log.name, log.detail, log.cause)) == [("n1", "closed", "", ""),
                                                                       ("n1", "opened", "closed", "why")]


def test_a_transition_to_the_same_state_is_valid_and_records_nothing():
    w = make_sim_world(0)
    m = Machine(door(), w.record, StateChanged)
    m.enter("n", "closed")
    assert m.fire("n", "push") == "closed"
    assert len(w.recorder) == 1


def test_an_invalid_transition_names_machine_member_event_and_state_and_changes_nothing():
    w = make_sim_world(0)
    m = Machine(door(), w.record, StateChanged)
    m.enter("front", "locked")
    with pytest.raises(InvalidTransition) as e:
        m.fire("front", "open")
    assert str(e.value) == "door front: no transition 'open' from state 'locked'"
    assert (e.value.machine, e.value.member, e.value.event, e.value.state) == ("door", "front", "open", "locked")
    assert m.state["front"] == "locked" and len(w.recorder) == 1
    assert not m.can("front", "open") and m.can("front", "unlock")


def test_an_invalid_transition_is_a_bug_not_a_users_error():
    from twin.errors import TwinError

    assert not issubclass(InvalidTransition, TwinError)  # workflows catch TwinError as a node failure
    e = InvalidTransition("door", "front", "open", "locked")
    assert str(type(e)(*e.args)) == str(e)  # simpy re-raises a failed event's exception from its args


def test_entering_a_state_the_table_does_not_know_is_refused():
    m = Machine(door())
    with pytest.raises(InvalidTransition, match="no transition 'enter' from state 'ajar'"):
        m.enter("front", "ajar")


def test_restart_sets_a_state_without_recording_it():
    w = make_sim_world(0)
    m = Machine(door(), w.record, StateChanged)
    m.enter("n", "closed")
    m.restart("n", "opened")  # its checker restarts and finds it as it is
    assert m.state["n"] == "opened" and len(w.recorder) == 1
    m.fire("n", "close")
    assert list(w.recorder.frame().detail)[-1] == "opened"


def test_a_machine_without_a_sink_records_nothing_and_a_sink_needs_an_event_type():
    m = Machine(door())
    m.enter("n", "closed")
    assert m.fire("n", "open") == "opened"
    with pytest.raises(TypeError, match="needs an event factory"):
        Machine(door(), sink=print)
