"""The run summary (summary.json), derived from the event log alone.

Rules: nothing here is tracked during the run; everything comes from the events, so the log and
the summary cannot disagree. The log is read as rows, in the order they were recorded
(Recorder.rows(): time_s, kind, subject, name, detail, cause, value), one pass, no pandas.
Shape (documented in docs/report.md):
    scenario, backend, seed, policy,
    deployment: {outcome, makespan_s, attempts, phases: [{name, attempt, start_s, end_s, outcome,
                 cause}], nodes: {name: {role, state, deploy_s, cause}}},
    counts: {events, nodes, by_state}
"""
from __future__ import annotations

import math

from twin.record.provision import DEPLOY_FROM, DEPLOYED, DEPLOYING


def summarize(rows, *, scenario: str, backend: str, seed: int, policy: str) -> dict:
    """The summary of a deployment's log, given as rows (see the module docstring)."""
    count, last_time = 0, -math.inf
    end = None  # the last run end: (time_s, outcome)
    attempts, attempt_start = 1, -math.inf  # the last attempt's start (a helion-policy restart)
    phases, attempt, open_phases = [], 1, {}
    roles: dict[str, str] = {}
    last_state: dict[str, str] = {}
    failures: list[tuple[float, str, str]] = []  # (time_s, node, cause)
    last_start: dict[str, float] = {}  # a node's last start of a deploy
    last_active: dict[str, float] = {}  # its last arrival at active

    for time_s, kind, subject, name, detail, cause, _ in rows:
        count += 1
        last_time = max(last_time, time_s)
        if kind == "run":
            if name == "end":
                end = (time_s, detail)
            elif name == "attempt":
                attempts += 1
                attempt_start = max(attempt_start, time_s)
                attempt = int(detail)
        elif kind == "phase":
            if name == "start":
                open_phases[subject] = len(phases)
                phases.append({"name": subject, "attempt": attempt, "start_s": time_s,
                               "end_s": None, "outcome": "running", "cause": None})
            else:
                phases[open_phases.pop(subject)].update(end_s=time_s, outcome=detail, cause=cause or None)
        elif kind == "node" and name == "planned":
            roles[subject] = detail
        elif kind == "state":
            last_state[subject] = name
            # deploy time: from the node's last start of a deploy (Juno: None -> deploying; Kilo:
            # available -> deploying) to its last arrival at active
            if name == DEPLOYING and detail in DEPLOY_FROM:
                last_start[subject] = time_s
            if name == DEPLOYED:
                last_active[subject] = time_s
        elif kind == "failure":
            failures.append((time_s, subject, cause))

    makespan = end[0] if end else (last_time if count else 0.0)
    outcome = end[1] if end else "failed"
    cause = {node: why for t, node, why in failures if t >= attempt_start}  # the last attempt's, last wins
    deploy_s = {node: round(t - last_start[node], 3) for node, t in last_active.items()
                if node in last_start and t - last_start[node] >= 0}

    nodes = {}
    for name, role in roles.items():
        state = last_state.get(name, "not enrolled")
        deployed = state == DEPLOYED
        nodes[name] = {"role": role, "state": state, "deploy_s": deploy_s.get(name) if deployed else None,
                       "cause": None if deployed else cause.get(name)}
    by_state: dict[str, int] = {}
    for n in nodes.values():
        by_state[n["state"]] = by_state.get(n["state"], 0) + 1
    return {
        "scenario": scenario, "run": "deploy", "backend": backend, "seed": seed, "policy": policy,
        "deployment": {"outcome": outcome, "makespan_s": round(makespan, 3), "attempts": attempts,
                       "phases": phases, "nodes": nodes},
        "counts": {"events": count, "nodes": len(nodes), "by_state": by_state},
    }
