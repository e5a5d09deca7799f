"""The Gantt chart: each node's Ironic provision states over time, TripleO phases on top.

Rules: one horizontal-bar trace per state (so the legend lists states), bars placed with `base`;
the time axis and phase rows sit above the node rows and their spans are shaded behind the whole chart.
Every string handed to plotly is html-escaped (plotly renders a subset of HTML in labels).
The time axis is seconds, or minutes when the run is long; hover always shows h:mm:ss.
"""
from __future__ import annotations

import html
import math

import pandas as pd
import plotly.graph_objects as go

from twin.report.derive import STATE_ORDER, state_rank
from twin.timefmt import hms  # noqa: F401  (re-exported: the report's time format)

#: Colour per Ironic provision state; states not listed take FALLBACK colours in turn.
STATE_COLOURS = {
    "enroll": "#9e9e9e",
    "verifying": "#90caf9",
    "manageable": "#5c6bc0",
    "available": "#26a69a",
    "deploying": "#ffa726",
    "wait call-back": "#fdd835",
    "active": "#43a047",
    "deploy failed": "#e53935",
    "error": "#8e0000",
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
           marks: pd.DataFrame | None = None) -> go.Figure:
    """The chart for the `shown` nodes (in display order) and every phase; `marks`
    (derive.marked_events) puts a marker at each failure or fault of a shown node."""
    scale, unit = (60.0, "min") if end_s >= MINUTES_FROM_S else (1.0, "s")
    phase_label = {name: f"phase: {html.escape(name)}" for name in phases["name"]}
    node_label = {n: html.escape(n) for n in shown}
    rows = list(dict.fromkeys(phase_label.values())) + [node_label[n] for n in shown]

    fig = go.Figure()
    hover = (
        "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>start %{customdata[2]}"
        "<br>end %{customdata[3]}<br>duration %{customdata[4]}<extra></extra>"
    )
    if len(phases):
        ends = phases["end_s"].fillna(end_s)
        fig.add_trace(
            go.Bar(
                name="TripleO phase",
                orientation="h",
                y=[phase_label[n] for n in phases["name"]],
                base=list(phases["start_s"].fillna(0.0) / scale),
                x=list((ends - phases["start_s"].fillna(0.0)).clip(lower=0) / scale),
                marker_color=[PHASE_COLOURS.get(o, PHASE_OTHER) for o in phases["outcome"]],
                customdata=[
                    [html.escape(r.name), html.escape(r.outcome or "not ended"), hms(r.start_s),
                     hms(r.end_s), hms(e - r.start_s, span=True)]
                    for r, e in zip(phases.itertuples(index=False), ends)
                ],
                hovertemplate=hover,
            )
        )
        for i, r in enumerate(phases.itertuples(index=False)):
            if not math.isnan(r.start_s):
                fig.add_vrect(
                    x0=r.start_s / scale,
                    x1=(end_s if math.isnan(r.end_s) else r.end_s) / scale,
                    fillcolor="#90a4ae" if i % 2 else "#cfd8dc",
                    opacity=0.18,
                    layer="below",
                    line_width=0,
                )

    data = intervals[intervals["node"].isin(set(shown))]
    colours = state_colours(data["state"].unique())
    for state in sorted(data["state"].unique(), key=state_rank):
        part = data[data["state"] == state]
        dur = part["end_s"] - part["start_s"]
        fig.add_trace(
            go.Bar(
                name=html.escape(state),
                orientation="h",
                y=[node_label[n] for n in part["node"]],
                base=list(part["start_s"] / scale),
                x=list(dur / scale),
                marker_color=colours[state],
                customdata=[
                    [node_label[n], html.escape(state), hms(a), hms(b), hms(d, span=True)]
                    for n, a, b, d in zip(part["node"], part["start_s"], part["end_s"], dur)
                ],
                hovertemplate=hover,
            )
        )

    if marks is not None and len(marks):
        on_row = marks[marks["subject"].isin(set(shown))]
        for what, part in on_row.groupby("what", sort=False):
            symbol, colour = MARKERS.get(what, ("circle", "#212121"))
            fig.add_trace(go.Scatter(
                name=html.escape(what), mode="markers", x=list(part["time_s"] / scale),
                y=[node_label[n] for n in part["subject"]],
                marker=dict(symbol=symbol, size=11, color=colour, line=dict(width=1, color="#fff")),
                customdata=[[html.escape(what), hms(t), html.escape(str(d))[:200]]
                            for t, d in zip(part["time_s"], part["detail"])],
                hovertemplate="<b>%{y}</b>: %{customdata[0]} at %{customdata[1]}<br>%{customdata[2]}<extra></extra>"))

    fig.update_layout(
        barmode="overlay",
        template="plotly_white",
        height=max(320, 140 + ROW_PX * len(rows)),
        margin=dict(l=10, r=10, t=60, b=20),
        legend=dict(yanchor="top", y=1.0, traceorder="normal"),  # right of the chart, top
        xaxis=dict(  # on top: with hundreds of rows the bottom is far away
            title=f"time since run start ({unit})", side="top", range=[0, max(end_s, 1.0) / scale]
        ),
        yaxis=dict(
            type="category", categoryorder="array", categoryarray=rows, autorange="reversed",
            tickfont=dict(size=10), automargin=True,
        ),
        bargap=0.25,
    )
    fig.add_vline(x=end_s / scale, line_dash="dot", line_color="#455a64")
    return fig


__all__ = ["STATE_COLOURS", "STATE_ORDER", "figure", "hms", "state_colours"]
