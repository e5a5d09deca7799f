"""Capacity metrics of a run, derived from its VM log and host events alone.

Rules:
- The measured window is [warmup_s, warmup_s + duration_s). A request counts when its outcome
  row (boot, blocked, quota, failed) falls in the window; VMs placed by a steady start are not
  requests. Blocking = blocked / requests (capacity: "No valid host"); quota refusals and builds
  that failed every attempt are counted apart.
- A host's usage (VM memory MB, vCPUs, disk GB, instances) at any time is the sum of its log
  rows' deltas so far (log.py); its capacity is what the scheduler lets VMs take: memory
  x ram_allocation_ratio - reserved, vCPUs x cpu_allocation_ratio, local_gb x disk_allocation_ratio,
  max instances. Utilisation = usage / capacity, time-weighted, over hosts while they are up.
- Per bin of `sample_interval_s`: time averages (utilisation cloud-wide, blocking); per host and
  resource the same, over the time the host was up, at most MAX_HEAT_BINS columns (adjacent
  bins averaged) for at most MAX_HEAT_HOSTS hosts.
  At each bin start, an instant view: headroom per flavor = how many more VMs of that flavor the
  up hosts would take (capacity filters only: RAM, cores, disk, instances), and stranded RAM =
  free RAM on up hosts where none of the run's requested flavors fits.
- Evacuation success = VMs evacuated / (evacuated + lost), in the window; NaN when none.
- `flat_metrics` is the one row a sweep tabulates: plain floats, a fixed set of names per
  scenario (per-flavor names follow the flavors requested).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from twin.cloud.nova import log as L

MAX_HEAT_HOSTS = 200
MAX_BINS = 2000
MAX_HEAT_BINS = 400  # per-host series: adjacent steps averaged down to at most this many columns


def _r(x, nd=6):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else round(x, nd)


def _ratio(a, b):
    return float(a) / float(b) if b else math.nan


class CapacityData:
    """What the derivation needs, as plain arrays (from a NovaCloud after its run)."""

    def __init__(self, cloud, host_events: pd.DataFrame, warmup_s: float, duration_s: float,
                 sample_interval_s: float, prefill_vms: int):
        self.log = cloud.log.arrays()
        self.vm_tenant = (np.frombuffer(cloud.log.vm_tenant, dtype=np.int32) if len(cloud.log.vm_tenant)
                          else np.zeros(0, np.int32))
        self.reasons = list(cloud.log.reasons)
        hosts = cloud.hosts
        self.host_names = [h.name for h in hosts]
        self.cap = np.array([[h.schedulable_ram_mb, h.vcpus_limit, h.local_gb * h.disk_allocation_ratio,
                              h.max_instances] for h in hosts], dtype=float).reshape(len(hosts), 4)
        self.host_table = [{"name": h.name, "memory_mb": h.memory_mb, "vcpus": h.vcpus_total, "disk_gb": h.local_gb,
                            "ram_capacity_mb": _r(h.schedulable_ram_mb, 1), "vcpu_capacity": _r(h.vcpus_limit, 1),
                            "disk_capacity_gb": _r(h.local_gb * h.disk_allocation_ratio, 1),
                            "max_instances": h.max_instances, "availability_zone": h.availability_zone}
                           for h in hosts]
        flavors = cloud.catalogue.flavors
        self.flavor_names = [f.name for f in flavors]
        # per flavor: memory MB, vCPUs, disk GB used, 1 instance; and DiskFilter's ask in GB
        self.need = np.array([[f.memory_mb, f.vcpus, f.disk_gb, 1] for f in flavors], dtype=float).reshape(-1, 4)
        self.ask_disk_gb = np.array([f.requested_disk_mb / 1024 for f in flavors], dtype=float)
        self.tenants = list(cloud.tenants)
        self.host_events = host_events
        self.start = float(warmup_s)
        self.end = float(warmup_s + duration_s)
        self.step = float(sample_interval_s)
        self.prefill = int(prefill_vms)
        self.images_gib = float(sum(i.size_gib for i in cloud.images))


def _edges(start: float, end: float, step: float) -> np.ndarray:
    n = max(1, int(math.ceil((end - start) / step - 1e-9)))
    if n > MAX_BINS:
        step = (end - start) / MAX_BINS
        n = MAX_BINS
    edges = start + step * np.arange(n + 1)
    edges[-1] = end
    return edges


def _up_matrix(data: CapacityData, edges: np.ndarray):
    """(fraction of each bin each host was up [hosts x bins], up at each bin start [hosts x bins])."""
    n_hosts, n_bins = len(data.host_names), len(edges) - 1
    frac = np.ones((n_hosts, n_bins))
    at = np.ones((n_hosts, n_bins), dtype=bool)
    ev = data.host_events
    if ev is None or ev.empty:
        return frac, at
    index = {name: i for i, name in enumerate(data.host_names)}
    changes = ev[ev["name"].isin(["failed", "recovered"])]
    for host, rows in changes.groupby("subject", sort=False):
        i = index.get(str(host))
        if i is None:
            continue
        times = rows["time_s"].to_numpy(float)
        state = (rows["name"] == "recovered").to_numpy(float)  # value after each change
        t = np.concatenate([[-np.inf], times])
        v = np.concatenate([[1.0], state])
        frac[i] = _bin_means(t, v, edges)
        at[i] = v[np.searchsorted(t, edges[:-1], side="right") - 1] > 0.5
    return frac, at


def _bin_means(t: np.ndarray, v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Time averages per bin of the step function v[j] on [t[j], t[j+1]) (t[0] = -inf)."""
    tt = t.copy()
    tt[0] = min(edges[0], t[1] if len(t) > 1 else edges[0])
    seg = np.diff(np.concatenate([tt, [max(edges[-1], tt[-1])]]))
    integral = np.concatenate([[0.0], np.cumsum(v * seg)])  # integral at each tt

    def at(x):
        j = np.searchsorted(tt, x, side="right") - 1
        j = np.clip(j, 0, len(tt) - 1)
        return integral[j] + v[j] * (x - tt[j])

    widths = np.diff(edges)
    return (at(edges[1:]) - at(edges[:-1])) / np.where(widths > 0, widths, 1.0)


