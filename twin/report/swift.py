"""The "Object storage (Swift)" section of the operations report (twin/report/operations.py), from
the event log alone (kinds swift_parts, swift_replication, swift_fill, swift_ring; twin/record/
events.py, docs/storage.md).

Shows: under-replicated and lost partitions over time (all object rings together), replication
traffic (GiB pushed so far, and each pass in a table), each device's fill at the start and at
the end, the operator's ring changes, and the Swift metrics recomputed from the log
(twin/cloud/swift/metrics.py, the same functions summary.json's `storage.swift` comes from).

Rules (as the page's): shown only when the log has Swift events; every text from the log is
html-escaped (hover texts and tick labels too); the same log gives the same bytes; figures are
plain dicts (twin/report/plotly_page.py).
"""
from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from twin.cloud.swift.metrics import count_series, swift_metrics
from twin.report.plotly_page import captioned_figures
from twin.timefmt import hms

GIB = 1024 ** 3
MARGIN = {"l": 120, "r": 20, "t": 20, "b": 40}


def has_swift(events: pd.DataFrame) -> bool:
    return bool(events.kind.isin(("swift_parts", "swift_level")).any())


def swift_nav(events: pd.DataFrame) -> str:
    return '<a href="#swift">Object storage (Swift)</a>' if has_swift(events) else ""


def _step_xy(times: np.ndarray, values: np.ndarray, duration: float, scale: float) -> tuple[list, list]:
    x = [float(t) / scale for t in times] + [duration / scale]
    y = [float(v) for v in values] + ([float(values[-1])] if len(values) else [])
    return x, y


def _partitions_figure(events, duration, scale, unit) -> dict:
    data = []
    for what, colour in (("under_replicated", "#fb8c00"), ("lost", "#e53935")):
        t, v = count_series(events, what)
        if t.size:
            x, y = _step_xy(t, v, duration, scale)
            data.append({"type": "scatter", "mode": "lines", "line": {"shape": "hv", "color": colour},
                         "name": what.replace("_", "-"), "x": x, "y": y})
    return {"data": data, "layout": {"height": 300, "margin": MARGIN, "xaxis": {"title": {"text": unit}},
                                     "yaxis": {"title": {"text": "partitions"}, "rangemode": "tozero"}}}


def _ordered(events, kind):
    return events[events.kind == kind].sort_values(["time_s", "seq"], kind="mergesort")


def _traffic_figure(passes: pd.DataFrame, duration, scale, unit) -> dict:
    done = passes[passes.name.isin(("end", "interrupted"))]
    t = done.time_s.to_numpy(dtype=float)
    gib = np.cumsum(done.value.to_numpy(dtype=float)) / GIB
    x, y = _step_xy(np.concatenate([[0.0], t]), np.concatenate([[0.0], gib]), duration, scale)
    return {"data": [{"type": "scatter", "mode": "lines", "line": {"shape": "hv", "color": "#1e88e5"},
                      "name": "GiB pushed", "x": x, "y": y}],
            "layout": {"height": 300, "margin": MARGIN, "xaxis": {"title": {"text": unit}},
                       "yaxis": {"title": {"text": "GiB pushed so far"}, "rangemode": "tozero"}}}


def _fill_figure(events) -> dict | None:
    fill = _ordered(events, "swift_fill")
    if fill.empty:
        return None
    first = fill.groupby("subject", sort=True).value.first()
    last = fill.groupby("subject", sort=True).value.last()
    labels = [escape(str(s)) for s in first.index]
    return {"data": [{"type": "bar", "name": "start", "x": labels, "y": list(first.to_numpy() / GIB),
                      "marker": {"color": "#9e9e9e"}},
                     {"type": "bar", "name": "end", "x": labels, "y": list(last.to_numpy() / GIB),
                      "marker": {"color": "#1e88e5"}}],
            "layout": {"height": 320, "margin": {**MARGIN, "b": 120}, "barmode": "group",
                       "yaxis": {"title": {"text": "GiB of current replicas"}}}}


def render_swift_section(events: pd.DataFrame, duration: float, scale: float, unit: str, table, first: bool
                         ) -> tuple[str, bool]:
    """The section's HTML ("" without Swift events) and whether plotly.js still has to be inlined."""
    if not has_swift(events):
        return "", first
    parts = ['<h2 id="swift">Object storage (Swift)</h2>'
             '<p class="note">From the event log: partitions of the object rings that are under-replicated (fewer of '
             'their primaries hold the data and answer than they have replicas) or lost (no replica left), the '
             'object-replicator\'s pushes on the management network, and each device\'s current replicas. Read and '
             'write availability weigh every partition equally, times the control plane\'s swift level.</p>']
    passes = _ordered(events, "swift_replication")
    figures = [("parts", "Under-replicated and lost partitions", _partitions_figure(events, duration, scale, unit)),
               ("traffic", "Replication traffic", _traffic_figure(passes, duration, scale, unit)
                if not passes.empty else None),
               ("fill", "Per-device fill (start and end of the run)", _fill_figure(events))]
    drawn, first = captioned_figures([(key, caption, fig, f"{caption}: nothing in the log.")
                                      for key, caption, fig in figures], "swift", first)
    parts += drawn
    m = swift_metrics(events, duration)
    parts.append(table(["metric", "value"], [[escape(k), f"{v:,.6g}"] for k, v in m.items()], {1}))
    rings = _ordered(events, "swift_ring")
    if not rings.empty:
        parts.append("<h4>Ring changes by the operator</h4>")
        parts.append(table(["time", "ring", "action", "devices", "partition replicas moved", "why"],
                           [[escape(hms(t)), escape(str(r)), escape(str(a)), escape(str(d)), f"{v:,.0f}", escape(str(c))]
                            for t, r, a, d, v, c in zip(rings.time_s, rings.subject, rings.name, rings.detail,
                                                        rings.value, rings.cause)], {4}))
    if not passes.empty:
        rows = [[escape(hms(t)), escape(str(s)), escape(str(n)), escape(str(d)), f"{v / GIB:,.3f}", escape(str(c))]
                for t, s, n, d, v, c in zip(passes.time_s, passes.subject, passes.name, passes.detail, passes.value,
                                            passes.cause)]
        parts.append(table(["time", "ring/server", "edge", "partition replicas", "GiB", "why"], rows, {3, 4},
                           fold_label="replicator passes"))
    return "\n".join(parts), first
