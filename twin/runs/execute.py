"""Run a scenario end to end, whatever its kind: inventory, the kind's checks, the simulated or
live world, then the outputs (events.parquet, summary.json, report.html).

Rules: the inventory is validated before anything runs (as the installer's first step does) and
an invalid one is refused with every problem; a kind's own checks (`problems`, and
`live_problems` for a live run) run before it too. Outputs are written only after the run has
finished, each file atomically, so an interrupted run leaves no half-written report.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from twin.errors import InputError, Problem
from twin.outputs import run_folder
from twin.record.result import RunResult
from twin.runs.registry import kind, kind_of


def resolve_inventory(loaded, inventory_path: str | None = None):
    """The scenario's inventory (or `inventory_path` instead), validated against its profile and
    the kind's own checks; (inventory, warnings), or InputError with every problem."""
    from twin.faults.validate import check_faults
    from twin.inventory import generate_from_spec, get_profile, load_inventory, validate
    from twin.scenario.bounds import generated_size_problems

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
        too_big = generated_size_problems(sc)  # before a node is built (a million took 39 s and 950 MB)
        if too_big:
            raise InputError([loaded.problem(loc, message) for loc, message in too_big])
        inventory = generate_from_spec(sc.inventory.generate.model_dump(), max_nodes=profile.max_rows)
    problems = validate(inventory, profile)
    if not (inventory_path or sc.inventory.file):  # a generated inventory's problems are the scenario's
        problems = [replace(loaded.problem(("inventory", "generate"), f"{p.field}: {p.message}", p.severity),
                            code=p.code) for p in problems]
    errors = [p for p in problems if p.severity == "error"]
    errors += check_faults(loaded, inventory.active)  # fault targets and failure domains exist
    warnings = [p for p in problems if p.severity != "error" and p.code not in sc.acknowledge]
    kind_errors, kind_warnings = kind(sc.run).problems(loaded, sc, inventory)
    errors += kind_errors
    warnings += kind_warnings
    if errors:
        raise InputError(errors)
    return inventory, warnings


def simulate(sc, inventory, seed: int, progress: bool = False) -> RunResult:
    """Run the scenario's `run:` kind in the simulated world."""
    from twin.collector import paused_gc

    with paused_gc():  # see twin/collector.py: the run's objects live to its end anyway
        return kind(sc.run).simulate(sc, inventory, seed, progress)


def run_live(loaded, inventory, seed: int, backend: str, lab_dir: Path | None = None,
             boot_bind: tuple[str, int] = ("127.0.0.1", 0), progress: bool = True) -> RunResult:
    """The scenario's kind against real hardware: a lab made by `twin lab up` (backend "lab") or
    physical BMCs (backend "ipmi"); refused, located, when the kind or the scenario cannot."""
    sc = loaded.scenario
    k = kind(sc.run)
    if k.live is None:
        raise InputError([loaded.problem(("run",), f"run: {k.name} cannot run live: {k.live_refusal}")])
    problems = k.live_problems(loaded, sc)
    if problems:
        raise InputError(problems)
    return k.live(sc, inventory, seed, backend, lab_dir, boot_bind, progress)


def render_report(events, summary: dict) -> str:
    """The HTML report of a run, by the kind that made it (`events`: a DataFrame or a Recorder,
    twin/runs/kind.py `report`)."""
    return kind_of(summary).report(events, summary)


def digest(summary: dict, out: Path) -> tuple[str, int]:
    """What `twin run` prints after a run, and its exit code."""
    return kind_of(summary).digest(summary, out)


def write_outputs(result: RunResult, out_dir: Path) -> None:
    """events.parquet, summary.json, report.html and the run's own files (RunResult.files), written as one folder (twin/outputs.py): the
    folder holds this run whole or the previous one, whatever happens while writing."""
    from twin.collector import paused_gc
    from twin.record.recorder import write_events

    summary_text = json.dumps(result.summary, indent=2, sort_keys=False) + "\n"
    log = result.log  # the DataFrame, or the Recorder whose rows a deployment reads without pandas
    with paused_gc():  # as a simulation (twin/collector.py): the report's tables live until it is written
        report = render_report(log, result.summary)
    with run_folder(out_dir) as tmp:
        write_events(log, tmp / "events.parquet")
        (tmp / "summary.json").write_text(summary_text, encoding="utf-8")
        (tmp / "report.html").write_text(report, encoding="utf-8")
        for name, write in result.files.items():  # e.g. the inventory the run changed
            write(tmp / name)
    result.out_dir = Path(out_dir)


def problem_lines(problems: list[Problem]) -> list[str]:
    return [("warning: " if p.severity == "warning" else "") + str(p) for p in problems]


__all__ = ["digest", "problem_lines", "render_report", "resolve_inventory", "run_live", "simulate",
           "write_outputs"]
