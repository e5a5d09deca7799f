"""The report of a deployment: one self-contained HTML page for an operator reading it at 2am
(operations and capacity runs have their own pages: operations.py, capacity.py).

Contents, top to bottom: the header (scenario, backend, seed, outcome, makespan, node counts by
final state), the failures and their causes, the faults (declared by the scenario, and every
fault, failure and rogue node in the log), the Gantt chart (failures and faults marked) of provision states with the TripleO
phases on top, the phases table, and the per-node table.

Rules:
- Self-contained: plotly.js is embedded inline once; no CDN, no network, no hand-written JS.
- Every piece of text from the inputs is html-escaped (node names and causes come from user files).
- Nothing is shown beyond what the event log and summary give.
- Bounded size: the Gantt shows at most MAX_GANTT_NODES nodes (same quota per role, failed first)
  and says how many it left out; the tables list every node. Past MAX_FAILURES_OPEN failures, a
  by-cause table comes first and the full failure list is folded (<details>).
- Deterministic: the same inputs give the same bytes.
- No pandas: the log is a DataFrame, a Recorder or rows (twin/report/derive.py normalise).
"""
from __future__ import annotations

import math
from collections import Counter
from html import escape
from pathlib import Path

from twin.fileio import atomic_write
from twin.report import derive, gantt
from twin.report.derive import state_intervals  # noqa: F401  (public helper, re-exported)
from twin.report.plotly_page import figure_div

MAX_GANTT_NODES = 300
MAX_FAILURES_OPEN = 25  # more failures than this: a by-cause table, the full list folded

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5em;
       color: #212121; background: #fff; }
