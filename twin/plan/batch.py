"""Replications of scenario points for the planner: the one place that knows how they are run.

Rule: `run_points` runs `replications` of every point of the cartesian product of `axes`
(dotted scenario keys -> values) on the sweep runner (twin.sweep.run_sweep: in this process,
on local worker processes, or on a Dask cluster), with the sweep's seeds: replication r has the
same seed at every point (common random numbers, so cloud sizes are compared on the same
demand). It returns the sweep's table: one row per (point, replication), a column per axis key
and per metric of RunResult.metrics.
"""
from __future__ import annotations

import pandas as pd


def run_points(scenario_path, axes: dict, replications: int, workers: int = 1, scheduler: str | None = None,
               seed: int | None = None, progress: bool = False) -> pd.DataFrame:
    """`progress`: the sweep's bar for this batch (on a terminal), so a long batch is not silent."""
    from twin.sweep import run_sweep

    result = run_sweep(scenario_path, replications, axes, workers=workers, scheduler=scheduler, seed=seed,
                       progress=progress)
    return result.table
