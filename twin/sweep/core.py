"""Run a sweep: every (point, replication) task on an executor, rows kept as they finish, a summary.

Rules: the whole sweep is validated and its size bounded before the first task runs
(spec.plan_sweep); `on_start` hears of it then (the CLI prints its header and warnings); tasks
are made as they are submitted (a generator: nothing of the sweep's size is built ahead),
replication by replication (replication 0 of every point, then 1...), a bounded number ahead of
the workers, so an interrupted sweep has about as many replications of every point and
Ctrl-C has little to cancel; each finished row is written as its own part file at once (with an
output folder); Ctrl-C or a failed task cancels what is queued, stops the workers and keeps every
finished part (SIGTERM is the CLI's to turn into the same: see cli.py). The results table is built from the rows in (point, replication) order with fixed
column types, so the same sweep gives an identical table (but wall_s) however it ran: in one go
or resumed, on 1 or K local workers or on Dask.
"""
from __future__ import annotations

import math
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from twin.errors import TwinError
from twin.sweep.executors import InlineExecutor, make_executor, max_local_workers
from twin.sweep.spec import (MAX_RUNS, RESERVED_COLUMNS, SweepError, SweepPlan, SweepUsageError, _jsonable,
                             _yaml_text, column_value, plan_sweep)
from twin.sweep.stats import KINDS, estimate, metric_kind
from twin.sweep.store import SweepStore, write_atomically
from twin.sweep.tasks import Task, run_task


