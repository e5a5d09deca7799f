"""Run a scenario end to end: inventory -> world -> TripleO deployment -> events, summary, report.

Rules: the inventory is validated before anything runs (as the installer's first step does) and
an invalid one is refused with every problem; outputs are written only after the run has
finished, each file atomically, so an interrupted run leaves no half-written report.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from twin.cloud.ha.operations import simulate_operations
from twin.cloud.ha.summary import operations_metrics
from twin.errors import InputError, Problem
from twin.faults.validate import check_faults
from twin.inventory import generate_from_spec, get_profile, load_inventory, validate
from twin.kernel.sim import make_sim_world, paused_gc
from twin.record.recorder import Recorder, write_events
from twin.record.summary import summarize
from twin.scenario import LoadedScenario, Scenario
from twin.sim.hardware import SimHardware
from twin.workflows.tripleo import TripleODeployment


@dataclass
class RunResult:
    summary: dict
    events: object  # pandas.DataFrame
    out_dir: Path | None = None

    @property
    def metrics(self) -> dict[str, float]:
        """Flat numbers of this run, one row of a sweep's table (twin/sweep)."""
        return RUN_METRICS[self.summary.get("run", "deploy")](self.summary)


def deploy_metrics(summary: dict) -> dict[str, float]:
    d = summary["deployment"]
    states = summary["counts"]["by_state"]
    return {"success": float(d["outcome"] == "success"), "makespan_s": float(d["makespan_s"]),
            "attempts": float(d["attempts"]), "nodes_active": float(states.get("active", 0)),
            "nodes_failed": float(summary["counts"]["nodes"] - states.get("active", 0))}


def resolve_inventory(loaded: LoadedScenario, inventory_path: str | None = None):
    """The scenario's inventory (or `inventory_path` instead), validated against its profile."""
    sc = loaded.scenario
    try:
        profile = get_profile(sc.limits_profile)
    except Exception as e:  # an unknown profile name is the scenario's fault: say where
        raise InputError([loaded.problem(("limits_profile",), str(e))]) from None
    counts = sc.inventory.assign.model_dump()
    if inventory_path:
        inventory = load_inventory(inventory_path, role_counts=counts)
    elif sc.inventory.file:
        inventory = load_inventory(loaded.resolve(sc.inventory.file), role_counts=counts)
    else:
        inventory = generate_from_spec(sc.inventory.generate.model_dump())
    problems = validate(inventory, profile)
    errors = [p for p in problems if p.severity == "error"]
    errors += check_faults(loaded, inventory.active)  # fault targets and failure domains exist
    warnings = [p for p in problems if p.severity != "error"]
    if sc.run == "capacity":  # names, traces and limits the schema alone cannot check (twin/plan/run.py)
        from twin.plan.run import capacity_problems

        cap_errors, cap_warnings = capacity_problems(sc, inventory, loaded.resolve)
        errors += [loaded.problem(loc, message) for loc, message in cap_errors]
        warnings += [replace(loaded.problem(loc, message), severity="warning") for loc, message in cap_warnings]
    if errors:
        raise InputError(errors)
    return inventory, warnings


def simulate(sc: Scenario, inventory, seed: int, progress: bool = False) -> RunResult:
    """Run the scenario's `run:` kind in the simulated world."""
    with paused_gc():  # see twin/kernel/sim.py: the run's objects live to its end anyway
        return RUN_KINDS[sc.run](sc, inventory, seed, progress)


def simulate_deploy(sc: Scenario, inventory, seed: int, progress: bool = False) -> RunResult:
    nodes = inventory.active
    world = make_sim_world(seed, Recorder(), lambda w: SimHardware(w, nodes, sc.timing, sc.network, sc.faults))
    start_faults(world, sc, nodes)
    return deploy(world, sc, nodes, seed, "sim", progress)


def start_faults(world, sc: Scenario, nodes) -> None:
    """Faults that act on the hardware during a deployment (a power loss, a crash, a NIC...;
    twin/faults): applied through the simulated targets. Lookups need nothing started."""
    from twin.faults.injector import FaultInjector
    from twin.sim.ops import SimTargets

    injector = FaultInjector(world, sc.faults, nodes, sc.failure_domains, None, sc.timing, sc.operations,
                             sc.ironic_release)
    if any(injector.applies(f) for f in sc.faults):
        injector.targets = injector.operator.targets = SimTargets(world, world.hardware)
        injector.start()


