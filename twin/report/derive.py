"""The report's tables, derived from the event log and the run summary (pure pandas, no HTML).

Rules: the summary wins where it says something (final state, role, cause, phases); the event log
fills in what the summary leaves out. Missing optional summary keys are tolerated everywhere.
Text comes back exactly as given (escaping is the renderer's job); absent text is "".
"""
from __future__ import annotations

import math
import re
import weakref

import pandas as pd

from twin.inventory.model import Role
from twin.record import provision
from twin.record.events import COLUMNS

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


def is_failed_state(state: str) -> bool:
    return provision.is_failed(state)


#: The frame `normalise` returned last (a weak reference): a report normalises its log once and
#: passes it to every table, which then need not copy and sort it again. Nothing here changes a
#: normalised log in place, so the same frame is still normalised.
_last_normalised = None


def normalise(events: pd.DataFrame | None) -> pd.DataFrame:
    """The log with every column present, text as str ("" for missing), sorted by (time_s, seq).
    Do not change the result in place: a frame that came from here is returned as it is."""
    global _last_normalised
    if events is not None and _last_normalised is not None and _last_normalised() is events:
        return events
    df = _normalised(events)
    _last_normalised = weakref.ref(df)
    return df


def _normalised(events: pd.DataFrame | None) -> pd.DataFrame:
    if events is None:
        events = pd.DataFrame(columns=list(COLUMNS))
    df = events.copy()
    for col in COLUMNS:
        if col not in df.columns:
            df[col] = "" if col in TEXT_COLUMNS else float("nan")
    for col in TEXT_COLUMNS:
        df[col] = df[col].astype("string").fillna("")
    df["time_s"] = pd.to_numeric(df["time_s"], errors="coerce").astype("float64")
    if len(df) and df["seq"].notna().all():
        df = df.sort_values(["time_s", "seq"], kind="mergesort")
    else:
        df = df.sort_values("time_s", kind="mergesort")
    return df.reset_index(drop=True)


def deployment(summary: dict | None) -> dict:
    return (summary or {}).get("deployment") or {}


def end_time(events: pd.DataFrame, summary: dict | None) -> float:
    """The run's end: summary makespan, else the last event's time, else 0."""
    makespan = _number(deployment(summary).get("makespan_s"))
    if not math.isnan(makespan):
        return makespan
    times = events["time_s"].dropna() if "time_s" in events else []
    return float(times.max()) if len(times) else 0.0


def state_intervals(events: pd.DataFrame, end_s: float | None = None) -> pd.DataFrame:
    """One row per provision-state stay: node, state, start_s, end_s.

    A state lasts from its `state` row until the node's next `state` row; the node's last state
    lasts until `end_s` (default: the last event's time), never ending before it starts.
    Rows are ordered by node (first appearance) and then time.
    """
    df = normalise(events)
    rows = df[df["kind"] == "state"]
    if end_s is None:
        end_s = end_time(df, None)
    if rows.empty:
        return pd.DataFrame(
            {"node": pd.Series(dtype="string"), "state": pd.Series(dtype="string"),
             "start_s": pd.Series(dtype="float64"), "end_s": pd.Series(dtype="float64")}
        )
    out = pd.DataFrame(
        {
            "node": rows["subject"].astype("string"),
            "state": rows["name"].astype("string"),
            "start_s": rows["time_s"].astype("float64"),
        }
    )
    nxt = out.groupby("node", sort=False)["start_s"].shift(-1)
    out["end_s"] = nxt.fillna(float(end_s)).clip(lower=out["start_s"]).astype("float64")
    order = out["node"].drop_duplicates().reset_index(drop=True)
    rank = pd.Series(range(len(order)), index=order.array)
    out["_rank"] = out["node"].map(rank).to_numpy()
    out = out.sort_values(["_rank", "start_s"], kind="mergesort").drop(columns="_rank")
    return out.reset_index(drop=True)


