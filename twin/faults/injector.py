"""Applies a scenario's faults to a world's targets on the World clock, scheduled or stochastic.

Rules:
- A scheduled fault starts at `from_s` on each of its targets (every node of `nodes`, every
  node of a `group` at the same instant, or the partition's sides) and ends `for_s` later
  (never without it). Its end runs the kind's end steps (effects.py) for every node at once.
- A stochastic fault is one alternating process per unit (each node of `nodes`; a whole group;
  a partition): wait a time to failure, fail, wait for a repair crew (crews.py), repair for a
  time to repair, run the end steps, and start again. Times come from the unit's own random
  stream ("faults", index, unit), so adding a fault does not change another's numbers.
- Deployment lookups (bmc_wrong_credentials, pxe_timeout, slow_nic and a scheduled
  bmc_no_answer) are not applied here: the hardware looks them up (twin/sim/faults.py).
- Every edge is recorded (FaultEdge) with the fault's label as cause: `start`; for a stochastic
  fault `repair` (a crew starts; value: how long it waited) and `repaired` (the crew is done and
  free; value: the repair time); `end` (the end steps are done: mains back, node powered on...).
- A stochastic fault's repair is asked for when the failure is known: at once by default; when
  the run has monitoring (twin/cloud/day2/monitoring.py), `repair_gate(nodes)` gives an event to
  wait on first (the notice; None: nothing to wait for), recorded as FaultEdge `noticed` (value:
  the wait). So an outage of the monitoring lengthens every outage it hides. Scheduled faults
  keep their written `for_s`.
"""
from __future__ import annotations

from dataclasses import dataclass

from twin.faults.crews import CrewPool
from twin.faults.effects import EFFECTS
from twin.faults.repair import Operator
from twin.faults.validate import fault_targets
from twin.record.events import FaultEdge


@dataclass(frozen=True)
class Unit:
    """What fails together: one node, a group's nodes, or a partition (nodes empty)."""

    name: str
    nodes: tuple[str, ...]
    label: str


class FaultInjector:
    def __init__(self, world, faults, nodes, failure_domains, targets, timing, operations,
                 ironic_release: str = "juno"):
        self.world, self.faults, self.targets = world, list(faults), targets
        self.nodes, self.failure_domains = list(nodes), dict(failure_domains)
        self.crews = CrewPool(world, operations.repair_crews)
        self.operator = Operator(world, self.nodes, timing, operations, targets, ironic_release)
        self.started = 0
        self.repair_gate = None  # nodes -> a World event to wait on before asking for a repair, or None

    def applies(self, fault) -> bool:
        if fault.kind not in EFFECTS:
            return False
        return not (fault.kind == "bmc_no_answer" and not fault.stochastic)

    def start(self) -> int:
        """Start a process per fault unit; return how many."""
        n = 0
        for index, fault in enumerate(self.faults):
            if not self.applies(fault):
                continue
            for unit in self.units(index, fault):
                body = self._stochastic if fault.stochastic else self._scheduled
                self.world.process(body(index, fault, unit))
                n += 1
        self.started = n
        return n

    def units(self, index: int, fault) -> list[Unit]:
        what = f"{fault.kind}:{fault.service}" if fault.service else fault.kind
        if fault.kind == "partition":
            name = " | ".join(",".join(side) for side in fault.sides)
            return [Unit(name, (), f"partition {name} (faults[{index}])")]
        targets = fault_targets(fault, self.nodes, self.failure_domains)
        if fault.group is not None:
            name = f"group {fault.group}"
            return [Unit(name, tuple(targets), f"{what} {name}: {','.join(targets)} (faults[{index}])")]
        return [Unit(node, (node,), f"{what} {node} (faults[{index}])") for node in targets]

    # --- the two timings ------------------------------------------------------------------
    def _scheduled(self, index, fault, unit: Unit):
        world = self.world
        if fault.from_s > world.now:
            yield world.timeout(fault.from_s - world.now)
        self._start(fault, unit)
        if fault.for_s is None:
            return
        yield world.timeout(fault.for_s)
        yield from self._end(fault, unit)

    def _stochastic(self, index, fault, unit: Unit):
        world = self.world
        rng = world.rng("faults", str(index), unit.name)
        if fault.from_s > world.now:
            yield world.timeout(fault.from_s - world.now)
        while True:
            yield world.timeout(fault.ttf.sample(rng))
            self._start(fault, unit)
            yield from self._noticed(fault, unit)
            asked = world.now
            yield self.crews.acquire()
            world.record(FaultEdge(unit.name, "repair", fault.kind, unit.label, world.now - asked))
            took = fault.ttr.sample(rng)
            try:
                yield world.timeout(took)
            finally:
                self.crews.release()
            world.record(FaultEdge(unit.name, "repaired", fault.kind, unit.label, took))
            yield from self._end(fault, unit)

    def _noticed(self, fault, unit: Unit):
        gate = self.repair_gate(unit.nodes) if self.repair_gate is not None and unit.nodes else None
        if gate is None:
            return
        failed = self.world.now
        yield gate
        self.world.record(FaultEdge(unit.name, "noticed", fault.kind, unit.label, self.world.now - failed))

    # --- start and end ----------------------------------------------------------------------
    def _start(self, fault, unit: Unit) -> None:
        effect, targets = EFFECTS[fault.kind], self.targets
        self.world.record(FaultEdge(unit.name, "start", fault.kind, unit.label))
        if not effect.per_node:
            getattr(targets, effect.start)(unit.name, fault.sides, unit.label)
            return
        act = getattr(targets, effect.start)
        for node in unit.nodes:
            act(node, fault.service, unit.label) if fault.service else act(node, unit.label)

    def _end(self, fault, unit: Unit):
        world, effect = self.world, EFFECTS[fault.kind]
        if not effect.per_node:
            for step in effect.end:
                getattr(self.targets, step)(unit.name, unit.label)
        elif len(unit.nodes) == 1:
            yield from self._end_node(fault, unit, unit.nodes[0])
        else:
            yield world.all_of([world.process(self._end_node(fault, unit, n)) for n in unit.nodes])
        world.record(FaultEdge(unit.name, "end", fault.kind, unit.label))

    def _end_node(self, fault, unit: Unit, node: str):
        for step in EFFECTS[fault.kind].end:
            if step.startswith("operator_"):
                yield from self.operator.run(step, node, unit.label)
            elif fault.service:
                getattr(self.targets, step)(node, fault.service, unit.label)
            else:
                getattr(self.targets, step)(node, unit.label)
