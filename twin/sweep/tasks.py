"""One sweep task: a (point, replication) pair run by `twin.runs.simulate`, anywhere.

Rules: a Task is plain picklable data (the scenario's absolute path, the point's scenario mapping,
the seed), so the same task runs in this process, in a local worker process or on a Dask worker;
the worker rebuilds the Scenario and resolves its inventory itself (once per point and worker
process, cached), so a Dask worker must see the scenario's inventory file at the same absolute
path (or the scenario uses `inventory.generate`). A row is the point's parameters, the
replication and its seed, every number of `RunResult.metrics` and `wall_s`, the wall time of the
simulation alone.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from twin.errors import TwinError
from twin.sweep.spec import RESERVED_COLUMNS


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
    from twin.runs import Scenario, resolve_inventory
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
    from twin.runs import simulate

    scenario, inventory = _prepared(task.scenario_path, task.mapping)
    t0 = time.perf_counter()
    result = simulate(scenario, inventory, task.seed)
    wall_s = time.perf_counter() - t0
    row = {"point": task.point, **task.params, "replication": task.replication, "seed": task.seed}
    for name, value in result.metrics.items():
        if name in row or name in RESERVED_COLUMNS:
            raise MetricNameClash(name)
        row[name] = float(value)
    row["wall_s"] = wall_s
    return row


class MetricNameClash(TwinError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(name)

    def __str__(self) -> str:
        return (f"the run's metric '{self.name}' has the name of a sweep column (a --set key or one of "
                f"{', '.join(RESERVED_COLUMNS)}); rename the axis or the metric")


def warm_up() -> bool:
    """Import what a task needs (run once per local worker process, before the first task)."""
    import signal

    import twin.runs  # noqa: F401

    # Ctrl-C is the parent's to handle: it cancels, keeps finished parts and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return True