def phase_table(events: pd.DataFrame, summary: dict | None) -> pd.DataFrame:
    """TripleO phases: name, attempt, start_s, end_s (NaN if it never ended), outcome, cause.

    From summary["deployment"]["phases"] when given, else from the `phase` start/end rows
    (a phase run again after a policy restart gives one row per attempt).
    """
    phases = deployment(summary).get("phases") or []
    rows = []
    if phases:
        for p in phases:
            p = p or {}
            rows.append((str(p.get("name") or ""), _attempt(p.get("attempt")), _number(p.get("start_s")),
                         _number(p.get("end_s")), str(p.get("outcome") or ""), str(p.get("cause") or "")))
    else:
        df = normalise(events)
        marks = df[(df["kind"] == "phase") | ((df["kind"] == "run") & (df["name"] == "attempt"))]
        attempt, open_ = 1, {}
        for r in marks.itertuples(index=False):
            if r.kind == "run":
                attempt = _attempt(r.detail, attempt + 1)
            elif r.name == "start":
                if r.subject in open_:  # started again without an end
                    rows.append(open_.pop(r.subject))
                open_[r.subject] = (r.subject, attempt, r.time_s, float("nan"), "", "")
            elif r.name == "end":
                name, att, start, _, _, _ = open_.pop(r.subject, (r.subject, attempt, float("nan"), 0, 0, 0))
                rows.append((name, att, start, r.time_s, r.detail, r.cause))
        rows.extend(open_.values())
    out = pd.DataFrame(rows, columns=["name", "attempt", "start_s", "end_s", "outcome", "cause"])
    out = out.astype({"attempt": "int64", "start_s": "float64", "end_s": "float64"})
    return out.sort_values("start_s", kind="mergesort", na_position="last").reset_index(drop=True)


def node_table(events: pd.DataFrame, summary: dict | None) -> pd.DataFrame:
    """Every node: node, role, state (final), deploy_s, cause; in role order, then by name.

    Nodes come from the summary and from the log (planned, enrolled, state and failure rows).
    """
    df = normalise(events)
    given = deployment(summary).get("nodes") or {}
    known = df[(df["kind"] == "node") & df["name"].isin(["planned", "enrolled"])]
    roles = dict(zip(known["subject"], known["detail"]))
    states = df[df["kind"] == "state"]
    last_state = dict(zip(states["subject"], states["name"]))  # later rows overwrite earlier
    failures = df[df["kind"] == "failure"]
    last_cause = dict(zip(failures["subject"], failures["cause"]))

    names = dict.fromkeys(str(n) for n in given)
    names.update(dict.fromkeys(roles))
    names.update(dict.fromkeys(last_state))
    names.update(dict.fromkeys(last_cause))
    rows = []
    for name in names:
        info = given.get(name) or {}
        rows.append(
            (
                name,
                str(info.get("role") or roles.get(name, "")),
                str(info.get("state") or last_state.get(name, "")),
                _number(info.get("deploy_s")),
                str(info.get("cause") or last_cause.get(name, "")),
            )
        )
    rows.sort(key=lambda r: (role_rank(r[1]), natural_key(r[0])))
    out = pd.DataFrame(rows, columns=["node", "role", "state", "deploy_s", "cause"])
    return out.astype({"deploy_s": "float64"})


