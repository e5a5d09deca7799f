"""The operator's side of a fault's end: power a node on, reboot it, redeploy it. Operator
logic written once: it goes through the node's one conductor in the world (twin/workflows/power.py
`conductor`, shared with the deployment and the drills) and the provisioning network, so it is
the same in the simulated world and on the live lab.

Rules:
- `operator_reboot` (a crashed node) and `operator_power_on` (after a graceful shutdown) act at
  once: the repair time already covered noticing and getting there.
- `operator_power_on_if_off` (after a power loss) first takes `operator_response_s` to notice,
  then asks the BMC and powers the node on only if it stayed off (a BIOS that stays off after
  power loss, as Helion requires; one that restarts by itself needs nothing).
- A BMC that does not answer is retried after `operator_response_s` (at least a minute) until
  it does: a node behind a hung BMC stays down.
- `operator_redeploy` (a replaced disk) waits until the node's deployer is up (the undercloud
  for overcloud nodes, the seed for the undercloud: their Ironic and DHCP), then rebuilds the
  node through Ironic (twin/workflows/node.py): tear-down (active -> deleting -> the release's
  ready state: Juno's NOSTATE, Kilo's available), then a deploy; a failed rebuild is retried
  after `operator_response_s`.
- A node without a BMC (the seed VM) is restarted directly.
"""
from __future__ import annotations

from twin.errors import BmcError
from twin.inventory.model import Role
from twin.record.events import FaultEdge
from twin.workflows import states
from twin.workflows.node import NodeTask
from twin.workflows.power import conductor

MIN_RETRY_S = 60.0


class Operator:
    def __init__(self, world, nodes, timing, operations, targets, ironic_release: str = "juno"):
        self.world, self.timing, self.ops, self.targets = world, timing, operations, targets
        self.release = states.release(ironic_release)
        self.nodes = {n.name: n for n in nodes}
        self.undercloud = next((n.name for n in nodes if n.role is Role.UNDERCLOUD), None)

    def run(self, step: str, node: str, cause: str):
        """Do one `operator_*` step (a generator to `yield from`)."""
        return getattr(self, step.removeprefix("operator_"))(node, cause)

    # --- steps -----------------------------------------------------------------------------
    def reboot(self, node: str, cause: str):
        yield from self._power(node, "reboot", cause)

    def power_on(self, node: str, cause: str):
        yield from self._power(node, "on", cause)

    def power_on_if_off(self, node: str, cause: str):
        yield self.world.timeout(self.ops.operator_response_s)
        if not self.targets.has_bmc(node):
            if not self.targets.up(node):
                self.targets.restart(node, cause)
            return
        state = yield from self._bmc(node, cause, lambda d: d.power_state())
        if state == "off":
            yield from self._power(node, "on", cause)

    def redeploy(self, node: str, cause: str):
        world = self.world
        # the undercloud is deployed by the seed's Ironic, every other node by the undercloud's
        server = "seed" if node == self.undercloud else self.undercloud
        while True:
            while server is not None and not self.targets.up(server):
                yield world.timeout(self._retry_s)  # no Ironic, no DHCP: nothing can PXE-boot
            task = NodeTask(world, self.nodes[node], self.timing, "seed" if server == "seed" else "undercloud",
                            self.release)
            task.adopt(states.ACTIVE, f"rebuild: {cause}")  # a deployed node, torn down and deployed again
            task.state.fire("delete", "disk replaced")
            task.state.fire("done")
            if (yield from task.deploy()):
                return
            yield world.timeout(self._retry_s)

    # --- helpers ---------------------------------------------------------------------------
    @property
    def _retry_s(self) -> float:
        return max(self.ops.operator_response_s, MIN_RETRY_S)

    def _power(self, node: str, wanted: str, cause: str):
        if not self.targets.has_bmc(node):
            self.targets.restart(node, cause)
            return
        yield from self._bmc(node, cause, lambda d: d.set_power(wanted))

    def _bmc(self, node: str, cause: str, command):
        driver = conductor(self.world, self.nodes[node], self.timing)
        while True:
            try:
                return (yield from command(driver))
            except BmcError as e:
                self.world.record(FaultEdge(node, "operator_retry", e.reason, cause))
                yield self.world.timeout(self._retry_s)
