#!/usr/bin/env python3
"""Durability sweep speed: replications per second of `run: durability` on
scenarios/swift-durability.yaml (a 256-partition, 2-replica ring on 8 disks, one year per run).

Rows:
  model floor        simulate_years alone on the ring's table (the Monte Carlo, nothing else)
  twin run kind      twin.runs.simulate: the kind's replication (events recorded, summary from the
                     log, the event table left unbuilt as in a sweep)
  twin sweep         run_sweep in this process (--workers 1, no output folder): planning, seeds,
                     rows, the summary with its intervals
Columns: replications per second and the ratio to the model floor measured in the same run.

Usage: .venv/bin/python benchmarks/durability.py [--replications N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from twin.cloud.swift.durability import simulate_years  # noqa: E402
from twin.runs import load_scenario, resolve_inventory, simulate  # noqa: E402
from twin.sweep import run_sweep  # noqa: E402

SCENARIO = REPO / "scenarios" / "swift-durability.yaml"


def rate(n: int, fn) -> float:
    t0 = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=2000, help="replications per row (default 2000)")
    n = ap.parse_args().replications
    loaded = load_scenario(SCENARIO)
    inventory, _ = resolve_inventory(loaded)
    sc = loaded.scenario
    ring, d = sc.durability._resolved, sc.durability
    run_sweep(SCENARIO, 2, workers=1)  # warm: imports
    rows = [
        ("model floor", rate(n, lambda: [simulate_years(ring.table, ring.outage_h, d.afr, d.years,
                                                        np.random.default_rng(s)) for s in range(n)])),
        ("twin run kind", rate(n, lambda: [simulate(sc, inventory, s) for s in range(n)])),
        ("twin sweep", rate(n, lambda: run_sweep(SCENARIO, n, workers=1))),
    ]
    floor = rows[0][1]
    print(f"{'':<16}{'reps/s':>12}{'x floor':>10}   ({n:,} replications of {SCENARIO.name})")
    for name, r in rows:
        print(f"{name:<16}{r:>12,.0f}{r / floor:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
