#!/usr/bin/env python3
"""Speed of the capacity model, against floors measured in the same run. Prints three tables.

1. A simulated year of churn on a full 30 x 40 cloud (kvm-30x40: 30 hosts, 40 VMs each; ~57
   boot requests an hour, mean lifetime 21 h: offered load 1,200 VMs, the cloud's size; about a
   million VM log rows). The model's time (world.run) beside bare simpy replaying the same
   pattern: the same request times, and a departure timer for each VM the twin accepted, at the
   lifetime it had. Two floors: (a) the cheapest simpy can do (one arrival process, departures
   as timeouts with a callback: the twin's own event structure) and (b) the idiomatic one (a
   process per VM). "x floor" = model / floor.
2. Scheduler cost per request as hosts grow (30 .. 10,000 hosts, 90% of instance slots used, RAM
   spread): churn (delete a random VM, boot a random flavor) through `Scheduler.select` and its
   weight-order upkeep; a refused request (fits no host: every candidate is filtered, then Juno's
   pass names the filter); and Juno's algorithm itself (`select_nova`: every filter on every host,
   then weigh), which is what Nova does per request.
3. `twin plan capacity scenarios/capacity-reference.yaml` end to end (a `twin` process), on 1
   and on 2 local workers.

Usage: .venv/bin/python benchmarks/capacity.py [--quick]   (--quick: no 10,000-host row, 1 repeat)
"""
from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import simpy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from twin.cloud.capacity.run import CapacityRun  # noqa: E402
from twin.cloud.nova import log as L  # noqa: E402
from twin.cloud.nova.filters import DEFAULT_FILTERS, resolve  # noqa: E402
from twin.cloud.nova.flavors import Catalogue, Flavor  # noqa: E402
from twin.cloud.nova.hosts import HostState  # noqa: E402
from twin.cloud.nova.request import RequestSpec  # noqa: E402
from twin.cloud.nova.scheduler import Scheduler  # noqa: E402
from twin.cloud.nova.weighers import ram_weigher  # noqa: E402
from twin.inventory import generate_from_spec  # noqa: E402
from twin.kernel.sim import make_sim_world  # noqa: E402
from twin.record.recorder import Recorder  # noqa: E402
from twin.runs import Scenario  # noqa: E402

YEAR_S = 365 * 86400.0


# --- 1. a year of churn --------------------------------------------------------------------------
def year_scenario() -> Scenario:
    return Scenario(
        name="year-30x40", run="capacity", limits_profile="kvm-30x40",
        inventory={"generate": {"compute": 30, "hardware": {"cpus": 24, "memory_mib": 131072, "disk_gib": 2048}}},
        nova={"quotas": {"default": {"instances": -1, "cores": -1, "ram_mb": -1}}},
        workload={"start": "steady", "tenants": [{
            "name": "churn", "rate_per_hour": 57.0, "lifetime_s": {"dist": "exponential", "mean": 21 * 3600.0},
            "flavors": {"m1.small": 1, "m1.medium": 1}}]},
        capacity={"warmup_s": 0, "duration_s": YEAR_S, "sample_interval_s": 6 * 3600.0})


def twin_year(sc, inventory, seed=1):
    world = make_sim_world(seed, Recorder())
    run = CapacityRun(world, sc, inventory)
    run.start()
    gc.disable()
    try:
        t0 = time.perf_counter()
        run.run()
        model_s = time.perf_counter() - t0
    finally:
        gc.enable()
    t0 = time.perf_counter()
    summary = run.summary(seed)
    derive_s = time.perf_counter() - t0
    return model_s, derive_s, run, summary, next(world.env._eid)


