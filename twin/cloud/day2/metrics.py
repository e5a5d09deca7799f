"""Day-2 metrics, derived from the event log only (ActionStep, MonitorEvent, ServiceLevel).

    actions_done, actions_failed            actions that ended / failed (a repeat counts once each)
    backups_done, backups_failed
    recovery_point_max_s                    the longest data loss a restore implied (its recovery point)
    recovery_time_max_s                     the longest restore
    detection_delay_mean_s / _max_s         failure to notice (monitoring)
    failures_noticed, failures_unnoticed    node failures monitoring saw / that ended unseen
    monitoring_blind_s                      time Icinga was not seeing
    vms_migrated                            VMs a removal moved off its node (live-migrated or evacuated)
    vms_lost                                VMs a forced removal lost (capacity short)
    removals_short                          removals that found capacity short (refused unless forced)
    swift_weight_steps                      Swift weight steps taken (add and drain rounds)
    swift_replicas_moved                    partition replicas Swift's rebalances reassigned in
                                            those steps and the devices' removal (swift's count)
    update_cost_s_<service>                 a rolling update's unavailability of the service: the
                                            integral of (1 - level) over the updates' windows
"""
from __future__ import annotations

import numpy as np


def _level_integral(events, service: str, windows: list[tuple[float, float]]) -> float:
    rows = events[(events.kind == "service") & (events.subject == service)]
    times, levels = rows.time_s.to_numpy(dtype=float), rows.value.to_numpy(dtype=float)
    lost = 0.0
    for a, b in windows:
        for i, t in enumerate(times):
            t_next = times[i + 1] if i + 1 < len(times) else np.inf
            lo, hi = max(a, t), min(b, t_next)
            if hi > lo:
                lost += (hi - lo) * (1.0 - levels[i])
    return lost


def _windows(actions, do: str) -> list[tuple[float, float]]:
    rows = actions[actions.name == do]
    out, open_at = [], {}
    for r in rows.itertuples():
        if r.detail == "start":
            open_at[r.subject] = r.time_s
        elif r.subject in open_at:
            out.append((open_at.pop(r.subject), r.time_s))
    return out


def day2_metrics(events, duration_s: float, services) -> dict[str, float]:
    actions = events[events.kind == "action"]
    procedures = actions[actions.name.str.startswith("action:")]
    ends = procedures[procedures.detail.isin(("end", "failed"))]
    out: dict[str, float] = {
        "actions_done": float((ends.detail == "end").sum()),
        "actions_failed": float((ends.detail == "failed").sum()),
        "backups_done": float(((ends.name == "action:backup") & (ends.detail == "end")).sum()),
        "backups_failed": float(((ends.name == "action:backup") & (ends.detail == "failed")).sum()),
    }
    points = actions[actions.name.str.startswith("recovery_point")].value.to_numpy(dtype=float)
    out["recovery_point_max_s"] = float(points.max()) if len(points) else 0.0
    restores = actions[(actions.name == "restore") & (actions.detail == "end")].value.to_numpy(dtype=float)
    out["recovery_time_max_s"] = float(restores.max()) if len(restores) else 0.0

    def _sum(prefix):
        return float(actions[actions.name.str.startswith(prefix)].value.to_numpy(dtype=float).sum())

    out["vms_migrated"] = _sum("vms_moved ")
    out["vms_lost"] = _sum("vms_lost ")
    out["removals_short"] = float(actions.name.str.startswith("capacity_short ").sum())
    weight_rows = actions.name.str.startswith(("swift_weight_step ", "swift_drain_step "))
    out["swift_weight_steps"] = float(weight_rows.sum())
    out["swift_replicas_moved"] = _sum(("swift_weight_step ", "swift_drain_step ", "swift_devices_removed "))

    monitor = events[events.kind == "monitor"]
    delays = monitor[monitor.name == "noticed"].value.to_numpy(dtype=float)
    out["failures_noticed"] = float(len(delays))
    out["failures_unnoticed"] = float((monitor.name == "unnoticed").sum())
    out["detection_delay_mean_s"] = float(delays.mean()) if len(delays) else 0.0
    out["detection_delay_max_s"] = float(delays.max()) if len(delays) else 0.0
    blind, since = 0.0, None
    for r in monitor[monitor.subject == "icinga"].itertuples():
        if r.name == "blind" and since is None:
            since = r.time_s
        elif r.name == "seeing" and since is not None:
            blind, since = blind + r.time_s - since, None
    out["monitoring_blind_s"] = blind + (duration_s - since if since is not None else 0.0)

    windows = _windows(actions, "action:rolling_update")
    for service in services:
        out[f"update_cost_s_{service}"] = float(_level_integral(events, service, windows))
    return out


def deleted_rows(events) -> list[str]:
    """The inventory rows the run removed (to be marked `:deleted` in baremetal.csv)."""
    rows = events[(events.kind == "action") & (events.name.str.startswith("mark_deleted ")) & (events.detail == "end")]
    return [name.removeprefix("mark_deleted ") for name in rows.name]