def failure_table(events: pd.DataFrame, nodes: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """Failures: node, role, state (final), cause, time_s (NaN when the log gives no time), attempt.

    Every `failure` row; then each node whose summary cause no failure row carries; then each
    node that ended in a failed state with no cause at all ("(no cause recorded)", time: when it
    entered that state).
    """
    df = normalise(events)
    info = nodes.set_index("node")
    rows = []
    seen: set[tuple[str, str]] = set()
    for r in df[df["kind"] == "failure"].itertuples(index=False):
        role, state = _role_state(info, r.subject)
        rows.append((r.subject, role, state, r.cause, r.time_s))
        seen.add((r.subject, r.cause))
    failed_nodes = {n for n, _ in seen}
    last_start = intervals.groupby("node", sort=False)["start_s"].last() if len(intervals) else {}
    for n in nodes.itertuples(index=False):
        if n.cause and (n.node, n.cause) not in seen:
            rows.append((n.node, n.role, n.state, n.cause, float("nan")))
        elif not n.cause and n.node not in failed_nodes and is_failed_state(n.state):
            t = float(last_start.get(n.node, float("nan"))) if len(intervals) else float("nan")
            rows.append((n.node, n.role, n.state, "(no cause recorded)", t))
    out = pd.DataFrame(rows, columns=["node", "role", "state", "cause", "time_s"])
    out = out.astype({"time_s": "float64"})
    restarts = df.loc[(df["kind"] == "run") & (df["name"] == "attempt"), "time_s"].sort_values()
    out["attempt"] = 1 + restarts.searchsorted(out["time_s"], side="right")
    out.loc[out["time_s"].isna(), "attempt"] = 1 + len(restarts)  # no time: the summary's, the last
    return out.sort_values("time_s", kind="mergesort", na_position="last").reset_index(drop=True)


def select_nodes(nodes: pd.DataFrame, max_nodes: int) -> tuple[list[str], dict[str, int]]:
    """Which nodes the Gantt shows: all if they fit, else up to the same quota per role
    (failed nodes first, then by name). Returns (names in display order, {role: omitted})."""
    if len(nodes) <= max_nodes:
        return list(nodes["node"]), {}
    groups = {role: g for role, g in nodes.groupby("role", sort=False)}
    sizes = sorted(len(g) for g in groups.values())
    quota = 0  # the largest q with sum(min(size, q)) <= max_nodes
    while quota < sizes[-1] and sum(min(s, quota + 1) for s in sizes) <= max_nodes:
        quota += 1
    keep: set[str] = set()
    omitted: dict[str, int] = {}
    for role, g in groups.items():
        bad = g["state"].map(is_failed_state) | (g["cause"] != "")
        ranked = pd.concat([g[bad], g[~bad]])  # each part is already in name order
        keep.update(ranked["node"].iloc[:quota])
        if len(g) > quota:
            omitted[role] = len(g) - quota
    return [n for n in nodes["node"] if n in keep], omitted


def role_rank(role: str) -> int:
    role = (role or "").lower()
    return ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER)


def natural_key(name: str) -> tuple:
    """compute2 before compute10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name) if p)


def state_rank(state: str) -> tuple[int, str]:
    return (STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER), state)


def _role_state(info: pd.DataFrame, node: str) -> tuple[str, str]:
    if node in info.index:
        row = info.loc[node]
        return str(row["role"]), str(row["state"])
    return "", ""


def _attempt(value, default: int = 1) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _number(value) -> float:
    try:
        return float(value) if value is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


#: Events that mark the Gantt and fill the faults table: (kind, name or None for any) -> label
MARKED = {("failure", None): "node failed", ("fault", "start"): "fault started", ("fault", "end"): "fault ended",
          ("boot", "rogue_node"): "rogue node (unknown MAC refused)"}


def marked_events(log: pd.DataFrame) -> pd.DataFrame:
    """Failures, injected faults and rogue nodes in time order: columns time_s, what, subject, detail."""
    rows = []
    for (kind, name), what in MARKED.items():
        part = log[(log["kind"] == kind) & ((log["name"] == name) if name else True)]
        rows.append(pd.DataFrame({"time_s": part["time_s"], "seq": part["seq"], "what": what,
                                  "subject": part["subject"], "detail": part["detail"].where(
                                      part["detail"] != "", part["cause"])}))
    frame = pd.concat(rows, ignore_index=True)
    return frame.sort_values(["time_s", "seq"], kind="mergesort").reset_index(drop=True)
