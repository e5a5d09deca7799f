"""Swift's metrics of an operations run, from the event log alone (nothing is counted during the run).

    availability_swift_read     time average of (share of object partitions the proxy can read)
                                x (the HA plane's swift level: the share of requests that get
                                through the VIP, HAProxy, keystone's DB and reach a Swift device);
                                partitions of every object ring weigh the same (swift_level rows,
                                detail = the ring's partition count); no plane rows: the plane
                                counts 1
    availability_swift_write    the same for a PUT (quorum with handoffs)
    partitions_under_replicated_max   the most partitions (all object rings) under-replicated at once
    time_to_full_redundancy_s_mean, _max   from each moment some partition became under-replicated
                                (none was) to the moment none is again; an episode still open at the
                                run's end counts until the end (a lower bound); 0 with no episode
    redundancy_episodes         how many such episodes
    replicated_gib              GiB pushed by replicator passes (interrupted passes included)
    objects_lost                partitions whose every replica was destroyed (swift_parts `lost`)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

GIB = 1024 ** 3


def _steps(times: np.ndarray, values: np.ndarray, duration: float, initial: float) -> tuple[np.ndarray, np.ndarray]:
    """A piecewise constant series as (start times, values), starting at 0 with `initial`."""
    return np.concatenate([[0.0], times]), np.concatenate([[initial], values])


def _at(starts: np.ndarray, values: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The series' value at each t (the last change at or before t wins)."""
    return values[np.searchsorted(starts, t, side="right") - 1]


def share_series(events: pd.DataFrame, path: str) -> tuple[np.ndarray, np.ndarray]:
    """(change times, partition-weighted share of every object ring) for read or write."""
    rows = events[(events.kind == "swift_level") & (events.name == path)].sort_values(["time_s", "seq"],
                                                                                       kind="mergesort")
    current: dict[str, tuple[float, float]] = {}
    times, shares = [], []
    for t, ring, parts, share in zip(rows.time_s.to_numpy(dtype=float), rows.subject, rows.detail,
                                     rows.value.to_numpy(dtype=float)):
        current[str(ring)] = (float(parts), share)
        total = sum(p for p, _ in current.values())
        times.append(t)
        shares.append(sum(p * s for p, s in current.values()) / total if total else 1.0)
    return np.array(times, dtype=float), np.array(shares, dtype=float)


def count_series(events: pd.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(change times, total over the object rings) of under_replicated or lost partitions."""
    rows = events[(events.kind == "swift_parts") & (events.name == what)].sort_values(["time_s", "seq"],
                                                                                       kind="mergesort")
    current: dict[str, float] = {}
    times, totals = [], []
    for t, ring, count in zip(rows.time_s.to_numpy(dtype=float), rows.subject, rows.value.to_numpy(dtype=float)):
        current[str(ring)] = count
        times.append(t)
        totals.append(sum(current.values()))
    return np.array(times, dtype=float), np.array(totals, dtype=float)


def plane_series(events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    rows = events[(events.kind == "service") & (events.subject == "swift")].sort_values(["time_s", "seq"],
                                                                                         kind="mergesort")
    return rows.time_s.to_numpy(dtype=float), rows.value.to_numpy(dtype=float)


def time_average(series: list[tuple[np.ndarray, np.ndarray]], duration: float) -> float:
    """Time average over [0, duration] of the product of piecewise constant series (each 1 before
    its first change)."""
    if duration <= 0:
        return 1.0
    steps = [_steps(t, v, duration, 1.0) for t, v in series]
    edges = np.unique(np.concatenate([[0.0, duration], *[s[0] for s in steps]]))
    edges = edges[(edges >= 0) & (edges <= duration)]
    widths = np.diff(edges)
    product = np.ones(len(widths))
    for starts, values in steps:
        product *= _at(starts, values, edges[:-1])
    return float((product * widths).sum() / duration)


def episodes(times: np.ndarray, totals: np.ndarray, duration: float) -> list[float]:
    """Lengths of the intervals during which the total is above 0 (open ones end at `duration`)."""
    out, since = [], None
    for t, total in zip(times, totals):
        if total > 0 and since is None:
            since = t
        elif total <= 0 and since is not None:
            out.append(t - since)
            since = None
    if since is not None:
        out.append(max(0.0, duration - since))
    return out


def swift_metrics(events: pd.DataFrame, duration: float) -> dict:
    plane = plane_series(events)
    under_t, under = count_series(events, "under_replicated")
    lengths = episodes(under_t, under, duration)
    _, lost = count_series(events, "lost")
    rep = events[(events.kind == "swift_replication") & events.name.isin(("end", "interrupted"))]
    metrics = {
        "availability_swift_read": time_average([share_series(events, "read"), plane], duration),
        "availability_swift_write": time_average([share_series(events, "write"), plane], duration),
        "partitions_under_replicated_max": float(under.max()) if under.size else 0.0,
        "time_to_full_redundancy_s_mean": float(np.mean(lengths)) if lengths else 0.0,
        "time_to_full_redundancy_s_max": float(max(lengths)) if lengths else 0.0,
        "redundancy_episodes": float(len(lengths)),
        "replicated_gib": float(rep.value.sum()) / GIB,
        "objects_lost": float(lost.max()) if lost.size else 0.0,
    }
    return metrics
