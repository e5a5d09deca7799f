"""`run: durability`: a Monte Carlo of a swift ring's disks failing over `durability.years` of
operation (the model: twin/cloud/swift/durability.py); one run is one replication, and
`twin sweep` over seeds gives the probability of losing any partition with its interval
(docs/storage.md, "Durability runs").

Rules:
- The ring is one the twin builds from the scenario's `swift:` section (`durability.ring`, on the
  inventory's Swift nodes under their Helion names, zones from failure domains; or the operator's
  file named in `swift.builders`), or an operator's builder file (`durability.builder`); paths are
  relative to the scenario file. The ring is resolved once, by `problems` (before anything runs),
  and kept on the section for every replication of the scenario (a sweep's point).
- Every disk failure, return to service and loss of partitions is an event of the log
  (DiskFailed, DiskRestored, PartitionsLost); the summary and the metrics come from the log.
- Random draws come from the run's stream "durability" (twin/kernel/rng.py): same scenario, same
  seed, same log. Simulation only: there is nothing to run on a live lab.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from twin.errors import InputError, UnreadableError
from twin.record.result import RunResult
from twin.runs.kind import RunKind

#: Most disk failures a run may expect (devices x failure rate x years): each is two events.
MAX_EXPECTED_FAILURES = 1_000_000
SECONDS_PER_YEAR = 365.25 * 86400


@dataclass(frozen=True)
class Ring:
    """The ring a durability run fails disks of, in the model's terms."""

    name: str  # "object", or the builder file's path
    source: str  # "scenario", "swift.builders" or "builder"
    table: object  # (replicas, parts) device ids, -1 for none (twin/cloud/swift/analyze.py)
    outage_h: object  # hours each device id is out after failing
    labels: tuple[str, ...]  # "ip/device" per device id ("" for an id without a device)
    replicas: float
    zones: int

    @property
    def devices(self) -> int:
        return sum(1 for label in self.labels if label)


# ---- the ring ------------------------------------------------------------------------------

def _load(loaded, loc: tuple, written: str):
    """The builder file written at `loc` of the scenario, resolved relative to it; InputError there."""
    from twin.cloud.swift.rings import load_builder

    path = loaded.resolve(str(written))
    try:
        return load_builder(path)
    except (UnreadableError, InputError) as e:
        raise InputError([loaded.problem(loc, f"{path}: {p.message}") for p in e.problems]) from None


def _builder(loaded, sc, inventory):
    """(name, source, RingBuilder) of the scenario's durability ring; InputError located in the scenario."""
    from twin.cloud.swift.build import RING_LAYOUT, build_rings
    from twin.faults.validate import helion_named

    d = sc.durability
    if d.builder is not None:
        return str(loaded.resolve(d.builder)), "builder", _load(loaded, ("durability", "builder"), d.builder)
    if d.ring in sc.swift.builders:
        return d.ring, "swift.builders", _load(loaded, ("swift", "builders", d.ring), sc.swift.builders[d.ring])
    named, nodes, _ = helion_named(sc, inventory.active)
    try:
        rings = build_rings(sc.swift.model_copy(update={"builders": {}}), nodes, named.failure_domains)
    except InputError as e:
        raise InputError([loaded.problem(("swift",), f"{p.field}: {p.message}") for p in e.problems]) from None
    if d.ring not in rings:
        role = RING_LAYOUT[d.ring][0].value
        raise InputError([loaded.problem(("durability", "ring"), (
            f"the scenario builds no {d.ring} ring: the inventory has no {role} nodes (rings built: "
            f"{', '.join(rings) or 'none'}); name another ring or a `builder` file"))])
    return d.ring, "scenario", rings[d.ring]


