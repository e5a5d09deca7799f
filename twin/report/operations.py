"""The report of a `run: operations`: one self-contained HTML page from the event log and the run
summary (twin/cloud/ha/summary.py).

Contents, top to bottom: the header (scenario, backend, seed, duration, overall availability,
per-service availability and downtime), availability over time (each service's level: the share
of requests that would succeed, and the availability so far), the outage timeline (one row per
service, a bar per outage coloured by why requests failed, its cause on hover), the sampled
requests (successes and errors per time bucket) when clients ran, then tables: outages with
their causes and error counts, VIP moves with takeover times, faults, components (Galera, the
singletons, the undercloud, the seed, compute hosts), requests with latency percentiles; then,
when the log has VSA events, block storage per cluster (twin/report/vsa.py), with Swift events,
object storage (twin/report/swift.py), and the day-2 actions.

Rules (as twin/report/html.py): self-contained (plotly.js inlined once, no network), every text
from the inputs html-escaped, nothing shown beyond the log and the summary, the same inputs give
the same bytes (fixed div ids), bounded size (charts bucket requests; long tables fold).
"""
from __future__ import annotations

import math
from html import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from twin.report.capacity import CSS
from twin.report.swift import render_swift_section, swift_nav
from twin.report.vsa import render_vsa_section, vsa_nav
from twin.timefmt import hms

NO_API_SERVICES = "no API services"
NO_API_SERVICES_WHY = ("The inventory has no controllers, so no API service (HAProxy, Keystone, Nova...) was "
                       "modelled and there is no cloud availability to give. Block and object storage, when the "
                       "run has them, have their own sections below.")
MAX_ROWS_OPEN = 50  # longer tables are folded (<details>)
MAX_BUCKETS = 300
DASHES = ("solid", "dash", "dot", "dashdot")
SO_FAR_POINTS = 2000  # the availability-so-far curve, per service
SHORT_FRACTION = 0.005  # outage bars narrower than this share of the axis get a marker
PALETTE = ("#1e88e5", "#43a047", "#8e24aa", "#f4511e", "#00897b", "#6d4c41", "#fdd835", "#3949ab", "#e53935",
           "#5e35b1", "#039be5", "#7cb342", "#c0ca33", "#ff7043", "#8d6e63", "#546e7a")


def _pct(x, nd: int = 4) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.{nd}f}%"


def _nines(a) -> str:
    if a is None or a >= 1.0:
        return "—"
    return f"{-math.log10(1 - a):.1f}" if a > 0 else "0"


def _num(x, nd: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:,.{nd}f}"


def _when(t) -> str:
    return "—" if t is None or (isinstance(t, float) and math.isnan(t)) else f"{hms(t)} ({t:,.1f} s)"


def _scale(duration_s: float) -> tuple[float, str]:
    if duration_s >= 4 * 86400:
        return 86400.0, "days"
    if duration_s >= 4 * 3600:
        return 3600.0, "hours"
    if duration_s >= 600:
        return 60.0, "minutes"
    return 1.0, "seconds"


def _html(fig: go.Figure, div_id: str, first: bool) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=first, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def _table(head: list[str], rows: list[list[str]], num_cols: set[int] = frozenset(), fold_label: str = "") -> str:
    def tr(cells, tag="td"):
        return "<tr>" + "".join(
            f'<{tag}{" class=num" if tag == "td" and i in num_cols else ""}>{c}</{tag}>' for i, c in enumerate(cells)
        ) + "</tr>"

    body = "".join(tr(r) for r in rows)
    table = f'<table class="data">{tr([escape(h) for h in head], "th")}{body}</table>'
    if len(rows) > MAX_ROWS_OPEN:
        return f"<details><summary>{escape(fold_label or 'All rows')} ({len(rows):,})</summary>{table}</details>"
    return table


