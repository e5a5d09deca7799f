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
- Day-2 actions (twin/cloud/day2/runner.py) act through the same targets: `disk_fail` takes a
  node out of service (a removed node, a spare): it counts as down, whatever its power, until it
  has been deployed again, i.e. its image was written (the boot endpoint's stage) and it was then
  seen off and on (the deploy's reboot to disk). `disk_replace` is "new hardware in place": for a
  controller with a spare (the scenario's `spare:`, a lab guest grown for it) the node's name now
  drives the spare's BMC and MAC (its conductor, the liveness and `replaced`, which Day2 reads),
  and the old machine is powered off for good (`retired`); without a spare the same machine is
  redeployed.
- Nothing here needs a live world: on a SimWorld the same classes drive simulated BMCs (which is
  how the command interval across a drill is tested without a lab).
"""
from __future__ import annotations

from dataclasses import replace

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
        self._power = dict(self._up)  # as its BMC last read
        self._unbooted: dict[str, str] = {}  # out of service: waiting for "image", then "off", then "on"
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
        self._power[name] = state == "on"
        phase = self._unbooted.get(name)
        if phase == "image" and self._imaged(name):
            phase = "off"
        if phase == "off" and state == "off":
            phase = "on"
        if phase == "on" and state == "on":
            phase = None
        if phase is None:
            self._unbooted.pop(name, None)
        else:
            self._unbooted[name] = phase
        self._update(name)

    def _imaged(self, name: str) -> bool:
        """Whether the node's image was written (the boot endpoint's stage; a world without one
        has nothing to tell: the next off and on count)."""
        stage_of = getattr(self.world.boot, "stage_of", None)
        if stage_of is None:
            return True
        from real_backends.pxe.endpoint import normalize_mac

        return stage_of(normalize_mac(self.nodes[name].mac)) == "local_boot"

    def out_of_service(self, name: str, cause: str) -> None:
        """The node has nothing to boot (removed, or a spare): down until deployed again."""
        self._unbooted[name] = "image"
        self._update(name, cause)

    def swap(self, name: str, node) -> None:
        """New hardware for `name`: its conductor now drives `node`'s BMC (the spare's)."""
        self.nodes[name] = node
        driver = self.drivers[name]
        driver.node, driver.port = node, self.world.bmc(node)

    def _update(self, name: str, cause: str | None = None) -> None:
        up = self._power[name] and name not in self._unbooted
        if up != self._up[name]:
            self._up[name] = up
            fault = self.applied.get(name, "")
            cause = cause or (fault if fault and not up else (f"{name} powered on" + (f" (after {fault})" if fault else "")
                                                              if up else f"{name} powered off"))
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

    def __init__(self, world, liveness: BmcLiveness, nodes, timing, spares=None):
        self.world, self.liveness, self.timing = world, liveness, timing
        self.nodes = {n.name: n for n in nodes}
        self.spares = dict(spares or {})  # node -> the spare Node that replaces it (day-2)
        self.replaced: dict = {}  # node -> its new Node (the spare under the node's name)
        self.retired: dict = {}  # node -> the Node it had before, powered off for good

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

    def disk_fail(self, node: str, cause: str) -> None:
        """Nothing to boot (a removed node, a spare): out of service until deployed."""
        self.liveness.out_of_service(node, cause)

    def disk_replace(self, node: str, cause: str) -> None:
        """New hardware in place (module docstring): the spare takes the node's name."""
        spare = self.spares.pop(node, None)
        if spare is None:
            return  # the same machine, to be redeployed
        old = self.nodes[node]
        new = replace(spare, name=node, role=old.role)
        self.nodes[node] = self.replaced[node] = new
        self.retired[node] = old
        self.liveness.swap(node, new)
        self.liveness.out_of_service(node, cause)
        self.world.process(self._retire(replace(old, name=f"{node}-retired")))

    def _retire(self, old):
        try:
            yield from conductor(self.world, old, self.timing).set_power("off")
        except BmcError:
            pass  # recorded by the driver (BmcCall)

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


def power_on_all(world, nodes, timing, wanted: str = "on"):
    """Power every node on (or `wanted`) through its conductor (concurrently); {node: reached}
    as the BMCs then report."""
    def one(node):
        driver = conductor(world, node, timing)
        try:
            yield from driver.set_power(wanted)
            return (yield from driver.power_state()) == wanted
        except BmcError:
            return False

    procs = {n.name: world.process(one(n)) for n in nodes}
    yield world.all_of(procs.values())
    return {name: bool(p.value) for name, p in procs.items()}