def resolve_ring(loaded, sc, inventory) -> Ring:
    """The run's Ring from the scenario (see the module rules); InputError located in the scenario."""
    import numpy as np

    from twin.cloud.swift import analyze
    from twin.cloud.swift.durability import DurabilityParams

    d = sc.durability
    name, source, builder = _builder(loaded, sc, inventory)
    where = {"builder": ("durability", "builder"), "swift.builders": ("swift", "builders", name)}.get(
        source, ("durability", "ring"))
    try:
        table = analyze.replica_table(builder)
    except InputError:
        raise InputError([loaded.problem(where, f"{name}: the builder was never rebalanced "
                                                "(no partition is placed yet)")]) from None
    devs = list(builder._iter_devs())
    used = analyze.used_bytes(builder, {dev["id"]: d.used_gib for dev in devs} if d.used_gib is not None else None,
                              d.fill)
    outage = DurabilityParams(d.afr, d.replacement_delay_h, d.rebuild_gbps).outage_h(used)
    labels = [""] * len(used)
    for dev in devs:
        labels[dev["id"]] = f"{dev['ip']}/{dev['device']}"
    zones = len({(dev["region"], dev["zone"]) for dev in devs})
    return Ring(name, source, table, np.asarray(outage), tuple(labels), float(builder.replicas), zones)


def problems(loaded, sc, inventory):
    """The ring (built or loaded now, kept for the run) and the run's cost, located."""
    d = sc.durability
    try:
        ring = resolve_ring(loaded, sc, inventory)
    except InputError as e:
        return list(e.problems), []
    rate = -math.log1p(-d.afr)
    expected = ring.devices * rate * d.years
    if expected > MAX_EXPECTED_FAILURES:
        return [loaded.problem(("durability", "years"), (
            f"{ring.devices:,} disks at AFR {d.afr:g} for {d.years} years is about {expected:,.0f} disk failures "
            f"in one run, more than {MAX_EXPECTED_FAILURES:,}: run fewer years (a sweep's replications give "
            "the per-year figure)"))], []
    d._resolved = ring
    return [], []


# ---- the run -------------------------------------------------------------------------------

def simulate(sc, inventory, seed: int, progress: bool = False) -> RunResult:
    """One replication: the ring's disks failing and coming back for `years`; a RunResult."""
    from pathlib import Path

    from twin.cloud.swift.durability import HOURS_PER_YEAR, simulate_years
    from twin.kernel.rng import Streams
    from twin.record.events import DiskFailed, DiskRestored, PartitionsLost, RunMark
    from twin.record.recorder import Recorder
    from twin.scenario.loader import LoadedScenario

    d = sc.durability
    ring = d._resolved
    if ring is None:  # called without the checks (a test, a library user): paths relative to the cwd
        ring = resolve_ring(LoadedScenario(sc, Path("scenario"), None), sc, inventory)
        d._resolved = ring
    rng = Streams(seed).get("durability")
    recorder = Recorder()
    recorder.record(0.0, RunMark("start", "durability"))

    def on_event(hour: float, what: str, device: int, newly_lost: int) -> None:
        t, label = hour * 3600.0, ring.labels[device]
        if what == "failed":
            recorder.record(t, DiskFailed(label, device, float(ring.outage_h[device])))
            if newly_lost:
                recorder.record(t, PartitionsLost(ring.name, label, newly_lost))
        else:
            recorder.record(t, DiskRestored(label, device))

    simulate_years(ring.table, ring.outage_h, d.afr, d.years, rng, on_event)
    recorder.record(d.years * HOURS_PER_YEAR * 3600.0, RunMark("end", "success"))
    summary = summarize(recorder.rows(), sc, ring, seed)
    return RunResult(summary, metrics=metrics(summary), recorder=recorder)  # the table on first use


