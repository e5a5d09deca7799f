"""The Gantt chart: each node's Ironic provision states over time, TripleO phases on top.

Rules: a plain figure dict (no plotly.graph_objects: it took seconds on large runs), drawn by
twin/report/plotly_page.py; one horizontal-bar trace per state (so the legend lists states), bars placed with `base`;
the time axis and phase rows sit above the node rows and their spans are shaded behind the whole chart.
The tables come from twin/report/derive.py (lists of named tuples, no pandas).
Every string handed to plotly is html-escaped (plotly renders a subset of HTML in labels).
The time axis is seconds, or minutes when the run is long; hover always shows h:mm:ss.
"""
from __future__ import annotations

import html
import math

from twin.record import provision as ps
from twin.report.derive import STATE_ORDER, Interval, Mark, Phase, state_rank
from twin.timefmt import hms  # also re-exported: the report's time format

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


def figure(intervals: list[Interval], phases: list[Phase], shown: list[str], end_s: float,
           marks: list[Mark] | None = None) -> dict:
    """The chart for the `shown` nodes (in display order) and every phase, as a plotly figure
    dict {"data", "layout"} (twin/report/plotly_page.py); `marks` (derive.marked_events) puts a
    marker at each failure or fault of a shown node."""
    scale, unit = (60.0, "min") if end_s >= MINUTES_FROM_S else (1.0, "s")
    phase_label = {p.name: f"phase: {html.escape(p.name)}" for p in phases}
    node_label = {n: html.escape(n) for n in shown}
    rows = list(dict.fromkeys(phase_label.values())) + [node_label[n] for n in shown]

    data, shapes = [], []
    hover = (
        "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>start %{customdata[2]}"
        "<br>end %{customdata[3]}<br>duration %{customdata[4]}<extra></extra>"
    )
    if phases:
        starts = [0.0 if math.isnan(p.start_s) else p.start_s for p in phases]
        ends = [end_s if math.isnan(p.end_s) else p.end_s for p in phases]
        data.append({
            "type": "bar", "name": "TripleO phase", "orientation": "h",
            "y": [phase_label[p.name] for p in phases],
            "base": [s / scale for s in starts],
            "x": [max(e - s, 0.0) / scale for s, e in zip(starts, ends)],
            "marker": {"color": [PHASE_COLOURS.get(p.outcome, PHASE_OTHER) for p in phases]},
            "customdata": [[html.escape(r.name), html.escape(r.outcome or "not ended"), hms(r.start_s),
                            hms(r.end_s), hms(e - r.start_s, span=True)]
                           for r, e in zip(phases, ends)],
            "hovertemplate": hover,
        })
        for i, r in enumerate(phases):
            if not math.isnan(r.start_s):
                shapes.append({"type": "rect", "xref": "x", "yref": "y domain", "y0": 0, "y1": 1,
                               "x0": r.start_s / scale, "x1": (end_s if math.isnan(r.end_s) else r.end_s) / scale,
                               "fillcolor": "#90a4ae" if i % 2 else "#cfd8dc", "opacity": 0.18, "layer": "below",
                               "line": {"width": 0}})

    on_chart = set(shown)
    part_of = [iv for iv in intervals if iv.node in on_chart]
    states = {iv.state for iv in part_of}
    colours = state_colours(states)
    for state in sorted(states, key=state_rank):
        part = [iv for iv in part_of if iv.state == state]
        labels = [node_label[iv.node] for iv in part]
        data.append({
            "type": "bar", "name": html.escape(state), "orientation": "h", "y": labels,
            "base": [iv.start_s / scale for iv in part], "x": [(iv.end_s - iv.start_s) / scale for iv in part],
            "marker": {"color": colours[state]},
            "customdata": [[n, html.escape(state), hms(iv.start_s), hms(iv.end_s), hms(iv.end_s - iv.start_s, span=True)]
                           for n, iv in zip(labels, part)],
            "hovertemplate": hover,
        })

    if marks:
        by_what: dict[str, list[Mark]] = {}
        for m in marks:
            if m.subject in on_chart:
                by_what.setdefault(m.what, []).append(m)
        for what, part in by_what.items():
            symbol, colour = MARKERS.get(what, ("circle", "#212121"))
            data.append({
                "type": "scatter", "name": html.escape(what), "mode": "markers",
                "x": [m.time_s / scale for m in part],
                "y": [node_label[m.subject] for m in part],
                "marker": {"symbol": symbol, "size": 11, "color": colour, "line": {"width": 1, "color": "#fff"}},
                "customdata": [[html.escape(what), hms(m.time_s), html.escape(str(m.detail))[:200]] for m in part],
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
