#!/usr/bin/env python3
"""Swift ring analysis speed: `twin ring analyze --fail zone:N` on a part-power-18 ring against a
plain numpy pass over the same replica-to-partition table.

The ring: 262,144 partitions, 3 replicas, 1,000 devices (10 zones x 20 servers x 5 disks, weights
100..140), built and rebalanced once by swift's RingBuilder (pure Python: minutes) and cached as a
.builder file in a temporary folder for the run (or in --cache DIR, reused across runs). Rows:
  swift load            RingBuilder.load of the cached .builder (what every `twin ring` verb pays)
  twin analyze          analyze.failed_devices + used_bytes + failure_impact (the figures of
                        `twin ring analyze --fail zone:3`, the table read from the builder each time)
  numpy floor           a plain numpy pass over the table already in memory: lost replicas per
                        partition, their histogram, all-lost partitions, bytes to replicate
Columns: best-of-N seconds and the ratio to the numpy floor measured in the same run. The two
analyses' figures are checked equal before timing.

Then "a simulated day of replication after a server loss in a 50-node cluster": `run: operations`
on 50 Swift nodes (2 disks each, part power 12: 4,096 partitions x 3 replicas over 100 devices), 3
controllers, swift0 crashing at 600 s and staying down, so the operator removes it after
`server_remove_delay_s` and the other 49 servers' replicators push its replicas over the 10 Gbit/s
management network. Rows:
  ring build            swift's RingBuilder for the object ring (once per process: a sweep's
                        replications share it, twin/cloud/swift/build.py shared_rings)
  simulated day         the whole run with the ring already built (setup, the day, the summary
                        from the log), its events and events per second
  simpy floor           bare simpy processing as many timeouts as the run logged events, plus
                        one process per replication flow (the least a discrete-event run of
                        this many events can cost)
Columns: best-of-N seconds, events, events/s, ratio to the floor measured in the same run.

Usage: .venv/bin/python benchmarks/rings.py [--repeat N] [--cache DIR] [--only analyze|replication]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from twin.cloud.swift import analyze, rings, verbs  # noqa: E402

PART_POWER, REPLICAS, ZONES, SERVERS, DISKS, FAILED_ZONE = 18, 3, 10, 20, 5, 3


def build(path: Path) -> float:
    t0 = time.perf_counter()
    b = verbs.create(PART_POWER, REPLICAS, 24)
    for z in range(1, ZONES + 1):
        for s in range(1, SERVERS + 1):
            for d in range(DISKS):
                verbs.add_disk(b, region=1, zone=z, ip=f"10.0.{z}.{s}", port=6000, device=f"sd{'bcdef'[d]}",
                               weight=100.0 + 10 * d)
    verbs.rebalance(b, seed=1)
    rings.save_builder(b, path)
    return time.perf_counter() - t0


def numpy_floor(table: np.ndarray, zone_of: np.ndarray, per_replica: np.ndarray) -> dict:
    lost = zone_of[table] == FAILED_ZONE
    n = lost.sum(axis=0)
    all_lost = n == table.shape[0]
    return {"part_replicas_lost": int(n.sum()), "partitions_degraded": int((n > 0).sum()),
            "partitions_by_replicas_lost": {str(k): int(c) for k, c in enumerate(np.bincount(n, minlength=4)) if k},
            "partitions_all_lost": int(all_lost.sum()),
            "bytes_to_replicate": float(per_replica[table][lost & ~all_lost].sum())}


def best(repeat, fn):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def replication_day(repeat: int) -> None:
    import simpy

    from twin.cloud.swift.build import build_ring, zones_for
    from twin.inventory import generate_from_spec
    from twin.runs import Scenario, simulate

    sc = Scenario(name="swift-day", run="operations", inventory={"generate": {"swift": 50, "control": 3}},
                  operations={"duration_s": 86400},
                  faults=[{"kind": "node_crash", "node": "swift0", "at_s": 600, "for_s": 10 ** 6}],
                  swift={"part_power": 12})
    inventory = generate_from_spec(sc.inventory.generate.model_dump())
    swift_nodes = [n for n in inventory.active if n.role.value == "OvercloudSwiftStorage"]

    def ring():
        return build_ring(sc.swift, swift_nodes, zones_for(swift_nodes, {}), 6000, "object")

    t_ring, _ = best(repeat, ring)
    simulate(sc, inventory, 1)  # builds the run's ring once (shared_rings): the rows below exclude it
    t_day, result = best(repeat, lambda: simulate(sc, inventory, 1))
    events = result.events
    flows = int((events.kind == "swift_replication").sum())
    n = len(events)

    def floor():
        env = simpy.Environment()

        def ticks(k):
            for _ in range(k):
                yield env.timeout(1.0)

        def flow():
            yield env.timeout(5.0)

        env.process(ticks(n))
        for _ in range(flows):
            env.process(flow())
        env.run()

    t_floor, _ = best(repeat, floor)
    m = result.metrics
    print(f"\n50 Swift nodes, 4,096 partitions x 3 replicas on 100 devices; swift0 lost at 600 s: "
          f"{m['partitions_under_replicated_max']:,.0f} partitions under-replicated at most, "
          f"{m['replicated_gib']:,.0f} GiB replicated, full redundancy after {m['time_to_full_redundancy_s_max']:,.0f} s; "
          f"{flows:,} replicator pass events\n")
    print(f"{'':<16}{'best s':>10}{'events':>10}{'events/s':>12}{'x floor':>10}")
    print(f"{'ring build':<16}{t_ring:>10.4f}{'':>10}{'':>12}{'':>10}")
    for name, t in (("simulated day", t_day), ("simpy floor", t_floor)):
        print(f"{name:<16}{t:>10.4f}{n:>10,}{n / t:>12,.0f}{t / t_floor:>10.1f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="best of N (default 5)")
    ap.add_argument("--cache", type=Path, help="keep the built ring in this folder across runs")
    ap.add_argument("--only", choices=("analyze", "replication"), help="run one of the two benchmarks")
    args = ap.parse_args()
    if args.only != "analyze":
        replication_day(max(1, args.repeat // 2))
    if args.only == "replication":
        return 0
    with tempfile.TemporaryDirectory(prefix="twin-bench-rings-") as tmp:
        folder = args.cache or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"object-p{PART_POWER}-{ZONES * SERVERS * DISKS}.builder"
        if path.exists():
            print(f"ring: {path} (cached)")
        else:
            print(f"ring: building {path} with swift's RingBuilder ...", flush=True)
            print(f"ring: built and saved in {build(path):.1f} s")
        t_load, b = best(max(1, args.repeat // 2), lambda: rings.load_builder(path))

        def twin():
            failed = analyze.failed_devices(b, [f"zone:{FAILED_ZONE}"])
            return analyze.failure_impact(b, failed, analyze.used_bytes(b))

        table = analyze.replica_table(b)
        zone_of = np.full(len(b.devs) + 1, -1)
        for d in b._iter_devs():
            zone_of[d["id"]] = d["zone"]
        per_replica = analyze.bytes_per_replica(table, analyze.used_bytes(b))
        t_twin, fig_twin = best(args.repeat, twin)
        t_np, fig_np = best(args.repeat, lambda: numpy_floor(table, zone_of, per_replica))
        for k, v in fig_np.items():
            assert fig_twin[k] == v if k != "bytes_to_replicate" else abs(fig_twin[k] - v) <= 1e-6 * v, k
    print(f"\n{b.parts:,} partitions x {b.replicas:g} replicas, {len(list(b._iter_devs())):,} devices; "
          f"fail zone:{FAILED_ZONE}: {fig_twin['partitions_degraded']:,} partitions degraded, "
          f"{fig_twin['bytes_to_replicate'] / 1024 ** 3:,.0f} GiB to replicate\n")
    print(f"{'':<16}{'best s':>10}{'x numpy':>10}")
    for name, t in (("swift load", t_load), ("twin analyze", t_twin), ("numpy floor", t_np)):
        print(f"{name:<16}{t:>10.4f}{t / t_np:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
