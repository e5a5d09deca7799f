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
- `reset(healthy)`: the checker (re)starts and its first check finds the server as it is.
"""
from __future__ import annotations

import math


class HealthCheck:
    __slots__ = ("inter", "rise", "fall", "phase", "up", "healthy", "flip_at", "streak_first", "back_at")

    def __init__(self, inter_s: float, rise: int, fall: int, phase_s: float = 0.0, up: bool = True):
        self.inter, self.rise, self.fall, self.phase = inter_s, rise, fall, phase_s
        self.up = self.healthy = up
        self.flip_at: float | None = None
        self.streak_first: float | None = None  # the first check of the streak in progress
        self.back_at: float | None = None  # when the health came back to the verdict mid-streak

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

    def due(self, at: float) -> bool:
        """At a timer for `at`: flip the verdict if that flip is still pending; True if it flipped."""
        if self.flip_at is None or self.flip_at != at:
            return False
        self.up, self.flip_at, self.streak_first, self.back_at = self.healthy, None, None, None
        return True

    def reset(self, healthy: bool) -> None:
        self.up = self.healthy = healthy
        self.flip_at = self.streak_first = self.back_at = None
