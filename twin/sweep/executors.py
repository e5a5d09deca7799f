"""Where a sweep's tasks run: in this process, on local worker processes, or on a Dask cluster.

Rules: one small interface, so the sweep loop is the same for all three: `submit(fn, arg)`
returns a future (concurrent.futures or distributed: both have done(), cancelled(), result(),
cancel() and add_done_callback()), `slots` says how many tasks run at once, and
`close(cancel=...)` stops it: cancel=True (Ctrl-C, a failed task) drops queued tasks and stops
the workers without waiting for running ones. Local workers ignore SIGINT: Ctrl-C is the
parent's to handle; and each exits as soon as the `twin` process that started it is gone, even
killed with SIGKILL (tasks.warm_up), after which the fork server and the resource tracker, kept
alive only by their clients, exit too. Local worker processes start from a fork server (not by
forking a parent that may run threads, such as a Dask client's or the progress bar's).
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os

from twin.sweep.spec import SweepError


class InlineExecutor:
    """Runs each task in this process when it is submitted (`--workers 1`)."""

    slots = 1
    label = "in-process"

    def submit(self, fn, arg):
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(arg))
        except Exception as e:  # KeyboardInterrupt passes: the sweep loop handles it
            future.set_exception(e)
        return future

    def close(self, cancel: bool = False) -> None:
        pass


class ProcessExecutor:
    """`workers` local worker processes (concurrent.futures.ProcessPoolExecutor)."""

    def __init__(self, workers: int):
        from twin.sweep.tasks import RUNNER, warm_up

        ctx = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                                          else "spawn")
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload(["twin.sweep.tasks", RUNNER])
        self.slots = workers
        self.label = f"{workers} local worker processes"
        self._pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=warm_up,
                                            initargs=(os.getpid(),))
        try:  # start every worker now (the pool would start them on demand): the ETA then counts tasks only
            for f in [self._pool.submit(os.getpid) for _ in range(workers)]:
                f.result()
        except BaseException:
            self.close(cancel=True)
            raise

    def submit(self, fn, arg):
        return self._pool.submit(fn, arg)

    def close(self, cancel: bool = False) -> None:
        if not cancel:
            self._pool.shutdown(wait=True)
            return
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:  # running tasks are abandoned: a resume redoes them
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)


class DaskExecutor:
    """An existing Dask distributed cluster, through its scheduler's address (`--scheduler`)."""

    def __init__(self, address: str, timeout_s: float = 10.0):
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - a dependency of the package
            raise SweepError("--scheduler needs the 'distributed' package (pip install 'dask[distributed]')") from None
        try:
            self._client = Client(address, timeout=f"{timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise SweepError(f"--scheduler {address}: cannot reach the Dask scheduler ({type(e).__name__}: "
                             f"{str(e).splitlines()[0] if str(e) else 'no answer'})") from None
        self.slots = max(1, sum(self._client.nthreads().values()))
        self.label = f"Dask cluster {address} ({self.slots} worker threads)"

    def submit(self, fn, arg):
        return self._client.submit(fn, arg, pure=False)

    def close(self, cancel: bool = False) -> None:
        self._client.close()


def make_executor(workers: int = 1, scheduler: str | None = None):
    if scheduler:
        return DaskExecutor(scheduler)
    if workers <= 1:
        return InlineExecutor()
    return ProcessExecutor(workers)


def max_local_workers() -> int:
    """The most local worker processes a sweep starts: 4 per CPU."""
    return 4 * default_workers()


def default_workers() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
