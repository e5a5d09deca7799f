#!/usr/bin/env python3
"""Operations speed: replications per second of one simulated year with stochastic failures, on 1
and 2 local workers, and the failure/repair event loop against bare simpy on the same pattern.

Prints two tables.

1. Replications. For the 10-node reference cloud (scenarios/ha-year.yaml) and the 39-node
   helion-max cloud under the same failure processes (every node crashes and loses disks, every
   controller's services crash, a rack loses power), a whole `run_sweep` as `twin sweep` runs it
   (plan, executor start, tasks, results and summary in memory): reps/s = replications / wall s,
   efficiency = reps/s on 2 workers / (2 x reps/s on 1 worker), sim ms/rep = the mean time
   `simulate` itself took per replication (it grows when two processes share two cores).
2. The event loop. One replication's model alone (world.run, no DataFrame or summary) against
   bare simpy running the same failure/repair pattern: one process per failure unit, each an
   alternating sequence of timeouts with exactly the failures and repairs the replication had,
   over the same year. `overhead x` is what the twin spends per failure beyond the cheapest
   simpy can do: the injector, the operator's BMC commands and boots, the control plane's
   settles and the event log; `simpy events` counts the twin's scheduled events.

Usage: .venv/bin/python benchmarks/operations.py [--replications N]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from floors import failure_repair_floor as bare_simpy  # noqa: E402  (benchmarks/floors.py)
from twin.kernel.sim import make_sim_world  # noqa: E402
from twin.record.recorder import Recorder  # noqa: E402
from twin.runs import (
    load_scenario,  # noqa: E402
    resolve_inventory,  # noqa: E402
)
from twin.runs.operations import Operations  # noqa: E402
from twin.sim.hardware import SimHardware  # noqa: E402
from twin.sim.ops import SimTargets  # noqa: E402
from twin.sweep import run_sweep  # noqa: E402


def scenarios(tmp: Path) -> list[tuple[str, Path]]:
    """The reference year as shipped, and the same failures on the helion-max inventory."""
    year = yaml.safe_load((REPO / "scenarios" / "ha-year.yaml").read_text())
    year["inventory"] = {"file": str(REPO / "scenarios" / "inventories" / "helion-reference.csv")}
    ref = tmp / "ha-year-reference.yaml"
    ref.write_text(yaml.safe_dump(year, sort_keys=False))
    big = yaml.safe_load((REPO / "scenarios" / "helion-max.yaml").read_text())
    year["name"], year["inventory"] = "ha-year-max", big["inventory"]
    mx = tmp / "ha-year-max.yaml"
    mx.write_text(yaml.safe_dump(year, sort_keys=False))
    return [("reference (10 nodes)", ref), ("helion-max (39 nodes)", mx)]


def sweep_row(path: Path, replications: int, workers: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    result = run_sweep(path, replications, workers=workers)
    wall = time.perf_counter() - t0
    return wall, float(result.table.wall_s.mean())


def model_run(path: Path, seed: int):
    """One replication's model alone; (seconds, simpy events, [failures per unit], fault edges)."""
    loaded = load_scenario(path)
    sc = loaded.scenario
    inventory, _ = resolve_inventory(loaded)
    nodes = inventory.active
    world = make_sim_world(seed, Recorder(), lambda w: SimHardware(w, nodes, sc.timing, sc.network, sc.faults))
    targets = SimTargets(world, world.hardware)
    targets.start_deployed()
    run = Operations(world, sc, nodes, targets, targets)
    run.start()
    t0 = time.perf_counter()
    world.run(until=sc.operations.duration_s)
    elapsed = time.perf_counter() - t0
    events = next(world.env._eid)
    log = world.recorder.frame()
    starts = log[(log.kind == "fault") & (log.name == "start")]
    per_unit = starts.groupby(["cause"]).size().tolist()
    units = sum(len(run.injector.units(i, f)) for i, f in enumerate(sc.faults) if run.injector.applies(f))
    per_unit += [0] * max(0, units - len(per_unit))
    return elapsed, events, per_unit, len(starts)




def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=120)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = scenarios(Path(tmp))
        print(f"1. One simulated year with stochastic failures, {args.replications} replications per row "
              f"(whole run_sweep, results in memory)")
        header = f"{'cloud':<24}{'workers':>8}{'wall s':>9}{'reps/s':>9}{'sim ms/rep':>12}{'efficiency':>12}"
        print(header)
        print("-" * len(header))
        for name, path in cases:
            rates = {}
            for workers in (1, 2):
                wall, sim = sweep_row(path, args.replications, workers)
                rates[workers] = args.replications / wall
                eff = f"{rates[workers] / (workers * rates[1]):.2f}" if workers > 1 else "1.00"
                print(f"{name:<24}{workers:>8}{wall:>9.2f}{rates[workers]:>9.1f}{sim * 1e3:>12.1f}{eff:>12}")
        print()
        print("2. The failure/repair event loop: the twin's model vs bare simpy on the same failures (best of 5)")
        header = f"{'cloud':<24}{'units':>6}{'failures':>9}{'simpy events':>13}{'model ms':>10}" \
                 f"{'bare simpy ms':>14}{'overhead x':>11}{'us/failure':>11}"
        print(header)
        print("-" * len(header))
        for name, path in cases:
            runs = [model_run(path, 42) for _ in range(5)]
            elapsed, events, per_unit, failures = min(runs, key=lambda r: r[0])
            horizon = load_scenario(path).scenario.operations.duration_s
            floor = min(bare_simpy(per_unit, horizon) for _ in range(5))
            print(f"{name:<24}{len(per_unit):>6}{failures:>9}{events:>13,}{elapsed * 1e3:>10.2f}{floor * 1e3:>14.3f}"
                  f"{elapsed / floor:>11.1f}{elapsed / max(failures, 1) * 1e6:>11.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