def render_operations_report(events: pd.DataFrame, summary: dict) -> str:
    o = summary.get("operations") or {}
    duration = float(o.get("duration_s") or (events.time_s.max() if len(events) else 0.0))
    title = f"Helion Twin operations report: {summary.get('scenario') or 'unnamed scenario'}"
    scale, unit = _scale(duration)
    charts, first = [], True
    for maker, div in ((_levels, "levels"), (_timeline, "outage-timeline"), (_requests, "requests")):
        fig = maker(events, o, duration, scale, unit)
        if fig is None:
            charts.append(None)
            continue
        charts.append(_html(fig, div, first))
        first = False
    levels, timeline, requests = charts
    vsa, first = render_vsa_section(events, duration, scale, unit, _table, first)
    swift, first = render_swift_section(events, duration, scale, unit, _table, first)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>", f"<style>{CSS}</style></head><body>",
        _header(summary, o, duration),
        '<nav><a href="#availability">Availability over time</a><a href="#outages">Outages</a>'
        '<a href="#requests-section">Requests</a><a href="#vip">VIP</a><a href="#faults">Faults</a>'
        f'<a href="#components">Components</a>{vsa_nav(events)}{swift_nav(events)}</nav>',
        '<h2 id="availability">Availability over time</h2>'
        '<p class="note">Each service\'s level is the share of client addresses whose request would succeed at '
        'that moment (HAProxy pins each address to one backend); availability is its time average, exact from '
        'the log. The lower panel shows the availability so far. Services whose levels are identical all run '
        'long share one line (its legend names them).</p>',
        levels or '<p class="note">No service levels were recorded (no controllers?).</p>',
        '<h2 id="outages">Outages</h2>',
        timeline or '<p class="note">No outage: every service stayed fully up.</p>',
        _outages(o),
        '<h2 id="requests-section">Requests</h2>',
        requests or '<p class="note">No sampled clients in this run (operations.clients): availability comes '
                    'from the service levels alone.</p>',
        _request_table(o),
        _vip(o), _faults(events), _components(o), vsa, swift, _day2(events, summary),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _header(summary: dict, o: dict, duration: float) -> str:
    avail = o.get("availability") or {}
    overall = avail.get("overall")
    css = "ok" if overall is not None and overall >= 0.999 else ("warn" if overall is not None and overall >= 0.99
                                                                  else "bad")
    moves = (o.get("vip") or {}).get("moves") or []
    takeovers = [m["takeover_s"] for m in moves if m.get("takeover_s") is not None]
    facts = [
        ("scenario", summary.get("scenario")), ("run", "operations"), ("backend", summary.get("backend")),
        ("seed", summary.get("seed")), ("duration", f"{hms(duration, span=True)} ({duration:,.1f} s)"),
        ("outages", f"{o.get('outages_total', 0):,}"),
        ("downtime (overall)", f"{_num((o.get('downtime_s') or {}).get('overall'), 1)} s"),
        ("VIP moves", f"{len(moves):,}" + (f" (takeover {_num(float(np.mean(takeovers)), 3)} s on average)"
                                          if takeovers else "")),
        ("faults started", f"{(o.get('faults') or {}).get('started', 0):,}"),
        ("events", f"{(summary.get('counts') or {}).get('events', 0):,}"),
    ]
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in facts if v is not None)
    down = o.get("downtime_s") or {}
    per_service = [[escape(s), _pct(a), _nines(a), _num(down.get(s), 1)] for s, a in avail.items() if s != "overall"]
    heading = f"<h1>{escape(str(summary.get('scenario') or 'unnamed scenario'))}</h1>"
    if not per_service:  # a storage drill: no controllers, so no API whose availability a badge could give
        return (f'{heading}<div class="big none">{escape(NO_API_SERVICES)}</div><table class="facts">{rows}</table>'
                f'<p class="note">{escape(NO_API_SERVICES_WHY)}</p>')
    services = _table(["service", "availability", "nines", "downtime (s)"], per_service, {1, 2, 3})
    return (f'{heading}<div class="big {css}">{escape(_pct(overall))} available</div>'
            f'<table class="facts">{rows}</table><p>Availability per service (the cloud overall is as available '
            f"as its worst API at each moment):</p>{services}")


def _level_table(events: pd.DataFrame, duration: float) -> pd.DataFrame:
    from twin.cloud.ha.summary import level_frame

    return level_frame(events, duration)


