"""The simulated provisioning network as the conductor sees it (the kernel's BootPort): DHCP and
PXE for nodes being deployed, the deploy ramdisk's callback, the iSCSI image write, and the
deployed OS reporting in after a local boot.

Rules:
- DHCP answers only nodes the conductor is deploying (it armed them with `expect(node,
  "deploy")`), as Ironic's Neutron DHCP does; any other node, or one with a `pxe_timeout`
  fault, waits out the DHCP timeout and its BIOS moves on to the next boot device.
- Ramdisk download and image write go over the shared management network at the node's NIC
  speed at most (a `slow_nic` fault caps it). The ramdisk's boot is CPU work: on a lab's shared
  host it slows with the guests booting at once (twin/sim/hostcpu.py).
- A callback nobody expects is recorded and dropped (a rogue or late node).
- The DHCP server is a running node: the seed serves the undercloud, the undercloud serves the
  overcloud. While the undercloud is down (its OS not running), no overcloud node gets an offer,
  so none can PXE-boot: not for a deployment, not for a redeploy. A node whose NIC is down
  (`nic_down`) gets no offer either.
"""
from __future__ import annotations

from twin.errors import DeployError
from twin.inventory.model import Role
from twin.record.events import BootStage
from twin.sim.hostcpu import cpu_work

MIB, GIB = 1024**2, 1024**3


class SimProvisioning:
    def __init__(self, world, link, timing, network, faults, host_cpu=None):
        self.world, self.link, self.timing, self.network, self.faults = world, link, timing, network, faults
        self.host_cpu = host_cpu  # a lab host's shared CPU (twin/sim/hostcpu.py), or None
        self.machines: dict = {}
        self._rng = world.rng("pxe")
        self._expected: dict[tuple[str, str], object] = {}
        self._armed: set[str] = set()
        self.seed_up = True  # the seed VM (not an inventory node); SimTargets switches it
        self._undercloud = False  # the undercloud's machine, found on first use (None: there is none)

    # --- BootPort -----------------------------------------------------------------------
    def expect(self, node, stage: str):
        event = self.world.event()
        self._expected[(node.name, stage)] = event
        if stage == "deploy":
            self._armed.add(node.name)
        return event

    def write_image(self, node):
        return self.world.process(self._write_image(self.machines[node.name]))

    # --- what machines do on this network -----------------------------------------------
    def netboot(self, machine):
        """The PXE part of a boot; returns True when the deploy ramdisk is up and has called back."""
        world, name, timing = self.world, machine.node.name, self.timing
        server_down = self._dhcp_server_down(machine)
        if (name not in self._armed or server_down or self.faults.active(name, "pxe_timeout", world.now)
                or self.faults.active(name, "nic_down", world.now)):
            yield world.timeout(timing.dhcp_timeout_s)
            world.record(BootStage(name, "dhcp_timeout", f"no DHCP offer: {server_down}" if server_down
                                   else "no DHCP offer"))
            return False
        yield world.timeout(timing.dhcp_s.sample(self._rng))
        world.record(BootStage(name, "dhcp"))
        size = yield self.link.transfer(self.network.deploy_ramdisk_mib * MIB, machine.nic_bps())
        world.record(BootStage(name, "ramdisk_loaded", value=size))
        yield from cpu_work(world, self.host_cpu, timing.ramdisk_boot_s.sample(self._rng))
        self._callback(name, "deploy")
        return True

    def _dhcp_server_down(self, machine) -> str:
        """Why the DHCP server for this machine is not answering ("" when it is up)."""
        if machine.node.role is Role.UNDERCLOUD:
            return "" if self.seed_up else "the seed is down"
        if self._undercloud is False:
            self._undercloud = next((m for m in self.machines.values() if m.node.role is Role.UNDERCLOUD), None)
        if self._undercloud is not None and not self._undercloud.os_running:
            return "the undercloud is down"
        return ""

    def os_booted(self, machine) -> None:
        self._callback(machine.node.name, "local_boot")

    def _callback(self, name: str, stage: str) -> None:
        event = self._expected.pop((name, stage), None)
        self.world.record(BootStage(name, f"{stage}_callback", "" if event else "unexpected: dropped"))
        if event is not None and not event.triggered:
            event.succeed({"node": name, "stage": stage})

    def _write_image(self, machine):
        world, name = self.world, machine.node.name
        if not machine.in_ramdisk:
            raise DeployError(name, "image write: the node is not running the deploy ramdisk")
        yield world.timeout(self.timing.image_write_overhead_s.sample(self._rng))
        size = yield self.link.transfer(self.network.image_gib * GIB, machine.nic_bps())
        if not machine.in_ramdisk:
            raise DeployError(name, "image write: the node left the deploy ramdisk during the write")
        machine.disk_image = True
        self._armed.discard(name)
        world.record(BootStage(name, "image_written", value=size))
        return size