h1 { margin: 0 0 .3em 0; font-size: 1.5em; }
h2 { margin-top: 1.6em; border-bottom: 2px solid #cfd8dc; padding-bottom: .2em; }
.outcome { display: inline-block; font-size: 2.2em; font-weight: 700; padding: .15em .6em;
           border-radius: .2em; color: #fff; letter-spacing: .05em; }
.outcome.success { background: #2e7d32; }
.outcome.failed { background: #c62828; }
.outcome.unknown { background: #616161; }
.facts td { padding: .15em 1em .15em 0; }
.facts td:first-child { color: #616161; }
.chip { display: inline-block; margin: .2em .4em .2em 0; padding: .15em .6em; border-radius: 1em;
        background: #eceff1; border-left: .8em solid #9e9e9e; }
table.data { border-collapse: collapse; font-size: .92em; }
table.data th, table.data td { border: 1px solid #cfd8dc; padding: .25em .6em; text-align: left; }
table.data th { background: #eceff1; position: sticky; top: 0; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #ffebee; }
.note { color: #616161; }
.good { color: #2e7d32; font-weight: 600; }
.cause { color: #b71c1c; }
nav a { margin-right: 1em; }
details summary { cursor: pointer; margin: .8em 0 .4em 0; }
"""


def render_deploy_report(events, summary: dict) -> str:
    """The whole report of a deployment as one HTML document (a str)."""
    summary = summary or {}
    log = derive.normalise(events)
    end_s = derive.end_time(log, summary)
    intervals = derive.state_intervals(log, end_s)
    phases = derive.phase_table(log, summary)
    nodes = derive.node_table(log, summary)
    failures = derive.failure_table(log, nodes, intervals)
    marks = derive.marked_events(log)

    title = f"Helion Twin report: {summary.get('scenario') or 'unnamed scenario'}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        _header(log, summary, nodes, end_s),
        '<nav><a href="#failures">Failures</a><a href="#faults">Faults</a><a href="#timeline">Timeline</a>'
        '<a href="#phases">Phases</a><a href="#nodes">Nodes</a></nav>',
        _failures(failures, several_attempts=_attempts(log, summary) > 1),
        _faults(summary, marks),
        _timeline(intervals, phases, nodes, end_s, marks),
        _phases(phases),
        _nodes(nodes),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def gantt_figure(events, summary: dict, max_nodes: int = MAX_GANTT_NODES):
    """The timeline's plotly Figure alone (the nodes it shows are chosen as in the report)."""
    log = derive.normalise(events)
    end_s = derive.end_time(log, summary)
    nodes = derive.node_table(log, summary)
    shown, _ = derive.select_nodes(nodes, max_nodes)
    import plotly.graph_objects as go

    return go.Figure(gantt.figure(derive.state_intervals(log, end_s), derive.phase_table(log, summary), shown,
                                  end_s, derive.marked_events(log)))


def write_report(events, summary: dict, path) -> Path:
    """Render a deployment's report and write it atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, render_deploy_report(events, summary))


def _header(log: derive.Log, summary: dict, nodes: list[derive.NodeRow], end_s: float) -> str:
    dep = derive.deployment(summary)
    outcome = str(dep.get("outcome") or "unknown")
    css = outcome if outcome in ("success", "failed") else "unknown"
    facts = [
        ("scenario", summary.get("scenario")),
        ("backend", summary.get("backend")),
        ("seed", summary.get("seed")),
        ("policy", summary.get("policy")),
        ("attempts", dep.get("attempts")),
        ("makespan", f"{gantt.hms(end_s, span=True)} ({end_s:,.1f} s)"),
        ("events", _count((summary.get("counts") or {}).get("events", len(log)))),
        ("nodes", f"{len(nodes):,}"),
    ]
    ends = [r.cause for r in log if r.kind == "run" and r.name == "end" and r.cause != ""]
    if ends:
        facts.append(("run cause", ends[-1]))
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in facts if v is not None
    )
    counts = Counter(n.state or "(no state)" for n in nodes)
    colours = gantt.state_colours(counts)
    chips = "".join(
        f'<span class="chip" style="border-left-color:{colours.get(s, "#9e9e9e")}">'
        f"{escape(s)}: <b>{counts[s]:,}</b></span>"
        for s in sorted(counts, key=derive.state_rank)
    )
    return (
        f"<h1>{escape(str(summary.get('scenario') or 'unnamed scenario'))}</h1>"
        f'<div class="outcome {css}">{escape(outcome.upper())}</div>'
        f'<table class="facts">{rows}</table>'
        f"<p>Nodes by final state: {chips or '<span class=note>none</span>'}</p>"
    )


def _failures(failures: list[derive.Failure], several_attempts: bool) -> str:
    head = '<h2 id="failures">Failures</h2>'
    if not failures:
        return head + '<p class="good">No failures</p>'
    attempts = several_attempts  # after a policy restart, say which attempt each failure was in
    body = "".join(
        f"<tr><td>{escape(r.node)}</td><td>{escape(r.role)}</td><td>{escape(r.state)}</td>"
        f'<td class="cause">{escape(r.cause)}</td><td class="num">{_time(r.time_s)}</td>'
        + (f'<td class="num">{r.attempt}</td>' if attempts else "")
        + "</tr>"
        for r in failures
    )
    table = (
        '<table class="data"><tr><th>node</th><th>role</th><th>final state</th><th>cause</th>'
        f"<th>time</th>{'<th>attempt</th>' if attempts else ''}</tr>{body}</table>"
    )
    if len(failures) <= MAX_FAILURES_OPEN:
        return f"{head}<p>{len(failures):,} failure(s).</p>{table}"
    by_cause: dict[str, list[str]] = {}
    for r in failures:
        by_cause.setdefault(r.cause, []).append(r.node)
    rows = "".join(
        f'<tr><td class="cause">{escape(cause)}</td><td class="num">{len(names):,}</td>'
        f"<td>{escape(', '.join(names[:3]))}{', …' if len(names) > 3 else ''}</td></tr>"
        for cause, names in sorted(by_cause.items(), key=lambda kv: -len(kv[1]))
    )
    return (
        f"{head}<p>{len(failures):,} failures, {len(by_cause):,} distinct cause(s).</p>"
        '<table class="data"><tr><th>cause</th><th>failures</th><th>first nodes</th></tr>'
        f"{rows}</table><details><summary>All {len(failures):,} failures</summary>{table}</details>"
    )


def _faults(summary: dict, marks: list[derive.Mark]) -> str:
    """The faults the scenario declared (when the summary lists them), then every fault, failure
    and rogue node in the log, in time order."""
    head = '<h2 id="faults">Faults</h2>'
    declared = summary.get("faults") or []
    out = [head]
    if declared:
        keys = ["kind", "node", "nodes", "group", "service", "at_s", "from_s", "for_s", "rate_mbps"]
        cols = [k for k in keys if any(f.get(k) not in (None, 0.0) for f in declared)]
        rows = "".join("<tr>" + "".join(f"<td>{escape(_fault_cell(f.get(k)))}</td>" for k in cols) + "</tr>"
                       for f in declared)
        out.append(f"<p>{len(declared):,} fault(s) injected by the scenario:</p>"
                   f'<table class="data"><tr>{"".join(f"<th>{escape(k)}</th>" for k in cols)}</tr>{rows}</table>')
    else:
        out.append('<p class="note">The scenario injected no fault (or this summary does not list them).</p>')
    if marks:
        rows = "".join(f"<tr><td>{escape(_time(t))}</td><td>{escape(w)}</td><td>{escape(s)}</td>"
                       f'<td class="cause">{escape(d)}</td></tr>'
                       for t, _, w, s, d in marks)
        table = (f'<table class="data"><tr><th>time</th><th>what</th><th>node</th><th>detail</th></tr>{rows}'
                 "</table>")
        if len(marks) > MAX_FAILURES_OPEN:
            table = f"<details><summary>Faults, failures and rogue nodes ({len(marks):,})</summary>{table}</details>"
        out.append("<p>In the log (marked on the timeline):</p>" + table)
    return "".join(out)


def _fault_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _timeline(intervals, phases, nodes, end_s: float, marks: list[derive.Mark] | None = None) -> str:
    head = '<h2 id="timeline">Timeline</h2>'
    if not intervals and not phases:
        return head + '<p class="note">No provision states or phases were recorded.</p>'
    shown, omitted = derive.select_nodes(nodes, MAX_GANTT_NODES)
    note = ""
    if omitted:
        total = sum(omitted.values())
        per_role = ", ".join(f"{escape(r or '(no role)')}: {n:,}" for r, n in omitted.items())
        note = (
            f'<p class="note">Showing {len(shown):,} of {len(nodes):,} nodes; <b>{total:,} omitted</b> '
            f"from the chart ({per_role}), keeping the same number per role, failed nodes first. "
            "Every node is in the table below.</p>"
        )
    fig = gantt.figure(intervals, phases, shown, end_s, marks)
    div = figure_div(fig["data"], fig["layout"], "gantt", include_plotlyjs=True)
    return head + note + div


def _phases(phases: list[derive.Phase]) -> str:
    head = '<h2 id="phases">Phases</h2>'
    if not phases:
        return head + '<p class="note">No phases were recorded.</p>'
    attempts = max(p.attempt for p in phases) > 1
    body = []
    for r in phases:
        outcome = r.outcome or ("not ended" if math.isnan(r.end_s) else "")
        bad = ' class="bad"' if outcome == "failed" else ""
        body.append(
            f"<tr{bad}><td>{escape(r.name)}</td>"
            + (f"<td class='num'>{r.attempt}</td>" if attempts else "")
            + f"<td class='num'>{_time(r.start_s)}</td><td class='num'>{_time(r.end_s)}</td>"
            f"<td class='num'>{_time(r.end_s - r.start_s)}</td><td>{escape(outcome)}</td>"
            f"<td class='cause'>{escape(r.cause)}</td></tr>"
        )
    return (
        head + '<table class="data"><tr><th>phase</th>' + ("<th>attempt</th>" if attempts else "")
        + "<th>start</th><th>end</th><th>duration</th><th>outcome</th><th>cause</th></tr>"
        f"{''.join(body)}</table>"
    )


def _nodes(nodes: list[derive.NodeRow]) -> str:
    head = '<h2 id="nodes">Nodes</h2>'
    if not nodes:
        return head + '<p class="note">No nodes.</p>'
    body = []
    for r in nodes:
        bad = ' class="bad"' if r.cause or derive.is_failed_state(r.state) else ""
        body.append(
            f"<tr{bad}><td>{escape(r.node)}</td><td>{escape(r.role)}</td><td>{escape(r.state)}</td>"
            f"<td class='num'>{_time(r.deploy_s)}</td><td class='cause'>{escape(r.cause)}</td></tr>"
        )
    return (
        head + '<table class="data"><tr><th>node</th><th>role</th><th>final state</th>'
        f"<th>deploy</th><th>failure cause</th></tr>{''.join(body)}</table>"
    )


def _attempts(log: derive.Log, summary: dict) -> int:
    restarts = sum(1 for r in log if r.kind == "run" and r.name == "attempt")
    given = derive.deployment(summary).get("attempts")
    return max(1 + restarts, given if isinstance(given, int) else 1)


def _count(value) -> object:
    return f"{value:,}" if isinstance(value, int) else value


def _time(seconds: float) -> str:
    """A moment since run start: '0:13:32 (812.3 s)'."""
    return "—" if math.isnan(seconds) else f"{gantt.hms(seconds)} ({seconds:,.1f} s)"
