"""`run: capacity`: a workload on the Nova model of the scenario's compute hosts, measured
(the model: twin/cloud/capacity/). Simulation only: a live lab has no Nova to measure.
"""
from __future__ import annotations

import math
from functools import cache

from twin.record.result import RunResult
from twin.runs.kind import RunKind


def simulate(sc, inventory, seed: int, progress: bool = False) -> RunResult:
    from twin.cloud.capacity.run import simulate_capacity

    return simulate_capacity(sc, inventory, seed, progress)


def problems(loaded, sc, inventory):
    """Names, traces and limits the schema alone cannot check (twin/cloud/capacity/run.py)."""
    from twin.cloud.capacity.run import capacity_problems, request_cost_problems

    costly = request_cost_problems(sc)
    if costly:  # before the traces are read: the run would be refused anyway
        return [loaded.problem(loc, message) for loc, message in costly], []
    errors, warnings = capacity_problems(sc, inventory, loaded.resolve)
    return ([loaded.problem(loc, message) for loc, message in errors],
            [loaded.problem(loc, message, severity="warning") for loc, message in warnings])


def metrics(summary: dict) -> dict[str, float]:
    return dict(summary["metrics"])


def report(events, summary: dict) -> str:
    from twin.record.recorder import as_frame
    from twin.report.capacity import render_capacity_report

    return render_capacity_report(as_frame(events), summary)


def _pct(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f}%"


def digest(summary: dict, out) -> tuple[str, int]:
    """What `twin run` prints after a capacity run (a measurement: exit 0)."""
    c = summary["capacity"]
    req, util, cloud = c["requests"], c["utilisation"], c["cloud"]
    days = (c["window"]["end_s"] - c["window"]["start_s"]) / 86400
    lines = [f"{summary['scenario']} (capacity, seed {summary['seed']}): {cloud['hosts']} compute hosts "
             f"({cloud['profile']}), {days:.1f} days measured: {req['total']:,} boot requests, "
             f"blocking {_pct(req['blocking'])}; utilisation RAM {_pct(util['ram_mean'])}, cores "
             f"{_pct(util['cores_mean'])}, disk {_pct(util['disk_mean'])}, slots {_pct(util['slots_mean'])}"]
    for reason, n in list(req["reasons"].items())[:3]:
        lines.append(f"  {n:,} refused: {reason}")
    ev = c["evacuation"]
    if ev["host_failures"]:
        lines.append(f"  {ev['host_failures']} host failure(s): {ev['evacuated']} VMs evacuated, {ev['lost']} lost")
    if not cloud["within_profile"]:
        lines.append(f"  more than {cloud['max_compute']} compute hosts under {cloud['profile']}")
    lines.append(f"report: {out / 'report.html'}  events: {out / 'events.parquet'}  summary: {out / 'summary.json'}")
    return "\n".join(lines), 0


@cache
def _sections():
    from pydantic import Field

    from twin.cloud.capacity.config import CapacityConfig
    from twin.cloud.nova.config import NovaConfig
    from twin.cloud.workload.config import Workload
    from twin.runs.deploy import KIND as DEPLOY

    deploy_sections = DEPLOY.sections()
    return {"faults": deploy_sections["faults"], "failure_domains": deploy_sections["failure_domains"],
            "nova": (NovaConfig, Field(default_factory=NovaConfig)),
            "workload": (Workload, Field(default_factory=Workload)),
            "capacity": (CapacityConfig, Field(default_factory=CapacityConfig))}


KIND = RunKind(
    name="capacity", help="the workload on the Nova model of the compute hosts (docs/capacity.md)",
    sections=_sections, simulate=simulate, problems=problems, metrics=metrics, digest=digest, report=report,
    live_refusal="a capacity run measures the Nova model; a live lab has no Nova to measure")
