#!/usr/bin/env python3
"""VSA model speed: replications per second of one simulated year of a 16-node StoreVirtual
cluster with 1,500 NR-10 volumes under stochastic failures, on 1 and 2 local workers, and the
cost per failure against the same world without the VSA model and against bare simpy.

Prints two tables.

1. Replications. Each replication builds the world (16 VSA nodes and the undercloud, simulated
   machines and BMCs, the fault injector), runs a year (every node crashes, MTBF 30 days, MTTR 4 h;
   every node loses its disk, MTBF 1 year, repaired in 8 h then redeployed and rebuilt), builds the
   event log and computes vsa_metrics. 1 worker: in this process; 2 workers: a process pool.
   (The same model runs inside `run: operations` and `twin sweep`; this measures it alone.)
2. The event loop, best of 5: world.run alone with the VSA model, without it (the same faults on
   the same hardware: what the VSA model adds), and bare simpy on the same failure pattern (one
   process per unit alternating failure/repair timeouts with the run's failure counts).

Usage: .venv/bin/python benchmarks/vsa.py [--replications N]
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "vsa"))

from vsa_harness import vsa_world  # the test harness builds the world

from floors import failure_repair_floor as bare_simpy  # noqa: E402  (benchmarks/floors.py)
from twin.cloud.vsa.metrics import vsa_metrics

YEAR = 365 * 86400.0
NODES = [f"vsa{i}" for i in range(16)]
FAULTS = [
    {"kind": "node_crash", "nodes": NODES, "ttf": {"dist": "exponential", "mean": 30 * 86400},
     "ttr": {"dist": "exponential", "mean": 4 * 3600}},
    {"kind": "disk_failure", "nodes": NODES, "ttf": {"dist": "exponential", "mean": YEAR},
     "ttr": {"dist": "exponential", "mean": 8 * 3600}},
]
STORAGE = {"clusters": [{"name": "c", "volumes": {"count": 1500, "size_gib": 20}}]}


def build(seed: int, with_vsa: bool = True):
    """The world; without the VSA model it is built but never started (it sees nothing)."""
    return vsa_world(16, storage=STORAGE, faults=FAULTS, seed=seed, counts={"undercloud": 1}, with_model=with_vsa)


def replication(seed: int) -> float:
    t0 = time.perf_counter()
    run = build(seed)
    vsa_metrics(run.finish(YEAR))
    return time.perf_counter() - t0


def loop_only(seed: int, with_vsa: bool):
    run = build(seed, with_vsa)
    gc.disable()
    try:
        t0 = time.perf_counter()
        run.world.run(until=YEAR)
        elapsed = time.perf_counter() - t0
    finally:
        gc.enable()
    log = run.world.recorder.frame()
    starts = log[(log.kind == "fault") & (log.name == "start")]
    per_unit = starts.groupby(["subject", "detail"]).size().tolist()
    per_unit += [0] * max(0, 2 * len(NODES) - len(per_unit))
    return elapsed, next(run.world.env._eid), per_unit, len(starts)




def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=8)
    args = ap.parse_args()
    seeds = list(range(1, args.replications + 1))
    print(f"1. One simulated year, 16 VSA nodes, 1,500 volumes, {args.replications} replications per row")
    header = f"{'workers':>8}{'wall s':>9}{'reps/s':>9}{'efficiency':>12}"
    print(header)
    print("-" * len(header))
    rates = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        if workers == 1:
            for seed in seeds:
                replication(seed)
        else:
            with ProcessPoolExecutor(workers) as pool:
                list(pool.map(replication, seeds))
        wall = time.perf_counter() - t0
        rates[workers] = args.replications / wall
        print(f"{workers:>8}{wall:>9.2f}{rates[workers]:>9.2f}{rates[workers] / (workers * rates[1]):>12.2f}")
    print()
    print("2. The event loop for one year, best of 5 (seed 1)")
    header = f"{'world':<28}{'failures':>9}{'simpy events':>13}{'ms':>9}{'us/failure':>11}"
    print(header)
    print("-" * len(header))
    rows = {}
    for name, with_vsa in (("hardware + faults + VSA", True), ("hardware + faults", False)):
        elapsed, events, per_unit, failures = min((loop_only(1, with_vsa) for _ in range(5)), key=lambda r: r[0])
        rows[name] = (elapsed, per_unit, failures)
        print(f"{name:<28}{failures:>9}{events:>13,}{elapsed * 1e3:>9.1f}{elapsed / max(failures, 1) * 1e6:>11.0f}")
    _, per_unit, failures = rows["hardware + faults + VSA"]
    floor = min(bare_simpy(per_unit, YEAR) for _ in range(5))
    print(f"{'bare simpy, same failures':<28}{failures:>9}{'':>13}{floor * 1e3:>9.1f}{floor / max(failures, 1) * 1e6:>11.0f}")
    with_vsa, without = rows["hardware + faults + VSA"][0], rows["hardware + faults"][0]
    print(f"\nthe VSA model adds {(with_vsa - without) / max(failures, 1) * 1e6:.0f} us per failure "
          f"({with_vsa / floor:.0f}x bare simpy with it, {without / floor:.0f}x without)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
