"""The "Block storage (StoreVirtual VSA)" section of the operations report (twin/report/operations.py):
one part per cluster, from the event log alone (kinds vsa_node, vsa_manager, vsa_quorum,
vsa_volumes, vsa_resync; twin/record/events.py, docs/storage.md).

Per cluster: its nodes' data state over time (current, away, stale, resyncing, destroyed), its
management group's managers and quorum over time, the share of its volumes in each state
(online, degraded, offline, lost) over time, each resync attempt on the network (when it ran,
GiB moved), a table of the attempts and a table of the cluster's metrics. The metrics are
recomputed here from the same intervals the charts draw (not read from the summary), so that a
test can hold them against summary.json's `storage.vsa` (twin/cloud/vsa/metrics.py).

Rules (as the page's): shown only when the log has VSA events; every text from the log is
html-escaped (hover texts and tick labels too: plotly.js reads them as HTML); the same log gives
the same bytes (div ids by cluster index, clusters and rows in a fixed order); figures are plain
dicts (twin/report/plotly_page.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

import pandas as pd

from twin.cloud.vsa.volumes import ACCESSIBLE, DEGRADED, LOST, OFFLINE, ONLINE
from twin.report.plotly_page import captioned_figures
from twin.timefmt import hms

GIB = 1024 ** 3
SHORT_FRACTION = 0.005  # bars narrower than this share of the axis also get a marker
VSA_KINDS = ("vsa_node", "vsa_manager", "vsa_quorum", "vsa_volumes", "vsa_resync")
VOLUME_STATES = (ONLINE, DEGRADED, OFFLINE, LOST)  # stacked bottom-up in this order
COLOURS = {  # one colour per state name; an unknown state takes the next of OTHER
    "current": "#43a047", "away": "#fb8c00", "stale": "#fdd835", "resyncing": "#1e88e5", "destroyed": "#e53935",
    "running": "#43a047", "stopped": "#9e9e9e", "held": "#00897b", "lost": "#e53935",
    "online": "#43a047", "degraded": "#fdd835", "offline": "#fb8c00",
    "completed": "#1e88e5", "interrupted": "#e53935", "running at the end": "#fb8c00",
}
OTHER = ("#8e24aa", "#6d4c41", "#3949ab", "#546e7a")
MARGIN = {"l": 120, "r": 20, "t": 20, "b": 40}  # the same on every chart, so that their time axes line up


@dataclass(frozen=True)
class Span:
    row: str  # the chart row (a node, "manager vsa0", "quorum vsa")
    state: str
    start: float
    end: float
    cause: str


@dataclass(frozen=True)
class Resync:
    node: str
    reason: str  # rejoin | rebuild
    start: float
    end: float | None  # None: still running at the end of the run
    outcome: str  # completed | interrupted | running at the end
    to_move: float  # bytes the attempt set out to move
    moved: float | None  # bytes it moved (None while running)
    cause: str


def has_vsa(events: pd.DataFrame) -> bool:
    return bool(events.kind.isin(VSA_KINDS).any())


def _ordered(events: pd.DataFrame, kind: str) -> pd.DataFrame:
    return events[events.kind == kind].sort_values(["time_s", "seq"], kind="mergesort")


def _split(subject: str, sep: str = "/") -> tuple[str, str]:
    head, _, tail = str(subject).rpartition(sep)
    return head, tail


def clusters(events: pd.DataFrame) -> list[str]:
    """The clusters named by node and volume events, sorted."""
    names = {_split(s)[0] for s in events[events.kind == "vsa_node"].subject}
    names |= {_split(s, "/nr-")[0] for s in events[events.kind == "vsa_volumes"].subject}
    names |= {_split(s)[0] for s in events[events.kind == "vsa_resync"].subject}
    return sorted(n for n in names if n)


def spans(rows: pd.DataFrame, row_of, duration: float) -> list[Span]:
    """Each subject's state intervals (a state holds until the subject's next event or the end);
    zero-width intervals (several changes at one instant) are dropped."""
    last: dict[str, tuple[str, float, str]] = {}
    out: list[Span] = []
    for t, subject, state, cause in zip(rows.time_s.to_numpy(dtype=float), rows.subject, rows.name, rows.cause):
        row = row_of(str(subject))
        if row in last and t > last[row][1]:
            out.append(Span(row, *_closed(last[row], float(t))))
        last[row] = (str(state), float(t), str(cause))
    for row, held in last.items():
        if duration > held[1]:
            out.append(Span(row, *_closed(held, duration)))
    return out


def _closed(held: tuple[str, float, str], end: float) -> tuple[str, float, float, str]:
    return held[0], held[1], end, held[2]


def group_of(events: pd.DataFrame, cluster: str, nodes: list[str]) -> str | None:
    """The cluster's management group: the group of a manager running on one of its nodes, else
    a group named as the cluster (the default), else None."""
    for subject in _ordered(events, "vsa_manager").subject:
        group, member = _split(subject)
        if member in nodes:
            return group
    groups = set(events[events.kind.isin(("vsa_manager", "vsa_quorum"))].subject.map(lambda s: _split(s)[0]))
    groups |= set(events[events.kind == "vsa_quorum"].subject.astype(str))
    return cluster if cluster in groups else None


def volume_steps(rows: pd.DataFrame, duration: float) -> list[tuple[float, float, dict[str, float]]]:
    """The cluster's volumes as (start, end, {state: volumes}) steps from its vsa_volumes rows
    (one row per Network RAID level; the last row at an instant wins), clipped to the run."""
    classes: dict[str, tuple[str, float]] = {}
    steps: list[tuple[float, float, dict[str, float]]] = []
    last_t = 0.0

    def close(until: float) -> None:
        until = min(until, duration)
        if until > last_t:
            counts: dict[str, float] = {}
            for state, count in classes.values():
                counts[state] = counts.get(state, 0.0) + count
            steps.append((last_t, until, counts))

    for t, subject, state, count in zip(rows.time_s.to_numpy(dtype=float), rows.subject, rows.name,
                                        rows.value.to_numpy(dtype=float)):
        if t > last_t:
            close(t)
            last_t = min(t, duration)
        classes[str(subject)] = (str(state), float(count))
    close(duration)
    return steps


def resyncs(rows: pd.DataFrame) -> list[Resync]:
    """Each resync attempt of a cluster from its vsa_resync rows (start, then end or interrupted)."""
    open_: dict[str, tuple[float, str, float, str]] = {}
    out: list[Resync] = []
    for t, subject, edge, reason, cause, value in zip(rows.time_s.to_numpy(dtype=float), rows.subject, rows.name,
                                                      rows.detail, rows.cause, rows.value.to_numpy(dtype=float)):
        node = _split(subject)[1]
        if edge == "start":
            open_[node] = (float(t), str(reason), float(value), str(cause))
        elif edge in ("end", "interrupted"):
            start, why, to_move, started_by = open_.pop(node, (float(t), str(reason), float(value), str(cause)))
            out.append(Resync(node, why, start, float(t), "completed" if edge == "end" else "interrupted",
                              to_move, float(value), started_by if edge == "end" else str(cause)))
    for node, (start, why, to_move, cause) in open_.items():
        out.append(Resync(node, why, start, None, "running at the end", to_move, None, cause))
    return sorted(out, key=lambda r: (r.start, r.node))


@dataclass(frozen=True)
class ClusterView:
    name: str
    group: str | None
    nodes: list[str]
    node_spans: list[Span]
    manager_spans: list[Span]
    volume_steps: list
    resyncs: list[Resync]
    quorum_losses: int
    volumes_lost: int
    duration: float

    def metrics(self) -> list[tuple[str, float | int, str]]:
        """(summary key, value, meaning) for the cluster, from the intervals above."""
        avail = degraded = 0.0
        for start, end, counts in self.volume_steps:
            total = sum(counts.values())
            avail += (end - start) * (sum(v for s, v in counts.items() if s in ACCESSIBLE) / total if total > 0 else 1.0)
            if counts.get(DEGRADED, 0) > 0:
                degraded += end - start
        done = [r.end - r.start for r in self.resyncs if r.outcome == "completed"]
        moved = sum(r.moved for r in self.resyncs if r.moved is not None)
        c = self.name
        return [
            (f"availability_vsa_{c}", avail / self.duration if self.duration > 0 else 1.0,
             "time-average share of the volumes serving I/O (online or degraded)"),
            (f"degraded_s_vsa_{c}", degraded, "seconds with some volume degraded"),
            (f"volumes_lost_vsa_{c}", self.volumes_lost, "volumes that became lost (every copy of some data gone)"),
            ("resyncs", len(done), "resyncs of this cluster completed"),
            ("resyncs_interrupted", sum(r.outcome == "interrupted" for r in self.resyncs), "resyncs of this cluster cut short"),
            ("resync_s_mean", sum(done) / len(done) if done else 0.0, "seconds from start to end, completed resyncs"),
            ("resync_s_max", max(done) if done else 0.0, "the longest completed resync (s)"),
            ("resync_gib", moved / GIB, "GiB moved by this cluster's resyncs, interrupted attempts included"),
            ("quorum_losses", self.quorum_losses, f"times the management group {self.group or '—'} lost quorum"),
        ]


def cluster_views(events: pd.DataFrame, duration: float) -> list[ClusterView]:
    node_rows = _ordered(events, "vsa_node")
    vol_rows = _ordered(events, "vsa_volumes")
    res_rows = _ordered(events, "vsa_resync")
    mgr_rows = _ordered(events, "vsa_manager")
    quo_rows = _ordered(events, "vsa_quorum")
    views = []
    for name in clusters(events):
        mine = node_rows[node_rows.subject.map(lambda s: _split(s)[0]) == name]
        nodes = list(dict.fromkeys(_split(s)[1] for s in mine.subject))
        group = group_of(events, name, nodes)
        mgr = mgr_rows[mgr_rows.subject.map(lambda s: _split(s)[0]) == group]
        quo = quo_rows[quo_rows.subject.astype(str) == group]
        vol = vol_rows[vol_rows.subject.map(lambda s: _split(s, "/nr-")[0]) == name]
        lost = int(sum(v for s, p, v in zip(vol.name, vol.detail, vol.value) if s == "lost" and p != "lost"))
        views.append(ClusterView(
            name, group, nodes, spans(mine, lambda s: _split(s)[1], duration),
            spans(quo, lambda s: f"quorum {s}", duration) + spans(mgr, lambda s: f"manager {_split(s)[1]}", duration),
            volume_steps(vol, duration), resyncs(res_rows[res_rows.subject.map(lambda s: _split(s)[0]) == name]),
            int(((quo.name == "lost") & (quo.cause != "start")).sum()), lost, duration))
    return views


# --- figures (plain plotly dicts) -----------------------------------------------------------

def _colour(state: str, seen: dict[str, str]) -> str:
    if state in COLOURS:
        return COLOURS[state]
    return seen.setdefault(state, OTHER[len(seen) % len(OTHER)])


def _fmt_s(x: float) -> str:
    return f"{x:,.1f}"


def state_timeline(items: list[Span], rows: list[str], duration: float, scale: float, unit: str) -> dict:
    """Horizontal bars, one trace per state (the legend lists states), rows top-down in `rows`
    order; bars under SHORT_FRACTION of the axis also get a marker so that they can be seen."""
    other: dict[str, str] = {}
    by_state: dict[str, list[Span]] = {}
    for s in items:
        by_state.setdefault(s.state, []).append(s)
    data = []
    for state, group in by_state.items():
        data.append({
            "type": "bar", "orientation": "h", "name": escape(state), "marker": {"color": _colour(state, other)},
            "y": [escape(s.row) for s in group], "x": [(s.end - s.start) / scale for s in group],
            "base": [s.start / scale for s in group],
            "customdata": [[escape(hms(s.start)), _fmt_s(s.end - s.start), escape(s.cause)] for s in group],
            "hovertemplate": "%{y}: " + escape(state) + " from %{customdata[0]} for %{customdata[1]} s"
                             "<br>cause: %{customdata[2]}<extra></extra>"})
    short = [s for s in items if s.end - s.start < SHORT_FRACTION * duration]
    if short:
        data.append({
            "type": "scatter", "mode": "markers", "name": f"short (under {100 * SHORT_FRACTION:g}% of the axis)",
            "y": [escape(s.row) for s in short], "x": [(s.start + s.end) / 2 / scale for s in short],
            "marker": {"symbol": "line-ns-open", "size": 16, "line": {"width": 2},
                       "color": [_colour(s.state, other) for s in short]},
            "customdata": [[escape(s.state), _fmt_s(s.end - s.start), escape(s.cause)] for s in short],
            "hovertemplate": "%{y}: %{customdata[0]} for %{customdata[1]} s<br>cause: %{customdata[2]}"
                             "<extra></extra>"})
    layout = {"barmode": "overlay", "height": 150 + 28 * len(rows),
              "xaxis": {"title": {"text": unit}, "range": [0, duration / scale]},
              "yaxis": {"categoryorder": "array", "categoryarray": [escape(r) for r in rows[::-1]]},
              "margin": MARGIN, "showlegend": True, "legend": {"orientation": "h", "y": -0.35}}
    return {"data": data, "layout": layout}


def volume_figure(steps: list, duration: float, scale: float, unit: str) -> dict:
    """The share of the cluster's volumes in each state, stacked, as exact steps."""
    data = []
    for state in VOLUME_STATES + tuple(sorted({s for _, _, c in steps for s in c} - set(VOLUME_STATES))):
        xs, ys = [], []
        for start, end, counts in steps:
            total = sum(counts.values())
            share = counts.get(state, 0.0) / total if total > 0 else 0.0
            xs += [start / scale, end / scale]
            ys += [share, share]
        if not any(ys):
            continue
        data.append({"type": "scatter", "mode": "lines", "stackgroup": "volumes", "name": escape(state),
                     "x": xs, "y": ys, "line": {"width": 0.5, "color": _colour(state, {})},
                     "hovertemplate": escape(state) + ": %{y:.1%} of the volumes<extra></extra>"})
    layout = {"height": 300, "xaxis": {"title": {"text": unit}, "range": [0, duration / scale]},
              "yaxis": {"title": {"text": "share of the volumes"}, "range": [0, 1.02], "tickformat": ".0%"},
              "margin": MARGIN, "showlegend": True, "legend": {"orientation": "h", "y": -0.3, "traceorder": "normal"}}
    return {"data": data, "layout": layout}


