"""Faults on simulated hardware, and the liveness the HA model reads from it: the simulated
world's `FaultTargets` (twin/faults/effects.py) and `Liveness` (twin/cloud/ha/liveness.py),
mirrored on live hardware by real_backends/ops.py. It imports no service model.

Rules:
- Node faults act on the SimMachine: a crash kills the OS (power stays on), a power loss cuts
  the mains (the BIOS decides what happens when they return), a graceful shutdown powers off
  after the node's services said goodbye, a disk failure kills the OS and loses the image.
- A node is up while its machine's OS runs; every change of that, of a NIC, a partition, a
  service or a disk is recorded (NodeLiveness for nodes) and told to the watchers with its cause.
- A NIC that is down or a hung BMC is also a condition in the hardware's FaultBook, so the PXE
  and BMC models feel it; overlapping faults are counted (both must end).
- The seed VM is a pseudo-node (not in the inventory, no BMC): it is up or down, and while it is
  down the undercloud cannot PXE-boot (SimProvisioning.seed_up).
"""
from __future__ import annotations

from twin.kernel.ports import PowerAction
from twin.kernel.watchers import Watchers
from twin.record.events import NodeLiveness

PSEUDO_NODES = ("seed",)


class SimTargets(Watchers):
    def __init__(self, world, hardware):
        super().__init__()
        self.world, self.hw = world, hardware
        self.machines = hardware.machines
        self.book = hardware.faults
        self.pseudo_up = {name: True for name in PSEUDO_NODES}
        self._nic_down: dict[str, int] = {}
        self._stopped: dict[tuple[str, str], int] = {}
        self._partitions: dict[str, dict[str, int]] = {}
        self._graceful: set[str] = set()
        self._disk_bad: set[str] = set()
        self._last_cause: dict[str, str] = {}
        for machine in self.machines.values():
            machine.watchers.append(self._os_changed)

    def start_deployed(self) -> None:
        """Every machine as a deployed node of a running cloud (operations runs start so)."""
        watchers, self._watchers = self._watchers, []
        self._cause = "deployed and running at the start"
        try:
            for machine in self.machines.values():
                machine.deployed()
        finally:
            self._watchers, self._cause = watchers, ""

    # --- Liveness -------------------------------------------------------------------------
    def up(self, node: str) -> bool:
        machine = self.machines.get(node)
        return machine.os_running if machine is not None else self.pseudo_up.get(node, False)

    def running(self, node: str, service: str) -> bool:
        return self.up(node) and not self._stopped.get((node, service))

    def reachable(self, a: str, b: str) -> bool:
        if not (self.up(a) and self.up(b)):
            return False
        if a == b:
            return True
        if self._nic_down and (a in self._nic_down or b in self._nic_down):
            return False
        for sides in self._partitions.values():
            sa, sb = sides.get(a), sides.get(b)
            if sa is not None and sb is not None and sa != sb:
                return False
        return True

    def client_reachable(self, node: str) -> bool:
        return self.up(node) and node not in self._nic_down

    def graceful(self, node: str) -> bool:
        return node in self._graceful

    def disk_ok(self, node: str) -> bool:
        return node not in self._disk_bad

    # --- FaultTargets ---------------------------------------------------------------------
    def has_bmc(self, node: str) -> bool:
        return node in self.machines

    def crash(self, node: str, cause: str) -> None:
        self._act(node, cause, lambda m: m.crash())

    def shutdown(self, node: str, cause: str) -> None:
        if self.up(node):
            self._graceful.add(node)
        self._act(node, cause, lambda m: m.apply_power(PowerAction.OFF))

    def power_loss(self, node: str, cause: str) -> None:
        self._act(node, cause, lambda m: m.power_loss())

    def power_restore(self, node: str, cause: str) -> None:
        self._act(node, cause, lambda m: m.power_restored(), pseudo_up=None)

    def restart(self, node: str, cause: str) -> None:
        self._act(node, cause, lambda m: m.apply_power(PowerAction.ON), pseudo_up=True)

    def bmc_hang(self, node: str, cause: str) -> None:
        self.book.set_condition(node, "bmc_hang", True)

    def bmc_release(self, node: str, cause: str) -> None:
        self.book.set_condition(node, "bmc_hang", False)

    def nic_down(self, node: str, cause: str) -> None:
        self._nic_down[node] = self._nic_down.get(node, 0) + 1
        self.book.set_condition(node, "nic_down", True)
        self.changed(cause)

    def nic_up(self, node: str, cause: str) -> None:
        left = self._nic_down.get(node, 0) - 1
        if left > 0:
            self._nic_down[node] = left
        else:
            self._nic_down.pop(node, None)
        self.book.set_condition(node, "nic_down", False)
        self.changed(cause)

    def service_stop(self, node: str, service: str, cause: str) -> None:
        self._stopped[(node, service)] = self._stopped.get((node, service), 0) + 1
        self.changed(cause)

    def service_start(self, node: str, service: str, cause: str) -> None:
        left = self._stopped.get((node, service), 0) - 1
        if left > 0:
            self._stopped[(node, service)] = left
        else:
            self._stopped.pop((node, service), None)
        self.changed(cause)

    def disk_fail(self, node: str, cause: str) -> None:
        self._disk_bad.add(node)
        self._act(node, cause, lambda m: m.disk_failure())
        self.changed(cause)

    def disk_replace(self, node: str, cause: str) -> None:
        self._disk_bad.discard(node)  # a new, empty disk: the image comes back with a redeploy
        self.changed(cause)

    def partition(self, key: str, sides: list[list[str]], cause: str) -> None:
        self._partitions[key] = {name: i for i, side in enumerate(sides) for name in side}
        self.changed(cause)

    def heal(self, key: str, cause: str) -> None:
        self._partitions.pop(key, None)
        self.changed(cause)

    # --- internals ------------------------------------------------------------------------
    def _act(self, node: str, cause: str, on_machine, pseudo_up: bool | None = False) -> None:
        self._last_cause[node] = cause
        machine = self.machines.get(node)
        if machine is None:
            if pseudo_up is not None and self.pseudo_up.get(node) != pseudo_up:
                self.pseudo_up[node] = pseudo_up
                if node == "seed":
                    self.hw.boot.seed_up = pseudo_up
                self.world.record(NodeLiveness(node, "up" if pseudo_up else "down", cause))
                self.changed(cause)
            return
        self._cause = cause
        try:
            on_machine(machine)
        finally:
            self._cause = ""

    _cause = ""

    def _os_changed(self, machine) -> None:
        name = machine.node.name
        running = machine.os_running
        if self._cause:
            cause = self._cause
        elif running:
            last = self._last_cause.get(name)
            cause = f"{name} booted" + (f" (after {last})" if last else "")
        else:
            cause = f"{name} went down"
        if running:
            self._graceful.discard(name)
        self.world.record(NodeLiveness(name, "up" if running else "down", cause))
        self.changed(cause)
