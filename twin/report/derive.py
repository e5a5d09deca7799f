"""The report's tables, derived from the event log and the run summary (plain Python, no HTML).

Rules: the summary wins where it says something (final state, role, cause, phases); the event log
fills in what the summary leaves out. Missing optional summary keys are tolerated everywhere.
Text comes back exactly as given (escaping is the renderer's job); absent text is "".
The log comes in as a DataFrame (a run read back from its folder), as the run's Recorder, or as
rows in COLUMNS order; `normalise` makes any of them one `Log` (a list of `Event` rows), and every
table is a list of named tuples. No pandas: a simulated deployment renders its report from the
recorder's rows without importing it (twin/runs/deploy.py).
"""
from __future__ import annotations

import math
import re
from bisect import bisect_right
from typing import NamedTuple

from twin.inventory.model import Role
from twin.record import provision
from twin.record.events import COLUMNS, NAN

TEXT_COLUMNS = ("kind", "subject", "name", "detail", "cause")

#: Gantt/table row order: undercloud, controllers, swift, the VSA and Swift-only roles, computes.
ROLE_ORDER = tuple(
    r.value.lower()
    for r in (
        Role.UNDERCLOUD,
        Role.CONTROL,
        Role.SWIFT,
        Role.VSA,
        Role.VSA_AO,
        Role.SO_SWIFT_PROXY,
        Role.SO_SWIFT_STORAGE,
        Role.COMPUTE,
    )
)

#: Ironic provision states in lifecycle order, both releases (legend and count order; others
#: follow, sorted): Juno's None first, then Kilo's enroll cycle, then the deploy states.
STATE_ORDER = provision.LIFECYCLE


class Event(NamedTuple):
    """One row of the log (twin/record/events.py COLUMNS)."""

    seq: float
    time_s: float
    kind: str
    subject: str
    name: str
    detail: str
    cause: str
    value: float


class Interval(NamedTuple):
    node: str
    state: str
    start_s: float
    end_s: float


class Phase(NamedTuple):
    name: str
    attempt: int
    start_s: float
    end_s: float  # NaN: never ended
    outcome: str
    cause: str


class NodeRow(NamedTuple):
    node: str
    role: str
    state: str
    deploy_s: float
    cause: str


class Failure(NamedTuple):
    node: str
    role: str
    state: str
    cause: str
    time_s: float  # NaN: the log gives no time
    attempt: int


class Mark(NamedTuple):
    time_s: float
    seq: float
    what: str
    subject: str
    detail: str


class Log(list):
    """A normalised log: Event rows sorted by (time_s, seq), text as str ("" for missing)."""


def is_failed_state(state: str) -> bool:
    return provision.is_failed(state)


def normalise(events) -> Log:
    """The log (a DataFrame, a Recorder, rows in COLUMNS order, or None) as a Log: every column
    present, text as str, sorted by time then by the order of recording (by time alone when a
    row has no sequence number). A Log is returned as it is; the input is never changed."""
    if isinstance(events, Log):
        return events
    if events is None:
        rows = []
    elif hasattr(events, "columns"):  # a DataFrame (pandas is imported already)
        rows = _frame_rows(events)
    elif hasattr(events, "records"):  # a Recorder
        rows = [Event(*r) for r in events.records()]
    else:
        rows = [Event(*r) for r in events]
    by_seq = bool(rows) and not any(_missing(r.seq) for r in rows)
    key = (lambda r: (*_time_key(r.time_s), r.seq)) if by_seq else (lambda r: _time_key(r.time_s))
    return Log(sorted(rows, key=key))


def _frame_rows(df) -> list[Event]:
    import pandas as pd

    n, columns = len(df), []
    for col in COLUMNS:
        if col not in df.columns:
            columns.append([""] * n if col in TEXT_COLUMNS else [NAN] * n)
        elif col in TEXT_COLUMNS:
            columns.append(df[col].astype("string").fillna("").tolist())
        elif col == "time_s":
            columns.append(pd.to_numeric(df[col], errors="coerce").astype("float64").tolist())
        else:
            columns.append([NAN if _missing(v) else v for v in df[col].tolist()])
    return [Event(*r) for r in zip(*columns)]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or type(value).__name__ == "NAType"


