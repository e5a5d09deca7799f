"""Operations on live hardware: the HA model's liveness from real power states read through the
BMCs, and power faults applied through the BMCs (a drill on the lab's guests). The live world's
`Liveness` (twin/cloud/ha/liveness.py) and `FaultTargets` (twin/faults/effects.py), mirroring the
simulated world's twin/sim/ops.py.

Rules:
- Every BMC command goes through the node's one conductor in the world (twin/workflows/power.py
  `conductor`): the poller's reads, the fault's power off and the operator's power on share the
  minimum command interval and the one bound on a call (`ipmi_call_timeout_s`).
- `BmcLiveness`: a node is up while its BMC reports power on. Every `poll_s` every node's power
  state is probed at once (one power-status read per node, spaced by its conductor, never
  retried); a BMC that does not answer leaves the node as last seen. Any power-state read of the
  node's conductor counts, not only the poller's (the conductor's own polls after a power
  command too). The live world has no partitions, NIC or service faults: nodes that are up reach
  each other and run their services. A change is recorded (NodeLiveness) with the fault that was
  applied to the node, if any, as its cause.
- `BmcTargets`: a crash, a graceful shutdown and a power loss are a chassis power off through the
  node's BMC (spaced, retried, polled), the closest a lab guest or a remote server gets to losing
  its OS or its mains; the mains coming back changes nothing (a BIOS that stays off after power
  loss), and the operator powers the node on through its BMC (twin/faults/repair.py), as in the
  simulated world. Other kinds cannot be applied to live nodes and are refused before the run
  (the run kind's `live_problems`, twin/runs/operations.py).
- Nothing here needs a live world: on a SimWorld the same classes drive simulated BMCs (which is
  how the command interval across a drill is tested without a lab).
"""
from __future__ import annotations

from twin.errors import BmcError, TwinError
from twin.faults.validate import LIVE_KINDS
from twin.kernel.watchers import Watchers
from twin.record.events import NodeLiveness
from twin.workflows.power import conductor

POLL_S = 1.0  # how often the live liveness asks every BMC for its power state (spaced per BMC)


class BmcLiveness(Watchers):
    def __init__(self, world, nodes, timing, poll_s: float = POLL_S, initial: dict[str, bool] | None = None):
        super().__init__()
        self.world, self.timing, self.poll_s = world, timing, poll_s
        self.nodes = {n.name: n for n in nodes}
        self._up = {name: bool((initial or {}).get(name, True)) for name in self.nodes}
        self.applied: dict[str, str] = {}  # node -> the label of the last fault applied to it
        self.polls = 0
        self.drivers = {}
        for name, node in self.nodes.items():
            driver = self.drivers[name] = conductor(world, node, timing)
            driver.observers.append(lambda state, name=name: self._seen(name, state))

    def start(self) -> None:
        self.world.process(self._poll_forever())

    def _poll_forever(self):
        world = self.world
        while True:
            yield world.all_of([world.process(d.probe_power_state()) for d in self.drivers.values()])
            self.polls += 1
            yield world.timeout(self.poll_s)

    def _seen(self, name: str, state: str) -> None:
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

    def _power_off(self, node: str, cause: str) -> None:
        self.liveness.applied[node] = cause
        self.world.process(self._off(node))

    def _off(self, node: str):
        try:
            yield from conductor(self.world, self.nodes[node], self.timing).set_power("off")
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

    def __getattr__(self, name):  # every other fault kind: refused before the run
        if name.startswith("__"):
            raise AttributeError(name)
        raise TwinError(f"the live world cannot apply '{name}' faults (only {', '.join(sorted(LIVE_KINDS))})")


def power_on_all(world, nodes, timing):
    """Power every node on through its conductor (concurrently); {node: up} as the BMCs then report."""
    def one(node):
        driver = conductor(world, node, timing)
        try:
            yield from driver.set_power("on")
            return (yield from driver.power_state()) == "on"
        except BmcError:
            return False

    procs = {n.name: world.process(one(n)) for n in nodes}
    yield world.all_of(procs.values())
    return {name: bool(p.value) for name, p in procs.items()}
