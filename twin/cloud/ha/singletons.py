"""The singletons: services that run on one controller only, and their manual failover.

Rules (Helion 1.x; figures in params.Singletons):
- cinder-volume runs on controller0; when its host goes down an operator moves it to another
  controller that is up, after `failover_s` (paged, diagnosed, moved). nova-consoleauth is
  moved the same way (its tokens are lost: open VNC consoles must be reopened). Sherpa keeps its
  state on controller0's disk: it cannot move and is back only when its host is.
- A host that comes back before the operator acts takes its singleton back at once; after a
  move, the singleton stays where it was moved.
- States and transitions are the table TABLE (a state machine of twin/kernel/statemachine.py,
  which records every change as ComponentState "singleton/<name>"); a singleton configured as
  none (null) is not modelled.
"""
from __future__ import annotations

from functools import partial

from twin.kernel.statemachine import Machine, Table
from twin.record.events import ComponentState

RUNNING, LOST = "running", "lost"

#: (state, event) -> next state
TRANSITIONS: dict[tuple[str, str], str] = {
    (RUNNING, "host_lost"): LOST,
    (LOST, "host_back"): RUNNING,
    (LOST, "moved"): RUNNING,
}
TABLE = Table("singleton", TRANSITIONS, states=(RUNNING, LOST), stable=(RUNNING, LOST))

#: Which singletons an operator can move to another controller.
MOVABLE = {"cinder_volume": True, "consoleauth": True, "sherpa": False}


class Singletons:
    def __init__(self, plane, controllers: list[str], params):
        self.plane, self.lv, self.p = plane, plane.liveness, params
        self.controllers = list(controllers)
        self.host: dict[str, str] = {}
        for name in MOVABLE:
            host = getattr(params, name)
            if host is not None and host in controllers:
                self.host[name] = host
        self.sm = Machine(TABLE, plane.record, partial(ComponentState, "singleton"))
        self.state = self.sm.state  # singleton -> its state (read only: changes go through self.sm)
        self.move_at: dict[str, float] = {}
        self._rng = plane.world.rng("singletons")

    def start(self) -> None:
        for name, host in self.host.items():
            self.sm.enter(name, RUNNING if self.lv.up(host) else LOST, f"start on {host}")

    def _fire(self, name: str, event: str, why: str) -> None:
        self.sm.fire(name, event, why)

    def update(self, now: float) -> None:
        for name, host in self.host.items():
            up = self.lv.up(host)
            if self.state[name] == RUNNING and not up:
                self._fire(name, "host_lost", self.plane.cause)
                if MOVABLE[name] and name not in self.move_at:
                    at = self.move_at[name] = now + self.p.failover_s.sample(self._rng)
                    self.plane.at(at, lambda t, name=name: self._move(name, t))
            elif self.state[name] == LOST and up:
                self.move_at.pop(name, None)
                self._fire(name, "host_back", self.plane.cause)

    def _move(self, name: str, at: float) -> bool:
        if self.move_at.get(name) != at:
            return False
        del self.move_at[name]
        target = next((c for c in self.controllers if c != self.host[name] and self.lv.up(c)), None)
        if target is None:  # nowhere to go: the operator tries again after another failover time
            at = self.move_at[name] = at + self.p.failover_s.sample(self._rng)
            self.plane.at(at, lambda t: self._move(name, t))
            return False
        self.host[name] = target
        self._fire(name, "moved", f"operator moved {name} to {target}")
        return True

    def refusal(self, name: str, api: str) -> str:
        """Why a call from API node `api` that needs singleton `name` fails ("" if it works)."""
        if name not in self.host:
            return ""
        if self.state[name] != RUNNING or not self.lv.reachable(api, self.host[name]):
            return f"{name}_down"
        return ""