def resync_figure(items: list[Resync], duration: float, scale: float, unit: str) -> dict:
    """Each attempt as a marker at its start, at the GiB it moved (or was to move, while still
    running), with a line over its span; colour by outcome."""
    data = []
    for outcome in ("completed", "interrupted", "running at the end"):
        group = [r for r in items if r.outcome == outcome]
        if not group:
            continue
        gib = [(r.moved if r.moved is not None else r.to_move) / GIB for r in group]
        ends = [r.end if r.end is not None else duration for r in group]
        colour = COLOURS[outcome]
        data.append({
            "type": "scatter", "mode": "markers", "name": outcome, "x": [r.start / scale for r in group], "y": gib,
            "marker": {"color": colour, "size": 9, "symbol": "diamond"},
            "customdata": [[escape(r.node), escape(r.reason), _fmt_s(e - r.start), f"{g:,.3f}", escape(r.cause)]
                           for r, e, g in zip(group, ends, gib)],
            "hovertemplate": "%{customdata[0]} (%{customdata[1]}): %{customdata[3]} GiB in %{customdata[2]} s"
                             "<br>cause: %{customdata[4]}<extra>" + outcome + "</extra>"})
        xs, ys = [], []
        for r, e, g in zip(group, ends, gib):
            xs += [r.start / scale, e / scale, None]
            ys += [g, g, None]
        data.append({"type": "scatter", "mode": "lines", "x": xs, "y": ys, "showlegend": False,
                     "hoverinfo": "skip", "line": {"color": colour, "width": 3}})
    top = max([(r.moved if r.moved is not None else r.to_move) / GIB for r in items] + [0.0])
    layout = {"height": 280, "xaxis": {"title": {"text": unit}, "range": [0, duration / scale]},
              "yaxis": {"title": {"text": "GiB moved"}, "range": [0, 1.15 * top or 1.0]},
              "margin": MARGIN, "showlegend": True, "legend": {"orientation": "h", "y": -0.35}}
    return {"data": data, "layout": layout}


