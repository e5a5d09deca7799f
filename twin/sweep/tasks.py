"""One sweep task: a (point, replication) pair run by `twin.runs.simulate`, anywhere.

Rules: a Task is plain picklable data (the scenario's absolute path, the point's scenario mapping,
the seed), so the same task runs in this process, in a local worker process or on a Dask worker;
the worker rebuilds the Scenario and resolves its inventory itself (once per point and worker
process, cached), so a Dask worker must see the scenario's inventory file at the same absolute
path (or the scenario uses `inventory.generate`). A row is the point's parameters, the
replication and its seed, every number of `RunResult.metrics` and `wall_s`, the wall time of the
simulation alone; a metric outside its kind's range (stats.metric_kind) fails the task, naming it.
This is the one module of the sweep that knows the runner (RUNNER: its `resolve_inventory`,
`simulate`, `problem_lines`); the rest of the sweep calls the wrappers below.
A local worker process exits when the `twin` process that started it is gone (warm_up).
"""
from __future__ import annotations

import json
import os
import select
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from twin.errors import TwinError
from twin.sweep.parts import metric_problem
from twin.sweep.spec import RESERVED_COLUMNS

#: The module that resolves inventories and simulates runs (imported in workers ahead of tasks).
RUNNER = "twin.runs"


def _runner():
    from importlib import import_module

    return import_module(RUNNER)


def resolve_inventory(loaded):
    """(inventory, warning problems) of a loaded scenario; raises InputError / TwinError."""
    return _runner().resolve_inventory(loaded)


def warning_lines(problems) -> list[str]:
    """The inventory's warnings as the CLI prints them, one line each."""
    return _runner().problem_lines(problems)


def simulate(scenario, inventory, seed: int):
    """The RunResult of one run of `scenario` with `seed`."""
    return _runner().simulate(scenario, inventory, seed)


@dataclass(frozen=True)
class Task:
    point: int
    replication: int
    seed: int
    params: dict  # column name -> column value (spec.column_value)
    scenario_path: str  # absolute
    mapping: dict  # the point's scenario mapping


_PREPARED: dict[str, tuple] = {}
_PREPARED_MAX = 16


def _prepared(path: str, mapping: dict):
    from twin.runs import Scenario
    from twin.scenario import LoadedScenario

    key = path + "\0" + json.dumps(mapping, sort_keys=True, default=str)
    hit = _PREPARED.get(key)
    if hit is None:
        scenario = Scenario.model_validate(mapping)
        inventory, _ = resolve_inventory(LoadedScenario(scenario, Path(path), None))
        if len(_PREPARED) >= _PREPARED_MAX:
            _PREPARED.pop(next(iter(_PREPARED)))
        hit = _PREPARED[key] = (scenario, inventory)
    return hit


def run_task(task: Task) -> dict:
    """Simulate one replication of one point; return its results row."""
    scenario, inventory = _prepared(task.scenario_path, task.mapping)
    t0 = time.perf_counter()
    result = simulate(scenario, inventory, task.seed)
    wall_s = time.perf_counter() - t0
    row = {"point": task.point, **task.params, "replication": task.replication, "seed": task.seed}
    for name, value in result.metrics.items():
        if name in row or name in RESERVED_COLUMNS:
            raise MetricNameClash(name)
        row[name] = float(value)
        problem = metric_problem(name, row[name])
        if problem:
            raise TwinError(f"the run's metric '{name}': {problem} (twin/sweep/stats.py METRIC_KINDS "
                            f"gives each metric's kind)")
    row["wall_s"] = wall_s
    return row


class MetricNameClash(TwinError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(name)

    def __str__(self) -> str:
        return (f"the run's metric '{self.name}' has the name of a sweep column (a --set key or one of "
                f"{', '.join(RESERVED_COLUMNS)}); rename the axis or the metric")


def warm_up(parent_pid: int | None = None) -> bool:
    """Import what a task needs (run once per local worker process, before the first task); ignore
    SIGINT; with `parent_pid`, exit as soon as that process (the `twin` process) is gone."""
    import signal

    _runner()

    # Ctrl-C is the parent's to handle: it cancels, keeps finished parts and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent_pid is not None:
        threading.Thread(target=_exit_when_gone, args=(parent_pid,), name="twin-parent-watch", daemon=True).start()
    return True


def _exit_when_gone(pid: int) -> None:
    """Wait for process `pid` to end (a pidfd where Linux has one, else polling), then end this
    process at once: a worker whose `twin` process was killed has no one to report to."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # pragma: no cover - no pidfd (not Linux >= 5.3)
        while _alive(pid):
            time.sleep(0.5)
        os._exit(1)
    select.select([fd], [], [])  # readable when the process has ended
    os._exit(1)


def _alive(pid: int) -> bool:  # pragma: no cover - the fallback of _exit_when_gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
