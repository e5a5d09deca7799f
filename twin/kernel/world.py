"""The World: the one seam between operator logic (workflows, service models) and the world
they run in: a simulated one (virtual time, modelled hardware) or a live one (real time, real
BMCs and PXE boots).

Rules of this file:
- A World is a simpy Environment plus hardware ports, random streams and the event recorder.
  SimWorld uses a plain Environment; LiveWorld uses one whose clock is real time and whose
  blocking backend calls complete as events. Composition (all_of, any_of, interrupts, timeouts)
  therefore means the same thing in both worlds.
- Workflows use only this class's methods; they never import simpy or a backend.
- `within` is the only way to bound a wait; an abandoned event is defused so that its late
  failure cannot crash the run.
"""
from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any

import simpy
from simpy import Interrupt  # noqa: F401  (re-exported: workflows catch kernel.Interrupt)

from twin.inventory.model import Node
from twin.kernel.ports import BmcPort, BootPort, Hardware
from twin.kernel.rng import Streams


class WaitTimeout(Exception):
    """A bounded wait (`World.within`) ran out. Internal: workflows turn it into a cause."""


class World:
    def __init__(self, env: simpy.Environment, streams: Streams, recorder, hardware: Hardware | None = None):
        self.env = env
        self.streams = streams
        self.recorder = recorder
        self.hardware = hardware

    # --- clock and processes -------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.env.now

    def timeout(self, delay_s: float, value: Any = None):
        return self.env.timeout(delay_s, value)

    def event(self):
        return self.env.event()

    def process(self, generator: Generator):
        return self.env.process(generator)

    def all_of(self, events: Iterable):
        return self.env.all_of(list(events))

    def any_of(self, events: Iterable):
        return self.env.any_of(list(events))

    def within(self, event, timeout_s: float) -> Generator[Any, Any, Any]:
        """Wait for `event` at most `timeout_s`; return its value, raise its failure, or raise
        WaitTimeout (and defuse the event, so that a late failure is ignored)."""
        timer = self.env.timeout(timeout_s)
        try:
            yield event | timer
        except Interrupt:
            event.defused = True  # the waiter is gone; a late failure must not crash the run
            raise
        if event.triggered:
            if event.ok:
                return event.value
            raise event.value
        event.defused = True
        raise WaitTimeout(timeout_s)

    def run(self, until=None):
        return self.env.run(until)

    # --- randomness and records ---------------------------------------------------------
    def rng(self, *names: str):
        return self.streams.get(*names)

    def record(self, event) -> None:
        self.recorder.record(self.env.now, event)

    # --- hardware ports -----------------------------------------------------------------
    def bmc(self, node: Node) -> BmcPort:
        return self.hardware.bmc(node)

    @property
    def boot(self) -> BootPort:
        return self.hardware.boot
