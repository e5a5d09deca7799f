#!/usr/bin/env python3
"""Day-2 operations speed: replications per second of a simulated year of operations with the
operator's routine (scenarios/day2-year.yaml: nightly database backups, weekly undercloud
backups, monthly rolling updates, a restore drill, check_mk monitoring) against the same year
without it (scenarios/ha-year.yaml: the same faults), both measured in this run.

Prints one table: scenario, replications, wall s, reps/s, events per replication, and the cost
of day-2 operations as the ratio of the two rates. One process, one replication after another
(`simulate` as `twin run` calls it: the model, the event log's DataFrame and the summary).

Usage: .venv/bin/python benchmarks/day2.py [--replications N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from twin.runs import load_scenario, resolve_inventory, simulate


def measure(name: str, replications: int) -> tuple[float, float]:
    loaded = load_scenario(REPO / "scenarios" / f"{name}.yaml")
    inventory, _ = resolve_inventory(loaded)
    events = 0
    t0 = time.perf_counter()
    for seed in range(replications):
        events += len(simulate(loaded.scenario, inventory, seed).events)
    wall = time.perf_counter() - t0
    return wall, events / replications


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replications", type=int, default=5)
    n = ap.parse_args().replications
    rows = [(name, *measure(name, n)) for name in ("ha-year", "day2-year")]
    print(f"{'scenario':<12} {'reps':>5} {'wall s':>8} {'reps/s':>8} {'events/rep':>11}")
    for name, wall, events in rows:
        print(f"{name:<12} {n:>5} {wall:>8.2f} {n / wall:>8.2f} {events:>11.0f}")
    base, day2 = n / rows[0][1], n / rows[1][1]
    print(f"day-2 operations cost: {base / day2:.2f}x the time of the same year without them "
          f"(floor: ha-year's {base:.2f} reps/s, measured above)")


if __name__ == "__main__":
    main()
