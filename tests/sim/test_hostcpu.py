"""A lab host's CPU shared by its guests' boots (twin/sim/hostcpu.py): processor sharing checked
against closed-form finish times, a cut boot freeing the CPU, and a model without a shared host
left exactly as it was."""
import pytest
import simpy

from twin.kernel.world import Interrupt
from twin.runs import Scenario, simulate
from twin.sim.hostcpu import HostCpu, cpu_work


class World:  # the two things cpu_work needs of a world
    def __init__(self):
        self.env = simpy.Environment()

    def timeout(self, s):
        return self.env.timeout(s)


def finish_times(capacity, jobs, cut=None):
    """Finish time of each (start, work) job; `cut` = (job, at): that job is interrupted then."""
    world = World()
    cpu = HostCpu(world.env, capacity) if capacity else None
    done, procs = {}, {}

    def job(i, start, work):
        yield world.env.timeout(start)
        try:
            yield from cpu_work(world, cpu, work)
            done[i] = world.env.now
        except Interrupt:
            done[i] = None

    for i, (start, work) in enumerate(jobs):
        procs[i] = world.env.process(job(i, start, work))
    if cut is not None:
        def cutter():
            yield world.env.timeout(cut[1])
            procs[cut[0]].interrupt("power")
        world.env.process(cutter())
    world.env.run()
    return [done[i] for i in range(len(jobs))]


def test_a_guest_alone_boots_at_its_own_speed():
    assert finish_times(1.5, [(0, 10.0)]) == pytest.approx([10.0])


def test_n_guests_at_once_each_take_n_over_capacity_times_longer():
    assert finish_times(1.5, [(0, 10.0)] * 5) == pytest.approx([10.0 * 5 / 1.5] * 5)
    assert finish_times(2.0, [(0, 10.0)] * 2) == pytest.approx([10.0, 10.0])  # enough for both


def test_a_guest_that_joins_late_slows_the_others_from_then_on():
    # capacity 1: a alone 0..4 (4 s done), then a and b at half speed: a's last 6 s take 12 s
    # (ends 16), b has done 6 of its 8 s then and finishes its last 2 s alone (ends 18)
    assert finish_times(1.0, [(0, 10.0), (4, 8.0)]) == pytest.approx([16.0, 18.0])


def test_a_boot_cut_short_stops_taking_the_cpu():
    # capacity 1, two 10 s boots from 0: each at half speed; b is powered off at 4 s (2 s done),
    # a has 8 s left alone: ends at 12 instead of 20
    assert finish_times(1.0, [(0, 10.0), (0, 10.0)], cut=(1, 4.0)) == pytest.approx([12.0, None])


def test_without_a_shared_host_a_boot_is_its_duration_whatever_runs_beside_it():
    assert finish_times(None, [(0, 10.0)] * 5) == [10.0] * 5


def _lab(capacity):
    timing = {"post_s": 3, "ramdisk_boot_s": 10, "os_boot_s": 10, "dhcp_s": 0.5, "image_write_overhead_s": 1,
              "seed_install_s": 0, "undercloud_configure_s": 0, "overcloud_control_configure_s": 0,
              "overcloud_compute_configure_s": 0, "register_s": 0, "lab_host_capacity": capacity}
    return Scenario(name="lab", inventory={"generate": {"undercloud": 1, "control": 3, "compute": 2}}, timing=timing,
                    network={"image_gib": 0.01, "deploy_ramdisk_mib": 9, "nic_gbps": 0.1, "management_gbps": 0.2})


def _boots(result):
    ev = result.events
    return ev[ev.kind == "boot"][["time_s", "subject", "name"]].reset_index(drop=True)


def test_a_host_with_room_for_every_guest_changes_no_boot():
    from twin.inventory import generate_from_spec

    inv = generate_from_spec({"undercloud": 1, "control": 3, "compute": 2})
    alone, roomy = simulate(_lab(None), inv, 1), simulate(_lab(6.0), inv, 1)
    a, b = _boots(alone), _boots(roomy)
    assert list(a.name) == list(b.name) and list(a.subject) == list(b.subject)
    assert a.time_s.to_numpy() == pytest.approx(b.time_s.to_numpy(), abs=1e-6)


def test_a_crowded_host_works_without_pause_through_the_overcloud_controls_boots():
    """Capacity 1: while any ramdisk boots, the host does one guest-second of work per second, so
    the five control-phase ramdisks (3 controllers, 2 Swift nodes, 10 s each) that come up within a
    second of each other all call back exactly 50 s after the first started: the host's work
    is conserved, however it was shared."""
    from twin.inventory import generate_from_spec

    inv = generate_from_spec({"undercloud": 1, "control": 3, "compute": 2})
    ev = simulate(_lab(1.0), inv, 1).events
    boot = ev[ev.kind == "boot"]
    loaded = boot[boot.name == "ramdisk_loaded"].groupby("subject").time_s.first()
    called = boot[boot.name == "deploy_callback"].groupby("subject").time_s.first()
    phase = [n for n in loaded.index if n.startswith(("controller", "swift"))]
    assert len(phase) == 5
    assert called[phase].max() - loaded[phase].min() == pytest.approx(50.0)
    assert called["undercloud"] - loaded["undercloud"] == pytest.approx(10.0)  # alone: its own speed
