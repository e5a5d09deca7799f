"""The live lab, for real: libvirt guests under QEMU/TCG, virtualbmc BMCs on 127.0.0.1, PXE over
QEMU user-mode networking to the boot endpoint, pyghmi against the BMCs, ipmitool as an
independent witness. No mocks. Every test leaves the machine as it found it."""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from twin.errors import BmcError
from twin.kernel.live import make_live_world
from twin.kernel.ports import BootDevice, PowerAction
from twin.record.recorder import Recorder

from real_backends.hardware import LiveHardware
from real_backends.ipmi.client import IpmiClient, IpmiOptions
from real_backends.lab import Lab, LabError
from real_backends.lab import cli as lab_cli

pytestmark = pytest.mark.live
REPO = Path(__file__).resolve().parents[2]


# --- helpers ---------------------------------------------------------------------------------
def guests() -> list[str]:
    out = subprocess.run(["virsh", "-c", "qemu:///system", "list", "--all", "--name"],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def listening_ports() -> set[int]:
    out = subprocess.run(["ss", "-lntuH"], capture_output=True, text=True, check=True, timeout=30).stdout
    ports = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 5:
            ports.add(int(fields[4].rsplit(":", 1)[1]))
    return ports


def bmc_processes(lab_dir: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"real_backends.lab.bmcd" in args and any(str(lab_dir).encode() in a for a in args):
                found.append(int(entry.name))
    return found


def password_of(lab: Lab) -> str:
    return json.loads((lab.dir / "secrets.json").read_text())["password"]


def run_ipmitool(tool: str, lab: Lab, port: int, *args: str) -> tuple[str, float]:
    start = time.monotonic()
    out = subprocess.run([tool, "-I", "lanplus", "-H", "127.0.0.1", "-p", str(port), "-U", "admin",
                          "-E", *args], env=dict(os.environ, IPMI_PASSWORD=password_of(lab)),
                         capture_output=True, text=True, timeout=30)
    elapsed = time.monotonic() - start
    assert out.returncode == 0, out.stderr
    return out.stdout.strip(), elapsed


def assert_gone(lab: Lab, ports: set[int]) -> None:
    prefix = f"twin-{lab.name}-"
    assert [g for g in guests() if g.startswith(prefix)] == []
    assert bmc_processes(lab.dir) == []
    assert not (ports & listening_ports()), f"still listening: {ports & listening_ports()}"
    assert not lab.dir.exists()
    assert not lab.registry.exists()


def world_for(lab: Lab, **kwargs):
    return make_live_world(3, Recorder(), lambda w: LiveHardware.for_lab(w, lab.dir, **kwargs))


# --- the lab itself --------------------------------------------------------------------------
def test_up_makes_the_lab_and_is_idempotent(lab, capsys):
    first = lab.status()
    assert [n["name"] for n in first["nodes"]] == [f"twin-{lab.name}-{i}" for i in range(3)]
    assert all(n["bmc_running"] and n["power"] == "off" for n in first["nodes"])
    assert set(guests()) >= {n["name"] for n in first["nodes"]}
    bmc_ports = {int(n["bmc"].rsplit(":", 1)[1]) for n in first["nodes"]}
    assert len(bmc_ports) == 3 and bmc_ports <= listening_ports()
    pids = sorted(bmc_processes(lab.dir))
    assert len(pids) == 3

    again = lab.up(3)  # up twice = the same lab
    assert again == first
    assert sorted(bmc_processes(lab.dir)) == pids

    inv_path = lab.dir / "instackenv.json"
    assert stat.S_IMODE(inv_path.stat().st_mode) == 0o600
    inv = json.loads(inv_path.read_text())["nodes"]
    assert [(n["pm_type"], n["pm_addr"], n["pm_user"]) for n in inv] == [("pxe_ipmitool", "127.0.0.1", "admin")] * 3
    assert {n["pm_port"] for n in inv} == bmc_ports
    assert all(n["pm_password"] == password_of(lab) for n in inv)
    assert [n["mac"][0] for n in inv] == [n["mac"] for n in first["nodes"]]
    assert all({"cpu", "memory", "disk", "name", "arch"} <= set(n) for n in inv)
    assert not (lab.dir / "baremetal.csv").exists()  # cannot carry BMC ports: see README
    lab_json = json.loads((lab.dir / "lab.json").read_text())
    assert lab_json["boot_port"] == lab.boot_port

    # The CLI shows the same lab; no password anywhere in its output or in lab.json.
    parser = argparse.ArgumentParser()
    lab_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["lab", "status", "--name", lab.name])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert all(n["name"] in out for n in first["nodes"])
    assert all(f"127.0.0.1:{p}" in out for p in bmc_ports)
    secret = password_of(lab)
    assert secret not in out and secret not in (lab.dir / "lab.json").read_text()
    for log in (lab.dir / "logs").iterdir():
        assert secret not in log.read_text(errors="replace")


def test_ipmitool_agrees_with_the_pyghmi_client(lab, ipmitool):
    nodes = lab.nodes()
    clients = [IpmiClient(n.name, n.bmc) for n in nodes]
    try:
        for node, client in zip(nodes, clients):
            text, _ = run_ipmitool(ipmitool, lab, node.bmc.port, "power", "status")
            assert text == f"Chassis Power is {client.power_state()}"
        node, client = nodes[0], clients[0]
        assert client.cipher_suite == 3  # auto mode fell back from 17 (virtualbmc answers SHA1)
        # Boot device while off (virtualbmc reads a running guest's live definition, which only
        # changes at the next boot).
        client.set_boot_device("disk", persistent=True)
        bootparam, _ = run_ipmitool(ipmitool, lab, node.bmc.port, "chassis", "bootparam", "get", "5")
        assert "Force Boot from default Hard-Drive" in bootparam
        client.set_boot_device("pxe", persistent=False)
        bootparam, _ = run_ipmitool(ipmitool, lab, node.bmc.port, "chassis", "bootparam", "get", "5")
        assert "Force PXE" in bootparam
        client.power("on")
        assert run_ipmitool(ipmitool, lab, node.bmc.port, "power", "status")[0] == "Chassis Power is on"
        assert client.power_state() == "on"
        run_ipmitool(ipmitool, lab, node.bmc.port, "power", "off")
        assert client.power_state() == "off"
        # Round trips (reported, generously bounded): pyghmi on a warm session vs ipmitool.
        start = time.monotonic()
        for _ in range(20):
            client.power_state()
        ours = (time.monotonic() - start) / 20
        theirs = sum(run_ipmitool(ipmitool, lab, node.bmc.port, "power", "status")[1] for _ in range(5)) / 5
        print(f"\nIPMI power status round trip: pyghmi client {ours * 1000:.1f} ms, ipmitool {theirs * 1000:.1f} ms")
        assert ours < 1.0
    finally:
        for client in clients:
            client.power("off")
            client.close()


def test_cipher_suite_is_configurable(lab):
    node = lab.nodes()[2]
    with IpmiClient(node.name, node.bmc, IpmiOptions(cipher_suite=3)) as forced3:
        assert forced3.power_state() == "off" and forced3.cipher_suite == 3
    # Forcing 17 against a SHA1-only BMC is the stock pyghmi failure, reported as such.
    with IpmiClient(node.name, node.bmc, IpmiOptions(cipher_suite=17)) as forced17, \
            pytest.raises(BmcError) as info:
        forced17.power_state()
    assert info.value.reason == "protocol" and "cipher suite" in str(info.value)
    assert password_of(lab) not in str(info.value)
    with pytest.raises(ValueError):
        IpmiOptions(cipher_suite=1)


def test_pxe_boot_through_the_bmc_reaches_the_boot_endpoint(lab):
    """The lab deploy path: one-time PXE + power on through IPMI -> iPXE fetches its script ->
    deploy callback; image write switches the MAC to local boot; power cycle -> local-boot
    callback; power off. Two nodes at once."""
    nodes = lab.nodes()[:2]
    world = world_for(lab, nodes=nodes)
    timings = {}

    def deploy(node):
        bmc = world.bmc(node)
        deploy_cb = world.boot.expect(node, "deploy")
        yield bmc.set_boot_device(BootDevice.PXE, False)
        start = world.now
        yield bmc.power(PowerAction.ON)
        info = yield from world.within(deploy_cb, 120)
        timings[node.name] = world.now - start
        assert info["mac"] == node.mac and info["agent"].startswith("iPXE")
        yield world.boot.write_image(node)
        local_cb = world.boot.expect(node, "local_boot")
        yield bmc.set_boot_device(BootDevice.DISK, True)
        yield bmc.power(PowerAction.CYCLE)
        yield from world.within(local_cb, 120)
        yield bmc.power(PowerAction.OFF)
        return (yield bmc.power_state())

    try:
        procs = [world.process(deploy(n)) for n in nodes]
        world.run(until=world.all_of(procs))
        assert [p.value for p in procs] == ["off", "off"]
    finally:
        world.env.close()
        for n in nodes:
            with IpmiClient(n.name, n.bmc) as client:
                client.power("off")
    print(f"\npower-on to deploy callback: {', '.join(f'{k} {v:.1f} s' for k, v in timings.items())}")
    boot = [(r.subject, r.name) for r in world.recorder.frame().itertuples() if r.kind == "boot"]
    for n in nodes:
        for stage in ("deploy_callback", "image_written", "local_boot_callback"):
            assert (n.name, stage) in boot
    assert all(r[1] != "rogue_node" for r in boot)


def test_wrong_credentials_name_node_and_address_and_never_the_password(lab):
    node = lab.nodes()[1]
    wrong = "Wr0ng-" + password_of(lab)[::-1]
    bad = dataclasses.replace(node, bmc=dataclasses.replace(node.bmc, password=SecretStr(wrong)))
    world = world_for(lab, nodes=[bad])

    def flow():
        try:
            yield world.bmc(bad).power_state()
        except BmcError as exc:
            return exc

    try:
        exc = world.run(until=world.process(flow()))
    finally:
        world.env.close()
    assert isinstance(exc, BmcError) and exc.reason == "credentials"
    text = str(exc)
    assert node.name in text and f"127.0.0.1:{node.bmc.port}" in text
    assert wrong not in text and password_of(lab) not in text
    assert wrong not in repr(exc.args) and wrong not in exc.detail


def test_unknown_user_is_a_credentials_error_within_the_bound(lab):
    """virtualbmc ignores RAKP1 for an unknown user (a real BMC answers "unauthorized name");
    pyghmi alone would retry that login for ever and hold the BMC."""
    node = lab.nodes()[1]
    bad = dataclasses.replace(node, bmc=dataclasses.replace(node.bmc, user="nobody"))
    world = world_for(lab, nodes=[bad], ipmi=IpmiOptions(timeout_s=6.0))

    def flow():
        start = world.now
        try:
            yield world.bmc(bad).power_state()
        except BmcError as exc:
            return exc, world.now - start

    try:
        exc, elapsed = world.run(until=world.process(flow()))
    finally:
        world.env.close()
    assert exc.reason == "credentials" and "'nobody'" in str(exc) and node.name in str(exc), str(exc)
    assert elapsed < 6.0
    assert password_of(lab) not in str(exc)
    # The BMC is free again for the right user at once.
    with IpmiClient(node.name, node.bmc) as client:
        assert client.power_state() == "off"


def test_unreachable_bmc_times_out_within_its_bound(lab):
    """The one bound on a command is the conductor's `ipmi_call_timeout_s` (ports do not bound),
    and the IPMI client's own give-up time comes from the same figure (LiveHardware `timing`)."""
    from twin.scenario.schema import Timing
    from twin.workflows.power import conductor

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # a UDP port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    node = lab.nodes()[2]
    dead = dataclasses.replace(node, bmc=dataclasses.replace(node.bmc, port=closed))
    timing = Timing(ipmi_call_timeout_s=2.0, ipmi_retry_timeout_s=1.0)  # one attempt
    world = world_for(lab, nodes=[dead], timing=timing)
    driver = conductor(world, dead, timing)

    def flow():
        start = world.now
        try:
            yield from driver.set_power("on")
        except BmcError as exc:
            return exc, world.now - start

    try:
        exc, elapsed = world.run(until=world.process(flow()))
    finally:
        world.env.close(wait=False)
    assert exc.reason in ("timeout", "unreachable")
    assert elapsed <= 3.5, elapsed
    assert exc.reason != "timeout" or elapsed >= 1.9, elapsed
    assert f"127.0.0.1:{closed}" in str(exc) and dead.name in str(exc)


def test_libvirt_power_for_vm_nodes(lab):
    """Helion's VM power management: the same port contract straight through libvirt."""
    from twin.inventory.model import PowerKind

    node = lab.nodes()[2]
    vm = dataclasses.replace(node, name="vm-node", bmc=dataclasses.replace(node.bmc, kind=PowerKind.VM))
    world = world_for(lab, nodes=[vm])

    def flow():
        bmc = world.bmc(vm)
        yield bmc.set_boot_device(BootDevice.PXE, True)
        yield bmc.power(PowerAction.ON)
        on = yield bmc.power_state()
        yield bmc.power(PowerAction.OFF)
        off = yield bmc.power_state()
        return on, off, type(bmc).__name__

    try:
        assert world.run(until=world.process(flow())) == ("on", "off", "LibvirtBmcPort")
    finally:
        world.env.close()


# --- down, crashes and user errors -------------------------------------------------------------
def test_down_leaves_no_guest_bmc_port_or_file(fresh_lab):
    lab = fresh_lab("dn")
    status = lab.up(2)
    ports = {int(n["bmc"].rsplit(":", 1)[1]) for n in status["nodes"]}
    assert ports <= listening_ports()
    removed = lab.down()
    assert len(removed["guests"]) == 2 and len(removed["bmc_processes"]) == 2
    assert_gone(lab, ports)
    assert lab.down() == {"guests": [], "bmc_processes": [], "files": []}  # down twice is fine


@pytest.mark.parametrize("crash_at", ["guest:0", "bmc:1"])
def test_down_cleans_a_lab_whose_up_crashed_half_way(fresh_lab, crash_at):
    lab = fresh_lab("cr")
    env = dict(os.environ, TWIN_LAB_CRASH_AT=crash_at, TWIN_LAB_ROOT=str(lab.root))
    proc = subprocess.run([sys.executable, "-m", "real_backends.lab.cli", "up", "--nodes", "3", "--name", lab.name],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 86, proc.stderr  # died at the crash point, no cleanup of its own
    state = json.loads(lab.state_path.read_text())
    made = [g for g in guests() if g.startswith(f"twin-{lab.name}-")]
    assert made, "the crash left nothing to clean: the test would prove nothing"
    ports = {n["bmc_port"] for n in state["nodes"] if n.get("bmc_port")}
    if crash_at.startswith("bmc"):
        assert bmc_processes(lab.dir)
    Lab(lab.name, root=lab.root).down()  # a new Lab object: found through the registry
    assert_gone(lab, ports)


def test_user_errors_are_one_line_twin_errors(fresh_lab, capsys):
    import libvirt

    lab = fresh_lab("ue")
    parser = argparse.ArgumentParser()
    lab_cli.register(parser.add_subparsers(dest="command"))

    args = parser.parse_args(["lab", "up", "--nodes", "0", "--name", lab.name])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "1..250" in err

    with pytest.raises(LabError, match="lab name"):
        Lab("Bad Name!")

    # A busy boot port.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        with pytest.raises(LabError, match=f"{busy}/tcp is already in use"):
            lab.up(1, boot_port=busy)
    lab.down()

    # A name clash with a domain that is not the lab's.
    conn = libvirt.open("qemu:///system")
    foreign = f"twin-{lab.name}-0"
    conn.defineXML(f"<domain type='qemu'><name>{foreign}</name><memory unit='MiB'>64</memory>"
                   "<os><type arch='x86_64'>hvm</type></os></domain>")
    try:
        args = parser.parse_args(["lab", "up", "--nodes", "1", "--name", lab.name])
        assert args.func(args) == 1
        err = capsys.readouterr().err
        assert "name clash" in err and err.count("\n") == 1
        assert foreign in guests()
        lab.down()
        assert foreign in guests()  # down never touches a domain that is not the lab's
    finally:
        conn.lookupByName(foreign).undefine()
        conn.close()