def summarize(rows, sc, ring: Ring, seed: int) -> dict:
    """The run's summary, its figures counted from the event log's rows (Recorder.rows)."""
    d = sc.durability
    failures, lost_times, lost = 0, [], 0
    for time_s, kind, _subject, name, _detail, _cause, value in rows:
        if kind == "disk" and name == "failed":
            failures += 1
        elif kind == "partitions_lost":
            lost_times.append(time_s)
            lost += int(value)
    years_with_loss = len({min(int(t // SECONDS_PER_YEAR), d.years - 1) for t in lost_times})
    in_ring = [float(h) for h, label in zip(ring.outage_h, ring.labels) if label]
    figures = {
        "lost_any": int(bool(lost_times)),
        "partitions_lost": lost,
        "disk_failures": failures,
        "first_loss_year": min(lost_times) / SECONDS_PER_YEAR if lost_times else None,
        "loss_years_fraction": years_with_loss / d.years,
    }
    return {"run": "durability", "scenario": sc.name, "seed": seed, "backend": "sim",
            "durability": {
                "ring": {"name": ring.name, "source": ring.source, "parts": int(ring.table.shape[1]),
                         "replicas": ring.replicas, "devices": ring.devices, "zones": ring.zones},
                "params": {"years": d.years, "afr": d.afr, "replacement_delay_h": d.replacement_delay_h,
                           "rebuild_gbps": d.rebuild_gbps, "fill": d.fill, "used_gib": d.used_gib},
                "outage_h": {"min": min(in_ring, default=0.0), "max": max(in_ring, default=0.0)},
                "years_with_loss": years_with_loss,
                **figures},
            "metrics": figures}  # None where undefined (JSON has no NaN); metrics() makes it NaN


def metrics(summary: dict) -> dict[str, float]:
    """One sweep row: lost_any (0/1, a proportion), partitions_lost, disk_failures, first_loss_year
    (NaN without a loss) and loss_years_fraction (the run's years with a loss, over its years)."""
    return {k: (math.nan if v is None else float(v)) for k, v in summary["metrics"].items()}


def digest(summary: dict, out) -> tuple[str, int]:
    """What `twin run` prints after a durability run (a measurement: exit 0)."""
    s = summary["durability"]
    ring, p = s["ring"], s["params"]
    lost = (f"{s['partitions_lost']:,} partition(s) lost, the first in year {s['first_loss_year']:.3f}"
            if s["lost_any"] else "no partition lost")
    lines = [(f"{summary['scenario']} (durability, seed {summary['seed']}): {ring['name']} ring "
              f"({ring['parts']:,} partitions, {ring['replicas']:g} replicas, {ring['devices']} disks in "
              f"{ring['zones']} zone(s)), {p['years']} year(s) at AFR {100 * p['afr']:g}%, a failed disk out "
              f"{_hours(s['outage_h'])}: {s['disk_failures']:,} disk failure(s), {lost}"),
             ("  one run is one sample: `twin sweep SCENARIO --replications N` gives P(losing any partition) "
              "with its interval (docs/storage.md)"),
             f"report: {out / 'report.html'}  events: {out / 'events.parquet'}  summary: {out / 'summary.json'}"]
    return "\n".join(lines), 0


def _hours(outage: dict) -> str:
    low, high = outage["min"], outage["max"]
    return f"{low:,.1f} h" if math.isclose(low, high) else f"{low:,.1f} to {high:,.1f} h"


def report(events, summary: dict) -> str:
    from twin.record.recorder import as_frame
    from twin.report.durability import render_durability_report

    return render_durability_report(as_frame(events), summary)


def compare(a, b) -> dict:
    """Two durability runs: the same ring and parameters (then their figures differ by chance: the
    seed), or what differs."""
    sa, sb = a.summary["durability"], b.summary["durability"]
    differ = [f"{section}.{key}: {sa[section].get(key)!r} vs {sb[section].get(key)!r}"
              for section in ("ring", "params") for key in sorted(set(sa[section]) | set(sb[section]))
              if sa[section].get(key) != sb[section].get(key)]
    text = ("same ring and parameters: the runs differ only by their draws (seed "
            f"{a.summary['seed']} vs {b.summary['seed']})" if not differ
            else "different rings or parameters:\n  " + "\n  ".join(differ))
    return {"detail": {"ring": (sa["ring"], sb["ring"]), "params": (sa["params"], sb["params"])},
            "text": text, "same": not differ}


@cache
def _sections():
    from pydantic import Field

    from twin.cloud.swift.config import DurabilityConfig
    from twin.runs.operations import KIND as OPERATIONS

    operations_sections = OPERATIONS.sections()
    return {"failure_domains": operations_sections["failure_domains"], "swift": operations_sections["swift"],
            "durability": (DurabilityConfig, Field(default_factory=DurabilityConfig, description=(
                "a Monte Carlo of a swift ring's disk failures (run: durability, docs/storage.md)")))}


KIND = RunKind(
    name="durability", help="a swift ring's disks failing over years: one replication of P(losing a partition) "
    "(twin/cloud/swift/durability.py, docs/storage.md)",
    sections=_sections, simulate=simulate, problems=problems, metrics=metrics, digest=digest, report=report,
    compare=compare,
    live_refusal="a durability run is a Monte Carlo of disk failures over years; a live lab has nothing to run")

__all__ = ["KIND", "Ring", "resolve_ring"]
