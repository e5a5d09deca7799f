"""`twin calibrate LIVE_RUN --out timing.yaml`: fit the simulator's timing to what a live run
measured, then check the fit by simulating with it.

Rules:
- Fitted: ipmi_latency_s and ipmi_power_latency_s (acknowledged BMC commands: status and boot
  device, and chassis power), post_s (power-on acknowledged -> the
  machine's first PXE request), ramdisk_boot_s (PXE request -> deploy callback), os_boot_s
  (PXE request of the local boot -> its callback), image_write_overhead_s. A quantity with two
  or more distinct positive samples becomes a lognormal (median and sigma of log), otherwise a
  fixed value. DHCP is folded into post_s (the live world cannot see it apart).
- A run whose image write was emulated transfers no image: the profile then says so (tiny image
  and ramdisk). A run with real writes (the lab's deploy ramdisk, `image_write_s` events: bytes
  and seconds per node) fits the network: image_gib from the bytes written, nic_gbps from the
  median bandwidth of one node's write, management_gbps from the largest total bandwidth of
  writes that overlapped (only when some did: a run of lone writes says nothing about sharing),
  image_write_overhead_s from what the write step took beyond the write itself (the command, the
  checksum read back, the report). The ramdisk's download is inside ramdisk_boot_s (the live
  world sees only PXE request -> callback), so the profile makes deploy_ramdisk_mib tiny.
- A lab's guests boot on one host's shared CPU (twin/sim/hostcpu.py). From a lab run whose boots
  overlapped, lab_host_capacity is the capacity under which each node's ramdisk and OS boot are
  the most alike as lone work (host_capacity), and ramdisk_boot_s and os_boot_s are fitted to
  that lone work; without overlap, or from physical machines (`ipmi`), they are the durations.
- Quality is measured, not assumed: the scenario is simulated `replications` times with the
  profile, and the prediction error of the makespan and of each step's median is reported.
- Refused before anything is fitted or written: a simulated run (there is nothing real to fit),
  a run that is not a deployment, and `replications` outside 1..MAX_REPLICATIONS.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from twin.analysis.runs import RunOnDisk
from twin.errors import TwinError
from twin.runs.registry import kind, kind_of
from twin.record.provision import DEPLOY_FROM, DEPLOYING
from twin.report.steps import STEPS, node_steps

#: Simulations that measure a fit: each is a whole deployment; 1,000 pins the simulated makespan's
#: mean far below the live run's own variation, more only costs time.
MAX_REPLICATIONS = 1000
LIVE_BACKENDS = ("lab", "ipmi")

POWER_COMMANDS = ("power_on", "power_off", "power_cycle", "power_reset")
NOOP_FACTOR = 5  # a power command within 5x the median query latency changed nothing


def _dist(samples) -> float | dict:
    x = np.asarray([s for s in samples if s is not None and s > 0], dtype=float)
    if len(x) == 0:
        return 0.0
    if len(x) < 2 or np.ptp(x) == 0:
        return round(float(np.median(x)), 4)
    logs = np.log(x)
    return {"dist": "lognormal", "median": round(float(np.exp(logs.mean())), 4),
            "sigma": round(float(min(max(logs.std(ddof=1), 0.01), 5.0)), 4)}


def _boot_marks(events: pd.DataFrame) -> pd.DataFrame:
    """Per node: the first and last acknowledged power_on while deploying, PXE requests, callbacks."""
    rows = []
    ev = events[events.kind.isin(["state", "bmc", "boot"])]
    for node, g in ev.groupby("subject", sort=True):
        deploying = g[(g.kind == "state") & (g.name == DEPLOYING) & g.detail.isin(DEPLOY_FROM)].time_s
        if deploying.empty:
            continue
        g = g[g.time_s >= deploying.iloc[-1]]
        ons = g[(g.kind == "bmc") & (g.name == "power_on") & (g.detail == "ok")].time_s.tolist()
        pxe = g[(g.kind == "boot") & (g.name == "pxe_script")]
        first = lambda name: g[(g.kind == "boot") & (g.name == name)].time_s.min()  # noqa: E731
        rows.append({"node": node, "on1": ons[0] if ons else math.nan, "on2": ons[-1] if len(ons) > 1 else math.nan,
                     "pxe_deploy": pxe[pxe.detail == "deploy"].time_s.min(),
                     "pxe_local": pxe[pxe.detail == "local_boot"].time_s.min(),
                     "deploy_cb": first("deploy_callback"), "written": first("image_written"),
                     "local_cb": first("local_boot_callback")})
    return pd.DataFrame(rows)


def fit_profile(run: RunOnDisk) -> dict:
    ev = run.events
    m = _boot_marks(ev)
    if m.empty:
        raise TwinError(f"{run.path}: no node got as far as deploying: nothing to calibrate from")
    has_pxe = m.pxe_deploy.notna().any()
    acked = ev[(ev.kind == "bmc") & (ev.detail == "ok")]
    queries = acked[~acked.name.isin(POWER_COMMANDS)].value.dropna()
    power = acked[acked.name.isin(POWER_COMMANDS)].value.dropna()
    # a power command answered as fast as a query found the machine as asked (a no-op)
    acting = power[power > NOOP_FACTOR * queries.median()] if len(queries) else power
    boots = {"ramdisk_boot_s": (m.deploy_cb - m.pxe_deploy) if has_pxe else None,
             "os_boot_s": (m.local_cb - m.pxe_local) if has_pxe else (m.local_cb - m.on2)}
    capacity = host_capacity(m) if has_pxe and run.summary.get("backend") == "lab" else None
    if capacity is not None:
        boots = lone_work(m, capacity)
    timing = {
        "ipmi_latency_s": _dist(queries),
        "ipmi_power_latency_s": _dist(acting),
        "post_s": _dist((m.pxe_deploy - m.on1) if has_pxe else (m.deploy_cb - m.on1)),
        "dhcp_s": 0.0,
        "ramdisk_boot_s": _dist(boots["ramdisk_boot_s"]) if boots["ramdisk_boot_s"] is not None else 0.0,
        "os_boot_s": _dist(boots["os_boot_s"]),
        "image_write_overhead_s": round(float(np.nanmedian(m.written - m.deploy_cb)), 4)
        if m.written.notna().any() else 0.0,
    }
    if capacity is not None:
        timing["lab_host_capacity"] = capacity
    written = ev[(ev.kind == "boot") & (ev.name == "image_written")].value
    network = {"image_gib": 1e-6, "deploy_ramdisk_mib": 1e-3} if len(written) and (written.fillna(0) == 0).all() else {}
    writes = write_measurements(ev)
    if not writes.empty:
        overhead = (m.set_index("node").written - m.set_index("node").deploy_cb).reindex(writes.node).to_numpy() \
            - writes.write_s.to_numpy()
        timing["image_write_overhead_s"] = round(max(float(np.nanmedian(overhead)), 0.0), 4)
        network = {"image_gib": round(float(writes.bytes.median()) / GIB, 6), "deploy_ramdisk_mib": 1e-3,
                   "nic_gbps": round(float((writes.bytes / writes.write_s).median()) * 8 / 1e9, 6)}
        shared = shared_bandwidth_bps(writes)
        if shared is not None:
            network["management_gbps"] = round(max(shared * 8 / 1e9, network["nic_gbps"]), 6)
    return {"timing": timing, "network": network} if network else {"timing": timing}


GIB = 1024 ** 3

#: The boot stages a lab's guests share the host's CPU for (twin/sim/hostcpu.py), by the marks
#: (_boot_marks) that bound each: PXE request -> the deploy ramdisk's callback, PXE request of the
#: local boot -> the deployed OS's callback.
CPU_STAGES = {"ramdisk_boot_s": ("pxe_deploy", "deploy_cb"), "os_boot_s": ("pxe_local", "local_cb")}
CAPACITY_STEP = 0.05  # guests' worth of host CPU: the fit's resolution


def _cpu_spans(marks: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of every CPU stage of every node that took time, and each one's stage index."""
    spans, stage = [], []
    for i, (start, end) in enumerate(CPU_STAGES.values()):
        two = marks[[start, end]].to_numpy(dtype=float)
        two = two[two[:, 1] > two[:, 0]]  # (a NaN mark compares false: an unfinished stage is left out)
        spans.append(two)
        stage += [i] * len(two)
    return np.concatenate(spans), np.asarray(stage)


