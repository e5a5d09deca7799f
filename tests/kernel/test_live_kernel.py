"""The live World's engine on real time: concurrency of blocking calls, timers at the right wall
time, failures, interrupts and World.within. No lab needed (plain threads and sleeps), so these
run everywhere; tolerances are generous because this is not a benchmark."""
from __future__ import annotations

import ast
import inspect
import os
import sys
import threading
import time

import pytest
import simpy

import twin.kernel.live
from twin.kernel.live import LiveEnvironment, make_live_world
from twin.kernel.world import Interrupt, WaitTimeout
from twin.record.recorder import Recorder


class Boom(Exception):
    pass


def test_forty_blocking_calls_run_concurrently():
    with LiveEnvironment(workers=64) as env:
        threads = set()

        def slow(i):
            threads.add(threading.current_thread().name)
            time.sleep(0.5)
            return i * 2

        def node(i):
            return (yield env.call_blocking(slow, i))

        procs = [env.process(node(i)) for i in range(40)]
        start = time.monotonic()
        env.run(until=env.all_of(procs))
        wall = time.monotonic() - start
        assert [p.value for p in procs] == [i * 2 for i in range(40)]
        assert wall < 3.0, f"40 x 0.5 s took {wall:.2f} s: calls did not overlap"
        assert wall >= 0.45
        assert len(threads) >= 30
        assert threading.current_thread().name not in threads


def test_timeouts_fire_at_real_time_and_clock_is_monotonic():
    with LiveEnvironment() as env:
        seen = []

        def sleeper(delay):
            yield env.timeout(delay)
            seen.append((delay, env.now, env.elapsed()))

        for d in (0.6, 0.2, 0.4):
            env.process(sleeper(d))
        start = time.monotonic()
        env.run()
        wall = time.monotonic() - start
        assert [d for d, _, _ in seen] == [0.2, 0.4, 0.6]
        for delay, now, real in seen:
            assert delay <= now <= delay + 0.25
            assert abs(now - real) < 0.25
        assert 0.55 <= wall < 1.5
        times = [now for _, now, _ in seen]
        assert times == sorted(times)


def test_run_until_a_time():
    with LiveEnvironment() as env:
        start = time.monotonic()
        env.run(until=0.3)
        assert 0.25 <= time.monotonic() - start < 1.0
        assert env.now == pytest.approx(0.3, abs=0.1)


def test_failing_blocking_call_raises_in_the_waiting_process():
    with LiveEnvironment() as env:
        def fails():
            time.sleep(0.05)
            raise Boom("backend said no")

        def waiter():
            try:
                yield env.call_blocking(fails)
            except Boom as exc:
                return f"caught {exc}"

        proc = env.process(waiter())
        assert env.run(until=proc) == "caught backend said no"


def test_unhandled_failure_crashes_the_run_like_simpy():
    with LiveEnvironment() as env:
        def fails():
            raise Boom("nobody waits for me")

        env.call_blocking(fails)
        with pytest.raises(Boom):
            env.run()


def test_any_of_all_of_and_interrupt_mean_what_they_mean_in_simpy():
    with LiveEnvironment() as env:
        log = []

        def slow():
            time.sleep(0.3)
            return "slow"

        def racer():
            fast = env.timeout(0.1, "timer")
            call = env.call_blocking(slow)
            first = yield fast | call
            log.append(("any", list(first.values())))
            both = yield env.all_of([call, env.timeout(0.05, "t2")])
            log.append(("all", sorted(str(v) for v in both.values())))

        def victim():
            try:
                yield env.timeout(10)
            except Interrupt as irq:
                log.append(("interrupted", irq.cause, round(env.now, 1)))

        def attacker(proc):
            yield env.timeout(0.2)
            proc.interrupt("drill")

        r = env.process(racer())
        v = env.process(victim())
        env.process(attacker(v))
        start = time.monotonic()
        env.run(until=env.all_of([r, v]))  # as in simpy, the abandoned 10 s timer stays scheduled
        assert time.monotonic() - start < 2.0
        assert ("any", ["timer"]) in log
        assert ("all", ["slow", "t2"]) in log
        assert ("interrupted", "drill", 0.2) in log


