"""What a failure or a rebalance does to a swift ring, computed from the builder's own
replica-to-partition table (`RingBuilder._replica2part2dev`) with numpy.

Rules: the table is swift's: one row per replica (the last row shorter for a fractional replica
count), a device id per partition, swift's "none" id for an unassigned slot (here -1). A failure is
a set of devices (from `--fail` SPECs, combined); a partition replica on a failed device is lost.
Bytes: each device's used bytes are spread evenly over the partition replicas it holds; a lost
replica is re-replicated from a surviving one, so `bytes_to_replicate` counts only partitions that
keep at least one replica (`bytes_lost` is the rest). A rebalance is predicted by running swift's
own rebalance on a copy of the builder, round after round (`pretend_min_part_hours_passed` between
rounds), as long as swift-ring-builder would save the round.
"""
from __future__ import annotations

import copy
import math

import numpy as np

from twin.cloud.swift import verbs
from twin.cloud.swift.rings import invalid

GIB = 1024 ** 3
DEFAULT_FILL = 0.5  # fraction of a device's size in use when --used-gib does not say (docs/storage.md)
MAX_ROUNDS = 50  # rebalance rounds simulated before giving up on convergence
SPEC_KINDS = ("device", "server", "zone", "region")


def replica_table(builder, where: str = "") -> np.ndarray:
    """The builder's replica2part2dev as an int32 (rows, parts) array, -1 where no device is assigned."""
    rows = builder._replica2part2dev
    if not rows:
        raise invalid(where, "rebalance", "the builder was never rebalanced: no partition is placed yet")
    table = np.full((len(rows), builder.parts), -1, dtype=np.int32)
    for r, part2dev in enumerate(rows):
        ids = np.frombuffer(part2dev, dtype=np.dtype(part2dev.typecode))
        table[r, : len(ids)] = ids
    table[table == builder.none_dev_id] = -1
    return table


def failed_devices(builder, specs: list[str], where: str = "") -> list[int]:
    """Ids of the devices the SPECs name together; InputError for a bad SPEC or one matching nothing."""
    failed: set[int] = set()
    for spec in specs:
        kind, sep, value = spec.partition(":")
        if not sep or kind not in SPEC_KINDS or not value:
            raise invalid(where, "--fail", f"'{spec}' is not a failure: write device:IP/DEVICE, server:IP, "
                                           "zone:N or region:N")
        if kind == "device":
            failed.add(verbs.find_device(builder, value, where, field="--fail")["id"])
            continue
        if kind in ("zone", "region"):
            if not value.isdigit():
                raise invalid(where, "--fail", f"'{spec}': {kind} must be a whole number")
            match = [d["id"] for d in builder._iter_devs() if d[kind] == int(value)]
        else:
            match = [d["id"] for d in builder._iter_devs() if d["ip"] == value.strip("[]")]
        if not match:
            have = sorted({str(d["ip"] if kind == "server" else d[kind]) for d in builder._iter_devs()})
            raise invalid(where, "--fail", f"'{spec}' matches no device (this builder's {kind}s: "
                                           f"{', '.join(have) or 'none'})")
        failed.update(match)
    return sorted(failed)


def used_bytes(builder, used_gib: dict[int, float] | None = None, fill: float = DEFAULT_FILL) -> np.ndarray:
    """Used bytes per device id (index = id, one extra 0 slot for -1): --used-gib, else fill x weight GiB.

    A device's weight read as its size in GiB is the usual convention (docs/storage.md)."""
    used = np.zeros(len(builder.devs) + 1)
    for d in builder._iter_devs():
        gib = (used_gib or {}).get(d["id"], fill * d["weight"])
        used[d["id"]] = gib * GIB
    return used


def bytes_per_replica(table: np.ndarray, used: np.ndarray) -> np.ndarray:
    """Bytes of one partition replica on each device (index -1 = no device = 0)."""
    held = np.bincount(table[table >= 0], minlength=len(used))[: len(used)].astype(float)
    per = np.divide(used, held, out=np.zeros_like(used), where=held > 0)
    per[-1] = 0.0
    return per