def _levels(events, o, duration, scale, unit):
    table = _level_table(events, duration)
    services = [c for c in table.columns if c != "width_s"]
    if not services:
        return None
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.55, 0.45],
                        subplot_titles=("service level (share of requests that succeed)", "availability so far"))
    times = table.index.to_numpy(dtype=float)
    x = np.append(times, duration) / scale
    widths = table.width_s.to_numpy()
    for i, group in enumerate(same_levels(table, services)):
        level = table[group[0]].to_numpy()
        colour = PALETTE[i % len(PALETTE)]
        name = ", ".join(group)  # services with identical levels share one line (they would hide each other)
        fig.add_trace(go.Scatter(x=x, y=np.append(level, level[-1]), mode="lines", line_shape="hv", name=name,
                                 legendgroup=name, line={"color": colour, "dash": DASHES[i % len(DASHES)]}),
                      row=1, col=1)
        sx, sy = availability_so_far(times, widths, level)
        fig.add_trace(go.Scatter(x=sx / scale, y=sy, mode="lines", name=name, legendgroup=name, showlegend=False,
                                 line={"color": colour, "dash": DASHES[i % len(DASHES)]}), row=2, col=1)
    fig.update_yaxes(range=[-0.05, 1.05], row=1, col=1)
    fig.update_xaxes(title_text=unit, row=2, col=1)
    fig.update_layout(height=560, margin={"l": 60, "r": 20, "t": 40, "b": 40}, template="plotly_white")
    return fig


def same_levels(table: pd.DataFrame, services: list[str]) -> list[list[str]]:
    """The services grouped by identical level over the whole run, in first-seen order."""
    groups: dict[bytes, list[str]] = {}
    for s in services:
        groups.setdefault(table[s].to_numpy(dtype=float).tobytes(), []).append(s)
    return list(groups.values())


