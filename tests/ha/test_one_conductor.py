"""One conductor per BMC per world: the deployment, the operator's repairs, a drill's fault targets
and the liveness poller command a BMC through one driver, so Ironic's minimum command interval
holds across all of them. The drill runs the live adapters (real_backends/ops.py) on a SimWorld:
the BMCs are simulated, the poller, the fault targets and the operator are the live drill's."""
import pytest
from opstest_helpers import build

from real_backends.ops import BmcLiveness, BmcTargets
from twin.runs.operations import operate
from twin.faults.validate import helion_named
from twin.kernel.sim import make_sim_world
from twin.record.recorder import Recorder
from twin.faults.spec import Fault as F
from twin.sim.hardware import SimHardware
from twin.workflows.power import PowerDriver, conductor

INTERVAL_S = 5.0


def bmc_starts(events):
    """{node: sorted start times of its BMC commands} (BmcCall is stamped at its end; value = latency)."""
    calls = events[events.kind == "bmc"]
    starts = calls.time_s - calls.value
    return {node: sorted(starts[calls.subject == node]) for node in calls.subject.unique()}


def live_drill_on_sim(faults, duration_s, seed=1):
    sc, inventory = build(faults, duration_s=duration_s, operations={"operator_response_s": 20},
                          timing={"ipmi_min_command_interval_s": INTERVAL_S})
    sc, nodes, _ = helion_named(sc, inventory.active)
    world = make_sim_world(seed, Recorder(), lambda w: SimHardware(w, nodes, sc.timing, sc.network, sc.faults))
    for machine in world.hardware.machines.values():
        machine.deployed()
    liveness = BmcLiveness(world, nodes, sc.timing, poll_s=1.0)
    targets = BmcTargets(world, liveness, nodes, sc.timing)
    liveness.start()
    return operate(world, sc, nodes, liveness, targets, seed, "sim"), world


@pytest.fixture(scope="module")
def drill():
    return live_drill_on_sim([F(kind="power_loss", node="controller0", at_s=100, for_s=60),
                              F(kind="node_crash", node="controller1", at_s=103, for_s=30),
                              F(kind="graceful_shutdown", node="compute0", at_s=101.5, for_s=10)], 400)


def test_every_bmc_keeps_the_minimum_interval_across_poller_faults_and_operator(drill):
    result, world = drill
    starts = bmc_starts(result.events)
    assert set(starts) == set(world.hardware.machines)  # every node's BMC was polled
    for node, times in starts.items():
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert min(gaps) >= INTERVAL_S - 1e-9, (node, min(gaps))


def test_the_drill_really_shared_the_bmcs(drill):
    """Not a vacuous pass: the poller, the fault's power off and the operator's power on all
    commanded controller0, and commands had to wait for each other's slots."""
    result, _ = drill
    ev = result.events
    calls = ev[(ev.kind == "bmc") & (ev.subject == "controller0")]
    assert {"power_status", "power_off", "power_on"} <= set(calls.name)
    gaps = [b - a for a, b in zip(bmc_starts(ev)["controller0"], bmc_starts(ev)["controller0"][1:])]
    assert sum(1 for g in gaps if g == pytest.approx(INTERVAL_S)) > 10  # spaced by the interval, not by chance
    live = ev[(ev.kind == "liveness") & (ev.subject == "controller0")]
    assert list(live.name) == ["down", "up"]
    down, up = live.time_s.tolist()
    assert 100 < down <= 100 + 3 * INTERVAL_S and up >= 160 + 20  # the mains back, then the operator


def test_the_liveness_learns_from_every_power_read_of_the_conductor(drill):
    result, world = drill
    ev = result.events
    off = ev[(ev.kind == "bmc") & (ev.subject == "controller1") & (ev.name == "power_off")].time_s.iloc[0]
    first_read_after = ev[(ev.kind == "bmc") & (ev.subject == "controller1") & (ev.name == "power_status")
                          & (ev.time_s > off)].time_s.iloc[0]
    down = ev[(ev.kind == "liveness") & (ev.subject == "controller1") & (ev.name == "down")].time_s.iloc[0]
    assert down == first_read_after
    assert set(world.conductors) == {n for n in bmc_starts(ev)}


def test_same_seed_same_drill():
    a, _ = live_drill_on_sim([F(kind="power_loss", node="controller0", at_s=50, for_s=30)], 200, seed=3)
    b, _ = live_drill_on_sim([F(kind="power_loss", node="controller0", at_s=50, for_s=30)], 200, seed=3)
    assert a.events.equals(b.events)


def test_one_driver_per_node_per_world_and_concurrent_users_queue_for_slots(deployed_world):
    world, node, timing = deployed_world
    driver = conductor(world, node, timing)
    assert conductor(world, node, timing) is driver and world.conductors[node.name] is driver
    with pytest.raises(ValueError, match="one timing"):
        conductor(world, node, timing.model_copy(update={"ipmi_min_command_interval_s": 1.0}))
    for _ in range(3):  # three users at the same instant
        world.process(driver.power_state())
    world.run()
    starts = bmc_starts(world.recorder.frame())[node.name]
    assert starts == [0.0, INTERVAL_S, 2 * INTERVAL_S]


def test_a_driver_outside_the_world_table_is_not_shared(deployed_world):
    world, node, timing = deployed_world
    assert PowerDriver(world, node, timing) is not conductor(world, node, timing)


@pytest.fixture
def deployed_world():
    from twin.inventory import generate_inventory
    from twin.scenario.schema import Network, Timing

    node = generate_inventory({"compute": 1}).active[-1]
    timing = Timing(ipmi_min_command_interval_s=INTERVAL_S)
    world = make_sim_world(3, hardware_factory=lambda w: SimHardware(w, [node], timing, Network()))
    return world, node, timing
