"""The World: the one seam between operator logic (workflows, service models) and the world
they run in: a simulated one (virtual time, modelled hardware) or a live one (real time, real
BMCs and PXE boots).

Rules of this file:
- A World is a simpy Environment plus hardware ports, random streams and the event recorder.
  The simulated world uses a plain Environment; the live world (twin/kernel/live.py) uses one whose clock is real time and whose
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
        # the clock and process primitives are the environment's own (bound once: hot path)
        self.timeout = env.timeout  # timeout(delay_s, value=None)
        self.event = env.event
        self.process = env.process

    # --- clock and processes -------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.env.now

    def all_of(self, events: Iterable):
        return self.env.all_of(list(events))

    def any_of(self, events: Iterable):
        return self.env.any_of(list(events))

    def within(self, event, timeout_s: float) -> Generator[Any, Any, Any]:
        """Wait for `event` at most `timeout_s`; return its value, raise its failure, or raise
        WaitTimeout. Whatever loses the race is defused, so a late failure is ignored.
        (A two-event race by callbacks: cheaper than an AnyOf condition on this hot path.)"""
        if event.callbacks is None:  # already processed
            if event.ok:
                return event.value
            raise event.value
        gate = self.env.event()
        timer = self.env.timeout(timeout_s)

        def settle(winner):
            if not winner.ok:
                winner.defused = True
            if not gate.triggered:
                gate.succeed(winner)
                loser = timer if winner is event else event
                if loser.callbacks is not None and settle in loser.callbacks:
                    loser.callbacks.remove(settle)  # a dormant timer: a live run does not wait for it
                if loser is event:
                    event.defused = True  # its late failure, if any, is nobody's business

        event.callbacks.append(settle)
        timer.callbacks.append(settle)
        try:
            winner = yield gate
        except Interrupt:
            event.defused = True  # the waiter is gone; a late failure must not crash the run
            raise
        if winner is timer:
            event.defused = True
            raise WaitTimeout(timeout_s)
        if winner.ok:
            return winner.value
        raise winner.value

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