def pattern(run):
    """(request times, lifetime or -1 per request) from the twin's log: what bare simpy replays."""
    a = run.cloud.log.arrays()
    act, vm, t = a["action"], a["vm"], a["time_s"]
    req = np.isin(act, L.REQUEST_OUTCOMES)
    boot_t = dict(zip(vm[act == L.BOOT].tolist(), t[act == L.BOOT].tolist()))
    gone = dict(zip(vm[act == L.DELETE].tolist(), t[act == L.DELETE].tolist()))
    times, lives = [], []
    for v, tt, ac in zip(vm[req].tolist(), t[req].tolist(), act[req].tolist()):
        times.append(tt)
        if ac != L.BOOT:
            lives.append(-1.0)
        else:
            lives.append(gone[v] - boot_t[v] if v in gone else 10 * YEAR_S)
    return times, lives


def floor_callbacks(times, lives) -> float:
    """The floor with each VM's end as a bare timer callback."""
    return _floor(times, lives, lambda env, life, leave: env.timeout(life).callbacks.append(lambda _e: leave()))


def floor_processes(times, lives) -> float:
    """The floor with each VM as a simpy process (one more event per VM)."""
    def vm(env, life, leave):
        yield env.timeout(life)
        leave()

    return _floor(times, lives, lambda env, life, leave: env.process(vm(env, life, leave)))


def _floor(times, lives, start_vm) -> float:
    """Arrivals at `times`, each a VM living `lives[i]` (negative: refused), counted in and out."""
    env = simpy.Environment()
    count = [0]

    def leave():
        count[0] -= 1

    def arrivals():
        for t, life in zip(times, lives):
            delay = t - env.now
            yield env.timeout(delay if delay > 0 else 0.0)
            if life >= 0:
                count[0] += 1
                start_vm(env, life, leave)

    env.process(arrivals())
    return _timed_run(env)


def _timed_run(env) -> float:
    gc.disable()
    try:
        t0 = time.perf_counter()
        env.run(until=YEAR_S)
        return time.perf_counter() - t0
    finally:
        gc.enable()


def table_year(repeat: int) -> None:
    sc = year_scenario()
    inventory = generate_from_spec(sc.inventory.generate.model_dump())
    best = None
    for _ in range(repeat):
        r = twin_year(sc, inventory)
        best = r if best is None or r[0] < best[0] else best
    model_s, derive_s, run, summary, sim_events = best
    times, lives = pattern(run)
    cb = min(floor_callbacks(times, lives) for _ in range(repeat))
    pr = min(floor_processes(times, lives) for _ in range(repeat))
    m = summary["metrics"]
    rows = len(run.cloud.log)
    print("1. one simulated year of churn on a full 30 x 40 cloud (kvm-30x40), best of", repeat)
    print(f"   {len(times):,} boot requests, {rows:,} VM log rows, {sim_events:,} simpy events; blocking "
          f"{100 * m['blocking_probability']:.2f}%, slots used {100 * m['util_slots_mean']:.1f}%")
    head = f"   {'':<34}{'wall s':>9}{'us/request':>12}{'x floor':>9}"
    print(head)
    print("   " + "-" * (len(head) - 3))
    for name, secs, floor in [("twin model (world.run)", model_s, cb), ("bare simpy (a) callbacks", cb, None),
                              ("bare simpy (b) process per VM", pr, None),
                              ("twin model vs floor (b)", model_s, pr),
                              ("twin metrics from the log", derive_s, None)]:
        ratio = f"{secs / floor:>9.2f}" if floor else f"{'':>9}"
        print(f"   {name:<34}{secs:>9.3f}{secs / len(times) * 1e6:>12.2f}{ratio}")
    print()