@pytest.mark.slow  # > 0.8 s: left out of `make test-fast`
def test_world_within_works_live():
    world = make_live_world(7, Recorder())
    env = world.env
    try:
        def slow(delay):
            time.sleep(delay)
            return delay

        def flow():
            got = yield from world.within(env.call_blocking(slow, 0.1), timeout_s=2.0)
            try:
                yield from world.within(env.call_blocking(slow, 1.0), timeout_s=0.2)
            except WaitTimeout:
                return got, "timed out", round(world.now, 1)

        proc = world.process(flow())
        assert world.run(until=proc) == (0.1, "timed out", 0.3)
    finally:
        env.close()


def test_external_event_triggered_from_another_thread():
    with LiveEnvironment() as env:
        ev = env.external_event()

        def other_thread():
            time.sleep(0.2)
            env.post(env.trigger_external, ev, {"from": "http"})

        threading.Thread(target=other_thread, daemon=True).start()

        def waiter():
            return (yield ev)

        proc = env.process(waiter())
        # Nothing is scheduled while we wait: the armed external event keeps the loop waiting.
        assert env.run(until=proc) == {"from": "http"}
        assert 0.15 <= env.now < 1.0


def test_empty_schedule_with_nothing_outstanding_is_simpy_deadlock():
    with LiveEnvironment() as env:
        never = env.event()

        def waiter():
            yield never

        proc = env.process(waiter())
        with pytest.raises(RuntimeError, match="No scheduled events left"):
            env.run(until=proc)


def test_keyboard_interrupt_shuts_the_executor_down_and_propagates():
    env = LiveEnvironment()

    def ctrl_c():
        raise KeyboardInterrupt

    def flow():
        yield env.timeout(0.05)
        ctrl_c()

    env.call_blocking(time.sleep, 5)  # a call still running when Ctrl-C arrives
    env.process(flow())
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        env.run()
    assert time.monotonic() - start < 1.0  # did not wait for the 5 s call
    with pytest.raises(RuntimeError, match="closed"):
        env.call_blocking(time.sleep, 0)
    env.close(wait=False)


def test_is_a_simpy_environment():
    env = LiveEnvironment()
    assert isinstance(env, simpy.Environment)
    env.close()


def test_run_does_not_sleep_through_timers_nobody_waits_for():
    with LiveEnvironment() as env:
        def flow():
            quick = env.call_blocking(time.sleep, 0.1)
            yield quick | env.timeout(1800)  # e.g. Ironic's deploy_callback_timeout, not needed
            return "done"

        proc = env.process(flow())
        start = time.monotonic()
        env.run()  # until nothing can happen any more
        assert proc.value == "done"
        assert time.monotonic() - start < 2.0
        assert 1799 < env.peek() < 1801  # the 1800 s timer is still scheduled, just not slept through


def test_the_live_kernel_uses_no_private_simpy_name():
    """Public simpy API only: no `._name` attribute anywhere in the module (the environment is a
    simpy object, so even its own state goes by public names), and no private simpy import."""
    tree = ast.parse(inspect.getsource(twin.kernel.live))
    private = sorted({f"line {node.lineno}: .{node.attr}" for node in ast.walk(tree)
                      if isinstance(node, ast.Attribute) and node.attr.startswith("_")
                      and not (node.attr.startswith("__") and node.attr.endswith("__"))})
    assert private == []
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith("simpy") for alias in node.names]
    assert imported and not [name for name in imported if name.startswith("_")]


def test_the_live_kernel_runs_on_an_environment_whose_private_state_is_out_of_reach():
    """The same kernel on top of a simpy Environment that refuses every private read or write
    from outside simpy's own code: a live run (timers, a blocking call, an external event) works."""
    class Guarded(LiveEnvironment):
        def __getattribute__(self, name):
            if name.startswith("_") and not name.startswith("__") and not _called_from_simpy():
                raise AssertionError(f"private simpy attribute {name} used outside simpy")
            return super().__getattribute__(name)

    with Guarded() as env:
        ev = env.external_event()

        def other_thread():
            time.sleep(0.05)
            env.post(env.trigger_external, ev, "posted")

        threading.Thread(target=other_thread, daemon=True).start()

        def flow():
            got = yield env.call_blocking(lambda: "called")
            yield env.timeout(0.05)
            return got, (yield ev)

        proc = env.process(flow())
        assert env.run(until=proc) == ("called", "posted")


def _called_from_simpy() -> bool:
    caller = sys._getframe(2).f_code.co_filename  # the frame that asked for the attribute
    return f"{os.sep}simpy{os.sep}" in caller
