"""What each fault kind does to a world, as data: the action when it starts and the steps when
it ends (its `for_s` is over, or its repair is done), and the interface a world offers faults.

Rules:
- `FaultTargets` is what a world implements so that faults can be applied to it: simulated
  hardware now (twin/sim/ops.py), the live lab's guests through their BMCs (power faults).
  Each method acts at once and says why (`cause`) so that the consequences can name it.
- End steps are names: a FaultTargets method (the world undoes the fault: mains back, NIC up,
  a service restarted) or an `operator_*` action (twin/faults/repair.py: someone powers the
  node on or reboots it through its BMC, or redeploys it through the undercloud), which takes
  time on the World clock and goes through the same ports in both worlds.
- A power loss ends when the mains are back; a BIOS that stays off after power loss (Helion's
  requirement) keeps the node off until the operator powers it on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Effect:
    start: str  # FaultTargets method: (node, cause), (node, service, cause) or (key, sides, cause)
    end: tuple[str, ...]  # FaultTargets methods and operator_* actions, in order
    per_node: bool = True  # partition: one effect on a set of sides


EFFECTS: dict[str, Effect] = {
    "node_crash": Effect("crash", ("operator_reboot",)),
    "graceful_shutdown": Effect("shutdown", ("operator_power_on",)),
    "power_loss": Effect("power_loss", ("power_restore", "operator_power_on_if_off")),
    "bmc_hang": Effect("bmc_hang", ("bmc_release",)),
    "bmc_no_answer": Effect("bmc_hang", ("bmc_release",)),
    "nic_down": Effect("nic_down", ("nic_up",)),
    "service_crash": Effect("service_stop", ("service_start",)),
    "disk_failure": Effect("disk_fail", ("disk_replace", "operator_redeploy")),
    "partition": Effect("partition", ("heal",), per_node=False),
}


class FaultTargets(Protocol):
    """A world's side of fault injection (every method takes effect at once)."""

    def crash(self, node: str, cause: str) -> None: ...

    def shutdown(self, node: str, cause: str) -> None:
        """Graceful: services leave their clusters, then the OS powers the node off."""

    def power_loss(self, node: str, cause: str) -> None: ...

    def power_restore(self, node: str, cause: str) -> None: ...

    def bmc_hang(self, node: str, cause: str) -> None: ...

    def bmc_release(self, node: str, cause: str) -> None: ...

    def nic_down(self, node: str, cause: str) -> None: ...

    def nic_up(self, node: str, cause: str) -> None: ...

    def service_stop(self, node: str, service: str, cause: str) -> None: ...

    def service_start(self, node: str, service: str, cause: str) -> None: ...

    def disk_fail(self, node: str, cause: str) -> None: ...

    def disk_replace(self, node: str, cause: str) -> None: ...

    def partition(self, key: str, sides: list[list[str]], cause: str) -> None: ...

    def heal(self, key: str, cause: str) -> None: ...

    def up(self, node: str) -> bool: ...

    def has_bmc(self, node: str) -> bool:
        """False for a pseudo-node (the seed VM), which the operator restarts with `restart`."""

    def restart(self, node: str, cause: str) -> None:
        """Bring a node without a BMC back (the seed VM restarted on its host)."""