def availability_so_far(times: np.ndarray, widths: np.ndarray, level: np.ndarray,
                        points: int = SO_FAR_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """The availability from the start to t, sampled so that straight lines between the points
    stay on the exact curve: within a row (level L from t_k for w_k) it is (U_k + L (t - t_k)) / t,
    not a straight line, so each row gets points in proportion to its width (at least its two
    ends, at most 64) and the total stays near `points`."""
    up_before = np.concatenate([[0.0], np.cumsum(level * widths)[:-1]])
    total = float(widths.sum()) or 1.0
    xs, ys = [], []
    for t0, w, lv, up in zip(times, widths, level, up_before):
        if w <= 0:
            continue
        n = int(min(64, max(2, math.ceil(points * w / total))))
        t = t0 + w * np.linspace(0.0, 1.0, n)
        xs.append(t)
        ys.append(np.where(t > 0, (up + lv * (t - t0)) / np.maximum(t, 1e-300), lv))
    if not xs:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(xs), np.concatenate(ys)


def _timeline(events, o, duration, scale, unit):
    svc = events[events.kind == "service"].sort_values(["time_s", "seq"], kind="mergesort")
    if svc.empty or (svc.value >= 1.0).all():
        return None
    bars: dict[str, list] = {}
    services = list(dict.fromkeys(svc.subject.astype(str)))
    for service in services:
        rows = svc[svc.subject == service]
        t = rows.time_s.to_numpy(dtype=float)
        v = rows.value.to_numpy(dtype=float)
        ends = np.append(t[1:], duration)
        for k in range(len(t)):
            if v[k] < 1.0 and ends[k] > t[k]:
                reason = str(rows.detail.iloc[k]) or "degraded"
                bars.setdefault(reason, []).append((service, t[k], ends[k], v[k], str(rows.cause.iloc[k])))
    fig = go.Figure()
    for i, (reason, items) in enumerate(sorted(bars.items())):
        fig.add_trace(go.Bar(
            y=[it[0] for it in items], x=[(it[2] - it[1]) / scale for it in items], base=[it[1] / scale for it in items],
            orientation="h", name=reason[:70], marker={"color": PALETTE[i % len(PALETTE)]},
            customdata=[[f"{it[3]:.2f}", it[4], f"{it[2] - it[1]:,.1f}"] for it in items],
            hovertemplate="%{y}: level %{customdata[0]} for %{customdata[2]} s<br>cause: %{customdata[1]}"
                          "<extra>" + escape(reason) + "</extra>"))
    short = [(it, PALETTE[i % len(PALETTE)], reason) for i, (reason, items) in enumerate(sorted(bars.items()))
             for it in items if (it[2] - it[1]) < SHORT_FRACTION * duration]
    if short:  # a few seconds on a year axis is less than a pixel: a marker shows where they are
        fig.add_trace(go.Scatter(
            y=[it[0] for it, _, _ in short], x=[(it[1] + it[2]) / 2 / scale for it, _, _ in short], mode="markers",
            name=f"short (under {100 * SHORT_FRACTION:g}% of the axis)",
            marker={"symbol": "line-ns-open", "size": 18, "line": {"width": 2}, "color": [c for _, c, _ in short]},
            customdata=[[f"{it[2] - it[1]:,.1f}", escape(r[:70]), it[4]] for it, _, r in short],
            hovertemplate="%{y}: %{customdata[1]} for %{customdata[0]} s<br>cause: %{customdata[2]}<extra></extra>"))
    fig.update_layout(barmode="overlay", height=140 + 40 * len(services), template="plotly_white",
                      xaxis={"title": unit, "range": [0, duration / scale]},
                      yaxis={"categoryorder": "array", "categoryarray": services[::-1]},
                      margin={"l": 80, "r": 20, "t": 20, "b": 40}, legend={"orientation": "h", "y": -0.3})
    return fig


def _requests(events, o, duration, scale, unit):
    reqs = events[events.kind == "request"]
    if reqs.empty:
        return None
    t0, t1 = float(reqs.time_s.min()), float(reqs.time_s.max())
    width = max(1.0, math.ceil((t1 - t0 + 1e-9) / MAX_BUCKETS))
    bucket = np.floor((reqs.time_s.to_numpy(dtype=float) - t0) / width)
    frame = pd.DataFrame({"bucket": bucket, "ok": (reqs.name == "ok").to_numpy()})
    counts = frame.groupby(["bucket", "ok"]).size().unstack(fill_value=0)
    x = (t0 + counts.index.to_numpy() * width) / scale
    fig = go.Figure()
    if True in counts:
        fig.add_trace(go.Bar(x=x, y=counts[True], name="succeeded", marker={"color": "#66bb6a"}))
    if False in counts:
        fig.add_trace(go.Bar(x=x, y=counts[False], name="failed", marker={"color": "#e53935"}))
    fig.update_layout(barmode="stack", height=300, template="plotly_white", bargap=0,
                      xaxis={"title": unit}, yaxis={"title": f"requests per {width:g} s"},
                      margin={"l": 60, "r": 20, "t": 20, "b": 40})
    return fig


def _outages(o: dict) -> str:
    from twin.cloud.ha.summary import outage_services

    outages = o.get("outages") or []
    if not outages:
        return ""
    rows = [[_when(x["start_s"]), _when(x["end_s"]), _num(x["duration_s"], 1), _num(x["downtime_s"], 1),
             f"{x['min_level']:.2f}", escape(outage_services(x)), _why(x),
             f'<span class="warning">{escape(x["cause"])}</span>', f"{x['errors']:,}"]
            for x in outages]
    more = o.get("outages_total", len(outages)) - len(outages)
    note = f'<p class="note">{more:,} more outages are in the event log.</p>' if more > 0 else ""
    return (f"<p>{o.get('outages_total', len(outages)):,} outage(s): intervals where some service was below its "
            "full level, each service with its own time below full level. Downtime counts a half-level minute as "
            "half a minute; why requests failed lists each reason with the downtime it caused, largest first.</p>"
            + _table(["start", "end", "duration (s)", "downtime (s)", "lowest level", "services (time below full)",
                      "why requests failed (downtime)", "cause (of the largest)", "errors"], rows, {2, 3, 4, 8},
                     "All outages") + note)


def _why(outage: dict) -> str:
    reasons = outage.get("reasons")
    if not reasons:  # a summary written before reasons existed
        return escape(outage["reason"])
    return "<br>".join(f"{escape(r['reason'])} ({r['downtime_s']:,.1f} s)" for r in reasons)


def _request_table(o: dict) -> str:
    reqs = o.get("requests") or {}
    if not reqs:
        return ""
    rows = [[escape(s), f"{r['count']:,}", f"{r['errors']:,}", _pct(r["success_rate"], 2), _num(r["p50_s"], 3),
             _num(r["p99_s"], 3), _num(r["max_s"], 3), _num(r["error_window_s"], 1)] for s, r in reqs.items()]
    return _table(["service", "requests", "errors", "success", "p50 (s)", "p99 (s)", "max (s)",
                   "first to last error (s)"], rows, {1, 2, 3, 4, 5, 6, 7})


def _vip(o: dict) -> str:
    moves = (o.get("vip") or {}).get("moves") or []
    head = '<h2 id="vip">VIP moves</h2>'
    if not moves:
        return head + '<p class="note">The VIP never moved.</p>'
    rows = [[_when(m["time_s"]), escape(m["previous"] or "—"), escape(m["holder"] or "—"),
             _num(m["takeover_s"], 3) if m["takeover_s"] is not None else "— (preemption or recovery)",
             escape(m["cause"])] for m in moves]
    return head + _table(["time", "from", "to", "takeover (s)", "cause"], rows, {3}, "All VIP moves")


def _faults(events: pd.DataFrame) -> str:
    head = '<h2 id="faults">Faults</h2>'
    rows = events[(events.kind == "fault") & events.name.isin(["start", "end"])]
    if rows.empty:
        return head + '<p class="note">No fault happened.</p>'
    order = []
    for r in rows.itertuples():
        key = (str(r.cause), str(r.subject))
        if r.name == "start":
            order.append([key, r.time_s, None])
        else:
            for item in reversed(order):
                if item[0] == key and item[2] is None:
                    item[2] = r.time_s
                    break
    table = [[escape(k[0]), _when(s), _when(e) if e is not None else "not over at the end"] for k, s, e in order]
    return head + _table(["fault", "start", "end (repaired, powered on...)"], table, set(), "All faults")


def _components(o: dict) -> str:
    comps = o.get("components") or {}
    head = '<h2 id="components">Components</h2>'
    if not comps:
        return ""
    words = {"galera_primary": "Galera primary and committing", "undercloud": "undercloud (single point)",
             "seed": "seed VM (single point)", "compute_hosts": "compute hosts up (running VMs)",
             "cinder_volume": "cinder-volume (singleton)", "sherpa": "Sherpa (singleton, controller0's disk)",
             "consoleauth": "nova-consoleauth (singleton)"}
    rows = [[escape(words.get(k, k)), _pct(v)] for k, v in comps.items()]
    return head + _table(["component", "share of the run"], rows, {1})


def _day2(events: pd.DataFrame, summary: dict) -> str:
    """The day-2 actions (twin/cloud/day2): each action's span, outcome and cause; its metrics."""
    m = summary.get("day2")
    if not m:
        return ""
    head = '<h2 id="day2">Day-2 operations</h2>'
    rows = events[(events.kind == "action") & events.name.str.startswith("action:")]
    spans: dict[str, list] = {}
    for r in rows.itertuples():
        if r.detail == "start":
            spans[r.subject] = [escape(str(r.subject)), escape(r.name.removeprefix("action:")), escape(str(r.cause)),
                                _when(r.time_s), "not over at the end", "running", ""]
        elif r.subject in spans:
            spans[r.subject][4:] = [_when(r.time_s), escape(str(r.detail)), escape(str(r.cause))]
    table = _table(["action", "procedure", "on", "start", "end", "outcome", "why it failed"], list(spans.values()),
                   set(), "All actions") if spans else '<p class="note">No action started.</p>'
    deleted = summary.get("inventory_deleted") or []
    figures = [[escape(k), _num(v, 1)] for k, v in m.items()]
    note = (f'<p class="note">Rows to mark <code>:deleted</code> in baremetal.csv: {escape(", ".join(deleted))}</p>'
            if deleted else "")
    return head + table + note + _table(["metric", "value"], figures, {1})
