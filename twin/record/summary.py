"""The run summary (summary.json), derived from the event log alone.

Rules: nothing here is tracked during the run; everything comes from the events, so the log and
the summary cannot disagree. Shape (documented in docs/report.md):
    scenario, backend, seed, policy,
    deployment: {outcome, makespan_s, attempts, phases: [{name, attempt, start_s, end_s, outcome,
                 cause}], nodes: {name: {role, state, deploy_s, cause}}},
    counts: {events, nodes, by_state}
"""
from __future__ import annotations

import math

import pandas as pd

from twin.record.provision import DEPLOY_FROM, DEPLOYED, DEPLOYING


def _none_if_nan(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def summarize(events: pd.DataFrame, *, scenario: str, backend: str, seed: int, policy: str) -> dict:
    run = events[events.kind == "run"]
    end = run[run.name == "end"]
    makespan = float(end.time_s.iloc[-1]) if len(end) else float(events.time_s.max() if len(events) else 0.0)
    outcome = str(end.detail.iloc[-1]) if len(end) else "failed"
    attempts = 1 + int((run.name == "attempt").sum())

    phases, attempt, open_phases = [], 1, {}
    for row in events[(events.kind == "phase") | ((events.kind == "run") & (events.name == "attempt"))].itertuples():
        if row.kind == "run":
            attempt = int(row.detail)
        elif row.name == "start":
            open_phases[row.subject] = len(phases)
            phases.append({"name": row.subject, "attempt": attempt, "start_s": row.time_s,
                           "end_s": None, "outcome": "running", "cause": None})
        else:
            p = phases[open_phases.pop(row.subject)]
            p.update(end_s=row.time_s, outcome=str(row.detail), cause=str(row.cause) or None)

    planned = events[(events.kind == "node") & (events.name == "planned")]
    roles = dict(zip(planned.subject, planned.detail))
    states = events[events.kind == "state"]
    last_state = states.groupby("subject").name.last()
    failures = events[events.kind == "failure"]
    last_attempt_start = run[run.name == "attempt"].time_s.max() if attempts > 1 else -math.inf
    failures = failures[failures.time_s >= last_attempt_start]
    cause = failures.groupby("subject").cause.last()

    # deploy time: from the node's last start of a deploy (Juno: None -> deploying; Kilo:
    # available -> deploying) to its last arrival at active
    starts = states[(states.name == DEPLOYING) & states.detail.isin(DEPLOY_FROM)]
    last_start = starts.groupby("subject").time_s.last()
    last_active = states[states.name == DEPLOYED].groupby("subject").time_s.last()
    took = (last_active - last_start.reindex(last_active.index)).dropna()
    deploy_s = {node: round(float(v), 3) for node, v in took.items() if v >= 0}

    nodes = {}
    for name, role in roles.items():
        state = str(last_state.get(name, "not enrolled"))
        deployed = state == DEPLOYED
        nodes[name] = {"role": str(role), "state": state, "deploy_s": deploy_s.get(name) if deployed else None,
                       "cause": None if deployed else _none_if_nan(cause.get(name))}
    by_state: dict[str, int] = {}
    for n in nodes.values():
        by_state[n["state"]] = by_state.get(n["state"], 0) + 1
    return {
        "scenario": scenario, "run": "deploy", "backend": backend, "seed": seed, "policy": policy,
        "deployment": {"outcome": outcome, "makespan_s": round(makespan, 3), "attempts": attempts,
                       "phases": phases, "nodes": nodes},
        "counts": {"events": int(len(events)), "nodes": len(nodes), "by_state": by_state},
    }
