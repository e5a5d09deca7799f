"""The page of a sweep: each metric per point with its interval, as Rally's task report shows a
task's numbers (one chart per metric, then one table of every point), for a person to read instead
of the text table.

Input: the sweep's summary (twin/sweep/core.py `summarize`, summary.json):
    {scenario, replications, confidence, axes: {key: [values]}, intervals: {metric: kind},
     points: [{point, params: {key: value}, metrics: {metric: {mean, sd, n, ci_low, ci_high, interval}}}]}
Call: `render_sweep_report(summary) -> str`, written as report.html beside summary.json.

Rules: self-contained and offline (plotly.js inlined once, twin/report/plotly_page.py; figures as
plain dicts); every text from the inputs html-escaped; the same summary gives the same bytes; a
metric with no interval (n < 2, or constant) shows its mean alone; with one numeric axis the x-axis
is that axis' values, otherwise one category per point.
"""
from __future__ import annotations

import math
from html import escape

from twin.report.capacity import CSS
from twin.report.plotly_page import figure_div

GRID = ".figs { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 1em; }\n"
MAX_FIGURES = 60  # past this many metrics, the table alone (every metric is in it)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def num(x) -> str:
    """A metric's number as the page shows it: 6 significant digits, '—' for none."""
    return f"{x:.6g}" if _finite(x) else "—"


def point_label(params: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "(the scenario as written)"


def _x_axis(summary: dict) -> tuple[list, str, bool]:
    """(x values per point, axis title, numeric?)."""
    axes = summary.get("axes") or {}
    points = summary.get("points") or []
    if len(axes) == 1:
        key = next(iter(axes))
        values = [p["params"].get(key) for p in points]
        if all(_finite(v) for v in values):
            return values, key, True
    return [point_label(p["params"]) for p in points], "point", False


def metric_figure(summary: dict, metric: str) -> tuple[list[dict], dict]:
    """The plotly data and layout of one metric: its mean per point and the interval as error bars."""
    x, title, numeric = _x_axis(summary)
    stats = [p["metrics"].get(metric) or {} for p in summary.get("points") or []]
    mean = [s.get("mean") if _finite(s.get("mean")) else None for s in stats]
    plus = [s["ci_high"] - s["mean"] if _finite(s.get("ci_high")) and _finite(s.get("mean")) else None for s in stats]
    minus = [s["mean"] - s["ci_low"] if _finite(s.get("ci_low")) and _finite(s.get("mean")) else None for s in stats]
    kind = (summary.get("intervals") or {}).get(metric, "")
    trace = {"type": "scatter", "mode": "lines+markers" if numeric else "markers", "x": x, "y": mean,
             "name": escape(metric), "marker": {"size": 8, "color": "#1e88e5"}, "line": {"color": "#1e88e5"},
             "error_y": {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                         "color": "#1565c0", "thickness": 1.5, "width": 6},
             "customdata": [[num(s.get("ci_low")), num(s.get("ci_high")), s.get("n", 0)] for s in stats],
             "hovertemplate": "%{x}<br>mean %{y:.6g}<br>interval [%{customdata[0]}, %{customdata[1]}]"
                              "<br>n %{customdata[2]}<extra></extra>"}
    confidence = summary.get("confidence") or 0.95
    layout = {"title": {"text": f"{escape(metric)} <span style='font-size:11px'>(mean, {100 * confidence:g}% "
                                f"{escape(str(kind))} interval)</span>", "font": {"size": 14}},
              "height": 300, "margin": {"l": 60, "r": 20, "t": 40, "b": 50}, "showlegend": False,
              "xaxis": {"title": {"text": escape(title)}, **({} if numeric else {"type": "category"})},
              "yaxis": {"automargin": True}}
    return [trace], layout


def render_sweep_report(summary: dict) -> str:
    points = summary.get("points") or []
    metrics = list(dict.fromkeys(m for p in points for m in p.get("metrics") or {}))
    title = f"Helion Twin sweep: {summary.get('scenario') or 'unnamed scenario'}"
    figures = []
    if len(metrics) <= MAX_FIGURES:
        for i, metric in enumerate(metrics):
            data, layout = metric_figure(summary, metric)
            figures.append(f'<div class="fig">{figure_div(data, layout, f"metric-{i}", include_plotlyjs=i == 0)}</div>')
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(title)}</title>",
             f"<style>{CSS}{GRID}</style></head><body>",
             f"<h1>{escape(title)}</h1>", _facts(summary, metrics),
             '<h2 id="charts">Each metric per point</h2>',
             ('<p class="note">The mark is the mean over the replications, the bar its interval (hover for the '
              'numbers).</p>') if figures else '<p class="note">Too many metrics to chart: the table lists them.</p>',
             f'<div class="figs">{"".join(figures)}</div>', '<h2 id="table">Every point</h2>', _table(summary, metrics),
             "</body></html>"]
    return "\n".join(parts) + "\n"


def _facts(summary: dict, metrics: list[str]) -> str:
    axes = summary.get("axes") or {}
    facts = [("scenario", summary.get("scenario")), ("replications per point", summary.get("replications")),
             ("points", len(summary.get("points") or [])), ("seed", summary.get("seed")),
             ("confidence", f"{100 * (summary.get('confidence') or 0.95):g}%"), ("metrics", len(metrics)),
             *((f"axis {k}", ", ".join(map(str, v))) for k, v in axes.items())]
    rows = "".join(f"<tr><td>{escape(str(k))}</td><td>{escape(str(v))}</td></tr>" for k, v in facts if v is not None)
    return f'<table class="facts">{rows}</table>'


def _table(summary: dict, metrics: list[str]) -> str:
    """One row per point and metric: n, mean, sd, the interval and its kind (as the text table)."""
    pct = f"{100 * (summary.get('confidence') or 0.95):g}%"
    head = ["point", "parameters", "metric", "n", "mean", "sd", f"{pct} low", f"{pct} high", "interval"]
    rows = []
    for p in summary.get("points") or []:
        for m in metrics:
            s = p["metrics"].get(m) or {}
            rows.append([str(p.get("point", "")), point_label(p.get("params") or {}), m, str(s.get("n", "")),
                         num(s.get("mean")), num(s.get("sd")), num(s.get("ci_low")), num(s.get("ci_high")),
                         str(s.get("interval", ""))])
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i in (0, 3, 4, 5, 6, 7) else ""}>{escape(c)}</td>'
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<table class="data"><tr>{"".join(f"<th>{escape(h)}</th>" for h in head)}</tr>{body}</table>'
