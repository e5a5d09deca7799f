"""The summary of an operations run (summary.json) and its flat metrics, from the event log alone.

Rules: nothing here is tracked during the run. Availability comes from the services' levels
(ServiceLevel events: the share of requests that would succeed, piecewise constant), so it is
exact over any duration whether or not clients were sampled:
    availability(service) = 1 - (integral of (1 - level) dt) / duration
    overall level(t) = min over services (the cloud is as available as its worst API)
An outage is a maximal interval where the overall level is below 1; each service in it has its own
time below full level, and why its requests fail is recorded as segments that follow the fault's
course (a change of reason is a new segment); the outage's reason and cause are those of the most
downtime; its errors are the sampled requests that failed in it. Shape (docs/operations.md):
    scenario, run: operations, backend, seed,
    operations: {duration_s, availability: {overall, <service>...}, downtime_s: {...},
                 outages: [{start_s, end_s, duration_s, downtime_s, min_level, services, service_s,
                            reason, cause, reasons: [{reason, cause, downtime_s}],
                            segments: [{service, start_s, end_s, level, reason, cause}],
                            segments_total, errors, ongoing}], outages_total, components: {galera, rabbitmq_majority,
                 undercloud, seed, <singleton>...}, vip: {moves: [...]}, faults: {...},
                 requests: {<service>: {count, errors, success_rate, p50_s, p99_s, max_s}}},
    counts: {events, nodes}
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from twin.cloud.ha import vrrp
from twin.cloud.ha.galera import PRIMARY
from twin.cloud.ha.singletons import RUNNING

MAX_OUTAGES_LISTED = 1000


def _r(x: float, nd: int = 6) -> float:
    return round(float(x), nd)


def level_frame(events: pd.DataFrame, duration_s: float) -> pd.DataFrame:
    """Service levels as a step table: index = change times (from 0), one column per service,
    plus `width_s` (how long each row holds, up to duration_s)."""
    svc = events[events.kind == "service"]
    if svc.empty:
        return pd.DataFrame({"width_s": [duration_s]}, index=pd.Index([0.0], name="time_s"))
    svc = svc[svc.time_s <= duration_s]
    table = svc.groupby(["time_s", "subject"], sort=True).value.last().unstack("subject")
    times = np.union1d(table.index.to_numpy(dtype=float), [0.0])
    table = table.reindex(times).ffill().fillna(1.0)
    table.columns = [str(c) for c in table.columns]
    edges = np.append(times, duration_s)
    table["width_s"] = np.clip(np.diff(edges), 0, None)
    table.index.name = "time_s"
    return table


def fraction_in(events: pd.DataFrame, kind: str, subject: str, good: set[str], duration_s: float,
                initial: bool = True) -> float | None:
    """Share of the run during which the latest `kind`/`subject` event's name is in `good`."""
    rows = events[(events.kind == kind) & (events.subject == subject)]
    if rows.empty:
        return None
    times = rows.time_s.to_numpy(dtype=float)
    ok = rows.name.isin(good).to_numpy()
    edges = np.append(np.append([0.0], times), duration_s)
    states = np.append([initial], ok)
    widths = np.clip(np.diff(np.minimum(edges, duration_s)), 0, None)
    return float((widths * states).sum() / duration_s) if duration_s > 0 else 1.0


def service_segments(events: pd.DataFrame, duration_s: float) -> pd.DataFrame:
    """Every interval where one service was below its full level for one reason: columns service,
    start_s, end_s, level, reason, cause; sorted by start. A ServiceLevel event is written when a
    level or its reason changes (twin/cloud/ha/plane.py), so each row holds until the service's next."""
    svc = events[(events.kind == "service") & (events.time_s <= duration_s)]
    if svc.empty:
        return pd.DataFrame(columns=["service", "start_s", "end_s", "level", "reason", "cause"])
    svc = svc.sort_values(["subject", "time_s", "seq"], kind="mergesort")
    svc = svc[~svc.duplicated(["subject", "time_s"], keep="last")]  # same instant: the last word
    subject = svc.subject.astype(str).to_numpy()
    start = svc.time_s.to_numpy(dtype=float)
    same_next = np.append(subject[1:] == subject[:-1], False)
    end = np.where(same_next, np.append(start[1:], duration_s), duration_s)
    frame = pd.DataFrame({"service": subject, "start_s": start, "end_s": end, "level": svc.value.to_numpy(dtype=float),
                          "reason": svc.detail.astype(str).to_numpy(), "cause": svc.cause.astype(str).to_numpy()})
    frame = frame[(frame.level < 1.0) & (frame.end_s > frame.start_s)]
    return frame.sort_values(["start_s", "service"], kind="mergesort").reset_index(drop=True)


