#!/usr/bin/env python3
"""Speed and scale of the simulated deployment, against a floor measured in the same run.

Prints one table. For each case the twin's deployment is simulated (world.run only: the model)
and, separately, the whole `simulate()` (model + summary from the recorded rows; the event
DataFrame is built only when asked for). The floor is bare simpy running the same number of
events in the same shape: one process per node, started in the same three waves (undercloud;
control plane and Swift; the rest), each wave joined with all_of, every event a plain timeout -
the cheapest thing simpy can do, so the ratio "overhead x" is what the twin's model costs per
event beyond simpy itself.

Times are CPU seconds of this process (time.process_time), and the model and its floor are
measured alternately, repetition by repetition (best of each), so that other work on a shared
machine shifts both alike instead of whichever ran during a busy moment. The table at the end
times whole `twin run scenarios/helion-max.yaml` processes (imports, simulation, Parquet,
summary, HTML report) against `twin --help` processes, alternately: wall time (what a user
waits for) and CPU time (steadier on a busy machine), best and median of the repetitions.

Usage: .venv/bin/python benchmarks/run.py [--quick | --cli-only]     (make bench)
    --cli-only   print only the process table (the last one)
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import simpy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from twin.inventory import generate_from_spec  # noqa: E402
from twin.kernel.sim import make_sim_world  # noqa: E402
from twin.record.recorder import Recorder  # noqa: E402
from twin.runs import Scenario, load_scenario, resolve_inventory, simulate  # noqa: E402  # noqa: E402
from twin.sim.hardware import SimHardware  # noqa: E402
from twin.workflows.tripleo import PHASE_OF_ROLE, TripleODeployment  # noqa: E402


CLOCK = time.process_time  # CPU seconds of this process (module docstring)


def twin_model_run(sc: Scenario, inventory, seed: int):
    """Time world.run() alone; return (seconds, simpy events processed, wave sizes)."""
    nodes = inventory.active
    world = make_sim_world(seed, Recorder(), lambda w: SimHardware(w, nodes, sc.timing, sc.network, sc.faults))
    world.process(TripleODeployment(world, nodes, sc.timing, sc.policy, sc.max_attempts, sc.ironic_release).run())
    elapsed = _collector_off(world.run)
    events = next(world.env._eid)  # simpy numbers every scheduled event; all were processed
    waves = [sum(1 for n in nodes if PHASE_OF_ROLE[n.role] == p) for p in ("undercloud", "overcloud-control", "overcloud-compute")]
    return elapsed, events, waves


def bare_simpy(waves: list[int], events: int, seed: int = 1) -> float:
    """The floor: the same number of events, processes and waves, as plain simpy timeouts."""
    procs = sum(waves)
    per_proc = max(1, (events - 2 * procs - len(waves)) // procs)  # each process adds start + end
    rng = random.Random(seed)
    delays = [rng.expovariate(1 / 30.0) for _ in range(4096)]
    env = simpy.Environment()

    def node(i):
        for k in range(per_proc):
            yield env.timeout(delays[(i * 7 + k) & 4095])

    def waves_in_order():
        start = 0
        for size in waves:
            yield env.all_of([env.process(node(i)) for i in range(start, start + size)])
            start += size

    env.process(waves_in_order())
    return _collector_off(env.run)


def _collector_off(run) -> float:
    """CPU seconds of `run()` with Python's cyclic collector off, turned back on only after the
    clock has stopped: the same for the model and its floor. (A simulated run pauses the
    collector itself, twin/kernel/sim.py; the pass it owes when the collector comes back on
    is a cost of the heap, not of the run's events, and must not be charged to one side only.)"""
    gc.disable()
    try:
        t0 = CLOCK()
        run()
        return CLOCK() - t0
    finally:
        gc.enable()


def model_and_floor(k: int, sc: Scenario, inventory, seed: int):
    """(model s, floor s, events, waves): best of k repetitions, model and floor alternately."""
    models, floors = [], []
    for _ in range(k):
        model_s, events, waves = twin_model_run(sc, inventory, seed)
        models.append(model_s)
        floors.append(bare_simpy(waves, events))
    return min(models), min(floors), events, waves


def synthetic(compute: int) -> tuple[Scenario, object]:
    # Heat's stack timeout and Ironic's callback timeouts are lifted so that every size runs the
    # same workflow to active: 10,000 nodes x 10 GiB over one 10 GbE network take about a day to
    # image, and even their deploy ramdisks outlast the 1800 s callback timeout (a real finding
    # about such a cloud, but not what this table measures).
    sc = Scenario(name=f"synthetic-{compute}", inventory={"generate": {"compute": compute, "vsa": 3}},
                  limits_profile="commercial-1.1",
                  timing={"heat_stack_timeout_s": 1e7, "deploy_callback_timeout_s": 1e7, "local_boot_timeout_s": 1e7})
    return sc, generate_from_spec(sc.inventory.generate.model_dump())


def cli_process(args: list[str]) -> tuple[float, float]:
    """(wall s, CPU s) of one `twin ARGS` process (CPU: user + system of the child). The child
    may write bytecode, as Python does on a user's machine: with PYTHONDONTWRITEBYTECODE set (as
    in some sandboxes and CI images) every process would compile again every module changed
    since the last bytecode was written, which is no cost of `twin run`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "twin.cli", *args], cwd=REPO, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cli_table(repeat: int = 7) -> None:
    """`twin run scenarios/helion-max.yaml` against `twin --help` (the start-up every command
    pays), alternately, `repeat` times: what a run costs beyond starting `twin`. The best of the
    repetitions is the figure; the median beside it shows how noisy the machine was (on a shared
    2-core machine the same code varies by about 0.1 s)."""
    commands = {"twin run helion-max": ["run", "scenarios/helion-max.yaml", "--out", "/tmp/twin-bench-cli", "--quiet"],
                "twin --help": ["--help"]}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, args in commands.items():
            samples[name].append(cli_process(args))
    best = {name: (min(w for w, _ in s), min(c for _, c in s)) for name, s in samples.items()}
    median = {name: (statistics.median(w for w, _ in s), statistics.median(c for _, c in s)) for name, s in samples.items()}
    print(f"{'process (' + str(repeat) + ' runs)':<28}{'wall s':>8}{'CPU s':>8}{'median wall':>13}{'median CPU':>12}")
    for name in commands:
        print(f"{name:<28}{best[name][0]:>8.2f}{best[name][1]:>8.2f}{median[name][0]:>13.2f}{median[name][1]:>12.2f}")
    run, help_ = (best[name] for name in commands)
    run_m, help_m = (median[name] for name in commands)
    print(f"{'difference (goal <= 0.50)':<28}{run[0] - help_[0]:>8.2f}{run[1] - help_[1]:>8.2f}"
          f"{run_m[0] - help_m[0]:>13.2f}{run_m[1] - help_m[1]:>12.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 10,000-node case")
    ap.add_argument("--cli-only", action="store_true", help="print only the process table (twin run against twin --help)")
    args = ap.parse_args()
    if args.cli_only:
        cli_table()
        return 0

    cases = []
    for name in ("helion-reference", "helion-max"):
        loaded = load_scenario(REPO / "scenarios" / f"{name}.yaml")
        inventory, _ = resolve_inventory(loaded)
        cases.append((name, loaded.scenario, inventory))
    for compute in ([100, 1000, 3000] if args.quick else [100, 1000, 3000, 10000]):
        sc, inv = synthetic(compute)
        cases.append((sc.name, sc, inv))

    header = f"{'case':<18}{'nodes':>7}{'events':>9}{'model s':>9}{'simulate s':>11}{'us/event':>9}" \
             f"{'bare simpy s':>13}{'overhead x':>11}{'us/node':>9}"
    print(header)
    print("-" * len(header))
    per_node, floor_per_event = {}, {}
    for name, sc, inv in cases:
        repeat = 5 if len(inv.active) <= 100 else (3 if len(inv.active) <= 3000 else 1)
        model_s, floor_s, events, waves = model_and_floor(repeat, sc, inv, 42)
        whole_s = min(_timed(lambda: simulate(sc, inv, 42)) for _ in range(repeat))
        n = len(inv.active)
        per_node[n] = model_s / n * 1e6
        floor_per_event[n] = floor_s / events * 1e6
        print(f"{name:<18}{n:>7}{events:>9}{model_s:>9.3f}{whole_s:>11.3f}{model_s / events * 1e6:>9.2f}"
              f"{floor_s:>13.3f}{model_s / floor_s:>11.2f}{per_node[n]:>9.1f}")
    big, base = max(per_node), min(n for n in per_node if n >= 1000)
    print()
    print(f"growth: model time per node at {big} nodes is {per_node[big] / per_node[base]:.2f}x that at {base} nodes "
          f"(1.00 = linear); bare simpy's time per event grows {floor_per_event[big] / floor_per_event[base]:.2f}x "
          f"over the same range (a deeper heap, more live generators: the floor's own growth)")
    print()
    cli_table()
    return 0


def _timed(fn) -> float:
    t0 = CLOCK()
    fn()
    return CLOCK() - t0


if __name__ == "__main__":
    sys.exit(main())
