"""The World: the one seam between operator logic (workflows, service models) and the world
they run in: a simulated one (virtual time, modelled hardware) or a live one (real time, real
BMCs and PXE boots).

Rules of this file:
- A World is a simpy Environment plus hardware ports, random streams and the event recorder.
  The simulated world (twin/kernel/sim.py) uses a plain Environment; the live world (twin/kernel/live.py
  `make_live_world`) uses one whose clock is real time and whose blocking backend calls
  complete as events. Composition (all_of, any_of, interrupts, timeouts)
  therefore means the same thing in both worlds.
- Workflows use only this class's methods; they never import simpy or a backend.
- `within` is the only way to bound a wait; an abandoned event is defused so that its late
  failure cannot crash the run.
- `conductors` holds the world's one power driver per node (keyed by node name). The kernel only
  keeps the table; twin/workflows/power.py `conductor` fills it, so every command to a BMC in
  this world goes through one driver.
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


class Bound:
    """The bound on one wait of the active process for `event` (World.within): whichever simpy
    processes first wins. The process yields `event` itself (no extra event on this hot path);
    a timer processed first interrupts the process, the bound itself as the cause, which
    `interrupted` turns into a WaitTimeout (simpy processes an interrupt before any other event due at the same time, so the event cannot
    slip in between). The waiter calls `cancel()` once it has the event's outcome, or
    `interrupted(interrupt)` when it was interrupted. A timer that lost stays scheduled
    without a waiter (a live run does not wait for it). No stray interrupt is possible: an
    interrupt from someone else at the same instant is either processed before the timer (which
    it cancels) or after the timer's own interrupt, which simpy processes right after the timer."""

    __slots__ = ("callbacks", "event", "process", "timeout_s", "timer")

    def __init__(self, env, event, timeout_s: float):
        self.event = event
        self.timeout_s = timeout_s
        self.process = env.active_process
        self.timer = env.timeout(timeout_s)
        self.callbacks = self.timer.callbacks
        self.callbacks.append(self)  # the bound itself is the timer's callback (__call__)

    def __call__(self, _timer) -> None:
        """The timer fired: if the event is still pending, interrupt the waiter (the cause is this
        bound, so that `interrupted` knows the interrupt for its own)."""
        event = self.event
        if event.callbacks is not None:  # not processed yet
            event.defused = True  # its late failure, if any, is nobody's business
            self.process.interrupt(self)

    def cancel(self) -> None:
        """The event came first (or the waiter is gone): the timer is left without a waiter."""
        if self.timer.callbacks is not None:
            self.callbacks.pop()

    def interrupted(self, interrupt):
        """The waiting process was interrupted: by its own timer (raise WaitTimeout) or by
        someone else (cancel, and raise the interrupt again)."""
        self.event.defused = True  # the waiter is gone; a late failure must not crash the run
        if interrupt.cause is self:
            raise WaitTimeout(self.timeout_s) from None
        self.cancel()
        raise interrupt


class World:
    def __init__(self, env: simpy.Environment, streams: Streams, recorder, hardware: Hardware | None = None):
        self.env = env
        self.streams = streams
        self.recorder = recorder
        self.hardware = hardware
        self.conductors: dict[str, object] = {}  # node name -> its PowerDriver (twin/workflows/power.py)
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
        WaitTimeout. Whatever loses the race is defused, so a late failure is ignored. (A hot
        path may inline these lines around its own `yield event`: see `Bound`.)"""
        if event.callbacks is None:  # already processed
            if event.ok:
                return event.value
            raise event.value
        bound = Bound(self.env, event, timeout_s)
        try:
            value = yield event
        except Interrupt as interrupt:
            bound.interrupted(interrupt)  # raises WaitTimeout, or the interrupt again
        except BaseException:
            bound.cancel()
            raise
        bound.cancel()
        return value

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
