"""The VSA metrics of a run, from the event log alone (nothing is counted during the run).

    availability_vsa_<cluster>  time-average over the run of the share of the cluster's volumes
                                that serve I/O (online or degraded), from the vsa_volumes
                                events (piecewise constant; a cluster with no volumes counts 1)
    degraded_s_vsa_<cluster>    seconds during which some volume of the cluster was degraded
    volumes_lost_vsa_<cluster>  volumes that became lost (every copy of some of their data gone)
    resync_s_mean, resync_s_max seconds from a resync's start to its end (completed resyncs; 0
                                when none ended)
    resync_gib                  GiB moved by resyncs, interrupted attempts included
    resyncs, resyncs_interrupted
    quorum_losses               times a management group lost quorum (after the start)
    cinder_creates, cinder_refused, cinder_deletes   Cinder volume requests and refusals
The run's end is its `run/end` mark (or `duration_s`, or the last event).
"""
from __future__ import annotations

import pandas as pd

from twin.cloud.vsa.volumes import ACCESSIBLE, DEGRADED, LOST

GIB = 1024 ** 3


def _duration(events: pd.DataFrame, duration_s: float | None) -> float:
    if duration_s is not None:
        return float(duration_s)
    end = events[(events.kind == "run") & (events.name == "end")]
    if not end.empty:
        return float(end.time_s.iloc[-1])
    return float(events.time_s.max()) if not events.empty else 0.0


def _cluster_metrics(rows: pd.DataFrame, duration: float) -> tuple[float, float, int]:
    """(availability, degraded seconds, volumes lost) of one cluster's vsa_volumes rows."""
    classes: dict[str, tuple[str, float]] = {}
    available = degraded = 0.0
    lost = 0
    last_t = 0.0

    def accrue(until: float) -> None:
        nonlocal available, degraded
        width = max(0.0, min(until, duration) - min(last_t, duration))
        total = sum(count for _, count in classes.values())
        up = sum(count for state, count in classes.values() if state in ACCESSIBLE)
        available += width * (up / total if total > 0 else 1.0)
        if any(state == DEGRADED and count > 0 for state, count in classes.values()):
            degraded += width

    for t, subject, state, previous, count in zip(rows.time_s.to_numpy(dtype=float), rows.subject, rows.name,
                                                  rows.detail, rows.value.to_numpy(dtype=float)):
        if t > last_t:
            accrue(t)
            last_t = t
        if state == LOST and previous != LOST:
            lost += int(count)
        classes[str(subject)] = (str(state), float(count))
    accrue(duration)
    return (available / duration if duration > 0 else 1.0), degraded, lost


def vsa_metrics(events: pd.DataFrame, duration_s: float | None = None) -> dict:
    duration = _duration(events, duration_s)
    metrics: dict[str, float] = {}
    vol = events[events.kind == "vsa_volumes"]
    clusters = vol.subject.astype(str).str.rsplit("/nr-", n=1).str[0]
    for cluster in sorted(set(clusters)):
        availability, degraded, lost = _cluster_metrics(vol[clusters == cluster], duration)
        metrics[f"availability_vsa_{cluster}"] = availability
        metrics[f"degraded_s_vsa_{cluster}"] = degraded
        metrics[f"volumes_lost_vsa_{cluster}"] = lost
    durations, moved, interrupted = [], 0.0, 0
    started: dict[str, float] = {}
    res = events[events.kind == "vsa_resync"]
    for t, subject, edge, value in zip(res.time_s.to_numpy(dtype=float), res.subject, res.name,
                                       res.value.to_numpy(dtype=float)):
        if edge == "start":
            started[subject] = t
        elif edge == "end":
            durations.append(t - started.pop(subject, t))
            moved += value
        elif edge == "interrupted":
            started.pop(subject, None)
            moved += value
            interrupted += 1
    metrics["resyncs"] = len(durations)
    metrics["resyncs_interrupted"] = interrupted
    metrics["resync_s_mean"] = sum(durations) / len(durations) if durations else 0.0
    metrics["resync_s_max"] = max(durations) if durations else 0.0
    metrics["resync_gib"] = moved / GIB
    quorum = events[(events.kind == "vsa_quorum") & (events.name == "lost") & (events.cause != "start")]
    metrics["quorum_losses"] = len(quorum)
    cinder = events[events.kind == "vsa_cinder"].name
    for outcome, key in (("created", "cinder_creates"), ("refused", "cinder_refused"), ("deleted", "cinder_deletes")):
        metrics[key] = int((cinder == outcome).sum())
    return {k: (float(v) if isinstance(v, float) else v) for k, v in metrics.items()}
