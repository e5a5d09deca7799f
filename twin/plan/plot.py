"""The plan's page: blocking and utilisation against compute hosts, and hosts needed by month
with the latest start of each month's add_nodes (twin/plan/leadtime.py).

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

from twin.plan.leadtime import describe, start_text
from twin.report.capacity import CSS


def _months_shown(months: int) -> set[int]:
    return {0, months} | {round(months * k / 4) for k in range(1, 4)}


COLOURS = ("#1e88e5", "#43a047", "#8e24aa", "#f4511e", "#00897b", "#6d4c41", "#3949ab", "#e53935", "#7cb342",
           "#fb8c00")


def whole_step(span: float, ticks: int = 8) -> int:
    """A tick step in whole hosts giving about `ticks` ticks over `span` (never 0.5 of a host)."""
    return max(1, math.ceil(span / ticks))


def host_range(result) -> tuple[int, int]:
    """The fewest and most compute hosts evaluated (the blocking and utilisation x-axes)."""
    hosts = [p.hosts for p in result.points] or [result.current_hosts]
    return min(hosts), max(hosts)


def plan_figure(result) -> go.Figure:
    fig = make_subplots(rows=3, cols=1, vertical_spacing=0.09, subplot_titles=(
        f"blocking (p{result.percentile:g} of {result.replications} replications) against compute hosts",
        "utilisation (mean) against compute hosts: RAM solid, instance slots dotted",
        "compute hosts needed, by month"))
    shown = _months_shown(result.months)
    for name in result.candidates:
        points = [p for p in result.points if p.hardware == name]
        for m in sorted({p.month for p in points}):
            pts = sorted((p for p in points if p.month == m), key=lambda p: p.hosts)
            label = f"{escape(name)} month {m}"
            visible = True if m in shown else "legendonly"
            colour = COLOURS[len(fig.data) // 3 % len(COLOURS)]  # one colour per month in both panels
            fig.add_trace(go.Scatter(x=[p.hosts for p in pts], y=[p.p_blocking for p in pts], mode="lines+markers",
                                     name=label, legendgroup=label, visible=visible, line={"color": colour}),
                          row=1, col=1)
            fig.add_trace(go.Scatter(x=[p.hosts for p in pts], y=[p.util_ram for p in pts], mode="lines+markers",
                                     name=f"{label} RAM", legendgroup=label, visible=visible, showlegend=False,
                                     line={"color": colour}), row=2, col=1)
            fig.add_trace(go.Scatter(x=[p.hosts for p in pts], y=[p.util_slots for p in pts], mode="lines",
                                     line={"dash": "dot", "color": colour}, name=f"{label} slots", legendgroup=label,
                                     visible=visible, showlegend=False), row=2, col=1)
        plan = result.candidates[name]
        fig.add_trace(go.Scatter(x=[mp.month for mp in plan], y=[mp.hosts for mp in plan], mode="lines+markers",
                                 line={"shape": "hv", "width": 3}, name=f"{escape(name)}: hosts needed"), row=3, col=1)
        starts = [lt for lt in result.lead_times.get(name, []) if lt.start_s is not None]
        if starts:  # when each add_nodes must start (in months from now), at the hosts it brings
            fig.add_trace(go.Scatter(
                x=[lt.start_s / result.month_s for lt in starts], y=[lt.hosts for lt in starts], mode="markers",
                marker={"symbol": "triangle-right", "size": 12, "color": "#d81b60"},
                name=f"{escape(name)}: start add_nodes by", hovertemplate="%{text}<extra></extra>",
                text=[escape(describe(lt, result.percentile)) for lt in starts]), row=3, col=1)
    for label, dash in (("RAM utilisation (solid line)", None), ("slot utilisation (dotted line)", "dot")):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=label, legendgroup="line styles",
                                 line={"color": "#424242", "dash": dash}), row=2, col=1)
    fig.add_hline(y=result.target, line={"color": "#c62828", "dash": "dash"}, row=1, col=1,
                  annotation_text=f"target {100 * result.target:g}%")
    low, high = host_range(result)
    if low <= result.max_compute <= high:
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
    for row in (1, 2):  # the hosts evaluated, whole hosts only (not 0 to the profile's limit)
        fig.update_xaxes(title_text="compute hosts", range=[low - 0.5, high + 0.5], tick0=0,
                         dtick=whole_step(high - low), tickformat="d", row=row, col=1)
    needed = [mp.hosts for plan in result.candidates.values() for mp in plan if mp.hosts is not None]
    top = max([result.current_hosts, result.max_compute, *needed])
    fig.update_yaxes(tick0=0, dtick=whole_step(top), tickformat="d", row=3, col=1)
    fig.update_xaxes(tick0=0, dtick=whole_step(result.months, 12), tickformat="d", row=3, col=1)
    fig.update_xaxes(title_text="month", row=3, col=1)
    fig.update_layout(height=1100, template="plotly_white", margin={"l": 70, "r": 20, "t": 60, "b": 40})
    return fig


def plan_html(result, table_text: str) -> str:
    """The page: the plan's facts, one table per candidate (the numbers of `table_text`, the
    plan as text, in cells), its verdict, then the figure."""
    title = f"Helion Twin capacity plan: {result.scenario}"
    div = plan_figure(result).to_html(full_html=False, include_plotlyjs=True, div_id="plan",
                                      config={"displaylogo": False, "responsive": True})
    verdict = table_text.rstrip().split("\n\n")[-1].splitlines()
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style></head><body>", f"<h1>{escape(title)}</h1>", _facts(result),
        *(f"<p>{escape(line)}</p>" for line in verdict), *_candidate_tables(result), div, _points_table(result),
        "</body></html>"]) + "\n"


def _points_table(r) -> str:
    """Every evaluated point with its replications' mean blocking and that mean's interval (the
    sweep's estimate for a time fraction: a t-interval kept within [0, 1]), as Rally's task report
    shows each metric per point."""
    from twin.sweep.stats import estimate

    pct = f"p{r.percentile:g}"
    head = ["candidate", "month", "hosts", "n", "mean blocking", "95% interval", f"{pct} blocking", "RAM util",
            "slot util"]
    rows = []
    for p in sorted(r.points, key=lambda p: (p.hardware, p.month, p.hosts)):
        e = estimate(p.blocking, "fraction")
        interval = {"constant": "constant", "none": "—"}.get(e["interval"],
                                                            f"{fmt_pct(e['ci_low'])} .. {fmt_pct(e['ci_high'])}")
        rows.append([p.hardware, str(p.month), str(p.hosts), str(e["n"]), fmt_pct(e["mean"]), interval,
                     fmt_pct(p.p_blocking), fmt_pct(p.util_ram), fmt_pct(p.util_slots)])
    cells = "".join("<tr>" + "".join(f'<td{" class=num" if i >= 1 else ""}>{escape(c)}</td>'
                                     for i, c in enumerate(row)) + "</tr>" for row in rows)
    return (f'<h2 id="points">Every evaluated point ({len(rows)})</h2><p class="note">The replications of each '
            f'(candidate, month, hosts): their mean blocking with its 95% interval, the percentile the plan '
            f'uses, and the utilisation.</p><table class="data"><tr>'
            + "".join(f"<th>{escape(h)}</th>" for h in head) + f"</tr>{cells}</table>")


def _facts(r) -> str:
    facts = [("scenario", r.scenario), ("limits profile", f"{r.profile}: at most {r.max_compute} compute hosts"),
             ("target", f"blocking at most {100 * r.target:g}% at the {r.percentile:g}th percentile"),
             ("replications", f"{r.replications} per point"), ("survive", f"{r.survive} host failure(s)"),
             ("months", str(r.months)), ("current cloud", f"{r.current_hosts} compute hosts"),
             ("runs", f"{r.runs:,} in {r.wall_s:.1f} s")]
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in facts)
    return f'<table class="facts">{rows}</table>'


def _candidate_tables(r) -> list[str]:
    pct = f"p{r.percentile:g}"
    head = ["month", "demand VMs", f"now {pct}", "hosts", f"{pct} blocking", "RAM util", "slot util", "limits",
            "start add_nodes by"]
    out = []
    for name, plan in r.candidates.items():
        leads = {lt.month: lt for lt in r.lead_times.get(name, [])}
        hw = r.hardware.get(name)
        what = ("the current hosts' hardware" if hw is None else
                f"{hw['cpus']} CPUs, {hw['memory_mib'] // 1024} GiB, {hw['disk_gib']} GiB disk")
        rows = []
        for mp, cur in zip(plan, r.current):
            now = fmt_pct(cur.p_blocking) if cur is not None else "—"
            if mp.hosts is None:
                rows.append([f"month {mp.month}", f"{mp.demand_vms:,.1f}", now, f"> {r.max_hosts}", "—", "—", "—",
                             f"more than {r.max_hosts} hosts searched", "—"])
                continue
            p = mp.point
            limits = (f"more than {r.max_compute} compute hosts under {r.profile}" if mp.exceeds_profile
                      else f"within {r.profile}")
            rows.append([f"month {mp.month}", f"{mp.demand_vms:,.1f}", now, str(mp.hosts), fmt_pct(p.p_blocking),
                         fmt_pct(p.util_ram), fmt_pct(p.util_slots), limits, _start_cell(leads.get(mp.month))])
        cells = "".join("<tr>" + "".join(f'<td{" class=num" if 0 < i < 7 else ""}>{escape(c)}</td>'
                                          for i, c in enumerate(row)) + "</tr>" for row in rows)
        sentences = "".join(f"<li>{escape(describe(lt, r.percentile))}</li>" for lt in leads.values())
        out.append(f"<h2>Candidate {escape(name)} ({escape(what)})</h2>"
                   f'<table class="data"><tr>{"".join(f"<th>{escape(h)}</th>" for h in head)}</tr>{cells}</table>'
                   + (f'<ul class="lead-times">{sentences}</ul>' if sentences else ""))
    return out


def _start_cell(lt) -> str:
    """The month's add_nodes start (twin/plan/leadtime.py), or a dash when it adds nothing."""
    if lt is None:
        return "—"
    if lt.start_s is None:
        return f"+{lt.add}: fails at once"
    return f"+{lt.add}: {'now (overdue)' if lt.overdue else start_text(lt.start_s)}"


def fmt_pct(x) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f}%"