@dataclass
class SweepResult:
    table: pd.DataFrame  # one row per (point, replication): point, params..., replication, seed, metrics..., wall_s
    summary: dict  # see summarize()
    out_dir: Path | None = None
    ran: int = 0  # tasks run by this call
    reused: int = 0  # finished tasks found in out_dir (resume)
    warnings: list[str] = field(default_factory=list)
    #: wall seconds of the phases: plan (load, validate, resolve), start (the executor), run (the
    #: tasks, parts included), write (table, summary and their files)
    timings: dict[str, float] = field(default_factory=dict)


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, see cli.py) during a sweep: `done` of `total` replications are finished
    (and kept in `out_dir`); `signal` names what stopped it ("SIGINT" or "SIGTERM")."""

    def __init__(self, done: int, total: int, out_dir: Path | None, signal: str = "SIGINT"):
        self.done, self.total, self.out_dir, self.signal = done, total, out_dir, signal
        super().__init__(done, total, out_dir, signal)


def run_sweep(scenario_path, replications: int, axes: dict[str, list] | None = None, workers: int = 1,
              scheduler: str | None = None, out_dir=None, resume: bool = False, seed: int | None = None,
              progress: bool = False, *, confidence: float = 0.95, on_row=None, on_start=None,
              max_runs: int = MAX_RUNS) -> SweepResult:
    """Run `replications` of every point of the cartesian product of `axes` ({dotted key: [values]}).

    workers: local worker processes (1 runs in this process); scheduler: a Dask scheduler's address
    (tcp://HOST:PORT) to run on instead; out_dir: where parts, results.parquet and summary.json go
    (None: nothing is written, no resume); seed: the base seed (default: the scenario's);
    on_row(row): called in this process after each newly finished row is kept; on_start(plan,
    reused, warnings): called once the sweep is planned and its folder opened, before any task
    runs (warnings: the inventory's and any bad part's, one line each); max_runs: the most
    points x replications this call accepts (spec.MAX_RUNS by default).
    Raises SweepUsageError / SweepError / InputError before anything runs, SweepInterrupted on Ctrl-C.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SweepUsageError(f"--workers: must be a whole number of at least 1, not {workers!r}")
    if not scheduler and workers > max_local_workers():
        raise SweepUsageError(f"--workers: at most {max_local_workers()} local worker processes here (4 per CPU: "
                              f"more only share the CPUs and memory), not {workers:,}")
    if scheduler and workers != 1:
        raise SweepUsageError("--workers applies to local worker processes; with --scheduler the Dask "
                              "cluster's workers run the sweep (leave --workers out)")
    if not 0 < confidence < 1:
        raise SweepUsageError(f"confidence must be between 0 and 1, not {confidence!r}")
    if resume and out_dir is None:
        raise SweepUsageError("--resume needs the sweep's output folder (--out DIR)")
    clock = time.perf_counter()
    timings = {"plan_s": 0.0, "start_s": 0.0, "run_s": 0.0, "write_s": 0.0}
    plan = plan_sweep(scenario_path, replications, axes, seed, max_runs)
    store = SweepStore(out_dir) if out_dir is not None else None
    rows: dict[tuple[int, int], dict] = {}
    notes: list[str] = []
    if store is not None:
        rows, notes = store.open(plan.definition, resume, lambda key: row_head(plan, *key))
    reused = len(rows)
    warnings = [*plan.warnings, *notes]
    timings["plan_s"] = time.perf_counter() - clock
    if on_start is not None:
        on_start(plan, reused, warnings)
    todo = plan.total - reused
    ran = _execute(plan, _tasks(plan, rows), rows, store, min(workers, todo), scheduler, progress, reused,
                   on_row, timings) if todo else 0
    clock = time.perf_counter()
    table = results_table(plan, rows)
    summary = summarize(plan, table, confidence)
    if store is not None:
        write_atomically(store.dir / "results.parquet", lambda p: table.to_parquet(p, index=False))
        write_atomically(store.dir / "summary.json",
                         lambda p: p.write_text(json_dumps(summary) + "\n", encoding="utf-8"))
        from twin.report.sweep import render_sweep_report  # each metric per point with its interval

        write_atomically(store.dir / "report.html", render_sweep_report(summary))
    timings["write_s"] = time.perf_counter() - clock
    return SweepResult(table, summary, store.dir if store else None, ran, reused, warnings, timings)


def row_head(plan: SweepPlan, point: int, replication: int) -> dict | None:
    """What the row of task (point, replication) begins with: point, parameters (as stored in their
    columns), replication, seed; None when the sweep has no such task."""
    if not (0 <= point < len(plan.points) and 0 <= replication < plan.replications):
        return None
    params = plan.points[point].params.values()
    return {"point": point, **{a.key: column_value(v, a.kind) for a, v in zip(plan.axes, params)},
            "replication": replication, "seed": plan.seed(replication)}


def _tasks(plan: SweepPlan, done: dict):
    """The tasks not done, replication by replication, made one at a time."""
    for r in range(plan.replications):
        for p in plan.points:
            if (p.index, r) not in done:
                head = row_head(plan, p.index, r)
                params = {k: v for k, v in head.items() if k not in RESERVED_COLUMNS}
                yield Task(p.index, r, head["seed"], params, str(plan.path), p.mapping)


def _execute(plan: SweepPlan, todo, rows: dict, store, workers, scheduler, progress, reused,
             on_row, timings: dict) -> int:
    from tqdm import tqdm

    clock = time.perf_counter()
    executor = make_executor(workers, scheduler)
    timings["start_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    window = 1 if isinstance(executor, InlineExecutor) else 2 * executor.slots + 2
    finished: queue.SimpleQueue = queue.SimpleQueue()
    pending: dict = {}
    tasks = iter(todo)
    ran = 0
    bar = tqdm(total=plan.total, initial=reused, unit="rep", desc=plan.name, disable=None if progress else True,
               leave=False, dynamic_ncols=True)

    def keep(row: dict) -> None:
        nonlocal ran
        if store is not None:
            store.write_part(row)
        rows[(row["point"], row["replication"])] = row
        ran += 1
        bar.update(1)
        if on_row is not None:
            on_row(row)

    def fill() -> None:
        while len(pending) < window:
            task = next(tasks, None)
            if task is None:
                return
            future = executor.submit(run_task, task)
            pending[future] = task
            future.add_done_callback(finished.put)

    cancel = True
    try:
        fill()
        while pending:
            future = _next(finished)
            task = pending.pop(future, None)
            if task is None:
                continue
            try:
                row = future.result()
            except TwinError as e:
                raise SweepError(f"point {task.point} ({_params_text(plan, task.point)}), replication "
                                 f"{task.replication} (seed {task.seed}): {e}") from e
            keep(row)
            fill()
        cancel = False
    except BaseException as e:
        for future in list(pending):  # keep what finished while we were stopping
            try:
                if future.done() and not future.cancelled() and future.exception() is None:
                    keep(future.result())
            except BaseException:
                pass
            future.cancel()
        if isinstance(e, KeyboardInterrupt) and not isinstance(e, SweepInterrupted):
            done = len(store.existing_parts()) if store is not None else len(rows)  # what is on disk
            raise SweepInterrupted(done, plan.total, store.dir if store else None,
                                   getattr(e, "signal", "SIGINT")) from None
        raise
    finally:
        bar.close()
        executor.close(cancel=cancel)
        timings["run_s"] = time.perf_counter() - clock
    return ran


def _next(finished: queue.SimpleQueue):
    while True:  # short waits: Ctrl-C is seen at once
        try:
            return finished.get(timeout=0.25)
        except queue.Empty:
            continue


def _params_text(plan: SweepPlan, index: int) -> str:
    params = plan.points[index].params
    return ", ".join(f"{k}={_yaml_text(v)}" for k, v in params.items()) or "the scenario"


_DTYPES = {"bool": "bool", "int": "int64", "float": "float64", "str": "str", "json": "str"}


def results_table(plan: SweepPlan, rows: dict) -> pd.DataFrame:
    """The rows in (point, replication) order: point, params..., replication, seed, metrics..., wall_s."""
    ordered = [rows[k] for k in sorted(rows)]
    params = [a.key for a in plan.axes]
    metrics: list[str] = []
    for row in ordered:
        for name in row:
            if name not in metrics and name not in params and name not in RESERVED_COLUMNS:
                metrics.append(name)
    columns = ["point", *params, "replication", "seed", *metrics, "wall_s"]
    table = pd.DataFrame(ordered, columns=columns)
    dtypes = {"point": "int64", "replication": "int64", "seed": "int64", "wall_s": "float64",
              **{a.key: _DTYPES[a.kind] for a in plan.axes}, **{m: "float64" for m in metrics}}
    return table.astype(dtypes)


def metric_columns(table: pd.DataFrame, plan: SweepPlan) -> list[str]:
    params = {a.key for a in plan.axes}
    return [c for c in table.columns if c not in params and c not in RESERVED_COLUMNS]


def summarize(plan: SweepPlan, table: pd.DataFrame, confidence: float = 0.95) -> dict:
    """{"scenario", "scenario_path", "seed", "replications", "confidence", "axes": {key: [values]},
    "kinds": {metric: kind}, "intervals": {metric: "wilson"|"t"}, "points": [{"point",
    "params": {key: value}, "metrics": {metric: {"mean", "sd", "n", "ci_low", "ci_high",
    "interval"}}}]}. A metric's kind (stats.metric_kind: proportion, fraction, duration, count,
    real) decides its interval (stats.estimate). NaN (undefined) is written as null."""
    metrics = metric_columns(table, plan)
    kinds = {m: metric_kind(m) for m in metrics}
    points = []
    for point in plan.points:
        sub = table[table["point"] == point.index]
        points.append({"point": point.index,
                       "params": {k: _jsonable(v) for k, v in point.params.items()},
                       "metrics": {m: estimate(sub[m].tolist(), kinds[m], confidence) for m in metrics}})
    return {"scenario": plan.name, "scenario_path": str(plan.path), "seed": plan.base_seed,
            "replications": plan.replications, "confidence": confidence,
            "axes": {a.key: [_jsonable(v) for v in a.values] for a in plan.axes},
            "kinds": kinds, "intervals": {m: KINDS[k][2] for m, k in kinds.items()}, "points": points}


def json_dumps(data) -> str:
    """Strict JSON: NaN (undefined) as null, infinities as the strings "Infinity" and "-Infinity"
    (what JavaScript's Number() and Python's float() read back)."""
    import json

    return json.dumps(_strict(data), indent=2, allow_nan=False)


def _strict(data):
    if isinstance(data, float) and not math.isfinite(data):
        return None if math.isnan(data) else ("Infinity" if data > 0 else "-Infinity")
    if isinstance(data, dict):
        return {k: _strict(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_strict(v) for v in data]
    return data


def format_summary(summary: dict) -> str:
    """The summary as a plain-text table: one line per point and metric."""
    axes = list(summary["axes"])
    pct = f"{summary['confidence'] * 100:g}%"
    head = ["point", *axes, "metric", "n", "mean", "sd", f"{pct} low", f"{pct} high", "interval"]
    body = []
    for point in summary["points"]:
        for name, m in point["metrics"].items():
            body.append([str(point["point"]), *(_yaml_text(point["params"][a]) for a in axes), name, str(m["n"]),
                         _num(m["mean"]), _num(m["sd"]), _num(m["ci_low"]), _num(m["ci_high"]), m["interval"]])
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    numeric = {0, len(axes) + 2, len(axes) + 3, len(axes) + 4, len(axes) + 5, len(axes) + 6}
    lines = []
    for r in [head, *body]:
        lines.append("  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     .rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _num(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.6g}"
