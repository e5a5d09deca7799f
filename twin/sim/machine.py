"""A simulated bare-metal server: power, BIOS boot order, one-time and persistent boot device,
and the boot itself (POST, then PXE or disk).

Rules:
- Power on starts a boot; power off stops whatever the machine was doing; a reset reboots.
- The BIOS tries its boot order (network first, as Helion requires); a one-time boot device
  set through the BMC is tried first on the next boot only, a persistent one on every boot.
- PXE is the provisioning network's business (twin/sim/pxe.py): it may time out, and then the
  BIOS falls through to the disk; a disk without an image is "no bootable device".
- `stay_off_after_power_loss` is the BIOS setting Helion requires (no automatic restart).
- The OS's boot from disk is CPU work: on a lab's shared host it slows with the guests booting
  at once (twin/sim/hostcpu.py).
- Operations (twin/sim/ops.py): `os_running` is true from a disk boot's end until the machine is
  powered off, reset, crashes or loses its disk; every change of it is told to `watchers`
  (callables). Without mains power (`power_loss`) the machine is off and ignores power-on until
  `power_restored`; a machine whose BIOS stays off after power loss then stays off.
"""
from __future__ import annotations

from twin.kernel.ports import BootDevice, PowerAction
from twin.kernel.world import Interrupt
from twin.record.events import BootStage, PowerChanged
from twin.sim.hostcpu import cpu_work


class SimMachine:
    def __init__(self, world, node, timing, provisioning, nic_bps, host_cpu=None):
        self.world, self.node, self.timing = world, node, timing
        self.host_cpu = host_cpu  # a lab host's shared CPU (twin/sim/hostcpu.py), or None
        self.provisioning = provisioning
        self._nic_bps = nic_bps
        self._rng = world.rng("machine")
        self.power = "off"
        self.boot_order = (BootDevice.PXE, BootDevice.DISK)
        self.stay_off_after_power_loss = True
        self.one_time_boot: BootDevice | None = None
        self.persistent_boot: BootDevice | None = None
        self.disk_image = False
        self.in_ramdisk = False
        self._booting = None
        self.os_running = False
        self.mains = True
        self.watchers: list = []

    def nic_bps(self) -> float:
        slow = self.provisioning.faults.active(self.node.name, "slow_nic", self.world.now)
        return slow.rate_mbps * 1e6 if slow else self._nic_bps

    # --- what the BMC does to the machine -----------------------------------------------
    def apply_power(self, action: PowerAction) -> None:
        if not self.mains:
            return  # no power at the wall: the BMC's command changes nothing
        if action is PowerAction.OFF:
            self._off()
        elif action is PowerAction.ON:
            if self.power == "off":
                self._on()
        elif action is PowerAction.CYCLE:
            self._off()
            self._on()
        elif action is PowerAction.RESET and self.power == "on":
            self._stop_boot()
            self._booting = self.world.process(self._boot())

    def set_boot_device(self, device: BootDevice, persistent: bool) -> None:
        if persistent:
            self.persistent_boot, self.one_time_boot = device, None
        else:
            self.one_time_boot = device

    # --- the machine's own behaviour ----------------------------------------------------
    def _on(self) -> None:
        self.power = "on"
        self.world.record(PowerChanged(self.node.name, "on"))
        self._booting = self.world.process(self._boot())

    def _off(self) -> None:
        if self.power == "on":
            self._stop_boot()
            self.power = "off"
            self.world.record(PowerChanged(self.node.name, "off"))

    def _stop_boot(self) -> None:
        self.in_ramdisk = False
        self._set_os(False)
        if self._booting is not None and self._booting.is_alive:
            self._booting.interrupt("power")
        self._booting = None

    def _boot_sequence(self) -> list[BootDevice]:
        first = self.one_time_boot or self.persistent_boot
        self.one_time_boot = None
        order = list(self.boot_order)
        if first is not None:
            order.remove(first)
            order.insert(0, first)
        return order

    def _boot(self):
        world, name = self.world, self.node.name
        try:
            yield world.timeout(self.timing.post_s.sample(self._rng))
            world.record(BootStage(name, "post"))
            for device in self._boot_sequence():
                if device is BootDevice.PXE:
                    if (yield from self.provisioning.netboot(self)):
                        self.in_ramdisk = True
                        return
                elif self.disk_image:
                    yield from cpu_work(world, self.host_cpu, self.timing.os_boot_s.sample(self._rng))
                    world.record(BootStage(name, "os_booted"))
                    self._set_os(True)
                    self.provisioning.os_booted(self)
                    return
            world.record(BootStage(name, "no_boot_device"))
        except Interrupt:
            pass

    # --- operations: an already-deployed machine, and what faults do to it ---------------
    def deployed(self) -> None:
        """Start as a deployed node of a running cloud: on, image on disk, OS up (no boot)."""
        self.power, self.disk_image, self.persistent_boot = "on", True, BootDevice.DISK
        self._set_os(True)

    def crash(self) -> None:
        """The OS dies (kernel panic, hang); the power stays on until someone resets it."""
        if self._booting is not None and self._booting.is_alive:
            self._booting.interrupt("crash")
        self._booting = None
        self.in_ramdisk = False
        self._set_os(False)

    def power_loss(self) -> None:
        self.mains = False
        self._off()

    def power_restored(self) -> None:
        """Mains power is back: a BIOS set to stay off stays off; otherwise the machine boots."""
        self.mains = True
        if not self.stay_off_after_power_loss:
            self._on()

    def disk_failure(self) -> None:
        """The disk is gone: the OS dies with it and the image is lost (a redeploy brings it back)."""
        self.disk_image = False
        self.crash()

    def _set_os(self, running: bool) -> None:
        if running != self.os_running:
            self.os_running = running
            for watch in self.watchers:
                watch(self)