# --- 2. scheduler cost per request -----------------------------------------------------------------
def scheduler_case(n_hosts: int, requests: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    cat = Catalogue()
    flavors = [cat["m1.small"], cat["m1.medium"]]
    specs = [RequestSpec(f) for f in flavors]
    hosts = [HostState(f"compute{i}", i, 131072, 24, 2048, max_instances=40) for i in range(n_hosts)]
    s = Scheduler(hosts, resolve(DEFAULT_FILTERS), [ram_weigher(1.0)], 1, rng)
    live = []
    target = int(0.9 * 40 * n_hosts)
    while len(live) < target:
        k = int(rng.integers(2))
        h = s.select(specs[k])
        h.claim(flavors[k])
        s.changed(h)
        live.append((h, flavors[k]))
    picks = rng.integers(0, 1 << 30, size=requests).tolist()
    kinds = rng.integers(0, 2, size=requests).tolist()
    gc.disable()
    t0 = time.perf_counter()
    for p, k in zip(picks, kinds):
        i = p % len(live)
        h, f = live[i]
        h.release(f)
        s.changed(h)
        h = s.select(specs[k])
        if h is not None:
            h.claim(flavors[k])
            s.changed(h)
            live[i] = (h, flavors[k])
        else:
            live[i] = live[-1]
            live.pop()
    churn = (time.perf_counter() - t0) / requests
    huge = RequestSpec(Flavor("huge", vcpus=1, memory_mb=10**9, root_gb=1))
    n = max(5, requests // max(1, n_hosts // 30) // 20)
    t0 = time.perf_counter()
    for _ in range(n):
        s._refused.clear()  # time the full refusal, not its cached repeat
        s.select(huge)
    refused = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for _ in range(n):
        s.select_nova(specs[0])
    juno = (time.perf_counter() - t0) / n
    gc.enable()
    return churn, refused, juno


def table_scheduler(sizes: list[int]) -> None:
    print("2. scheduler cost per request, 90% of instance slots used, RAM spread (microseconds)")
    head = (f"   {'hosts':>7}{'churn':>10}{'/host':>9}{'refused':>11}{'/host':>9}{'Juno pass':>11}{'/host':>9}")
    print(head)
    print("   " + "-" * (len(head) - 3))
    base = None
    for n in sizes:
        churn, refused, juno = scheduler_case(n, requests=20000)
        if base is None:
            base = (n, churn, refused, juno)
        print(f"   {n:>7,}{churn * 1e6:>10.2f}{churn / n * 1e9:>9.1f}{refused * 1e6:>11.1f}{refused / n * 1e9:>9.1f}"
              f"{juno * 1e6:>11.1f}{juno / n * 1e9:>9.1f}")
    n0, c0, r0, j0 = base
    print(f"   (/host: nanoseconds per host. From {n0:,} to {n:,} hosts ({n / n0:,.0f}x) a churn request costs "
          f"{churn / c0:.1f}x, a refused one {refused / r0:,.0f}x, Juno's pass {juno / j0:,.0f}x: 1x per "
          f"request is constant, {n / n0:,.0f}x is linear in hosts)")
    print()


# --- 3. the planner --------------------------------------------------------------------------------
def plan_wall(workers: int) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "twin.cli", "plan", "capacity", "scenarios/capacity-reference.yaml",
                    "--workers", str(workers), "--out", f"/tmp/twin-bench-plan-{workers}", "--quiet"],
                   cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - t0


def table_plan(repeat: int) -> None:
    print("3. twin plan capacity scenarios/capacity-reference.yaml (a twin process, end to end)")
    one = min(plan_wall(1) for _ in range(repeat))
    two = min(plan_wall(2) for _ in range(repeat))
    import json

    data = json.loads(Path("/tmp/twin-bench-plan-1/plan.json").read_text())
    print(f"   {data['runs']} capacity runs ({data['months'] + 1} months, {data['replications']} replications per "
          f"point)")
    print(f"   {'local, 1 worker':<24}{one:>8.2f} s")
    print(f"   {'local, 2 workers':<24}{two:>8.2f} s   ({one / two:.2f}x)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="no 10,000-host row, one repeat")
    args = ap.parse_args()
    repeat = 1 if args.quick else 3
    table_year(repeat)
    table_scheduler([30, 100, 1000] if args.quick else [30, 100, 1000, 10000])
    table_plan(1 if args.quick else 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
