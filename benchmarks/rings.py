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

Usage: .venv/bin/python benchmarks/rings.py [--repeat N] [--cache DIR]
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="best of N (default 5)")
    ap.add_argument("--cache", type=Path, help="keep the built ring in this folder across runs")
    args = ap.parse_args()
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