# --- the section ----------------------------------------------------------------------------

def _value(key: str, value) -> str:
    if key.startswith("availability_"):
        return f"{100 * value:.4f}%"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.3f}"


def _when(t: float | None) -> str:
    return "not over at the end" if t is None else f"{hms(t)} ({t:,.1f} s)"


def render_vsa_section(events: pd.DataFrame, duration: float, scale: float, unit: str, table, first: bool
                       ) -> tuple[str, bool]:
    """The section's HTML ("" without VSA events) and whether plotly.js still has to be inlined
    (`first`: no figure before this one carried it). `table(head, rows, num_cols, fold_label)` is
    the page's table maker."""
    if not has_vsa(events):
        return "", first
    parts = ['<h2 id="vsa">Block storage (StoreVirtual VSA)</h2>'
             '<p class="note">Per cluster, from the event log: each node\'s data (current; away while down or '
             'unreachable; stale once back; resyncing; destroyed by a disk failure), the management group\'s '
             'managers and quorum, the share of the volumes in each state (online and degraded serve I/O), and each '
             'resync on the management network. The metrics are recomputed from these intervals.</p>']
    for i, view in enumerate(cluster_views(events, duration)):
        group = f"management group {escape(view.group)}" if view.group else "no management group in the log"
        nodes = f"{len(view.nodes)} node{'s' if len(view.nodes) != 1 else ''}"
        parts.append(f'<h3 id="vsa-{i}">Cluster {escape(view.name)} ({nodes}, {group})</h3>')
        figures = [  # (div id suffix, caption, figure or None, what to say without one)
            ("nodes", "Nodes: data state", state_timeline(view.node_spans, view.nodes, duration, scale, unit)
             if view.node_spans else None, "No node data state in the log."),
            ("managers", "Managers and quorum", state_timeline(
                view.manager_spans, list(dict.fromkeys(s.row for s in view.manager_spans)), duration, scale, unit)
             if view.manager_spans else None, "No manager or quorum event in the log for this cluster."),
            ("volumes", "Volumes: share in each state", volume_figure(view.volume_steps, duration, scale, unit)
             if view.volume_steps else None, "No volume state in the log."),
            ("resync", "Resync traffic on the network (GiB moved per attempt, over its span)",
             resync_figure(view.resyncs, duration, scale, unit) if view.resyncs else None,
             "No resync in the log."),
        ]
        drawn, first = captioned_figures(figures, f"vsa-{i}", first)
        parts += drawn
        if view.resyncs:
            rows = [[escape(r.node), escape(r.reason), _when(r.start), _when(r.end),
                     f"{r.end - r.start:,.3f}" if r.end is not None else "—", f"{r.to_move / GIB:,.3f}",
                     f"{r.moved / GIB:,.3f}" if r.moved is not None else "—", escape(r.outcome), escape(r.cause)]
                    for r in view.resyncs]
            parts.append(table(["node", "reason", "start", "end", "duration (s)", "GiB to move", "GiB moved",
                                "outcome", "cause"], rows, {4, 5, 6}, "All resyncs"))
        rows = [[f"<code>{escape(k)}</code>", _value(k, v), escape(meaning)] for k, v, meaning in view.metrics()]
        parts.append(table(["metric", "value", "meaning"], rows, {1}, "All metrics"))
    return "\n".join(parts), first


def vsa_nav(events: pd.DataFrame) -> str:
    return '<a href="#vsa">Block storage</a>' if has_vsa(events) else ""

