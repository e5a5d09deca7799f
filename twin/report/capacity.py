"""The report of a `run: capacity`: one self-contained HTML page from the run's summary.

Contents, top to bottom: the header (scenario, seed, window, cloud, requests, the blocking
probability), capacity curves (cloud-wide utilisation of RAM, cores, disk and instance slots over
time, and headroom per flavor), blocking over time, the utilisation heat map (RAM per host per
time step), then tables: blocking by flavor and by tenant, refusal reasons, host failures and
evacuation, operations, hosts.

Rules (as twin/report/html.py): self-contained (plotly.js inlined once, no network), every text
from the inputs html-escaped, nothing shown beyond the summary (which is derived from the event
log: twin/cloud/capacity/metrics.py), the same inputs give the same bytes (fixed div ids).
"""
from __future__ import annotations

import math
from html import escape

import plotly.graph_objects as go

from twin.timefmt import hms

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5em; color: #212121; }
h1 { margin: 0 0 .3em 0; font-size: 1.5em; }
h2 { margin-top: 1.6em; border-bottom: 2px solid #cfd8dc; padding-bottom: .2em; }
.big { display: inline-block; font-size: 2.2em; font-weight: 700; padding: .15em .6em; border-radius: .2em;
       color: #fff; }
.big.ok { background: #2e7d32; } .big.warn { background: #ef6c00; } .big.bad { background: #c62828; }
.big.none { background: #607d8b; }
.facts td { padding: .15em 1em .15em 0; } .facts td:first-child { color: #616161; }
table.data { border-collapse: collapse; font-size: .92em; }
table.data th, table.data td { border: 1px solid #cfd8dc; padding: .25em .6em; text-align: left; }
table.data th { background: #eceff1; } table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #616161; } .warning { color: #b71c1c; font-weight: 600; }
nav a { margin-right: 1em; }
"""
COLOURS = {"ram": "#1e88e5", "cores": "#43a047", "disk": "#8e24aa", "slots": "#f4511e"}


def _pct(x) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f}%"


def _num(x, nd=0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:,.{nd}f}"


def _time_axis(series: dict):
    t = series.get("t_s") or []
    span = (t[-1] - t[0]) if len(t) > 1 else 0
    scale, unit = (86400.0, "days") if span >= 2 * 86400 else (3600.0, "hours")
    return [x / scale for x in t], unit


def _html(fig: go.Figure, div_id: str, first: bool) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=first, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def render_capacity_report(events, summary: dict) -> str:
    c = summary.get("capacity") or {}
    series = c.get("series") or {}
    title = f"Helion Twin capacity report: {summary.get('scenario') or 'unnamed scenario'}"
    charts, first = [], True
    for maker, div in ((_curves, "capacity-curves"), (_blocking, "blocking"), (_heat, "heatmap")):
        fig = maker(series)
        if fig is None:
            charts.append((div, '<p class="note">Nothing to plot.</p>'))
            continue
        charts.append((div, _html(fig, div, first)))
        first = False
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>", f"<style>{CSS}</style></head><body>",
        _header(summary, c),
        '<nav><a href="#curves">Capacity curves</a><a href="#blocking-time">Blocking over time</a>'
        '<a href="#heat">Heat map</a><a href="#tables">Tables</a></nav>',
        '<h2 id="curves">Capacity curves</h2><p class="note">Cloud-wide use as a share of what the scheduler lets '
        "VMs take (RAM x ram_allocation_ratio - reserved, vCPUs x cpu_allocation_ratio, disk x "
        "disk_allocation_ratio, max instances), hosts counted while up; below, how many more VMs of each "
        "requested flavor would still fit (capacity filters only).</p>" + charts[0][1],
        '<h2 id="blocking-time">Blocking over time</h2>' + charts[1][1],
        '<h2 id="heat">Utilisation heat map</h2><p class="note">Per host and time step: what VMs use of what the '
        "scheduler lets them take (RAM, cores, disk, instance slots: the buttons), while the host was up "
        "(blank: down).</p>" + charts[2][1],
        '<h2 id="tables">Tables</h2>', _tables(c),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _header(summary: dict, c: dict) -> str:
    req = c.get("requests") or {}
    cloud = c.get("cloud") or {}
    util = c.get("utilisation") or {}
    window = c.get("window") or {}
    blocking = req.get("blocking")
    css = "ok" if blocking is not None and blocking <= 0.01 else ("warn" if blocking is not None and blocking <= 0.05
                                                                  else "bad")
    facts = [
        ("scenario", summary.get("scenario")), ("seed", summary.get("seed")),
        ("measured", f"{hms(window.get('start_s', math.nan))} to {hms(window.get('end_s', math.nan))} "
                     f"({_num((window.get('end_s', 0) - window.get('start_s', 0)) / 86400, 1)} days)"),
        ("cloud", f"{cloud.get('hosts')} compute hosts ({cloud.get('hosts_down', 0)} down throughout), "
                  f"profile {cloud.get('profile')}, {cloud.get('max_instances_per_host')} VMs per host"),
        ("requests", f"{_num(req.get('total'))}: {_num(req.get('boots'))} booted, {_num(req.get('blocked'))} blocked, "
                     f"{_num(req.get('quota'))} over quota, {_num(req.get('failed'))} failed builds"),
        ("utilisation (mean)", ", ".join(f"{k} {_pct(util.get(f'{k}_mean'))}" for k in ("ram", "cores", "disk", "slots"))),
        ("VMs running", f"mean {_num(util.get('vms_mean'), 1)}, peak {_num(util.get('vms_peak'))}"),
        ("stranded RAM (mean)", f"{_pct((c.get('stranded') or {}).get('ram_fraction_mean'))} of schedulable RAM"),
    ]
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in facts if v is not None)
    warn = ""
    if cloud and not cloud.get("within_profile", True):
        warn = (f'<p class="warning">More than {cloud.get("max_compute")} compute hosts under '
                f'{escape(str(cloud.get("profile")))}: this cloud is beyond the profile\'s supported limit.</p>')
    return (f"<h1>{escape(str(summary.get('scenario') or 'unnamed scenario'))}</h1>"
            f'<div class="big {css}">blocking {_pct(blocking)}</div>{warn}<table class="facts">{rows}</table>')


def _curves(series: dict):
    util = series.get("util") or {}
    if not series.get("t_s"):
        return None
    x, unit = _time_axis(series)
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.6, 0.4],
                        subplot_titles=("utilisation", "headroom (VMs that still fit)"))
    for k in ("ram", "cores", "disk", "slots"):
        y = [v if v is not None else None for v in util.get(k, [])]
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=k, line={"color": COLOURS[k]}), row=1, col=1)
    for name, y in sorted((series.get("headroom") or {}).items()):
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=f"headroom {escape(name)}",
                                 line={"dash": "dot"}), row=2, col=1)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title_text=unit, row=2, col=1)
    fig.update_layout(height=560, margin={"l": 60, "r": 20, "t": 40, "b": 40}, template="plotly_white")
    return fig


def _blocking(series: dict):
    if not series.get("t_s"):
        return None
    x, unit = _time_axis(series)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=series.get("requests"), name="requests", marker_color="#cfd8dc", yaxis="y2"))
    fig.add_trace(go.Scatter(x=x, y=series.get("blocking"), mode="lines+markers", name="blocking",
                             line={"color": "#c62828"}, marker={"size": 3}))
    fig.update_layout(height=360, template="plotly_white", margin={"l": 60, "r": 60, "t": 20, "b": 40},
                      xaxis={"title": unit}, yaxis={"title": "blocked / requests", "tickformat": ".1%",
                                                    "rangemode": "tozero"},
                      yaxis2={"title": "requests", "overlaying": "y", "side": "right", "showgrid": False},
                      legend={"orientation": "h"})
    return fig


def _heat(series: dict):
    util = series.get("host_util") or {}
    if not util or not util.get("ram"):
        return None
    x, unit = _time_axis({"t_s": series.get("host_t_s") or []})
    hosts = [escape(h) for h in series.get("hosts", [])]
    fig = go.Figure()
    names = [k for k in ("ram", "cores", "disk", "slots") if k in util]
    for i, k in enumerate(names):
        fig.add_trace(go.Heatmap(z=util[k], x=x, y=hosts, zmin=0, zmax=1, colorscale="YlOrRd", visible=i == 0,
                                 name=k, colorbar={"title": "used", "tickformat": ".0%"}))
    buttons = [{"label": k, "method": "update", "args": [{"visible": [j == i for j in range(len(names))]}]}
               for i, k in enumerate(names)]
    fig.update_layout(height=max(260, 18 * len(hosts) + 120), template="plotly_white",
                      margin={"l": 100, "r": 20, "t": 40, "b": 40}, xaxis={"title": unit},
                      yaxis={"autorange": "reversed"},
                      updatemenus=[{"buttons": buttons, "direction": "right", "type": "buttons", "x": 0, "y": 1.12,
                                    "xanchor": "left", "yanchor": "top", "showactive": True}])
    return fig


def _table(head: list[str], rows: list[list], num_from: int = 1) -> str:
    if not rows:
        return '<p class="note">None.</p>'
    h = "".join(f"<th>{escape(x)}</th>" for x in head)
    body = "".join("<tr>" + "".join(
        f'<td class="num">{escape(str(v))}</td>' if i >= num_from else f"<td>{escape(str(v))}</td>"
        for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f'<table class="data"><tr>{h}</tr>{body}</table>'


def _tables(c: dict) -> str:
    req = c.get("requests") or {}
    out = ["<h3>Blocking by flavor</h3>", _table(["flavor", "requests", "blocked", "blocking"], [
        [k, _num(v["requests"]), _num(v["blocked"]), _pct(v["blocking"])] for k, v in (req.get("by_flavor") or {}).items()])]
    out += ["<h3>Blocking by tenant</h3>", _table(["tenant", "requests", "blocked", "over quota", "blocking"], [
        [k, _num(v["requests"]), _num(v["blocked"]), _num(v.get("quota", 0)), _pct(v["blocking"])]
        for k, v in (req.get("by_tenant") or {}).items()])]
    out += ["<h3>Why requests were refused</h3>",
            _table(["reason", "requests"], [[k, _num(v)] for k, v in (req.get("reasons") or {}).items()])]
    ev = c.get("evacuation") or {}
    out += ["<h3>Host failures and evacuation</h3>", _table(["host failures", "VMs evacuated", "VMs lost", "success"], [
        [_num(ev.get("host_failures")), _num(ev.get("evacuated")), _num(ev.get("lost")), _pct(ev.get("success"))]],
        num_from=0)]
    ops = c.get("operations") or {}
    out += ["<h3>Operations</h3>", _table(list(ops), [[_num(v, 1) if isinstance(v, float) else _num(v)
                                                      for v in ops.values()]], num_from=0)]
    head = c.get("headroom") or {}
    out += ["<h3>Headroom (VMs that still fit)</h3>", _table(["flavor", "minimum", "mean"], [
        [k, _num(v["min"]), _num(v["mean"], 1)] for k, v in head.items()])]
    hosts = (c.get("cloud") or {}).get("host_table") or []
    out += ["<h3>Hosts</h3>", _table(["host", "memory MB", "vCPUs", "disk GB", "schedulable RAM MB",
                                      "vCPU capacity", "disk capacity GB", "max VMs", "zone"], [
        [h["name"], _num(h["memory_mb"]), _num(h["vcpus"]), _num(h["disk_gb"]), _num(h["ram_capacity_mb"]),
         _num(h["vcpu_capacity"]), _num(h["disk_capacity_gb"]), _num(h["max_instances"]), h["availability_zone"]]
        for h in hosts], num_from=1)]
    return "\n".join(out)
