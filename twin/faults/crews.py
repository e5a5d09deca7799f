"""Repair crews: who repairs a failure, and when they can start.

Rules:
- `CrewPool(world, n)` with n >= 1 is a shared pool of n crews: a failure waits in one FIFO
  queue until a crew is free (first failed, first repaired), the crew works for the failure's
  repair time and is then free for the next. With n = 0 there is no pool: every failure is
  repaired independently, at once (as if there were a crew per failure).
- Built only on World events (no simpy import), so it runs the same in both worlds.
"""
from __future__ import annotations

from collections import deque


class CrewPool:
    def __init__(self, world, crews: int):
        self.world = world
        self.crews = int(crews)
        self.busy = 0
        self._queue: deque = deque()

    @property
    def unlimited(self) -> bool:
        return self.crews <= 0

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def acquire(self):
        """An event that triggers when a crew is assigned (at once when one is free)."""
        event = self.world.event()
        if self.unlimited or self.busy < self.crews:
            self.busy += 1
            event.succeed()
        else:
            self._queue.append(event)
        return event

    def release(self) -> None:
        if self._queue:
            self._queue.popleft().succeed()  # the crew goes straight to the next failure
        else:
            self.busy -= 1
