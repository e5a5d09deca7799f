"""The conductor's power driver (Ironic ipmitool rules) against simulated BMCs."""

from twin.errors import BmcError
from twin.faults.spec import Fault
from twin.inventory import generate_inventory
from twin.kernel.ports import BootDevice
from twin.kernel.sim import make_sim_world
from twin.scenario.schema import Network, Timing
from twin.sim.hardware import SimHardware
from twin.workflows.power import PowerDriver, poll_sleeps


def world_with(faults=(), **timing):
    node = generate_inventory({"compute": 1}).active[-1]
    t = Timing(**timing)
    w = make_sim_world(3, hardware_factory=lambda w: SimHardware(w, [node], t, Network(), faults))
    return w, node, PowerDriver(w, node, t)


def run(w, gen):
    proc = w.process(gen)
    w.run()
    return proc


def bmc_calls(w):
    log = w.recorder.frame()
    return log[log.kind == "bmc"]


def test_poll_sleeps_are_ironics_1_1_4_9_16():
    gen = poll_sleeps()
    assert [next(gen) for _ in range(6)] == [1, 1, 4, 9, 16, 25]


def test_commands_to_one_bmc_keep_the_minimum_interval():
    w, node, drv = world_with(ipmi_min_command_interval_s=5.0, ipmi_latency_s=0.2)

    def body():
        for _ in range(4):
            yield from drv.power_state()

    run(w, body())
    calls = bmc_calls(w)
    starts = (calls.time_s - calls.value).tolist()  # recorded at completion; value = latency
    assert len(starts) == 4
    assert all(b - a >= 5.0 - 1e-9 for a, b in zip(starts, starts[1:]))


def test_power_on_polls_until_the_machine_is_on():
    w, node, drv = world_with(ipmi_min_command_interval_s=0.0, ipmi_latency_s=0.1)
    run(w, drv.set_power("on"))
    assert w.hardware.machines[node.name].power == "on"
    assert list(bmc_calls(w).name) == ["power_on", "power_status"]


def test_an_unanswering_bmc_is_retried_until_retry_timeout_then_fails_naming_node_and_address():
    w, node, drv = world_with([Fault(kind="bmc_no_answer", node="compute0")],
                              ipmi_call_timeout_s=10, ipmi_retry_timeout_s=60, ipmi_min_command_interval_s=0)
    proc = run(w, _catch(drv.power_state()))
    err = proc.value
    assert isinstance(err, BmcError) and err.reason == "timeout"
    assert node.name in str(err) and node.bmc.endpoint in str(err)
    calls = bmc_calls(w)
    assert set(calls.detail) == {"timeout"} and len(calls) >= 3  # retried, with back-off
    assert 60 <= w.now <= 60 + 10 + 10  # gave up once the retry budget was spent


def test_wrong_credentials_are_not_retried():
    w, node, drv = world_with([Fault(kind="bmc_wrong_credentials", node="compute0")])
    err = run(w, _catch(drv.power_state())).value
    assert isinstance(err, BmcError) and err.reason == "credentials"
    assert len(bmc_calls(w)) == 1
    assert "generated" not in str(err)  # the (generated) password is never in a message


def test_a_fault_window_that_ends_lets_the_retry_succeed():
    w, node, drv = world_with([Fault(kind="bmc_no_answer", node="compute0", for_s=15)],
                              ipmi_call_timeout_s=10, ipmi_min_command_interval_s=0)
    proc = run(w, drv.power_state())
    assert proc.value == "off"
    assert list(bmc_calls(w).detail) == ["timeout", "timeout", "ok"]


def test_one_time_and_persistent_boot_devices():
    w, node, drv = world_with(ipmi_min_command_interval_s=0)
    m = w.hardware.machines[node.name]

    def body():
        yield from drv.set_boot_device(BootDevice.DISK, persistent=True)
        yield from drv.set_boot_device(BootDevice.PXE, persistent=False)

    run(w, body())
    assert m._boot_sequence() == [BootDevice.PXE, BootDevice.DISK]  # the one-time device first...
    assert m._boot_sequence() == [BootDevice.DISK, BootDevice.PXE]  # ...once; then the persistent one
    assert m._boot_sequence() == [BootDevice.DISK, BootDevice.PXE]


def _catch(gen):
    try:
        yield from gen
    except BmcError as e:
        return e
