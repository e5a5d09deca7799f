"""One state-machine engine for every model that has states: a validated table of transitions
and one `fire` that checks a change against the table and records it the same way for everyone.

Used by Ironic's provision states (twin/workflows/states.py), keepalived's VRRP, Galera,
RabbitMQ, the singletons and the rise/fall health checks (twin/cloud/ha/).

Rules:
- A `Table` is data: (state, event) -> next state, the states it knows, and two marks.
  *stable*: the machine rests there until something from outside (an API call, a fault, a timer
  of another component) moves it; every other state must have a way out. *terminal*: stable
  states where a workflow is done with a member (Ironic: active, deploy failed). The table is
  checked once, when it is built: an unknown state or a transient state without a way out is
  refused there, not at run time.
- A `Machine` holds the current state of each of its members (a node, a controller, a check)
  under one table. Every state is entered through the machine: `enter` puts a member in its
  first state (recorded with previous ""), `fire` makes a transition of the table and nothing
  else (InvalidTransition names the machine, the member, the event and the state).
- Recording is the same for every user: the machine calls `sink(event(member, new, previous,
  cause))`, where `event` is the model's own event type (StateChanged for Ironic,
  ComponentState bound to a component for the HA models). A transition to the state the member
  is already in is valid but records nothing (it changed nothing).
- `restart` puts a member in a state without a transition and without a record: a checker that
  (re)starts and finds its server as it is. It is not a way around the table for anything else.
- Speed: `fire` is one dict lookup, one store and one record; it runs on every node deployment.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping


class InvalidTransition(RuntimeError):
    """A transition that is not in the machine's table: a bug in the model that fired it."""

    def __init__(self, machine: str, member: str, event: str, state: str):
        super().__init__(machine, member, event, state)
        self.machine, self.member, self.event, self.state = machine, member, event, state

    def __str__(self) -> str:
        return f"{self.machine} {self.member}: no transition '{self.event}' from state '{self.state}'"


class TableError(ValueError):
    """A table that contradicts itself (found when it is built)."""


class Table:
    """The transitions of one kind of machine, checked once."""

    __slots__ = ("name", "transitions", "states", "stable", "terminal", "events", "known")

    def __init__(self, name: str, transitions: Mapping[tuple[str, str], str], *,
                 states: Iterable[str] | None = None, stable: Iterable[str] = (),
                 terminal: Iterable[str] = ()):
        self.name = name
        self.transitions: dict[tuple[str, str], str] = dict(transitions)
        named = {s for s, _ in self.transitions} | set(self.transitions.values())
        self.states: tuple[str, ...] = tuple(states) if states is not None else tuple(sorted(named))
        self.stable = frozenset(stable)
        self.terminal = frozenset(terminal)
        self.events = frozenset(e for _, e in self.transitions)
        known = self.known = frozenset(self.states)
        problems = [f"state '{s}' is used by a transition but not listed" for s in sorted(named - known)]
        problems += [f"stable state '{s}' is not a state" for s in sorted(self.stable - known)]
        problems += [f"terminal state '{s}' is not stable" for s in sorted(self.terminal - self.stable)]
        leaving = {s for s, _ in self.transitions}
        problems += [f"state '{s}' is neither stable nor has a way out" for s in self.states
                     if s not in self.stable and s not in leaving]
        if problems:
            raise TableError(f"state table {name}: " + "; ".join(problems))

    def next(self, state: str, event: str) -> str | None:
        """The state `event` leads to from `state`, or None when the table has no such transition."""
        return self.transitions.get((state, event))

    def is_stable(self, state: str) -> bool:
        return state in self.stable

    def is_terminal(self, state: str) -> bool:
        return state in self.terminal

    def reachable(self, start: str) -> set[str]:
        """Every state some sequence of events leads to from `start` (itself included)."""
        out: dict[str, list[str]] = {}
        for (src, _), dst in self.transitions.items():
            out.setdefault(src, []).append(dst)
        seen, todo = {start}, [start]
        while todo:
            for dst in out.get(todo.pop(), ()):
                if dst not in seen:
                    seen.add(dst)
                    todo.append(dst)
        return seen


#: The record hook: event(member, new state, previous state, cause) -> an event for sink(event).
EventFactory = Callable[[str, str, str, str], object]


def _discard(_event) -> None:
    return None


class Machine:
    """The states of a set of members under one table; every change goes through here.

    `sink`: where events go (world.record, a control plane's record; None: nothing is recorded);
    `event`: the model's event type, called as event(member, new, previous, cause).
    `state` maps each member to its current state (read it, never write it).
    """

    __slots__ = ("table", "state", "_transitions", "_sink", "_event")

    def __init__(self, table: Table, sink: Callable[[object], None] | None = None,
                 event: EventFactory | None = None):
        if sink is not None and event is None:
            raise TypeError(f"state machine {table.name}: a sink needs an event factory")
        self.table = table
        self.state: dict[str, str] = {}
        self._transitions = table.transitions
        self._sink = sink if sink is not None else _discard
        self._event = event if event is not None else (lambda *_: None)

    def enter(self, member: str, state: str, cause: str = "") -> str:
        """Put `member` in its first state, recorded with no previous state."""
        if state not in self.table.known:
            raise InvalidTransition(self.table.name, member, "enter", state)
        self.state[member] = state
        self._sink(self._event(member, state, "", cause))
        return state

    def restart(self, member: str, state: str) -> str:
        """Put `member` in `state` unrecorded: its checker (re)starts and finds it as it is."""
        if state not in self.table.known:
            raise InvalidTransition(self.table.name, member, "restart", state)
        self.state[member] = state
        return state

    def fire(self, member: str, event: str, cause: str = "") -> str:
        """Make the table's transition for `event`; record it unless it stays where it is."""
        old = self.state[member]
        new = self._transitions.get((old, event))
        if new is None:
            raise InvalidTransition(self.table.name, member, event, old)
        if new != old:
            self.state[member] = new
            self._sink(self._event(member, new, old, cause))
        return new

    def can(self, member: str, event: str) -> bool:
        return (self.state[member], event) in self._transitions
