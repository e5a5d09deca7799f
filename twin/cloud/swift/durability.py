"""Durability of a swift ring: a Monte Carlo of disk failures over years of operation.

Model (pure; `run: durability`, twin/runs/durability.py, calls `simulate_years` once per replication
and records its events through `on_event`):
every device fails as a Poisson process of rate -ln(1 - AFR) per year while it is in service; a
failed device is out for `replacement_delay_h` plus the rebuild of its used bytes at
`rebuild_gbps` (the replacement refilled from surviving replicas), then back in service. A
partition is lost when every one of its replicas is on a device that is out at the same moment;
its data is gone for good (the run records the first such moment and how many partitions). The
placement is the builder's replica-to-partition table (swift's, via twin/cloud/swift/analyze.py).

Simplified: the ring does not change during the run (no rebalance onto other devices while a disk
is out: the replacement disk takes its place), rebuild bandwidth is per device and constant, and
failures are independent (no server, zone or correlated failures; those come from failure_domains
in operations runs).
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

HOURS_PER_YEAR = 24 * 365.25
GBIT = 1e9 / 8  # bytes per second in one Gbit/s


@dataclass(frozen=True)
class DurabilityParams:
    afr: float = 0.02  # annual failure rate of a disk; *inferred* (docs/storage.md: a parameter, no Helion figure)
    replacement_delay_h: float = 24.0  # *inferred*: next-business-day disk swap
    rebuild_gbps: float = 1.0  # rebuild bandwidth into the new disk, Gbit/s; *inferred*: one 1 GbE link's worth

    def outage_h(self, used_bytes: np.ndarray) -> np.ndarray:
        """Hours each device is out after failing: the replacement delay plus its rebuild."""
        if math.isinf(self.replacement_delay_h) or self.rebuild_gbps <= 0:
            return np.full(used_bytes.shape, math.inf)
        return self.replacement_delay_h + used_bytes / (self.rebuild_gbps * GBIT) / 3600.0


def device_partitions(table: np.ndarray, n_devices: int) -> list[np.ndarray]:
    """For each device id, the partitions it holds a replica of."""
    present = table >= 0
    devs, parts = table[present], np.broadcast_to(np.arange(table.shape[1]), table.shape)[present]
    order = np.argsort(devs, kind="stable")
    bounds = np.searchsorted(devs[order], np.arange(n_devices + 1))
    return [parts[order][bounds[d]: bounds[d + 1]] for d in range(n_devices)]


def simulate_years(table: np.ndarray, outage_h: np.ndarray, afr: float, years: float, rng,
                   on_event=None) -> dict:
    """One replication: {lost: bool, first_loss_h, partitions_lost, failures} over `years`.

    `table` is (replicas, parts) with -1 for no device; `outage_h[d]` how long device d is out
    (index = device id; ids beyond the table's hold nothing). `on_event(hour, what, device,
    newly_lost)`, if given, hears each failure (what "failed", with the partitions it lost for
    good) and each return to service ("restored", 0), in time order; it draws nothing."""
    if not 0 <= afr < 1:
        raise ValueError(f"afr {afr} must be in [0, 1)")
    horizon = years * HOURS_PER_YEAR
    n = len(outage_h)
    rate_per_h = -math.log1p(-afr) / HOURS_PER_YEAR if afr < 1 else math.inf
    replicas = (table >= 0).sum(axis=0)
    parts_of = device_partitions(table, n)
    out = np.zeros(table.shape[1], dtype=np.int16)  # replicas of each partition currently out
    lost = np.zeros(table.shape[1], dtype=bool)
    events = []  # (time, kind, device): kind 1 = fails, 0 = back (back before a failure at the same time)
    for d in range(n):
        if len(parts_of[d]):
            heapq.heappush(events, (rng.exponential(1 / rate_per_h) if rate_per_h > 0 else math.inf, 1, d))
    first_loss, failures = math.inf, 0
    while events and events[0][0] <= horizon:
        t, kind, d = heapq.heappop(events)
        ps = parts_of[d]
        if kind == 1:
            failures += 1
            out[ps] += 1
            newly = ps[(out[ps] == replicas[ps]) & ~lost[ps]]
            if newly.size:
                lost[newly] = True
                first_loss = min(first_loss, t)
            if on_event is not None:
                on_event(t, "failed", d, int(newly.size))
            heapq.heappush(events, (t + outage_h[d], 0, d))
        else:
            out[ps] -= 1
            if on_event is not None:
                on_event(t, "restored", d, 0)
            heapq.heappush(events, (t + rng.exponential(1 / rate_per_h), 1, d))
    return {"lost": bool(lost.any()), "first_loss_h": first_loss, "partitions_lost": int(lost.sum()),
            "failures": failures}


def loss_probability(table: np.ndarray, used_bytes: np.ndarray, params: DurabilityParams, years: float,
                     replications: int, seed: int = 0) -> dict:
    """P(losing any partition within `years`) over independent replications (the interval belongs to
    whoever aggregates replications: twin sweep's Wilson interval for a proportion)."""
    outage = params.outage_h(np.asarray(used_bytes, dtype=float))  # index = device id
    streams = np.random.SeedSequence(seed).spawn(replications)
    runs = [simulate_years(table, outage, params.afr, years, np.random.default_rng(s)) for s in streams]
    k = sum(r["lost"] for r in runs)
    return {"replications": replications, "years": years, "runs_with_loss": k, "p_loss": k / replications,
            "mean_failures": float(np.mean([r["failures"] for r in runs]))}
