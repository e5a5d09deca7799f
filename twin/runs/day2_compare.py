"""What `twin compare` shows of two operations runs beyond their metrics (twin/analysis/compare.py):
the day-2 actions (twin/cloud/day2) step by step, e.g. a simulated run and the live drill of one
scenario.

Rules: steps are read from the event log (ActionStep: kind `action`), matched by action label and
step name, in the order of run A (steps only B has follow). Each step shows its outcome (end,
failed, skipped) and duration in both runs; `same_steps` says whether both ran the same steps
with the same outcomes. Operations runs only measure: this adds no verdict (`twin compare` exits
0), the metrics table already holds the day-2 metrics.
"""
from __future__ import annotations

import math

OUTCOMES = ("end", "failed", "skipped")


def action_steps(events) -> list[dict]:
    """[{action, step, outcome, duration_s}] in log order (the step's last outcome)."""
    if events is None or "kind" not in events:
        return []
    rows = events[(events.kind == "action") & events.detail.isin(OUTCOMES)]
    steps: dict[tuple[str, str], dict] = {}
    for action, step, outcome, value in zip(rows.subject, rows.name, rows.detail, rows.value):
        value = float(value)
        steps[(str(action), str(step))] = {"action": str(action), "step": str(step), "outcome": str(outcome),
                                           "duration_s": value if math.isfinite(value) else None}
    return list(steps.values())


def compare_day2(a, b) -> dict:
    sa, sb = action_steps(a.events), action_steps(b.events)
    ib = {(s["action"], s["step"]): s for s in sb}
    keys = [(s["action"], s["step"]) for s in sa] + [k for k in ib if k not in {(s["action"], s["step"]) for s in sa}]
    ia = {(s["action"], s["step"]): s for s in sa}
    rows = []
    for key in keys:
        x, y = ia.get(key), ib.get(key)
        rows.append({"action": key[0], "step": key[1],
                     "a": (x["outcome"], x["duration_s"]) if x else None,
                     "b": (y["outcome"], y["duration_s"]) if y else None})
    same = all(r["a"] is not None and r["b"] is not None and r["a"][0] == r["b"][0] for r in rows)
    return {"day2_steps": rows, "same_steps": same}


def render_day2(detail: dict) -> str:
    rows = detail["day2_steps"]
    if not rows:
        return ""
    width = max(len(f"{r['action']}  {r['step']}") for r in rows) + 2
    lines = [f"day-2 steps ({'the same in both runs' if detail['same_steps'] else 'they DIFFER'})",
             f"{'action  step':<{width}}{'A':>20}{'B':>20}"]
    for r in rows:
        lines.append(f"{r['action'] + '  ' + r['step']:<{width}}{_cell(r['a']):>20}{_cell(r['b']):>20}")
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return "-"
    outcome, duration = value
    return outcome if duration is None else f"{outcome} {duration:.1f} s"