def failure_impact(builder, failed: list[int], used: np.ndarray, where: str = "") -> dict:
    """The figures of `twin ring analyze --fail` for the failed device ids."""
    table = replica_table(builder, where)
    present = table >= 0
    is_failed = np.zeros(len(builder.devs) + 1, dtype=bool)
    is_failed[failed] = True
    lost = is_failed[table] & present
    lost_per_part = lost.sum(axis=0)
    degraded = lost_per_part > 0
    all_lost = degraded & (lost_per_part == present.sum(axis=0))
    counts = np.bincount(lost_per_part, minlength=table.shape[0] + 1)
    replica_bytes = bytes_per_replica(table, used)[table]
    return {
        "failed_devices": [int(i) for i in failed],
        "part_replicas_lost": int(lost.sum()),
        "partitions_degraded": int(degraded.sum()),
        "partitions_by_replicas_lost": {str(k): int(counts[k]) for k in range(1, table.shape[0] + 1)},
        "partitions_all_lost": int(all_lost.sum()),
        "bytes_to_replicate": float(replica_bytes[lost & ~all_lost].sum()),
        "bytes_lost": float(replica_bytes[:, all_lost].max(axis=0, initial=0.0).sum()),
    }


def _moved(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Slots (replica, part) whose device changed and now hold a replica (new replica slots count)."""
    rows = max(before.shape[0], after.shape[0])
    pad = lambda t: np.vstack([t, np.full((rows - t.shape[0], t.shape[1]), -1, t.dtype)])
    b, a = pad(before), pad(after)
    return (a >= 0) & (a != b)


def rebalance_impact(builder, used: np.ndarray, seed: int | None = None, where: str = "") -> dict:
    """Predict what rebalancing this builder moves: rounds of swift's rebalance on a copy."""
    start = replica_table(builder, where)
    per = bytes_per_replica(start, used)
    present = start >= 0
    part_bytes = np.divide(per[start].sum(axis=0), present.sum(axis=0),
                           out=np.zeros(start.shape[1]), where=present.any(axis=0))
    b = copy.deepcopy(builder)
    wait_s = builder.min_part_seconds_left  # partitions moved less than min_part_hours ago stay put until then
    prev, ever_moved, rounds, waited = start, np.zeros(start.shape[1], dtype=bool), [], False
    pending_changes = builder.devs_changed  # swift-ring-builder always saves a rebalance after a device change
    for i in range(MAX_ROUNDS):
        if i:
            b.pretend_min_part_hours_passed()
        last_balance, last_dispersion = verbs.balance(b), b.dispersion
        result = verbs.rebalance(b, seed=seed, where=where)
        now = replica_table(b, where)
        moved = _moved(prev, now)
        saved = (pending_changes or result["removed_devices"] or abs(last_balance - result["balance"]) >= 1
                 or last_balance == result["balance"] == verbs.MAX_BALANCE
                 or last_dispersion is None or abs(last_dispersion - result["dispersion"]) >= 1)
        if i == 0 and not moved.any() and wait_s > 0:
            waited = True
            continue  # everything is still within min_part_hours: the first real round comes after the wait
        if not moved.any() or not saved:  # swift-ring-builder would not save this round
            break
        pending_changes = False
        parts = moved.any(axis=0)
        ever_moved |= parts
        rounds.append({"round": len(rounds) + 1, "partitions_moved": int(parts.sum()),
                       "part_replicas_moved": int(moved.sum()), "bytes_to_move": float((moved * part_bytes).sum()),
                       "balance": result["balance"], "dispersion": result["dispersion"]})
        prev = now
    wait_h = wait_s / 3600 if waited and rounds else 0.0
    return {
        "rounds": len(rounds), "min_part_hours": builder.min_part_hours,
        "wait_before_first_round_h": round(wait_h, 3),
        "hours_at_least": round(wait_h + max(len(rounds) - 1, 0) * builder.min_part_hours, 3),
        "partitions_moved": int(ever_moved.sum()),
        "part_replicas_moved": sum(r["part_replicas_moved"] for r in rounds),
        "bytes_to_move": sum(r["bytes_to_move"] for r in rounds),
        "converged": len(rounds) < MAX_ROUNDS,
        "balance_after": rounds[-1]["balance"] if rounds else verbs.balance(builder),
        "dispersion_after": rounds[-1]["dispersion"] if rounds else (builder.dispersion or 0.0),
        "per_round": rounds,
    }


def summary(builder) -> dict:
    """The ring part of `analyze`'s JSON: parts, replicas, balance, dispersion, devices."""
    v = verbs.view(builder)
    keys = ("id", "region", "zone", "ip", "port", "device", "weight", "parts")
    return {"parts": v["parts"], "replicas": v["replicas"], "balance": v["balance"], "dispersion": v["dispersion"],
            "min_part_hours": v["min_part_hours"],
            "devices": [{k: d[k] for k in keys} for d in v["devices"]]}


def fmt_bytes(n: float) -> str:
    return f"{n / GIB:,.1f} GiB" if math.isfinite(n) else "?"
