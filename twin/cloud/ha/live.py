"""Operations on live hardware: the HA model fed by real node liveness (power states polled through
the BMCs), and power faults applied through the BMCs (a drill on the lab's guests).

Rules:
- `BmcLiveness` (the model's Liveness): a node is up while its BMC reports power on. Every
  `poll_s` every node's power state is asked at once (one IPMI power-status per node, bounded by
  `ipmi_call_timeout_s`); a BMC that does not answer leaves the node as last seen. The live world
  has no partitions, NIC or service faults: nodes that are up reach each other and run their
  services. A change is recorded (NodeLiveness) with the fault that was applied to the node, if
  any, as its cause.
- `BmcTargets` (FaultTargets): a crash, a graceful shutdown and a power loss are a chassis power
  off through the node's BMC (the conductor's power driver: spaced, retried, polled), the
  closest a lab guest or a remote server gets to losing its OS or its mains; the mains coming
  back changes nothing (a BIOS that stays off after power loss), and the operator powers the
  node on through its BMC (twin/faults/repair.py), as in the simulated world. Other kinds cannot
  be applied to live nodes and are refused before the run (`live_problems`).
- The lab's nodes take their Helion names (undercloud, controller0, ...; twin/faults/validate.py
  `helion_named`), as in a simulated operations run, so that a scenario written for the
  simulated cloud runs on the lab unchanged; the summary keeps the map (`live_nodes`).
- Before the clock starts, every node is powered on (an already-deployed cloud is running) in a
  world of its own; the drill's t = 0 is when they all are.
"""
from __future__ import annotations

from twin.cloud.ha.liveness import Watchers
from twin.errors import BmcError, TwinError
from twin.kernel.world import WaitTimeout
from twin.record.events import NodeLiveness
from twin.workflows.power import PowerDriver

#: Fault kinds a live world can apply (through the BMC's power control).
LIVE_KINDS = frozenset({"node_crash", "graceful_shutdown", "power_loss"})
POLL_S = 1.0  # how often the live liveness asks every BMC for its power state


class BmcLiveness(Watchers):
    def __init__(self, world, nodes, timing, poll_s: float = POLL_S, initial: dict[str, bool] | None = None):
        super().__init__()
        self.world, self.timing, self.poll_s = world, timing, poll_s
        self.nodes = {n.name: n for n in nodes}
        self._up = {name: bool((initial or {}).get(name, True)) for name in self.nodes}
        self.applied: dict[str, str] = {}  # node -> the label of the last fault applied to it
        self.polls = 0

    def start(self) -> None:
        self.world.process(self._poll_forever())

    def _poll_forever(self):
        world = self.world
        while True:
            yield world.all_of([world.process(self._poll(name)) for name in self.nodes])
            self.polls += 1
            yield world.timeout(self.poll_s)

    def _poll(self, name: str):
        port = self.world.bmc(self.nodes[name])
        try:
            state = yield from self.world.within(port.power_state(), self.timing.ipmi_call_timeout_s)
        except (BmcError, WaitTimeout):
            return  # not answering: the node stays as last seen
        up = state == "on"
        if up != self._up[name]:
            self._up[name] = up
            fault = self.applied.get(name, "")
            cause = fault if fault and not up else (f"{name} powered on" + (f" (after {fault})" if fault else "")
                                                    if up else f"{name} powered off")
            self.world.record(NodeLiveness(name, "up" if up else "down", cause))
            self.changed(cause)

    # --- Liveness ----------------------------------------------------------------------------
    def up(self, node: str) -> bool:
        return self._up.get(node, False)

    def running(self, node: str, service: str) -> bool:
        return self.up(node)

    def reachable(self, a: str, b: str) -> bool:
        return self.up(a) and self.up(b)

    def client_reachable(self, node: str) -> bool:
        return self.up(node)

    def graceful(self, node: str) -> bool:
        return False

    def disk_ok(self, node: str) -> bool:
        return True


class BmcTargets:
    """FaultTargets of a live world: power faults through the BMCs (module docstring)."""

    def __init__(self, world, liveness: BmcLiveness, nodes, timing):
        self.world, self.liveness, self.timing = world, liveness, timing
        self.nodes = {n.name: n for n in nodes}
        self._drivers: dict[str, PowerDriver] = {}

    def _power_off(self, node: str, cause: str) -> None:
        self.liveness.applied[node] = cause
        self.world.process(self._off(node, cause))

    def _off(self, node: str, cause: str):
        driver = self._drivers.get(node)
        if driver is None:
            driver = self._drivers[node] = PowerDriver(self.world, self.nodes[node], self.timing)
        try:
            yield from driver.set_power("off")
        except BmcError:
            pass  # recorded by the driver (BmcCall); the node stays as the liveness sees it

    crash = shutdown = power_loss = _power_off

    def power_restore(self, node: str, cause: str) -> None:
        """The mains are back: a BIOS that stays off after power loss does nothing."""

    def up(self, node: str) -> bool:
        return self.liveness.up(node)

    def has_bmc(self, node: str) -> bool:
        return True

    def restart(self, node: str, cause: str) -> None:
        raise TwinError(f"{node}: a live node is brought back through its BMC")

    def __getattr__(self, name):  # every other fault kind: refused before the run (live_problems)
        if name.startswith("__"):
            raise AttributeError(name)
        raise TwinError(f"the live world cannot apply '{name}' faults (only {', '.join(sorted(LIVE_KINDS))})")