def _host_series(usage_bins, up_frac, cap, edges):
    """Per host and resource: usage / capacity per step while up (NaN while down), with adjacent
    steps averaged (time- and up-weighted) so that there are at most MAX_HEAT_BINS columns."""
    n_bins = len(edges) - 1
    group = max(1, math.ceil(n_bins / MAX_HEAT_BINS))
    starts = np.arange(0, n_bins, group)
    widths = np.diff(edges)
    w = up_frac * widths[None, :]  # hosts x bins: time up in each step
    up_time = np.add.reduceat(w, starts, axis=1)
    out = []
    for r in range(4):
        used = np.add.reduceat(usage_bins[r] * w, starts, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(up_time > 0, used / up_time / cap[:, r][:, None], np.nan))
    return np.concatenate([edges[starts], edges[-1:]]), out


def derive(data: CapacityData) -> dict:
    a = data.log
    t, act, vm, fl, host = a["time_s"], a["action"], a["vm"], a["flavor"], a["host"]
    edges = _edges(data.start, data.end, data.step)
    n_bins = len(edges) - 1
    n_hosts = len(data.host_names)
    in_window = (t >= data.start) & (t < data.end)

    # --- requests --------------------------------------------------------------------------
    outcome = np.isin(act, L.REQUEST_OUTCOMES) & in_window & (vm >= data.prefill)
    r_act, r_fl, r_vm, r_t = act[outcome], fl[outcome], vm[outcome], t[outcome]
    r_tenant = data.vm_tenant[r_vm] if len(r_vm) else np.zeros(0, np.int32)
    blocked = r_act == L.BLOCKED
    n_req = int(outcome.sum())
    requests = {
        "total": n_req, "boots": int((r_act == L.BOOT).sum()), "blocked": int(blocked.sum()),
        "quota": int((r_act == L.QUOTA).sum()), "failed": int((r_act == L.FAILED).sum()),
        "blocking": _r(_ratio(blocked.sum(), n_req)),
        "by_flavor": {}, "by_tenant": {}, "reasons": {},
    }
    for f in np.unique(r_fl):
        m = r_fl == f
        requests["by_flavor"][data.flavor_names[f]] = {
            "requests": int(m.sum()), "blocked": int((m & blocked).sum()),
            "blocking": _r(_ratio((m & blocked).sum(), m.sum()))}
    for k in np.unique(r_tenant):
        m = r_tenant == k
        requests["by_tenant"][data.tenants[k]] = {
            "requests": int(m.sum()), "blocked": int((m & blocked).sum()), "quota": int((m & (r_act == L.QUOTA)).sum()),
            "blocking": _r(_ratio((m & blocked).sum(), m.sum()))}
    refused = outcome & np.isin(act, (L.BLOCKED, L.QUOTA, L.FAILED))
    if refused.any():
        codes, counts = np.unique(a["reason"][refused], return_counts=True)
        for c, n in sorted(zip(codes, counts), key=lambda x: -x[1]):
            requests["reasons"][data.reasons[c] if c >= 0 else "unknown"] = int(n)
    requested_flavors = np.unique(fl[np.isin(act, L.REQUEST_OUTCOMES)]).astype(int)

    # --- usage per host over time ----------------------------------------------------------
    delta = L.DELTA[act].astype(float)
    moving = (delta != 0) & (host >= 0)
    order = np.argsort(host[moving], kind="stable")
    m_host = host[moving][order]
    m_t = t[moving][order]
    m_use = (data.need[fl[moving][order]] * delta[moving][order][:, None])  # rows x 4
    bounds = np.searchsorted(m_host, np.arange(n_hosts + 1))
    usage_bins = np.zeros((4, n_hosts, n_bins))
    usage_at = np.zeros((4, n_hosts, n_bins))
    for h in range(n_hosts):
        lo, hi = bounds[h], bounds[h + 1]
        if lo == hi:
            continue
        th = np.concatenate([[-np.inf], m_t[lo:hi]])
        cum = np.vstack([np.zeros((1, 4)), np.cumsum(m_use[lo:hi], axis=0)])
        j = np.searchsorted(th, edges[:-1], side="right") - 1
        usage_at[:, h, :] = cum[j].T
        for r in range(4):
            usage_bins[r, h] = _bin_means(th, cum[:, r], edges)
    up_frac, up_at = _up_matrix(data, edges)
    widths = np.diff(edges)
    cap = data.cap.T[:, :, None]  # 4 x hosts x 1
    cap_bins = cap * up_frac[None]  # capacity present per bin
    used_total = (usage_bins * up_frac[None]).sum(axis=1)  # 4 x bins (usage on up hosts)
    cap_total = cap_bins.sum(axis=1)
    util_series = np.divide(used_total, cap_total, out=np.full_like(used_total, np.nan), where=cap_total > 0)
    util_mean = [(_ratio((used_total[r] * widths).sum(), (cap_total[r] * widths).sum())) for r in range(4)]
    heat_edges, heat = _host_series(usage_bins, up_frac, data.cap, edges)

    # --- instant views: headroom and stranded RAM ------------------------------------------
    free = np.maximum(cap - usage_at, 0.0) if n_hosts else np.zeros((4, 0, n_bins))  # 4 x hosts x bins
    headroom = {}
    fits_any = np.zeros((n_hosts, n_bins), dtype=bool)
    for f in requested_flavors:
        need = data.need[f]
        ask = np.array([need[0], need[1], data.ask_disk_gb[f], 1.0])
        per = np.full((n_hosts, n_bins), np.inf)
        for r in range(4):
            if ask[r] > 0:
                per = np.minimum(per, np.floor(free[r] / ask[r] + 1e-9))
        per = np.where(up_at, per, 0.0)
        fits_any |= per >= 1
        series = per.sum(axis=0) if n_hosts else np.zeros(n_bins)
        headroom[data.flavor_names[f]] = series
    free_ram = np.where(up_at, free[0], 0.0)
    stranded = np.where(fits_any, 0.0, free_ram).sum(axis=0)
    ram_cap_at = np.where(up_at, data.cap[:, 0][:, None], 0.0).sum(axis=0)
    free_ram_total = free_ram.sum(axis=0)
    stranded_frac = np.divide(stranded, ram_cap_at, out=np.full(n_bins, np.nan), where=ram_cap_at > 0)
    stranded_of_free = np.divide(stranded, free_ram_total, out=np.full(n_bins, np.nan), where=free_ram_total > 0)

    # --- blocking over time ----------------------------------------------------------------
    b = np.clip(np.searchsorted(edges, r_t, side="right") - 1, 0, n_bins - 1)
    req_per_bin = np.bincount(b, minlength=n_bins)
    blk_per_bin = np.bincount(b[blocked], minlength=n_bins)
    blocking_series = np.divide(blk_per_bin, req_per_bin, out=np.full(n_bins, np.nan), where=req_per_bin > 0)

    # --- failures and operations -----------------------------------------------------------
    def count(code):
        return int(((act == code) & in_window).sum())

    evacuated, lost = count(L.EVACUATE), count(L.LOST)
    ev = data.host_events
    failures = 0 if ev is None or ev.empty else int(
        ((ev["name"] == "failed") & (ev["time_s"] >= data.start) & (ev["time_s"] < data.end)).sum())
    concurrent = usage_bins[3].sum(axis=0) if n_hosts else np.zeros(n_bins)

    names = ("ram", "cores", "disk", "slots")
    summary = {
        "window": {"start_s": data.start, "end_s": data.end, "bins": n_bins},
        "requests": requests,
        "utilisation": {**{f"{n}_mean": _r(util_mean[i]) for i, n in enumerate(names)},
                        **{f"{n}_peak": _r(np.nanmax(util_series[i]) if np.isfinite(util_series[i]).any() else math.nan)
                           for i, n in enumerate(names)},
                        "vms_mean": _r((concurrent * widths).sum() / widths.sum(), 3),
                        "vms_peak": _r(concurrent.max() if n_bins else 0.0, 3)},
        "stranded": {"ram_fraction_mean": _r(np.nanmean(stranded_frac) if np.isfinite(stranded_frac).any() else math.nan),
                     "ram_of_free_mean": _r(np.nanmean(stranded_of_free) if np.isfinite(stranded_of_free).any()
                                            else math.nan),
                     "ram_mb_mean": _r(stranded.mean() if n_bins else 0.0, 1)},
        "headroom": {name: {"min": int(s.min()) if len(s) else 0, "mean": _r(s.mean() if len(s) else 0.0, 2)}
                     for name, s in headroom.items()},
        "evacuation": {"host_failures": failures, "evacuated": evacuated, "lost": lost,
                       "success": _r(_ratio(evacuated, evacuated + lost))},
        "operations": {"resized": count(L.RESIZE), "resize_failed": count(L.RESIZE_FAILED),
                       "migrated": count(L.MIGRATE_FROM), "migrate_failed": count(L.MIGRATE_FAILED),
                       "suspended": count(L.SUSPEND), "snapshots": count(L.SNAPSHOT),
                       "images_gib": _r(data.images_gib, 3)},
        "series": {
            "t_s": [_r(x, 3) for x in edges[:-1]],
            "bin_s": [_r(x, 3) for x in widths],
            "requests": req_per_bin.tolist(),
            "blocking": [_r(x) for x in blocking_series],
            "util": {n: [_r(x) for x in util_series[i]] for i, n in enumerate(names)},
            "headroom": {name: s.astype(int).tolist() for name, s in headroom.items()},
            "stranded_ram_fraction": [_r(x) for x in stranded_frac],
            "hosts": data.host_names[:MAX_HEAT_HOSTS],
            "host_t_s": [_r(x, 3) for x in heat_edges[:-1]],
            "host_util": {n: [[_r(x, 4) for x in row] for row in heat[i][:MAX_HEAT_HOSTS]]
                          for i, n in enumerate(names)},
        },
    }
    return summary