def run_live(sc: Scenario, inventory, seed: int, backend: str, lab_dir: Path | None = None,
             boot_bind: tuple[str, int] = ("127.0.0.1", 0), progress: bool = True) -> RunResult:
    """The same deployment against real hardware: a lab made by `twin lab up` (backend "lab")
    or physical BMCs (backend "ipmi", whose machines must reach the boot endpoint)."""
    from real_backends.hardware import LiveHardware
    from twin.kernel.live import make_live_world

    if sc.run == "operations":  # a drill: the HA model on the nodes' real power states (twin/cloud/ha/live.py)
        from twin.cloud.ha.live import operate_live

        return operate_live(sc, inventory, seed, backend, lab_dir, boot_bind, progress)
    nodes = inventory.active
    if backend == "lab":
        factory = lambda w: LiveHardware.for_lab(w, lab_dir, nodes)  # noqa: E731
    else:
        factory = lambda w: LiveHardware(w, nodes, boot_host=boot_bind[0], boot_port=boot_bind[1])  # noqa: E731
    world = make_live_world(seed, Recorder(), factory)
    with world.env:
        return deploy(world, sc, nodes, seed, backend, progress)


def deploy(world, sc: Scenario, nodes, seed: int, backend: str, progress: bool) -> RunResult:
    """The TripleO deployment in whichever world: the one workflow, run to its end."""
    deployment = TripleODeployment(world, nodes, sc.timing, sc.policy, sc.max_attempts, sc.ironic_release)
    bar = _progress(world.recorder, len(nodes)) if progress else None
    try:
        done = world.process(deployment.run())
        world.run(until=done)
    finally:
        if bar is not None:
            bar.close()
    events = world.recorder.frame()
    summary = summarize(events, scenario=sc.name, backend=backend, seed=seed, policy=sc.policy)
    return RunResult(summary, events)


#: What each scenario `run:` kind does in the simulated world, and the flat metrics of its result.
RUN_KINDS = {"deploy": simulate_deploy, "operations": simulate_operations}
RUN_METRICS = {"deploy": deploy_metrics, "operations": operations_metrics}


def simulate_capacity(sc: Scenario, inventory, seed: int, progress: bool = False) -> RunResult:
    """run: capacity: the workload on the Nova model (twin/plan/run.py, imported on first use)."""
    from twin.plan.run import simulate_capacity as capacity

    return capacity(sc, inventory, seed, progress)


def capacity_metrics(summary: dict) -> dict[str, float]:
    return dict(summary["metrics"])


RUN_KINDS["capacity"] = simulate_capacity
RUN_METRICS["capacity"] = capacity_metrics


def _progress(recorder: Recorder, total: int):
    from tqdm import tqdm

    from twin.record.events import NodeFailed, StateChanged

    bar = tqdm(total=total, unit="node", desc="deploying", disable=None, leave=False)

    def echo(time_s, event):
        if (isinstance(event, StateChanged) and event.state == "active") or isinstance(event, NodeFailed):
            bar.update(1)
            bar.set_postfix_str(f"t={time_s / 60:.0f} min")

    recorder.echo = echo
    return bar


def write_outputs(result: RunResult, out_dir: Path) -> None:
    from twin.report.html import render_report

    out_dir.mkdir(parents=True, exist_ok=True)
    _atomic(out_dir / "events.parquet", lambda p: write_events(result.events, p))
    _atomic(out_dir / "summary.json",
            lambda p: p.write_text(json.dumps(result.summary, indent=2, sort_keys=False) + "\n"))
    html = render_report(result.events, result.summary)
    _atomic(out_dir / "report.html", lambda p: p.write_text(html, encoding="utf-8"))
    result.out_dir = out_dir


def _atomic(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def problem_lines(problems: list[Problem]) -> list[str]:
    return [("warning: " if p.severity == "warning" else "") + str(p) for p in problems]
