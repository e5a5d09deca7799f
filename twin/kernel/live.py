"""The live World's engine: a simpy Environment whose clock is real time and whose blocking
backend calls (pyghmi, libvirt, ...) run in a thread pool and complete as simpy events.

Rules of this file:
- Public simpy API only (peek, step, schedule, timeout, event, the events' `callbacks`, `ok`,
  `triggered`, `defused`), so that a simpy upgrade cannot break it silently
  (tests/kernel/test_live_kernel.py checks that no private simpy name is used). `LiveEnvironment`
  overrides two documented methods: `step` (wait, then simpy's own step) and `schedule` (simpy's
  own, plus a note of what was scheduled).
- `now` is the World clock in real seconds since the environment was created. The loop lets simpy
  process the head of its schedule only once it is due in real time; a completion from another
  thread enters the schedule as a timer due at the real time the loop received it. So `now` never
  decreases, is never later than real time, and catches up with it whenever anything happens; a
  `timeout(d)` fires d seconds of wall time after it was asked for, give or take the loop's
  latency.
- The loop never busy-waits: between events it blocks on a thread-safe inbox with a timeout
  equal to the time left until the next due event, so a completion from another thread wakes it
  at once and a timer wakes it on time.
- Other threads never touch simpy objects. They hand work to the loop thread through the inbox:
  `call_blocking` does so for its result, `post` for anything else (e.g. an HTTP callback
  succeeding an event). Every event is triggered, and every process runs, on the loop thread.
- Composition (all_of, any_of, interrupts, timeouts, failures) is plain simpy, so it means the
  same thing as in the simulated world.
- When nothing is outstanding (no blocking call running, no external event armed) and nothing
  scheduled has a waiter (only timers nobody waits for are left, such as the timer of a
  `World.within` whose event came first), the schedule counts as empty, as in simpy:
  `run()` returns and `run(until=event)` raises simpy's RuntimeError. (Simulation skips over
  such timers in no time; real time must not sleep through them.) They stay scheduled.
- Ctrl-C: `run` shuts the executor down (pending calls are cancelled, running ones are not
  waited for) and lets KeyboardInterrupt propagate at once. The interpreter still joins the
  pool's threads when it exits, so a process ends only once its in-flight backend calls have
  given up by themselves (pyghmi/libvirt calls: seconds, not minutes).
- `call_blocking`, `external_event`, `release_external` and `trigger_external` belong to the
  loop thread (or to set-up code before `run`); only `post` may be called from anywhere.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import simpy
from simpy.core import EmptySchedule, Infinity
from simpy.events import NORMAL, Event

from twin.kernel.rng import Streams
from twin.kernel.world import World

#: Default size of the blocking-call pool: enough for 60+ nodes to wait on their BMCs at once.
DEFAULT_WORKERS = 64
#: Longest single sleep of the loop, so that it stays responsive to signals on every platform.
MAX_SLEEP_S = 0.5


class LiveEnvironment(simpy.Environment):
    """A simpy Environment on real time, with blocking calls completed through an inbox."""

    def __init__(self, workers: int = DEFAULT_WORKERS, clock: Callable[[], float] = time.monotonic):
        super().__init__(0.0)
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.clock = clock
        self.started_at = clock()
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.outstanding = 0  # blocking calls running + external events armed (loop thread only)
        self.externals: set[Event] = set()  # external events armed and not yet released
        self.scheduled: list[Event] = []  # what was scheduled, pruned of processed events as we go
        self.executor: ThreadPoolExecutor | None = None
        self.executor_lock = threading.Lock()
        self.closers: list[Callable[[], Any]] = []
        self.closed = False

    # --- the clock ----------------------------------------------------------------------
    def elapsed(self) -> float:
        """Real seconds since the environment was created (safe from any thread)."""
        return self.clock() - self.started_at

    # --- work from and for other threads ------------------------------------------------
    def call_blocking(self, fn: Callable, *args, **kwargs) -> Event:
        """Run `fn(*args, **kwargs)` in the thread pool; the returned event succeeds with its
        result or fails with its exception, on the loop thread."""
        event = self.event()
        executor = self.pool()
        self.outstanding += 1
        future = executor.submit(fn, *args, **kwargs)
        future.add_done_callback(lambda f: self.inbox.put((self.complete, (event, f))))
        return event

    def post(self, fn: Callable, *args) -> None:
        """Run `fn(*args)` on the loop thread as soon as it is free. Thread-safe; the only way
        another thread may act on simpy objects."""
        self.inbox.put((fn, args))

    def external_event(self) -> Event:
        """An event that another thread will trigger (through `post`). Until it is triggered or
        `release_external`d, the loop waits for it rather than declaring the schedule empty."""
        event = self.event()
        self.externals.add(event)
        self.outstanding += 1
        return event

    def release_external(self, event: Event) -> None:
        """Stop counting an external event as outstanding (it was triggered or abandoned).
        Loop thread only; idempotent."""
        if event in self.externals:
            self.externals.discard(event)
            self.outstanding -= 1

    def trigger_external(self, event: Event, value: Any = None, exception: BaseException | None = None) -> None:
        """Loop thread: succeed (or fail) an external event if it is still pending."""
        self.release_external(event)
        if event.triggered:
            return
        if exception is not None:
            event.fail(exception)
        else:
            event.succeed(value)

    def complete(self, event: Event, future: Future) -> None:
        """Loop thread: settle a blocking call's event with its future's outcome."""
        self.outstanding -= 1
        if future.cancelled():
            event.fail(RuntimeError("blocking call cancelled: the live world is shutting down"))
            return
        exc = future.exception()
        if exc is not None:
            event.fail(exc)
        else:
            event.succeed(future.result())

    def pool(self) -> ThreadPoolExecutor:
        with self.executor_lock:
            if self.closed:
                raise RuntimeError("the live world is closed")
            if self.executor is None:
                self.executor = ThreadPoolExecutor(self.workers, thread_name_prefix="twin-live")
            return self.executor

    # --- the loop -----------------------------------------------------------------------
    def schedule(self, event: Event, priority=NORMAL, delay=0) -> None:
        """simpy's schedule, noting the event (for the dormant-timer rule)."""
        super().schedule(event, priority, delay)
        self.scheduled.append(event)

    def deliver(self, fn: Callable, args: tuple) -> None:
        """An inbox item enters the schedule as a timer due now in real time (which moves the
        clock there when simpy processes it); the item runs as that timer's callback."""
        wake = self.timeout(max(self.elapsed() - self.now, 0.0))
        wake.callbacks.append(lambda _wake: fn(*args))

    def drain(self) -> None:
        while True:
            try:
                fn, args = self.inbox.get_nowait()
            except queue.Empty:
                return
            self.deliver(fn, args)

    def wait_until_due(self) -> None:
        """Block until the head of the schedule is due, taking inbox items in as they come."""
        while True:
            self.drain()
            head = self.peek()
            now = self.elapsed()
            if head <= now:
                return
            if self.outstanding <= 0 and self.only_dormant_timers():
                raise EmptySchedule()
            wait = MAX_SLEEP_S if head == Infinity else min(head - now, MAX_SLEEP_S)
            try:
                fn, args = self.inbox.get(timeout=max(wait, 0.0))
            except queue.Empty:
                continue
            self.deliver(fn, args)

    def only_dormant_timers(self) -> bool:
        """True when nothing scheduled can affect anything: every event still to be processed is
        a successful one nobody waits for (e.g. the timer of a `within` whose event came first)."""
        self.scheduled = [event for event in self.scheduled if event.callbacks is not None]
        return all(event.callbacks == [] and event.ok for event in self.scheduled)

    def step(self) -> None:
        """Process the next event once it is due in real time (simpy's own step, on a real clock)."""
        self.wait_until_due()
        super().step()

    def run(self, until=None):
        """simpy's run on real time. Ctrl-C shuts the executor down and propagates."""
        try:
            return super().run(until)
        except KeyboardInterrupt:
            self.shutdown(wait=False)
            raise

    # --- lifetime -----------------------------------------------------------------------
    def on_close(self, fn: Callable[[], Any]) -> None:
        """Register a cleanup (servers, sessions) to run at `close`, last registered first."""
        self.closers.append(fn)

    def shutdown(self, wait: bool = False) -> None:
        """Stop accepting blocking calls; cancel queued ones; optionally wait for running ones."""
        with self.executor_lock:
            self.closed = True
            executor, self.executor = self.executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)

    def close(self, wait: bool = True) -> None:
        """Run the registered cleanups and shut the executor down. Idempotent."""
        closers, self.closers = self.closers[::-1], []
        errors = []
        for fn in closers:
            try:
                fn()
            except Exception as exc:  # keep closing the rest; report the first afterwards
                errors.append(exc)
        self.shutdown(wait=wait)
        if errors:
            raise errors[0]

    def __enter__(self) -> LiveEnvironment:
        return self

    def __exit__(self, *exc) -> None:
        self.close(wait=exc[0] is None)


def make_live_world(seed: int, recorder=None, hardware_factory=None, workers: int = DEFAULT_WORKERS) -> World:
    """A World on real time. `hardware_factory(world)` builds its hardware (e.g. LiveHardware),
    which needs the world for its environment and recorder; `world.env.close()` (or using the
    environment as a context manager) stops the hardware's servers and the thread pool."""
    if recorder is None:
        from twin.record.recorder import Recorder

        recorder = Recorder()
    world = World(LiveEnvironment(workers=workers), Streams(seed), recorder)
    if hardware_factory is not None:
        world.hardware = hardware_factory(world)
    return world
