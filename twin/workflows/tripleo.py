"""The TripleO deployment of a Helion cloud, phase by phase, as the Helion 1.x installer runs it:
seed VM -> undercloud (deployed by the seed's Ironic) -> overcloud control plane and Swift
(registered with and deployed by the undercloud's Ironic, one Heat stack) -> compute and block
storage (a second stack) -> configuration.

Rules:
- Nodes of one stack deploy concurrently; a stack that outlives `heat_stack_timeout_s` stops its
  unfinished nodes (they fail with that cause).
- Policy "carry-on": a failed node is recorded and the others go on; a failed undercloud means
  no overcloud node can be deployed (each fails saying so).
- Policy "helion": any failure restarts the installation from the beginning (a new seed, new
  Ironic databases), at most `max_attempts` times, as the original installer demands.
"""
from __future__ import annotations

from twin.inventory.model import Role
from twin.record.events import NodeFailed, NodePlanned, PhaseEdge, RunMark
from twin.workflows import states
from twin.workflows.node import NodeTask

PHASES = ("seed", "undercloud", "overcloud-control", "overcloud-compute")

#: Which stack (phase) deploys a node of each role.
PHASE_OF_ROLE = {
    Role.UNDERCLOUD: "undercloud",
    Role.CONTROL: "overcloud-control",
    Role.SWIFT: "overcloud-control",
    Role.COMPUTE: "overcloud-compute",
    Role.VSA: "overcloud-compute",
    Role.VSA_AO: "overcloud-compute",
    Role.SO_SWIFT_PROXY: "overcloud-compute",
    Role.SO_SWIFT_STORAGE: "overcloud-compute",
}


class PhaseFailed(Exception):
    """Ends an attempt early (helion policy, or nothing left to deploy)."""


class TripleODeployment:
    def __init__(self, world, nodes, timing, policy: str = "carry-on", max_attempts: int = 3,
                 ironic_release: str = "juno"):
        self.world, self.nodes, self.timing = world, list(nodes), timing
        self.release = states.release(ironic_release)
        self.policy = policy
        self.max_attempts = max_attempts if policy == "helion" else 1
        self.tasks: dict[str, NodeTask] = {}

    def run(self):
        world = self.world
        world.record(RunMark("start", self.policy))
        for node in self.nodes:
            world.record(NodePlanned(node.name, node.role.value))
        cause = ""
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                world.record(RunMark("attempt", str(attempt), f"installation restarted: {cause}"))
            self.tasks = {}
            try:
                yield from self._attempt()
            except PhaseFailed as e:
                cause = str(e)
            failed = [n.name for n in self.nodes if not self._task_ok(n.name)]
            if not failed:
                break
            cause = cause or f"{len(failed)} node(s) failed: {', '.join(failed[:5])}"
        outcome = "success" if all(self._task_ok(n.name) for n in self.nodes) else "failed"
        world.record(RunMark("end", outcome, "" if outcome == "success" else cause))
        return outcome

    def _task_ok(self, name: str) -> bool:
        task = self.tasks.get(name)
        return task is not None and task.ok

    def _of_phase(self, phase: str):
        return [n for n in self.nodes if PHASE_OF_ROLE[n.role] == phase]

    # --- one installation attempt --------------------------------------------------------
    def _attempt(self):
        t, rng = self.timing, self.world.rng("tripleo")
        yield from self._phase("seed", self._configure(t.seed_install_s.sample(rng)))
        yield from self._phase("undercloud", self._undercloud())
        yield from self._phase("overcloud-control", self._overcloud_control())
        yield from self._phase("overcloud-compute", self._overcloud_compute())

    def _phase(self, name: str, body):
        world = self.world
        world.record(PhaseEdge(name, "start"))
        try:
            yield from body
        except PhaseFailed as e:
            world.record(PhaseEdge(name, "end", "failed", str(e)))
            raise
        failed = [n.name for n in self._of_phase(name) if not self._task_ok(n.name)]
        cause = f"{len(failed)} node(s) failed: {', '.join(failed[:5])}" if failed else ""
        world.record(PhaseEdge(name, "end", "failed" if failed else "success", cause))
        if failed and self.policy == "helion":
            raise PhaseFailed(f"{name}: {cause}")

    def _configure(self, duration_s: float):
        yield self.world.timeout(duration_s)

    def _undercloud(self):
        nodes = self._of_phase("undercloud")
        yield from self._enroll(nodes, ironic="seed")
        yield from self._deploy_stack(nodes, "undercloud")
        if not any(self._task_ok(n.name) for n in nodes):
            for node in self.nodes:
                if node not in nodes:
                    self.world.record(NodeFailed(node.name, "not deployed: the undercloud failed to deploy"))
            raise PhaseFailed("the undercloud failed to deploy; the overcloud cannot be deployed")
        yield from self._configure(self.timing.undercloud_configure_s.sample(self.world.rng("tripleo")))

    def _overcloud_control(self):
        overcloud = [n for n in self.nodes if PHASE_OF_ROLE[n.role] != "undercloud"]
        yield from self._enroll(overcloud, ironic="undercloud")
        if self.policy == "helion" and not all(self.tasks[n.name].ready for n in overcloud):
            raise PhaseFailed("node registration failed")
        yield self.world.timeout(self.timing.schedulable_after_s)
        nodes = self._of_phase("overcloud-control")
        yield from self._deploy_stack(nodes, "overcloud-control")
        if any(self._task_ok(n.name) for n in nodes):
            yield from self._configure(self.timing.overcloud_control_configure_s.sample(self.world.rng("tripleo")))

    def _overcloud_compute(self):
        nodes = self._of_phase("overcloud-compute")
        yield from self._deploy_stack(nodes, "overcloud-compute")
        if any(self._task_ok(n.name) for n in nodes):
            yield from self._configure(self.timing.overcloud_compute_configure_s.sample(self.world.rng("tripleo")))

    # --- node groups ---------------------------------------------------------------------
    def _enroll(self, nodes, ironic: str):
        world = self.world
        for node in nodes:
            self.tasks[node.name] = NodeTask(world, node, self.timing, ironic, self.release)
        yield world.all_of([world.process(self.tasks[n.name].enroll()) for n in nodes])

    def _deploy_stack(self, nodes, stack: str):
        world, limit = self.world, self.timing.heat_stack_timeout_s
        ready = [self.tasks[n.name] for n in nodes if self.tasks[n.name].ready]
        if not ready:
            return
        procs = [world.process(task.deploy()) for task in ready]
        everything = world.all_of(procs)
        yield everything | world.timeout(limit)
        if not everything.triggered:
            for proc in procs:
                if proc.is_alive:
                    proc.interrupt(f"Heat stack '{stack}' timed out after {limit:g} s")
            yield world.all_of(procs)
