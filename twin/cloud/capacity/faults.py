"""The scenario's `faults:` in a capacity run: compute nodes that stop are Nova hosts that fail.

Rules:
- The faults vocabulary (twin/faults) applies them, scheduled or stochastic, with its repair
  crews and operator steps, to `ComputeTargets`: a node_crash, graceful_shutdown or power_loss
  of a compute node is `NovaCloud.host_failed`; the operator bringing it back (reboot, power on;
  after a power loss the BIOS keeps it off until then, as Helion requires) is `host_recovered`.
  A capacity run has no simulated hardware, so the operator's power-on acts at once, once the
  repair time (and, after a power loss, operator_response_s) has passed.
- Nova hosts keep their inventory names; a fault may name a node by its inventory name or its
  Helion name (compute0...), and reaches it either way (`inventory_named`).
- Faults of other kinds, and faults on nodes that are not compute hosts, do not change compute
  capacity in this model and are left out (`ignored_faults` says which, for a warning).
"""
from __future__ import annotations

from twin.faults.injector import FaultInjector
from twin.faults.validate import fault_targets, inventory_named

HOST_KINDS = ("node_crash", "graceful_shutdown", "power_loss")


class ComputeTargets:
    """FaultTargets over the Nova model's hosts (see module docstring)."""

    def __init__(self, cloud):
        self.cloud = cloud

    def _fail(self, node: str, cause: str) -> None:
        if node in self.cloud.by_name:
            self.cloud.host_failed(node, cause)

    def crash(self, node: str, cause: str) -> None:
        self._fail(node, cause)

    def shutdown(self, node: str, cause: str) -> None:
        self._fail(node, cause)

    def power_loss(self, node: str, cause: str) -> None:
        self._fail(node, cause)

    def power_restore(self, node: str, cause: str) -> None:
        """Mains back: the node stays off until the operator powers it on."""

    def restart(self, node: str, cause: str) -> None:
        if node in self.cloud.by_name:
            self.cloud.host_recovered(node, cause)

    def up(self, node: str) -> bool:
        host = self.cloud.by_name.get(node)
        return host is None or host.service_up

    def has_bmc(self, node: str) -> bool:
        return False  # no simulated hardware here: the operator's power-on is `restart`

    # kinds that do not change compute capacity in this model (left out before they get here)
    def _nothing(self, *args) -> None:
        pass

    bmc_hang = bmc_release = nic_down = nic_up = service_stop = service_start = _nothing
    disk_fail = disk_replace = partition = heal = _nothing


def _compute(sc, cloud) -> list:
    return [f for f in sc.faults if f.kind in HOST_KINDS]


def ignored_faults(sc, inventory, host_names: set[str]) -> list[tuple[int, str]]:
    """(index, why) of each fault a capacity run leaves out."""
    out = []
    nodes = inventory.active
    sc = inventory_named(sc, nodes)
    for i, f in enumerate(sc.faults):
        if f.kind not in HOST_KINDS:
            out.append((i, f"{f.kind} does not change compute capacity in a capacity run (left out); "
                           f"node_crash, graceful_shutdown and power_loss of compute hosts do"))
            continue
        try:
            targets = fault_targets(f, nodes, sc.failure_domains)
        except Exception:
            continue  # reported by the faults' own checks
        if targets and not any(t in host_names for t in targets):
            out.append((i, "none of its nodes is a compute host of this run (left out)"))
    return out


def wire_host_faults(world, sc, cloud, inventory) -> int:
    """Start the faults that stop compute hosts; returns how many fault units run."""
    sc = inventory_named(sc, inventory.active)  # the hosts keep their inventory names
    faults = _compute(sc, cloud)
    if not faults:
        return 0
    injector = FaultInjector(world, faults, inventory.active, sc.failure_domains, ComputeTargets(cloud),
                             sc.timing, sc.operations, sc.ironic_release)
    return injector.start()
