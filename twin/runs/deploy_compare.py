"""What `twin compare` shows of two deployments beyond their metrics (twin/analysis/compare.py):
a simulated and a live run (or any two) node by node.

Rules: nodes are matched by name; for each, the sequences of provision states must be equal
(the verdict), and each step's duration is shown for both runs (twin/report/steps.py defines
them). The comparison is of the last installation attempt of each run. Each run's Ironic release
(Juno or Kilo, from its nodes' first states) is shown; runs of different releases cannot have the
same states, and the verdict says that is why (their steps still compare).
"""
from __future__ import annotations

import pandas as pd

from twin.record.provision import release_of
from twin.report.steps import STEPS, node_steps, state_sequences


def compare_deployments(a, b) -> dict:
    """Two deployments' provision-state sequences and step durations, node by node."""
    seq_a, seq_b = state_sequences(a.events), state_sequences(b.events)
    steps_a, steps_b = node_steps(a.events), node_steps(b.events)
    nodes = sorted(set(seq_a) | set(seq_b))
    per_node = []
    for node in nodes:
        da = dict(zip(steps_a[steps_a.node == node].step, steps_a[steps_a.node == node].duration_s))
        db = dict(zip(steps_b[steps_b.node == node].step, steps_b[steps_b.node == node].duration_s))
        per_node.append({"node": node, "states_a": seq_a.get(node), "states_b": seq_b.get(node),
                         "same_states": seq_a.get(node) == seq_b.get(node),
                         "steps": {s: (da.get(s), db.get(s)) for s in STEPS if s in da or s in db}})
    medians = []
    for step in STEPS:
        ma = steps_a[steps_a.step == step].duration_s.median()
        mb = steps_b[steps_b.step == step].duration_s.median()
        if pd.notna(ma) or pd.notna(mb):
            medians.append({"step": step, "median_a_s": _num(ma), "median_b_s": _num(mb)})
    da, db = a.summary["deployment"], b.summary["deployment"]
    return {"nodes": per_node, "step_medians": medians,
            "ironic_release": (release_of(seq_a.values()), release_of(seq_b.values())),
            "makespan_s": (da["makespan_s"], db["makespan_s"]), "outcome": (da["outcome"], db["outcome"]),
            "same_states": all(n["same_states"] for n in per_node)}


def _num(x):
    return None if pd.isna(x) else round(float(x), 3)


def render_deployments(result: dict) -> str:
    """The comparison as columns that line up whatever the node names and durations: each
    column as wide as its widest cell."""
    steps = ("pxe_boot", "local_boot", "deploy")
    rows = [["node", "states", *steps]]
    for n in result["nodes"]:
        rows.append([n["node"], "same" if n["same_states"] else "DIFFER",
                     *(" | ".join(_fmt(v) for v in n["steps"].get(s, (None, None))) for s in steps)])
    lines = [f"outcome: {result['outcome'][0]} | {result['outcome'][1]};  makespan: "
             f"{result['makespan_s'][0]:.1f} s | {result['makespan_s'][1]:.1f} s;  Ironic release: "
             f"{' | '.join(r or '-' for r in result.get('ironic_release', ('', '')))}", ""]
    lines += _columns(rows, right_from=2)
    for n in result["nodes"]:
        if not n["same_states"]:
            lines.append(f"{n['node']}:  A: {' > '.join(n['states_a'] or ['(absent)'])}")
            lines.append(f"{' ' * len(n['node'])}   B: {' > '.join(n['states_b'] or ['(absent)'])}")
    lines.append("")
    lines += _columns([["step median (s)", "A", "B"],
                       *([m["step"], _fmt(m["median_a_s"]), _fmt(m["median_b_s"])] for m in result["step_medians"])],
                      right_from=1)
    verdict = "the same provision-state sequence for every node" if result["same_states"] else \
        "provision-state sequences DIFFER (see the nodes marked DIFFER)"
    ra, rb = result.get("ironic_release", ("", ""))
    if not result["same_states"] and ra and rb and ra != rb:
        verdict += f"; the runs use different Ironic releases ({ra} | {rb}), whose states are named differently"
    lines += ["", f"verdict: {verdict}"]
    return "\n".join(lines)


def _columns(rows: list[list[str]], right_from: int) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.rjust(w) if i >= right_from else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
            for r in rows]


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.1f}"
