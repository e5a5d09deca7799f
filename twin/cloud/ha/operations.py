"""The `run: operations` kind: an already-deployed cloud operating for `operations.duration_s`
under the scenario's faults, with its HA control plane and (optionally) sampled API clients.

Rules:
- `operate(world, ...)` is the one operations loop for both worlds: it takes the world's
  liveness (what the HA model reads) and fault targets (what faults act on); the simulated world
  gives both from twin/sim/ops.py, the live lab from twin/cloud/ha/live.py.
- At t = 0 every node is deployed and running and the control plane is in its steady state (the
  highest-priority controller holds the VIP, Galera is primary with every member synced).
- Nodes go by their Helion names (undercloud, controller0, ...) whatever the inventory calls
  them; faults may name either (twin/faults/validate.py `helion_named`).
- The run ends at duration_s exactly; the summary and metrics come from the event log
  (summary.py), never from the model's own counters.
"""
from __future__ import annotations

from twin.cloud.ha.clients import ApiClients
from twin.cloud.ha.plane import ControlPlane
from twin.cloud.ha.summary import summarize_operations
from twin.faults.injector import FaultInjector
from twin.faults.validate import helion_named
from twin.inventory.model import Role
from twin.kernel.sim import make_sim_world
from twin.record.events import NodePlanned, RunMark
from twin.record.recorder import Recorder
from twin.sim.hardware import SimHardware
from twin.sim.ops import SimTargets

SWIFT_ROLES = (Role.SWIFT, Role.SO_SWIFT_STORAGE)


def simulate_operations(sc, inventory, seed: int, progress: bool = False):
    """Run the scenario's operations in the simulated world; a RunResult."""
    sc, nodes, _ = helion_named(sc, inventory.active)
    world = make_sim_world(seed, Recorder(), lambda w: SimHardware(w, nodes, sc.timing, sc.network, sc.faults))
    targets = SimTargets(world, world.hardware)
    for machine in world.hardware.machines.values():
        machine.stay_off_after_power_loss = sc.operations.stay_off_after_power_loss
    targets.start_deployed()
    return operate(world, sc, nodes, targets, targets, seed, "sim", progress)


class Operations:
    """The pieces of one operations run (kept for tests and the live drill to look into)."""

    def __init__(self, world, sc, nodes, liveness, targets):
        self.world, self.sc, self.nodes = world, sc, list(nodes)
        ops = sc.operations
        controllers = [n.name for n in self.nodes if n.role is Role.CONTROL]
        swift = [n.name for n in self.nodes if n.role in SWIFT_ROLES]
        self.plane = ControlPlane(world, sc.ha, liveness, controllers, swift, ops.probe_sources) \
            if controllers else None
        self.injector = FaultInjector(world, sc.faults, self.nodes, sc.failure_domains, targets, sc.timing, ops,
                                      sc.ironic_release)
        self.clients = ApiClients(world, self.plane, ops.clients, sc.ha) \
            if ops.clients is not None and self.plane is not None else None

    def start(self) -> None:
        world = self.world
        world.record(RunMark("start", "operations"))
        for node in self.nodes:
            world.record(NodePlanned(node.name, node.role.value))
        if self.plane is not None:
            self.plane.start()
        self.injector.start()
        if self.clients is not None:
            self.clients.start()


def operate(world, sc, nodes, liveness, targets, seed: int, backend: str, progress: bool = False,
            until: float | None = None):
    """Run operations in `world` to `until` (default operations.duration_s); a RunResult."""
    from twin.runner import RunResult

    duration = float(until if until is not None else sc.operations.duration_s)
    run = Operations(world, sc, nodes, liveness, targets)
    run.start()
    if progress:
        _run_with_bar(world, duration)
    else:
        world.run(until=duration)
    world.record(RunMark("end", "success"))
    events = world.recorder.frame()
    summary = summarize_operations(events, scenario=sc.name, backend=backend, seed=seed, duration_s=duration,
                                   nodes={n.name: n.role.value for n in nodes})
    result = RunResult(summary, events)
    result.operations = run
    return result


def _run_with_bar(world, duration: float, steps: int = 200) -> None:
    from tqdm import tqdm

    with tqdm(total=steps, unit="%", desc="operating", disable=None, leave=False,
              bar_format="{l_bar}{bar}| {postfix}") as bar:
        for k in range(1, steps + 1):
            world.run(until=duration * k / steps)
            bar.update(1)
            bar.set_postfix_str(f"t={world.now / 86400:.1f} d")
