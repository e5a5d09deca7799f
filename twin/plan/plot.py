"""The plan's page: blocking and utilisation against compute hosts, and hosts needed by month.

Rules: plotly (the report's library already, so no new dependency; one self-contained HTML file
with plotly.js inlined, zoomable, every trace toggled from the legend; matplotlib would add a
dependency for a static PNG). Every text from the inputs is html-escaped; fixed div ids, so the
same plan gives the same bytes.
"""
from __future__ import annotations

import math
from html import escape

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from twin.report.capacity import CSS


def _months_shown(months: int) -> set[int]:
    return {0, months} | {round(months * k / 4) for k in range(1, 4)}


def plan_figure(result) -> go.Figure:
    fig = make_subplots(rows=3, cols=1, vertical_spacing=0.09, subplot_titles=(
        f"blocking (p{result.percentile:g} of {result.replications} replications) against compute hosts",
        "RAM and slot utilisation (mean) against compute hosts",
        "compute hosts needed, by month"))
    shown = _months_shown(result.months)
    for name in result.candidates:
        points = [p for p in result.points if p.hardware == name]
        for m in sorted({p.month for p in points}):
            pts = sorted((p for p in points if p.month == m), key=lambda p: p.hosts)
            label = f"{escape(name)} month {m}"
            visible = True if m in shown else "legendonly"
            fig.add_trace(go.Scatter(x=[p.hosts for p in pts], y=[p.p_blocking for p in pts], mode="lines+markers",
                                     name=label, legendgroup=label, visible=visible), row=1, col=1)
            fig.add_trace(go.Scatter(x=[p.hosts for p in pts], y=[p.util_ram for p in pts], mode="lines+markers",
                                     name=f"{label} RAM", legendgroup=label, visible=visible, showlegend=False),
                          row=2, col=1)
            fig.add_trace(go.Scatter(x=[p.hosts for p in pts], y=[p.util_slots for p in pts], mode="lines",
                                     line={"dash": "dot"}, name=f"{label} slots", legendgroup=label,
                                     visible=visible, showlegend=False), row=2, col=1)
        plan = result.candidates[name]
        fig.add_trace(go.Scatter(x=[mp.month for mp in plan], y=[mp.hosts for mp in plan], mode="lines+markers",
                                 line={"shape": "hv", "width": 3}, name=f"{escape(name)}: hosts needed"), row=3, col=1)
    fig.add_hline(y=result.target, line={"color": "#c62828", "dash": "dash"}, row=1, col=1,
                  annotation_text=f"target {100 * result.target:g}%")
    fig.add_vline(x=result.max_compute, line={"color": "#616161", "dash": "dot"}, row=1, col=1,
                  annotation_text=f"{escape(result.profile)} limit")
    months = list(range(result.months + 1))
    fig.add_trace(go.Scatter(x=months, y=[result.current_hosts] * len(months), mode="lines",
                             line={"color": "#616161"}, name=f"current cloud ({result.current_hosts} hosts)"),
                  row=3, col=1)
    fig.add_hline(y=result.max_compute, line={"color": "#c62828", "dash": "dot"}, row=3, col=1,
                  annotation_text=f"{escape(result.profile)}: at most {result.max_compute}")
    if result.runs_out_month is not None:
        fig.add_vline(x=result.runs_out_month, line={"color": "#ef6c00"}, row=3, col=1,
                      annotation_text=f"current cloud runs out (month {result.runs_out_month})")
    fig.update_yaxes(tickformat=".1%", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(rangemode="tozero", row=3, col=1, title_text="hosts")
    fig.update_xaxes(title_text="compute hosts", row=1, col=1)
    fig.update_xaxes(title_text="compute hosts", row=2, col=1)
    fig.update_xaxes(title_text="month", row=3, col=1)
    fig.update_layout(height=1100, template="plotly_white", margin={"l": 70, "r": 20, "t": 60, "b": 40})
    return fig


def plan_html(result, table_text: str) -> str:
    title = f"Helion Twin capacity plan: {result.scenario}"
    div = plan_figure(result).to_html(full_html=False, include_plotlyjs=True, div_id="plan",
                                      config={"displaylogo": False, "responsive": True})
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style></head><body>", f"<h1>{escape(title)}</h1>",
        f"<pre>{escape(table_text)}</pre>", div, "</body></html>"]) + "\n"


def fmt_pct(x) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f}%"