def _time_key(t: float) -> tuple[bool, float]:
    """Times in order, a missing time last (as pandas sorts NaN)."""
    return (True, 0.0) if math.isnan(t) else (False, t)


def deployment(summary: dict | None) -> dict:
    return (summary or {}).get("deployment") or {}


def end_time(events, summary: dict | None) -> float:
    """The run's end: summary makespan, else the last event's time, else 0."""
    makespan = _number(deployment(summary).get("makespan_s"))
    if not math.isnan(makespan):
        return makespan
    times = [r.time_s for r in normalise(events) if not math.isnan(r.time_s)]
    return float(max(times)) if times else 0.0


def state_intervals(events, end_s: float | None = None) -> list[Interval]:
    """One Interval per provision-state stay: node, state, start_s, end_s.

    A state lasts from its `state` row until the node's next `state` row; the node's last state
    lasts until `end_s` (default: the last event's time), never ending before it starts.
    Rows are ordered by node (first appearance) and then time.
    """
    log = normalise(events)
    if end_s is None:
        end_s = end_time(log, None)
    stays: dict[str, list[tuple[str, float]]] = {}
    for r in log:
        if r.kind == "state":
            stays.setdefault(r.subject, []).append((r.name, r.time_s))
    out = []
    for node, rows in stays.items():
        for i, (state, start) in enumerate(rows):
            nxt = rows[i + 1][1] if i + 1 < len(rows) else NAN
            end = float(end_s) if math.isnan(nxt) else nxt
            out.append(Interval(node, state, start, max(end, start)))
    return out


def phase_table(events, summary: dict | None) -> list[Phase]:
    """TripleO phases: name, attempt, start_s, end_s (NaN if it never ended), outcome, cause;
    by start (a phase that never started last).

    From summary["deployment"]["phases"] when given, else from the `phase` start/end rows
    (a phase run again after a policy restart gives one row per attempt).
    """
    phases = deployment(summary).get("phases") or []
    rows = []
    if phases:
        for p in phases:
            p = p or {}
            rows.append(Phase(str(p.get("name") or ""), _attempt(p.get("attempt")), _number(p.get("start_s")),
                              _number(p.get("end_s")), str(p.get("outcome") or ""), str(p.get("cause") or "")))
    else:
        attempt, open_ = 1, {}
        for r in normalise(events):
            if r.kind == "run" and r.name == "attempt":
                attempt = _attempt(r.detail, attempt + 1)
            elif r.kind != "phase":
                continue
            elif r.name == "start":
                if r.subject in open_:  # started again without an end
                    rows.append(open_.pop(r.subject))
                open_[r.subject] = Phase(r.subject, attempt, r.time_s, NAN, "", "")
            elif r.name == "end":
                started = open_.pop(r.subject, Phase(r.subject, attempt, NAN, NAN, "", ""))
                rows.append(started._replace(end_s=r.time_s, outcome=r.detail, cause=r.cause))
        rows.extend(open_.values())
    return sorted(rows, key=lambda p: _time_key(p.start_s))


def node_table(events, summary: dict | None) -> list[NodeRow]:
    """Every node: node, role, state (final), deploy_s, cause; in role order, then by name.

    Nodes come from the summary and from the log (planned, enrolled, state and failure rows).
    """
    given = deployment(summary).get("nodes") or {}
    roles: dict[str, str] = {}
    last_state: dict[str, str] = {}
    last_cause: dict[str, str] = {}
    for r in normalise(events):  # later rows overwrite earlier
        if r.kind == "node" and r.name in ("planned", "enrolled"):
            roles[r.subject] = r.detail
        elif r.kind == "state":
            last_state[r.subject] = r.name
        elif r.kind == "failure":
            last_cause[r.subject] = r.cause

    names = dict.fromkeys(str(n) for n in given)
    names.update(dict.fromkeys(roles))
    names.update(dict.fromkeys(last_state))
    names.update(dict.fromkeys(last_cause))
    rows = []
    for name in names:
        info = given.get(name) or {}
        rows.append(NodeRow(name, str(info.get("role") or roles.get(name, "")),
                            str(info.get("state") or last_state.get(name, "")), _number(info.get("deploy_s")),
                            str(info.get("cause") or last_cause.get(name, ""))))
    rows.sort(key=lambda r: (role_rank(r.role), natural_key(r.node)))
    return rows


