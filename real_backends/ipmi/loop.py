"""The one thread that talks to pyghmi: every pyghmi call of the process runs here.

Why: pyghmi (1.6.x) keeps its sessions in process-wide tables guarded by two global locks that
it takes in opposite orders from different code paths (`send_payload` holds the keep-alive lock
and then takes the waiting-sessions lock; `wait_for_rsp` -> `_timedout` -> `_mark_broken` does
the reverse), and its synchronous calls wait inside one another's packet processing. Called from
a thread pool, it can deadlock or wait for ever (real_backends/lab/README.md, "The IPMI client and threads"). Called
from one thread, with its asynchronous interface (`onlogon=`, `raw_command(callback=)`), its
locks are only ever taken by that thread and pyghmi's own I/O thread (which takes neither), so
neither can happen, while commands to different BMCs still proceed at once.

Rules of this file:
- `IPMI_LOOP.submit(op)` is the only way in, from any thread. `op.start()` runs on the loop
  thread; the op then advances from pyghmi callbacks and `later()` timers, all on the loop
  thread, and ends by calling `op.finish(value)` or `op.fail(exc)` (which complete `op.future`).
- Every op has a deadline (monotonic). An op still running at its deadline is `expire()`d by the
  loop: a bound that holds whatever the BMC or pyghmi does, since pyghmi itself may keep
  retrying a login or a command past it.
- The loop pumps pyghmi (`Session.wait_for_rsp`) every POLL_S while ops run and every IDLE_S
  while only sessions stay open (keep-alives), and blocks on its queue when pyghmi was never used.
- An exception escaping pyghmi's shared loop is logged (debug) and does not stop the thread.
- The thread is a daemon and one per process (pyghmi's state is per process).
"""
from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from concurrent.futures import Future

log = logging.getLogger(__name__)

POLL_S = 0.01
IDLE_S = 0.2


class Op:
    """One request carried out on the loop thread. Subclasses implement `start` and may
    override `expire`; they end with `finish` or `fail`."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.future: Future = Future()
        self.future.set_running_or_notify_cancel()

    @property
    def done(self) -> bool:
        return self.future.done()

    def start(self) -> None:
        raise NotImplementedError

    def expire(self) -> None:
        self.fail(TimeoutError("deadline passed"))

    def finish(self, value=None) -> None:
        if not self.future.done():
            self.future.set_result(value)

    def fail(self, exc: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(exc)


class IpmiLoop:
    def __init__(self):
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._ops: list[Op] = []
        self._timers: list = []
        self._seq = itertools.count()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self.pyghmi_started = False  # set by ops once a pyghmi session exists

    # --- any thread -----------------------------------------------------------------------
    def submit(self, op: Op) -> Future:
        with self._guard:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="twin-ipmi-io", daemon=True)
                self._thread.start()
        self._inbox.put(op)
        return op.future

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    # --- loop thread ----------------------------------------------------------------------
    def later(self, delay_s: float, fn) -> None:
        """Run `fn()` on the loop thread after `delay_s` seconds (loop thread only)."""
        heapq.heappush(self._timers, (time.monotonic() + delay_s, next(self._seq), fn))

    def _guarded(self, op: Op, fn) -> None:
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - an op's failure is its own, never the loop's
            op.fail(exc)

    def _run(self) -> None:
        from pyghmi.ipmi.private.session import Session

        while True:
            wait = POLL_S if (self._ops or self._timers) else (IDLE_S if self.pyghmi_started else None)
            if not self.pyghmi_started:
                try:
                    item = self._inbox.get(timeout=wait if wait is not None else 1.0)
                    self._inbox.put(item)
                except queue.Empty:
                    pass
            while True:
                try:
                    op = self._inbox.get_nowait()
                except queue.Empty:
                    break
                self._ops.append(op)
                self._guarded(op, op.start)
            now = time.monotonic()
            while self._timers and self._timers[0][0] <= now:
                _, _, fn = heapq.heappop(self._timers)
                try:
                    fn()
                except BaseException:  # noqa: BLE001
                    log.debug("ipmi loop: a timer failed", exc_info=True)
            for op in list(self._ops):
                if not op.done and now >= op.deadline:
                    self._guarded(op, op.expire)
                    op.fail(TimeoutError("deadline passed"))
            self._ops = [op for op in self._ops if not op.done]
            if self.pyghmi_started:
                try:
                    Session.wait_for_rsp(timeout=wait if wait is not None else IDLE_S)
                except Exception:  # noqa: BLE001 - pyghmi's shared loop must not kill ours
                    log.debug("ipmi loop: pyghmi raised in its event loop", exc_info=True)


#: The process's one pyghmi thread.
IPMI_LOOP = IpmiLoop()
