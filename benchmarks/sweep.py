#!/usr/bin/env python3
"""Sweep throughput: replications per second on 1 and 2 local workers, and what Dask costs per replication.

Prints one table. Every row is a whole `run_sweep` of the same scenario and replications, as
`twin sweep` runs it: plan and validation, the executor's start, the tasks, one part file per
replication, results.parquet and summary.json. Rows:
  in-process       --workers 1: the tasks run in this process (the serial reference)
  local processes  --workers 2: a ProcessPoolExecutor (fork server) started for the sweep
  dask             --scheduler: a Dask LocalCluster on 127.0.0.1 (processes, 1 thread each),
                   started before the timer as an existing cluster is
Columns: wall s = the whole sweep; start s = starting the executor (local worker processes: a
fork server importing the twin, then the workers; Dask: connecting to the scheduler); run s =
the tasks, from the first submitted to the last part file written. reps/s, efficiency = reps/s /
(workers x the in-process reps/s) and overhead are of the run phase; sim ms/rep = the mean time
`simulate` itself took inside the tasks (wall_s; it grows when processes share the CPUs);
overhead ms/rep = worker-time per replication beyond the simulation's in-process cost (run s x
workers / reps - the in-process row's sim ms/rep): task shipping, results, part files, and the
CPU the executor's own processes (parent, scheduler) take from the workers.

The scenario is a parameter: a year of stochastic failures (`run: operations`, from the HA
model) plugs in as --scenario once that run kind exists; its replications are longer, so the
overheads here matter less there.

Usage: .venv/bin/python benchmarks/sweep.py [--scenario FILE] [--replications N] [--set KEY=V1,V2 ...]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from twin.sweep import parse_sets, run_sweep  # noqa: E402
from twin.sweep.executors import default_workers  # noqa: E402


def timed_sweep(scenario, replications, axes, **kwargs):
    with tempfile.TemporaryDirectory(prefix="twin-bench-sweep-") as out:
        t0 = time.perf_counter()
        result = run_sweep(scenario, replications, axes, out_dir=Path(out) / "sweep", **kwargs)
        wall = time.perf_counter() - t0
    return wall, result


def best(repeat, fn):
    runs = [fn() for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(REPO / "scenarios" / "helion-reference.yaml"))
    ap.add_argument("--replications", type=int, default=200, help="replications per point (default 200)")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=V1,V2")
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs per row (default 2)")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask rows")
    args = ap.parse_args()
    axes = parse_sets(args.sets)

    cases = [("in-process", 1, {}), ("local processes", 2, {"workers": 2})]
    rows = []
    first_start = {}
    for label, workers, kwargs in cases:
        runs = [timed_sweep(args.scenario, args.replications, axes, **kwargs) for _ in range(args.repeat)]
        first_start[label] = runs[0][1].timings["start_s"]
        rows.append((label, workers, *min(runs, key=lambda r: r[0])))
    dask_note = ""
    if not args.no_dask:
        from distributed import LocalCluster

        for workers in (1, 2):
            t0 = time.perf_counter()
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address="127.0.0.1:0") as cluster:
                start_s = time.perf_counter() - t0
                # the first sweep on a fresh cluster imports the twin on its workers: not per replication
                timed_sweep(args.scenario, 1, None, scheduler=cluster.scheduler_address)
                rows.append(("dask", workers, *best(args.repeat, lambda: timed_sweep(
                    args.scenario, args.replications, axes, scheduler=cluster.scheduler_address))))
            dask_note += f"; LocalCluster({workers}) start {start_s:.1f} s (not in the table)"

    serial_rate = serial_sim_ms = None
    header = f"{'executor':<17}{'workers':>8}{'reps':>7}{'wall s':>8}{'start s':>9}{'run s':>7}{'reps/s':>8}" \
             f"{'efficiency':>11}{'sim ms/rep':>12}{'overhead ms/rep':>17}"
    print(f"scenario {Path(args.scenario).name}, {args.replications} replication(s) per point, "
          f"{default_workers()} CPU(s), load average {os.getloadavg()[0]:.2f} at the end, best of {args.repeat}"
          f"{dask_note}")
    print(header)
    print("-" * len(header))
    for label, workers, wall, result in rows:
        n = len(result.table)
        run_s = result.timings["run_s"]
        rate = n / run_s
        if serial_rate is None:
            serial_rate = rate
        sim_ms = result.table["wall_s"].mean() * 1e3
        if serial_sim_ms is None:
            serial_sim_ms = sim_ms
        overhead_ms = run_s * workers / n * 1e3 - serial_sim_ms
        print(f"{label:<17}{workers:>8}{n:>7}{wall:>8.2f}{result.timings['start_s']:>9.2f}{run_s:>7.2f}{rate:>8.1f}"
              f"{rate / (workers * serial_rate):>11.2f}{sim_ms:>12.2f}{overhead_ms:>17.2f}")
    print(f"start: the first local sweep of a process also starts the fork server that imports the twin once "
          f"({first_start['local processes']:.2f} s here, as every `twin sweep --workers K>1` command pays); "
          f"later sweeps of the same process fork from it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