def failure_table(events, nodes: list[NodeRow], intervals: list[Interval]) -> list[Failure]:
    """Failures: node, role, state (final), cause, time_s (NaN when the log gives no time), attempt.

    Every `failure` row; then each node whose summary cause no failure row carries; then each
    node that ended in a failed state with no cause at all ("(no cause recorded)", time: when it
    entered that state).
    """
    log = normalise(events)
    info = {n.node: n for n in nodes}
    rows = []
    seen: set[tuple[str, str]] = set()
    for r in log:
        if r.kind == "failure":
            node = info.get(r.subject)
            rows.append((r.subject, node.role if node else "", node.state if node else "", r.cause, r.time_s))
            seen.add((r.subject, r.cause))
    failed_nodes = {n for n, _ in seen}
    last_start = {iv.node: iv.start_s for iv in intervals}  # the last stay's start
    for n in nodes:
        if n.cause and (n.node, n.cause) not in seen:
            rows.append((n.node, n.role, n.state, n.cause, NAN))
        elif not n.cause and n.node not in failed_nodes and is_failed_state(n.state):
            rows.append((n.node, n.role, n.state, "(no cause recorded)", float(last_start.get(n.node, NAN))))
    restarts = sorted(r.time_s for r in log if r.kind == "run" and r.name == "attempt")
    out = [Failure(*row, 1 + (len(restarts) if math.isnan(row[4]) else bisect_right(restarts, row[4])))
           for row in rows]  # no time: the summary's attempt, the last
    return sorted(out, key=lambda f: _time_key(f.time_s))


def select_nodes(nodes: list[NodeRow], max_nodes: int) -> tuple[list[str], dict[str, int]]:
    """Which nodes the Gantt shows: all if they fit, else up to the same quota per role
    (failed nodes first, then by name). Returns (names in display order, {role: omitted})."""
    if len(nodes) <= max_nodes:
        return [n.node for n in nodes], {}
    groups: dict[str, list[NodeRow]] = {}
    for n in nodes:
        groups.setdefault(n.role, []).append(n)
    sizes = sorted(len(g) for g in groups.values())
    quota = 0  # the largest q with sum(min(size, q)) <= max_nodes
    while quota < sizes[-1] and sum(min(s, quota + 1) for s in sizes) <= max_nodes:
        quota += 1
    keep: set[str] = set()
    omitted: dict[str, int] = {}
    for role, g in groups.items():
        bad = [is_failed_state(n.state) or n.cause != "" for n in g]
        ranked = [n for n, b in zip(g, bad) if b] + [n for n, b in zip(g, bad) if not b]  # each in name order
        keep.update(n.node for n in ranked[:quota])
        if len(g) > quota:
            omitted[role] = len(g) - quota
    return [n.node for n in nodes if n.node in keep], omitted


def role_rank(role: str) -> int:
    role = (role or "").lower()
    return ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER)


def natural_key(name: str) -> tuple:
    """compute2 before compute10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name) if p)


def state_rank(state: str) -> tuple[int, str]:
    return (STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER), state)


def _attempt(value, default: int = 1) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _number(value) -> float:
    try:
        return float(value) if value is not None else NAN
    except (TypeError, ValueError):
        return NAN


#: Events that mark the Gantt and fill the faults table: (kind, name or None for any) -> label
MARKED = {("failure", None): "node failed", ("fault", "start"): "fault started", ("fault", "end"): "fault ended",
          ("boot", "rogue_node"): "rogue node (unknown MAC refused)"}


def marked_events(events) -> list[Mark]:
    """Failures, injected faults and rogue nodes in time order: time_s, seq, what, subject, detail."""
    log = normalise(events)
    marks = [Mark(r.time_s, r.seq, what, r.subject, r.detail if r.detail != "" else r.cause)
             for (kind, name), what in MARKED.items()
             for r in log if r.kind == kind and (name is None or r.name == name)]
    return sorted(marks, key=lambda m: (*_time_key(m.time_s), *_time_key(float(m.seq))))
