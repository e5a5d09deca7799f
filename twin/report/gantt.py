"""The Gantt chart: each node's Ironic provision states over time, TripleO phases on top.

Rules: a plain figure dict (no plotly.graph_objects: it took seconds on large runs), drawn by
twin/report/plotly_page.py; one horizontal-bar trace per state (so the legend lists states), bars placed with `base`;
the time axis and phase rows sit above the node rows and their spans are shaded behind the whole chart.
Every string handed to plotly is html-escaped (plotly renders a subset of HTML in labels).
The time axis is seconds, or minutes when the run is long; hover always shows h:mm:ss.
"""
from __future__ import annotations

import html
import math

import pandas as pd

from twin.record import provision as ps
from twin.report.derive import STATE_ORDER, state_rank
from twin.timefmt import hms  # noqa: F401  (re-exported: the report's time format)

#: Colour per Ironic provision state; states not listed take FALLBACK colours in turn.
STATE_COLOURS = {
    ps.NOSTATE: "#78909c",
    ps.ENROLL: "#9e9e9e",
    ps.VERIFYING: "#90caf9",
    ps.MANAGEABLE: "#5c6bc0",
    ps.AVAILABLE: "#26a69a",
    ps.DEPLOYING: "#ffa726",
    ps.WAIT_CALLBACK: "#fdd835",
    ps.ACTIVE: "#43a047",
    ps.DEPLOY_FAILED: "#e53935",
    ps.DELETING: "#8d6e63",
    ps.ERROR: "#8e0000",
}
FALLBACK = ("#8d6e63", "#ab47bc", "#26c6da", "#d4e157", "#78909c", "#ec407a")
PHASE_COLOURS = {"success": "#607d8b", "failed": "#e53935"}
PHASE_OTHER = "#b0bec5"
MINUTES_FROM_S = 1800.0  # runs at least this long get a minutes axis
ROW_PX = 16




def state_colours(states) -> dict[str, str]:
    extra = sorted({s for s in states if s not in STATE_COLOURS}, key=state_rank)
    colours = dict(STATE_COLOURS)
    colours.update({s: FALLBACK[i % len(FALLBACK)] for i, s in enumerate(extra)})
    return colours


MARKERS = {"node failed": ("x", "#b71c1c"), "fault started": ("triangle-right", "#e65100"),
           "fault ended": ("triangle-left", "#2e7d32"), "rogue node (unknown MAC refused)": ("diamond", "#6a1b9a")}


def figure(intervals: pd.DataFrame, phases: pd.DataFrame, shown: list[str], end_s: float,
           marks: pd.DataFrame | None = None) -> dict:
    """The chart for the `shown` nodes (in display order) and every phase, as a plotly figure
    dict {"data", "layout"} (twin/report/plotly_page.py); `marks` (derive.marked_events) puts a
    marker at each failure or fault of a shown node."""
    scale, unit = (60.0, "min") if end_s >= MINUTES_FROM_S else (1.0, "s")
    phase_label = {name: f"phase: {html.escape(name)}" for name in phases["name"]}
    node_label = {n: html.escape(n) for n in shown}
    rows = list(dict.fromkeys(phase_label.values())) + [node_label[n] for n in shown]

    data, shapes = [], []
    hover = (
        "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>start %{customdata[2]}"
        "<br>end %{customdata[3]}<br>duration %{customdata[4]}<extra></extra>"
    )
    if len(phases):
        ends = phases["end_s"].fillna(end_s)
        data.append({
            "type": "bar", "name": "TripleO phase", "orientation": "h",
            "y": [phase_label[n] for n in phases["name"]],
            "base": [float(v) for v in phases["start_s"].fillna(0.0) / scale],
            "x": [float(v) for v in (ends - phases["start_s"].fillna(0.0)).clip(lower=0) / scale],
            "marker": {"color": [PHASE_COLOURS.get(o, PHASE_OTHER) for o in phases["outcome"]]},
            "customdata": [[html.escape(r.name), html.escape(r.outcome or "not ended"), hms(r.start_s),
                            hms(r.end_s), hms(e - r.start_s, span=True)]
                           for r, e in zip(phases.itertuples(index=False), ends)],
            "hovertemplate": hover,
        })
        for i, r in enumerate(phases.itertuples(index=False)):
            if not math.isnan(r.start_s):
                shapes.append({"type": "rect", "xref": "x", "yref": "y domain", "y0": 0, "y1": 1,
                               "x0": r.start_s / scale, "x1": (end_s if math.isnan(r.end_s) else r.end_s) / scale,
                               "fillcolor": "#90a4ae" if i % 2 else "#cfd8dc", "opacity": 0.18, "layer": "below",
                               "line": {"width": 0}})

    part_of = intervals[intervals["node"].isin(set(shown))]
    colours = state_colours(part_of["state"].unique())
    for state in sorted(part_of["state"].unique(), key=state_rank):
        part = part_of[part_of["state"] == state]
        start, end = part["start_s"].to_numpy(dtype=float), part["end_s"].to_numpy(dtype=float)
        labels = [node_label[n] for n in part["node"]]
        data.append({
            "type": "bar", "name": html.escape(state), "orientation": "h", "y": labels,
            "base": (start / scale).tolist(), "x": ((end - start) / scale).tolist(),
            "marker": {"color": colours[state]},
            "customdata": [[n, html.escape(state), hms(a), hms(b), hms(b - a, span=True)]
                           for n, a, b in zip(labels, start, end)],
            "hovertemplate": hover,
        })

    if marks is not None and len(marks):
        on_row = marks[marks["subject"].isin(set(shown))]
        for what, part in on_row.groupby("what", sort=False):
            symbol, colour = MARKERS.get(what, ("circle", "#212121"))
            data.append({
                "type": "scatter", "name": html.escape(what), "mode": "markers",
                "x": (part["time_s"].to_numpy(dtype=float) / scale).tolist(),
                "y": [node_label[n] for n in part["subject"]],
                "marker": {"symbol": symbol, "size": 11, "color": colour, "line": {"width": 1, "color": "#fff"}},
                "customdata": [[html.escape(what), hms(t), html.escape(str(d))[:200]]
                               for t, d in zip(part["time_s"], part["detail"])],
                "hovertemplate": "<b>%{y}</b>: %{customdata[0]} at %{customdata[1]}<br>%{customdata[2]}<extra></extra>",
            })

    shapes.append({"type": "line", "xref": "x", "yref": "y domain", "x0": end_s / scale, "x1": end_s / scale,
                   "y0": 0, "y1": 1, "line": {"dash": "dot", "color": "#455a64"}})
    layout = {
        "barmode": "overlay", "template": "plotly_white", "height": max(320, 140 + ROW_PX * len(rows)),
        "margin": {"l": 10, "r": 10, "t": 60, "b": 20},
        "legend": {"yanchor": "top", "y": 1.0, "traceorder": "normal"},  # right of the chart, top
        "xaxis": {"title": {"text": f"time since run start ({unit})"}, "side": "top",  # the bottom is far away
                  "range": [0, max(end_s, 1.0) / scale]},
        "yaxis": {"type": "category", "categoryorder": "array", "categoryarray": rows, "autorange": "reversed",
                  "tickfont": {"size": 10}, "automargin": True},
        "bargap": 0.25, "shapes": shapes,
    }
    return {"data": data, "layout": layout}


__all__ = ["STATE_COLOURS", "STATE_ORDER", "figure", "hms", "state_colours"]
