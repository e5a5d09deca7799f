"""Test harness (imported by tests/vsa and benchmarks/vsa.py): a simulated world with VSA nodes,
the VSA model on it and the real fault injector.

Real parts throughout: simulated machines and BMCs (twin/sim), the fault injector and its
operator (twin/faults), the shared management network. Only the wiring of an operations run is
done here (the run kind is the lead's); boots take 0 s unless a test says otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from twin.cloud.ha.params import Operations
from twin.cloud.vsa.cinder import CinderVsa
from twin.cloud.vsa.config import Vsa
from twin.cloud.vsa.model import VsaModel
from twin.cloud.vsa.workload import start_workload
from twin.faults.injector import FaultInjector
from twin.faults.spec import Fault
from twin.inventory import generate_from_spec
from twin.kernel.sim import make_sim_world
from twin.record.events import RunMark
from twin.record.recorder import Recorder
from twin.scenario.schema import Network, Timing
from twin.sim.hardware import SimHardware
from twin.sim.ops import SimTargets

FAST = {"post_s": 0, "os_boot_s": 0}


@dataclass
class VsaRun:
    world: object
    model: VsaModel
    targets: SimTargets
    nodes: list
    cinder: CinderVsa | None = None
    events: pd.DataFrame | None = None

    def run(self, until: float) -> pd.DataFrame:
        self.world.run(until=until)
        return self.world.recorder.frame()

    def finish(self, duration_s: float) -> pd.DataFrame:
        self.world.run(until=duration_s)
        self.world.record(RunMark("end", "success"))
        self.events = self.world.recorder.frame()
        return self.events


def vsa_world(vsa: int = 3, storage: dict | None = None, faults=(), seed: int = 1, timing: dict | None = None,
              network: dict | None = None, crews: int = 0, operator_response_s: float = 0.0,
              counts: dict | None = None, with_model: bool = True) -> VsaRun:
    spec = {"undercloud": 0, "control": 0, "swift": 0, "compute": 0, "vsa": vsa, **(counts or {})}
    nodes = generate_from_spec(spec).active
    timing_model = Timing(**(FAST if timing is None else timing))
    network_model = Network(**(network or {}))
    world = make_sim_world(seed, Recorder(), lambda w: SimHardware(w, nodes, timing_model, network_model, []))
    targets = SimTargets(world, world.hardware)
    targets.start_deployed()
    machines = world.hardware.machines
    model = VsaModel(world, Vsa.model_validate(storage or {}), nodes, targets, world.hardware.link,
                     nic_bps=lambda node: machines[node].nic_bps())
    if with_model:
        model.start()
    cinder = CinderVsa(model)
    if with_model and model.p.workload is not None:
        start_workload(world, model, cinder, model.p.workload)
    ops = Operations(repair_crews=crews, operator_response_s=operator_response_s)
    injector = FaultInjector(world, [Fault.model_validate(f) for f in faults], nodes, {}, targets, timing_model, ops)
    injector.start()
    return VsaRun(world, model, targets, nodes, cinder)