MAX_SEGMENTS_LISTED = 50  # per outage; its per-service times and reasons count them all


def outages(levels: pd.DataFrame, events: pd.DataFrame, duration_s: float) -> list[dict]:
    """Maximal intervals where some service was below its full level. Each names every service
    with its own time below full level (`service_s`) and lists its `segments` (one per service and
    reason, in time order: why requests failed changes as the fault runs its course); `reasons`
    sums the downtime of each (reason, cause), largest first, and the outage's `reason` and `cause`
    are the largest's."""
    services = [c for c in levels.columns if c != "width_s"]
    if not services:
        return []
    table = levels[services].to_numpy(dtype=float)
    overall = table.min(axis=1)
    times = levels.index.to_numpy(dtype=float)
    widths = levels.width_s.to_numpy()
    segs = service_segments(events, duration_s)
    seg_start = segs.start_s.to_numpy(dtype=float)
    errors = np.sort(events[(events.kind == "request") & (events.name == "error")].time_s.to_numpy(dtype=float))
    bad = overall < 1.0
    result, i, n = [], 0, len(times)
    while i < n:
        if not bad[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and bad[j + 1]:
            j += 1
        start, end = times[i], times[j] + widths[j]
        inside = segs.iloc[np.searchsorted(seg_start, start, "left"):np.searchsorted(seg_start, end, "left")]
        length = inside.end_s - inside.start_s
        below = length.groupby(inside.service, sort=True).sum().sort_values(ascending=False, kind="mergesort")
        weighted = ((1.0 - inside.level) * length).groupby([inside.reason, inside.cause], sort=True).sum()
        weighted = weighted.sort_values(ascending=False, kind="mergesort")
        reasons = [{"reason": r, "cause": c, "downtime_s": _r(v, 3)} for (r, c), v in weighted.items()]
        top = reasons[0] if reasons else {"reason": "", "cause": ""}
        result.append({
            "start_s": _r(start, 3), "end_s": _r(end, 3), "duration_s": _r(end - start, 3),
            "downtime_s": _r(((1.0 - overall[i:j + 1]) * widths[i:j + 1]).sum(), 3),
            "min_level": _r(overall[i:j + 1].min(), 4),
            "services": [s for k, s in enumerate(services) if (table[i:j + 1, k] < 1.0).any()],
            "service_s": {str(s): _r(v, 3) for s, v in below.items()},
            "reason": top["reason"], "cause": top["cause"], "reasons": reasons,
            "segments": [{"service": r.service, "start_s": _r(r.start_s, 3), "end_s": _r(r.end_s, 3),
                          "level": _r(r.level, 4), "reason": r.reason, "cause": r.cause}
                         for r in inside.head(MAX_SEGMENTS_LISTED).itertuples()],
            "segments_total": int(len(inside)),
            "errors": int(np.searchsorted(errors, end, "right") - np.searchsorted(errors, start, "left")),
            "ongoing": bool(end >= duration_s and j == n - 1),
        })
        i = j + 1
    return result


def vip_moves(events: pd.DataFrame) -> list[dict]:
    """Each move of the VIP with its takeover time: from the last thing that happened to the old
    holder before the move (its node down, a fault on it, its VRRP leaving MASTER) to the
    gratuitous ARP of the new holder. A move with nothing of the sort (a preemption: a
    higher-priority node took the VIP back), back to the same node (it was the last one and came
    back) or to a node that was not up when the old holder went (nobody could take over) has no
    takeover time."""
    moves = events[(events.kind == "vip") & (events.cause != "start")]
    if moves.empty:
        return []
    sel = (events.kind == "vip") | (events.kind == "liveness") \
        | ((events.kind == "fault") & (events.name == "start")) \
        | ((events.kind == "ha") & (events.detail == vrrp.MASTER))
    rows = events[sel]
    taken_out: dict[str, float] = {}
    last_up: dict[str, float] = {}  # a node never reported is up from the start
    down: set[str] = set()
    holder = ""
    result = []
    for t, kind, subject, name, detail, cause in zip(rows.time_s.to_numpy(dtype=float), rows.kind, rows.subject,
                                                     rows.name, rows.detail, rows.cause):
        if kind == "vip":
            prev, holder = str(detail), str(name)
            if cause == "start":
                continue
            since = taken_out.get(prev) if prev != holder else None  # back on the same node: a recovery
            if since is not None and (holder in down or last_up.get(holder, 0.0) > since):
                since = None  # the new holder was not up when the old one went: not a takeover
            result.append({"time_s": _r(t, 3), "holder": holder, "previous": prev,
                           "takeover_s": _r(t - since, 3) if since is not None else None, "cause": str(cause)})
            taken_out.pop(holder, None)
            continue
        subject = str(subject)
        if kind == "liveness":
            if name == "up":
                last_up[subject] = t
                down.discard(subject)
                continue
            down.add(subject)
        if holder and (subject == holder or subject == f"vrrp/{holder}" or (kind == "fault" and holder in subject)):
            taken_out[holder] = t  # the latest: what finally took it out (older ones did not)
    return result


def request_stats(events: pd.DataFrame) -> dict:
    reqs = events[events.kind == "request"]
    stats = {}
    for service, rows in reqs.groupby("subject", sort=True):
        ok = rows[rows.name == "ok"].value.to_numpy(dtype=float)
        errors = int((rows.name == "error").sum())
        stats[str(service)] = {
            "count": int(len(rows)), "errors": errors,
            "success_rate": _r(len(ok) / len(rows)) if len(rows) else None,
            "p50_s": _r(np.percentile(ok, 50), 4) if len(ok) else None,
            "p99_s": _r(np.percentile(ok, 99), 4) if len(ok) else None,
            "max_s": _r(rows.value.max(), 4),
            "error_window_s": _error_window(rows),
        }
    return stats


def _error_window(rows: pd.DataFrame):
    errs = rows[rows.name == "error"].time_s
    return _r(errs.max() - errs.min(), 3) if len(errs) else None


def summarize_operations(events: pd.DataFrame, *, scenario: str, backend: str, seed: int,
                         duration_s: float, nodes: dict[str, str]) -> dict:
    T = float(duration_s)
    levels = level_frame(events, T)
    services = [c for c in levels.columns if c != "width_s"]
    widths = levels.width_s.to_numpy()
    down = {s: float(((1.0 - levels[s].to_numpy()) * widths).sum()) for s in services}
    overall_down = float(((1.0 - levels[services].min(axis=1).to_numpy()) * widths).sum()) if services else 0.0
    availability = {"overall": _r(1 - overall_down / T, 9) if T > 0 else 1.0}
    availability.update({s: _r(1 - down[s] / T, 9) for s in services})
    outage_list = outages(levels, events, T)

    components = {}
    galera = fraction_in(events, "ha", "galera/cluster", {PRIMARY}, T)
    if galera is not None:
        components["galera_primary"] = _r(galera, 9)
    for subject in sorted(set(events[(events.kind == "ha") & events.subject.str.startswith("singleton/")].subject)):
        components[subject.split("/", 1)[1]] = _r(fraction_in(events, "ha", subject, {RUNNING}, T), 9)
    for node, role in nodes.items():
        if role == "Undercloud":
            value = fraction_in(events, "liveness", node, {"up"}, T)
            components["undercloud"] = _r(1.0 if value is None else value, 9)
    seed_up = fraction_in(events, "liveness", "seed", {"up"}, T)
    if seed_up is not None:
        components["seed"] = _r(seed_up, 9)
    computes = [n for n, r in nodes.items() if r == "OvercloudCompute"]
    if computes:
        shares = [fraction_in(events, "liveness", n, {"up"}, T) for n in computes]
        components["compute_hosts"] = _r(float(np.mean([1.0 if s is None else s for s in shares])), 9)

    faults = events[(events.kind == "fault") & (events.name == "start")]
    repairs = events[(events.kind == "fault") & (events.name == "repair")]
    return {
        "scenario": scenario, "run": "operations", "backend": backend, "seed": seed,
        "operations": {
            "duration_s": T,
            "availability": availability,
            "downtime_s": {"overall": _r(overall_down, 3), **{s: _r(v, 3) for s, v in down.items()}},
            "outages": outage_list[:MAX_OUTAGES_LISTED],
            "outages_total": len(outage_list),
            "components": components,
            "vip": {"moves": vip_moves(events)},
            "faults": {"started": int(len(faults)),
                       "by_kind": {str(k): int(v) for k, v in faults.detail.value_counts().sort_index().items()},
                       "repair_wait_s_mean": _r(repairs.value.mean(), 3) if len(repairs) else None},
            "requests": request_stats(events),
        },
        "counts": {"events": int(len(events)), "nodes": len(nodes)},
    }


def operations_metrics(summary: dict) -> dict[str, float]:
    """The flat numbers of an operations run (one row of a sweep's table)."""
    o = summary["operations"]
    m = {f"availability_{k}": float(v) for k, v in o["availability"].items()}
    m["downtime_s"] = float(o["downtime_s"]["overall"])
    durations = [x["duration_s"] for x in o["outages"]]
    m["outages"] = float(o["outages_total"])
    m["outage_max_s"] = float(max(durations)) if durations else 0.0
    m["time_to_recover_s"] = float(np.mean(durations)) if durations else 0.0
    for name, value in o["components"].items():
        m[f"availability_{name}"] = float(value)
    moves = o["vip"]["moves"]
    m["vip_moves"] = float(len(moves))
    takeovers = [x["takeover_s"] for x in moves if x["takeover_s"] is not None]
    m["vip_takeover_s"] = float(np.mean(takeovers)) if takeovers else math.nan
    m["failures"] = float(o["faults"]["started"])
    reqs = o["requests"]
    if reqs:  # only when clients ran (a run without them has nothing to count)
        total = sum(r["count"] for r in reqs.values())
        errors = sum(r["errors"] for r in reqs.values())
        m["requests"] = float(total)
        m["request_errors"] = float(errors)
        m["request_success"] = float((total - errors) / total) if total else math.nan
    return m


def outage_services(outage: dict) -> str:
    """'cinder 523.9 s, neutron, nova 60.0 s, glance, keystone, swift 9.6 s': each service of an
    outage with its own time below full level, services with the same time named together."""
    below = outage.get("service_s")
    if below is None:  # a summary written before service_s existed
        return ", ".join(outage["services"])
    same: dict[str, list[str]] = {}
    for service, seconds in below.items():  # longest first (service_s is ordered so)
        same.setdefault(f"{seconds:,.1f} s", []).append(service)
    return ", ".join(f"{', '.join(sorted(names))} {text}" for text, names in same.items())


def outage_reasons(outage: dict) -> str:
    """The reason with the most downtime and its cause, then how many others the outage went through."""
    others = len(outage.get("reasons") or []) - 1
    return (f"mostly {outage['reason']} (cause: {outage['cause']})"
            + (f" and {others} other reason(s) (the report lists them)" if others > 0 else ""))


def operations_digest(summary: dict, out) -> str:
    """The few lines `twin run` prints after an operations run."""
    from twin.timefmt import hms

    o = summary["operations"]
    a = o["availability"]
    services = ", ".join(f"{s} {100 * v:.4f}%" for s, v in a.items() if s != "overall")
    moves = o["vip"]["moves"]
    takeovers = [m["takeover_s"] for m in moves if m["takeover_s"] is not None]
    head = (f"{summary['scenario']} ({summary['backend']}, seed {summary['seed']}): operations for "
            f"{hms(o['duration_s'], span=True)} ({o['duration_s']:,.0f} s): ")
    faults = f"{o['faults']['started']:,} fault(s)"
    if not services:  # no controllers (a storage drill): no API, so no availability or outage to give
        lines = [head + "no API services modelled (no controllers)", f"  {faults}"]
    else:
        lines = [head + f"availability {100 * a['overall']:.4f}% overall",
                 f"  per service: {services}",
                 f"  {o['outages_total']:,} outage(s), downtime {o['downtime_s']['overall']:,.1f} s; "
                 f"{faults}; VIP moved {len(moves)}x"
                 + (f" (takeover {np.mean(takeovers):.2f} s on average)" if takeovers else "")]
    for x in sorted(o["outages"], key=lambda x: -x["downtime_s"])[:5]:
        lines.append(f"  outage at {hms(x['start_s'])} for {x['duration_s']:,.1f} s ({outage_services(x)}): "
                     f"{outage_reasons(x)}" + (f", {x['errors']:,} errors" if x["errors"] else ""))
    reqs = o["requests"]
    if reqs:
        total = sum(r["count"] for r in reqs.values())
        errors = sum(r["errors"] for r in reqs.values())
        lines.append(f"  requests: {total:,} sent, {errors:,} failed ({100 * errors / max(total, 1):.2f}%)")
    lines.append(f"report: {out / 'report.html'}  events: {out / 'events.parquet'}  summary: {out / 'summary.json'}")
    return "\n".join(lines)