def flat_metrics(summary: dict) -> dict[str, float]:
    """The run's numbers for a sweep row (see module docstring)."""
    c = summary["capacity"]
    req, util = c["requests"], c["utilisation"]

    def f(x):
        return math.nan if x is None else float(x)

    out = {
        "requests": float(req["total"]), "blocked": float(req["blocked"]),
        "blocking_probability": f(req["blocking"]),
        "quota_rejection_probability": f(_ratio(req["quota"], req["total"])),
        "build_failure_probability": f(_ratio(req["failed"], req["total"])),
        "util_ram_mean": f(util["ram_mean"]), "util_cores_mean": f(util["cores_mean"]),
        "util_disk_mean": f(util["disk_mean"]), "util_slots_mean": f(util["slots_mean"]),
        "util_ram_peak": f(util["ram_peak"]), "vms_mean": f(util["vms_mean"]),
        "stranded_ram_fraction": f(c["stranded"]["ram_fraction_mean"]),
        "evacuation_success": f(c["evacuation"]["success"]),
        "vms_evacuated": float(c["evacuation"]["evacuated"]), "vms_lost": float(c["evacuation"]["lost"]),
        "hosts": float(c["cloud"]["hosts"]), "hosts_up": float(c["cloud"]["hosts"] - c["cloud"]["hosts_down"]),
    }
    for name, v in sorted(req["by_flavor"].items()):
        out[f"blocking_{name}"] = f(v["blocking"])
    for name, v in sorted(c["headroom"].items()):
        out[f"headroom_min_{name}"] = float(v["min"])
    return out
