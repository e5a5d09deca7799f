"""A periodic health check with rise/fall counting (HAProxy's `check inter rise fall`,
keepalived's vrrp_script `interval rise fall`), computed event by event instead of tick by tick.

Rules:
- Checks run at `phase + k * inter`. The verdict (`up`) turns down after `fall` consecutive
  failed checks and up after `rise` consecutive passed ones, exactly as ticking would: when the
  true health changes at t, the first check that sees it is the first tick >= t, and the verdict
  flips (rise|fall - 1) intervals later, unless a check sees the health back first (then the
  streak is broken and nothing flips; a recovery between two checks breaks nothing).
- `observe(healthy, now)` is called whenever the true health may have changed; it returns the
  time of a newly pending flip (the caller schedules a timer) or None. `due(at)` tells the
  timer whether its flip is still the pending one. A year of checks costs a few events per
  change of health, not 15 million ticks.
- Consecutive counting, as keepalived's vrrp_script does; HAProxy's health counter is the same
  for a clean change and differs only for a server flapping faster than its checks.
- `reset(healthy)`: the checker (re)starts and its first check finds the server as it is
  (nothing is recorded: the checker did not see a change).
- The verdict is a state machine (twin/kernel/statemachine.py, table VERDICT: UP -fall-> DOWN,
  DOWN -rise-> UP). Checks that are recorded (HAProxy's) share one machine that records their
  flips (ComponentState); a check given no machine keeps its own, unrecorded (chk_haproxy).
"""
from __future__ import annotations

import math

from twin.kernel.statemachine import Machine, Table

UP, DOWN = "UP", "DOWN"

#: A check's verdict: it falls after `fall` failed checks, rises after `rise` passed ones.
VERDICT = Table("health-check", {(UP, "fall"): DOWN, (DOWN, "rise"): UP}, states=(UP, DOWN), stable=(UP, DOWN))


class HealthCheck:
    __slots__ = ("inter", "rise", "fall", "phase", "healthy", "flip_at", "streak_first", "back_at", "verdict", "name",
                 "_state")

    def __init__(self, inter_s: float, rise: int, fall: int, phase_s: float = 0.0, up: bool = True,
                 verdict: Machine | None = None, name: str = "check"):
        self.inter, self.rise, self.fall, self.phase = inter_s, rise, fall, phase_s
        self.verdict, self.name = (verdict if verdict is not None else Machine(VERDICT)), name
        self._state = self.verdict.state
        self.verdict.restart(name, UP if up else DOWN)
        self.healthy = up
        self.flip_at: float | None = None
        self.streak_first: float | None = None  # the first check of the streak in progress
        self.back_at: float | None = None  # when the health came back to the verdict mid-streak

    @property
    def up(self) -> bool:
        """The verdict: the checker believes the server is up."""
        return self._state[self.name] == UP

    def next_tick(self, now: float) -> float:
        """The first check at or after `now` (a check at the very instant of a change sees it)."""
        k = math.ceil((now - self.phase) / self.inter - 1e-9)
        return self.phase + k * self.inter

    def observe(self, healthy: bool, now: float) -> float | None:
        if healthy == self.healthy:
            return None
        self.healthy = healthy
        if healthy == self.up:  # back to the verdict: the next check breaks the streak
            self.flip_at, self.back_at = None, now
            return None
        count = self.rise if healthy else self.fall
        unbroken = (self.streak_first is not None and self.back_at is not None
                    and self.next_tick(self.back_at) >= now)  # no check saw the short recovery
        if not unbroken:
            self.streak_first = self.next_tick(now)
        self.back_at = None
        self.flip_at = self.streak_first + (count - 1) * self.inter
        return self.flip_at

    def due(self, at: float, cause: str = "") -> bool:
        """At a timer for `at`: flip the verdict if that flip is still pending (recorded with
        `cause` when the verdict machine records); True if it flipped."""
        if self.flip_at is None or self.flip_at != at:
            return False
        self.verdict.fire(self.name, "rise" if self.healthy else "fall", cause)
        self.flip_at, self.streak_first, self.back_at = None, None, None
        return True

    def reset(self, healthy: bool) -> None:
        self.verdict.restart(self.name, UP if healthy else DOWN)
        self.healthy = healthy
        self.flip_at = self.streak_first = self.back_at = None
