"""The World seam: bounded waits, defusing, random streams."""
import pytest

from twin.kernel import WaitTimeout
from twin.kernel.rng import Streams
from twin.kernel.sim import make_sim_world


def run(world, gen):
    proc = world.process(gen)
    world.run()
    return proc.value


def test_within_returns_the_value_when_the_event_comes_in_time():
    w = make_sim_world(1)

    def body():
        value = yield from w.within(w.timeout(3, "ok"), 5)
        return value, w.now

    assert run(w, body()) == ("ok", 3)


def test_within_raises_wait_timeout_at_the_bound():
    w = make_sim_world(1)

    def body():
        try:
            yield from w.within(w.event(), 7.5)
        except WaitTimeout:
            return w.now

    assert run(w, body()) == 7.5


def test_within_reraises_the_events_failure():
    w = make_sim_world(1)
    failing = w.event()
    failing.fail(ValueError("boom"))

    def body():
        with pytest.raises(ValueError, match="boom"):
            yield from w.within(failing, 5)
        return True

    assert run(w, body())


def test_a_late_failure_after_a_timeout_does_not_crash_the_run():
    w = make_sim_world(1)
    late = w.event()

    def fail_later():
        yield w.timeout(10)
        late.fail(RuntimeError("too late"))

    def body():
        with pytest.raises(WaitTimeout):
            yield from w.within(late, 1)
        return w.now

    w.process(fail_later())
    assert run(w, body()) == 1
    assert w.now == 10  # the run went on past the late failure


def test_streams_are_named_reproducible_and_independent():
    a, b = Streams(7), Streams(7)
    first = a.get("bmc").random(3).tolist()
    a.get("machine").random(100)  # drawing from another stream...
    b.get("machine")
    assert b.get("bmc").random(3).tolist() == first  # ...does not shift this one
    assert Streams(8).get("bmc").random(3).tolist() != first
    assert a.get("bmc") is a.get("bmc")


def test_an_interrupt_at_the_instant_the_bound_expires_wins_and_the_bound_leaves_no_stray_interrupt():
    """Someone interrupts a process waiting in `within` at the very instant its timer fires: the
    process gets that interrupt, handles it, and its next wait is not hit by the timer's."""
    import simpy

    from twin.kernel.rng import Streams
    from twin.kernel.world import Interrupt, World

    world = World(simpy.Environment(), Streams(1), recorder=None)
    seen = []

    def waiter():
        try:
            yield from world.within(world.event(), 5.0)
        except Interrupt as i:
            seen.append(("interrupted", i.cause, world.now))
        yield world.timeout(10)  # the next wait: must run to its end
        seen.append(("slept", world.now))

    procs = {}

    def boss():
        yield world.timeout(5.0)  # scheduled before the waiter's bound: processed first at t = 5
        procs["waiter"].interrupt("heat stack timeout")

    world.process(boss())
    procs["waiter"] = world.process(waiter())
    world.run()
    assert seen == [("interrupted", "heat stack timeout", 5.0), ("slept", 15.0)]