def _segments(spans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The timeline cut at every span's start and end: (each segment's width, span x segment
    matrix of which spans are open over it)."""
    cuts = np.unique(spans)
    mids = (cuts[:-1] + cuts[1:]) / 2
    return np.diff(cuts), (spans[:, :1] <= mids) & (spans[:, 1:] >= mids)


def _work(spans: np.ndarray, capacity: float) -> np.ndarray:
    """Per span: the lone guest's work done over it, the integral of min(1, capacity / n(t))
    where n(t) is how many spans are open at t (processor sharing, as the simulator runs it)."""
    widths, inside = _segments(spans)
    speed = np.minimum(1.0, capacity / np.maximum(inside.sum(axis=0), 1))
    return inside @ (widths * speed)


def host_capacity(marks: pd.DataFrame) -> float | None:
    """How many guests' worth of CPU the lab's host gave its guests' boots: the capacity under
    which each stage's lone work is the most alike from node to node (least pooled variance of
    its log), whatever the number of guests that booted beside it. None when no two stages
    overlapped or the best capacity slows nothing down (the boots did not compete)."""
    spans, stage = _cpu_spans(marks)
    if len(spans) < 2:
        return None
    most = int(_segments(spans)[1].sum(axis=0).max())
    if most < 2:
        return None

    def spread(capacity: float) -> float:
        logs = np.log(_work(spans, capacity))
        return float(sum(((logs[stage == i] - logs[stage == i].mean()) ** 2).sum() for i in np.unique(stage)))

    best = min(np.arange(1.0, most + CAPACITY_STEP / 2, CAPACITY_STEP), key=spread)
    return None if best >= most else round(float(best), 2)


def lone_work(marks: pd.DataFrame, capacity: float) -> dict[str, np.ndarray]:
    """Per CPU stage: each node's work in seconds of a guest alone, given the host's capacity."""
    spans, stage = _cpu_spans(marks)
    work = _work(spans, capacity)
    return {key: work[stage == i] for i, key in enumerate(CPU_STAGES)}


def write_measurements(events: pd.DataFrame) -> pd.DataFrame:
    """Per real image write: node, bytes, write_s (measured by the ramdisk), start and end (run
    time: the write ends when its report arrives, `image_written`)."""
    boot = events[events.kind == "boot"]
    secs = boot[boot.name == "image_write_s"].set_index("subject")
    done = boot[(boot.name == "image_written") & (boot.value > 0)]
    rows = []
    for r in done.itertuples():
        if r.subject in secs.index:
            w = secs.loc[[r.subject]]
            w = w[w.time_s <= r.time_s].iloc[-1]
            if w.value > 0:
                rows.append({"node": r.subject, "bytes": float(r.value), "write_s": float(w.value),
                             "start": float(r.time_s) - float(w.value), "end": float(r.time_s)})
    return pd.DataFrame(rows, columns=["node", "bytes", "write_s", "start", "end"])


def shared_bandwidth_bps(writes: pd.DataFrame) -> float | None:
    """The largest total bandwidth (bytes/s) of writes running at once, or None when no two
    writes overlapped."""
    best = None
    for w in writes.itertuples():
        mid = (w.start + w.end) / 2
        running = writes[(writes.start <= mid) & (writes.end >= mid)]
        if len(running) >= 2:
            total = float((running.bytes / running.write_s).sum())
            best = total if best is None else max(best, total)
    return best


def check_calibratable(run: RunOnDisk, replications: int) -> None:
    """TwinError unless `run` is a live deployment and `replications` is 1..MAX_REPLICATIONS."""
    if isinstance(replications, bool) or not isinstance(replications, int) or not 1 <= replications <= MAX_REPLICATIONS:
        raise TwinError(f"--replications: must be a whole number from 1 to {MAX_REPLICATIONS}, not {replications!r}")
    backend = run.summary.get("backend")
    if backend not in LIVE_BACKENDS:
        what = "a simulated run" if backend == "sim" else f"a run of backend {backend!r}"
        raise TwinError(f"{run.path}: {what}; calibrate needs a live run (--backend lab|ipmi)")
    if kind_of(run.summary) is not kind("deploy") or "deployment" not in run.summary:
        raise TwinError(f"{run.path}: a run of kind {kind_of(run.summary).name}; calibrate fits the timing of a "
                        "live deployment")


def calibrate(run: RunOnDisk, out: Path, scenario_path: str | None = None, replications: int = 20) -> dict:
    from twin.runs import load_scenario, resolve_inventory, simulate

    check_calibratable(run, replications)
    inputs = run.summary.get("inputs") or {}
    scenario_path = scenario_path or inputs.get("scenario_file")
    if not scenario_path:
        raise TwinError(f"{run.path}: the run does not record its scenario file; give --scenario")
    profile = fit_profile(run)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(yaml.safe_dump(profile, sort_keys=False))
    try:
        loaded = load_scenario(scenario_path, tmp)
        inventory, _ = resolve_inventory(loaded, inputs.get("inventory_file"))
        sims = [simulate(loaded.scenario, inventory, seed) for seed in range(1, replications + 1)]
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    live_make = float(run.summary["deployment"]["makespan_s"])
    sim_make = np.array([s.summary["deployment"]["makespan_s"] for s in sims])
    live_steps = node_steps(run.events)
    sim_steps = pd.concat([node_steps(s.events) for s in sims])
    steps = []
    for step in STEPS:
        lv = live_steps[live_steps.step == step].duration_s.median()
        sv = sim_steps[sim_steps.step == step].duration_s.median()
        if pd.notna(lv) and pd.notna(sv):
            steps.append({"step": step, "live_s": round(float(lv), 3), "sim_s": round(float(sv), 3),
                          "error": round(float((sv - lv) / lv), 4) if lv > 0 else None})
    quality = {"live_run": str(run.path), "scenario": str(scenario_path), "replications": replications,
               "makespan_live_s": round(live_make, 3), "makespan_sim_mean_s": round(float(sim_make.mean()), 3),
               "makespan_sim_sd_s": round(float(sim_make.std(ddof=1)), 3) if replications > 1 else 0.0,
               "makespan_error": round(float((sim_make.mean() - live_make) / live_make), 4), "steps": steps}
    header = (f"# Timing profile fitted by `twin calibrate` to {run.path}\n"
              f"# use: twin run SCENARIO --timing {out.name}\n"
              f"# makespan: live {live_make:.1f} s, simulated {sim_make.mean():.1f} s "
              f"(error {quality['makespan_error']:+.1%}, {replications} replications)\n")
    tmp.write_text(header + yaml.safe_dump(profile, sort_keys=False))
    tmp.replace(out)
    (out.with_suffix(".quality.json")).write_text(__import__("json").dumps(quality, indent=2) + "\n")
    return {"profile": profile, "quality": quality}


def render(result: dict, out: Path) -> str:
    q = result["quality"]
    lines = [f"timing profile: {out}  (quality: {out.with_suffix('.quality.json')})",
             f"makespan: live {q['makespan_live_s']:.1f} s, simulated {q['makespan_sim_mean_s']:.1f} s "
             f"± {q['makespan_sim_sd_s']:.1f} (sd over {q['replications']} replications): error {q['makespan_error']:+.1%}",
             f"{'step median':<14}{'live s':>9}{'sim s':>9}{'diff s':>9}{'error':>9}"]
    for s in q["steps"]:  # a relative error of a sub-second step says nothing
        err = "-" if s["error"] is None or s["live_s"] < 1.0 else f"{s['error']:+.1%}"
        lines.append(f"{s['step']:<14}{s['live_s']:>9.2f}{s['sim_s']:>9.2f}{s['sim_s'] - s['live_s']:>+9.2f}{err:>9}")
    return "\n".join(lines)
