"""Run kinds: one module per kind of run, each providing the same small interface (kind.py),
listed in one registry (registry.py), composed into one scenario schema (scenario.py), and run
by one runner (execute.py).

    kind.py        RunKind: sections, simulate, live, problems, metrics, digest, report, compare
    registry.py    KINDS by `run:` name; kind(), kind_of(summary), expect_kind()
    scenario.py    Scenario (every kind's sections), scenario_model (a file's) and load_scenario
    execute.py     resolve_inventory, simulate, run_live, write_outputs, render_report, digest
    deploy.py      run: deploy       the TripleO deployment (twin/workflows), simulated or live
    operations.py  run: operations   the HA control plane under faults (twin/cloud/ha); live drills
    capacity.py    run: capacity     the workload on the Nova model (twin/cloud/capacity)
    durability.py  run: durability   a swift ring's disks failing over years (twin/cloud/swift/durability.py)
    deploy_compare.py  what `twin compare` shows of two deployments beyond their metrics
    add_nodes.py   the day-2 add of N compute nodes alone, simulated (the planner's lead times)
"""
from twin.record.result import RunResult
from twin.runs.execute import (
                               digest,
                               problem_lines,
                               render_report,
                               resolve_inventory,
                               run_live,
                               simulate,
                               write_outputs,
)
from twin.runs.registry import KINDS, expect_kind, kind, kind_of
from twin.runs.scenario import load_scenario


def __getattr__(name: str):
    if name == "Scenario":  # composed on first use (twin/runs/scenario.py)
        from twin.runs.scenario import Scenario

        return Scenario
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["KINDS", "RunResult", "Scenario", "digest", "expect_kind", "kind", "kind_of", "load_scenario",
           "problem_lines", "render_report", "resolve_inventory", "run_live", "simulate", "write_outputs"]
