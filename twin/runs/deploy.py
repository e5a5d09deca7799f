"""`run: deploy`: the TripleO deployment of the scenario's inventory, simulated or live.

Rules:
- One workflow for both worlds (twin/workflows/tripleo.py): `deploy(world, ...)` runs it in
  whichever world it is given; the simulated world is built here, the live one from
  real_backends (a `twin lab up` lab or physical BMCs).
- Faults (twin/faults) act on the simulated hardware during the deployment. A live deployment
  applies none of them: a scenario with faults is refused before anything starts (a located
  error per fault), never run with its faults silently ignored.
- The summary (twin/record/summary.py) and the metrics come from the event log, read as the
  recorder's rows; the report too (twin/report/derive.py): a simulated deployment never imports
  pandas (tests/cli/test_no_pandas.py). `result.events` builds the DataFrame when asked for.
"""
from __future__ import annotations

from functools import cache

from twin.faults.spec import Fault
from twin.kernel.sim import make_sim_world
from twin.record.recorder import Recorder
from twin.record.result import RunResult
from twin.runs.kind import RunKind
from twin.timefmt import hms


def simulate(sc, inventory, seed: int, progress: bool = False) -> RunResult:
    from twin.sim.hardware import SimHardware

    nodes = inventory.active
    world = make_sim_world(seed, Recorder(), lambda w: SimHardware(w, nodes, sc.timing, sc.network, sc.faults))
    _start_faults(world, sc, nodes)
    result = deploy(world, sc, nodes, seed, "sim", progress)
    result.summary["faults"] = [f.model_dump(mode="json", exclude_none=True) for f in sc.faults]  # for the report
    return result


def _start_faults(world, sc, nodes) -> None:
    """Faults that act on the hardware during a deployment (a power loss, a crash, a NIC...),
    applied through the simulated targets. Lookups need nothing started."""
    from twin.faults.injector import FaultInjector
    from twin.sim.ops import SimTargets

    injector = FaultInjector(world, sc.faults, nodes, sc.failure_domains, None, sc.timing, sc.operations,
                             sc.ironic_release)
    if any(injector.applies(f) for f in sc.faults):
        injector.targets = injector.operator.targets = SimTargets(world, world.hardware)
        injector.start()


def live_problems(loaded, sc) -> list:
    """Why this scenario cannot deploy live: every fault, located (see the module docstring)."""
    return [loaded.problem(("faults", i), "a live deployment applies no faults (inject them in a simulated "
                           "run, or drill power faults on the lab with `run: operations`): remove it")
            for i in range(len(sc.faults))]


def live(sc, inventory, seed: int, backend: str, lab_dir=None, boot_bind=("127.0.0.1", 0),
         progress: bool = True) -> RunResult:
    """The same deployment against a `twin lab up` lab (backend "lab") or physical BMCs ("ipmi",
    whose machines must reach the boot endpoint)."""
    from real_backends.hardware import LiveHardware
    from twin.kernel.live import make_live_world

    nodes = inventory.active
    if backend == "lab":
        factory = lambda w: LiveHardware.for_lab(w, lab_dir, nodes, timing=sc.timing)  # noqa: E731
    else:
        factory = lambda w: LiveHardware(w, nodes, boot_host=boot_bind[0], boot_port=boot_bind[1],  # noqa: E731
                                         timing=sc.timing)
    world = make_live_world(seed, Recorder(), factory)
    with world.env:
        return deploy(world, sc, nodes, seed, backend, progress)


def deploy(world, sc, nodes, seed: int, backend: str, progress: bool) -> RunResult:
    """The TripleO deployment in whichever world: the one workflow, run to its end."""
    from twin.record.summary import summarize
    from twin.workflows.tripleo import TripleODeployment

    deployment = TripleODeployment(world, nodes, sc.timing, sc.policy, sc.max_attempts, sc.ironic_release)
    bar = _progress(world.recorder, len(nodes)) if progress else None
    try:
        done = world.process(deployment.run())
        world.run(until=done)
    finally:
        if bar is not None:
            bar.close()
    summary = summarize(world.recorder.rows(), scenario=sc.name, backend=backend, seed=seed, policy=sc.policy)
    return RunResult(summary, metrics=metrics(summary), recorder=world.recorder)  # the DataFrame on first use


def metrics(summary: dict) -> dict[str, float]:
    d = summary["deployment"]
    states = summary["counts"]["by_state"]
    return {"success": float(d["outcome"] == "success"), "makespan_s": float(d["makespan_s"]),
            "attempts": float(d["attempts"]), "nodes_active": float(states.get("active", 0)),
            "nodes_failed": float(summary["counts"]["nodes"] - states.get("active", 0))}


def digest(summary: dict, out) -> tuple[str, int]:
    d = summary["deployment"]
    states = ", ".join(f"{n} {state}" for state, n in sorted(summary["counts"]["by_state"].items()))
    lines = [f"{summary['scenario']} ({summary['backend']}, seed {summary['seed']}, policy {summary['policy']}): "
             f"{d['outcome'].upper()} in {hms(d['makespan_s'])} ({d['makespan_s']:.0f} s), "
             f"{d['attempts']} attempt(s); nodes: {states}"]
    for name, node in d["nodes"].items():
        if node["cause"]:
            lines.append(f"  {name} ({node['role']}): {node['state']}: {node['cause']}")
    lines.append(f"report: {out / 'report.html'}  events: {out / 'events.parquet'}  summary: {out / 'summary.json'}")
    return "\n".join(lines), (0 if d["outcome"] == "success" else 1)


def report(events, summary: dict) -> str:
    from twin.report.html import render_deploy_report

    return render_deploy_report(events, summary)


def compare(a, b) -> dict:
    from twin.runs.deploy_compare import compare_deployments, render_deployments

    detail = compare_deployments(a, b)
    return {"detail": detail, "text": render_deployments(detail), "same": detail["same_states"]}


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


@cache
def _sections():
    from typing import Literal

    from pydantic import Field

    from twin.cloud.ha.operating import Operations
    from twin.scenario.schema import MAX_ATTEMPTS

    return {
        "policy": (Literal["carry-on", "helion"], Field(
            "carry-on", description="carry-on: a failed node is recorded and the rest go on; helion: any "
            "failure restarts the installation from the beginning (the 1.x installer)")),
        "max_attempts": (int, Field(3, ge=1, le=MAX_ATTEMPTS, description="installation attempts under the "
                                    "helion policy")),
        "faults": (list[Fault], Field(default_factory=list)),
        "failure_domains": (dict[str, list[str]], Field(
            default_factory=dict, description="named node groups that fail together (rack, power domain)")),
        "operations": (Operations, Field(default_factory=Operations)),  # the operator's repair settings
    }


KIND = RunKind(
    name="deploy", help="the TripleO deployment of the inventory (seed, undercloud, overcloud)",
    sections=_sections, simulate=simulate, live=live, live_problems=live_problems, metrics=metrics, digest=digest, report=report,
    compare=compare)
