"""`twin compare RUN_A RUN_B`: two runs of one kind side by side (a simulated and a live run, two
seeds, two settings).

Rules: both runs must be of one kind (a deployment and an operations run have nothing to line
up: refused in one line). Every run shows its metrics (the kind's sweep row, from its summary)
side by side with B - A; a kind with more to compare adds it (a deployment: provision-state
sequences and step durations per node, twin/runs/deploy_compare.py), and its verdict decides
the exit code. Runs that only measure (operations, capacity) have no verdict: exit 0.
"""
from __future__ import annotations

import math

from twin.analysis.runs import RunOnDisk
from twin.errors import TwinError
from twin.runs.registry import kind_of


def compare(a: RunOnDisk, b: RunOnDisk) -> dict:
    ka, kb = kind_of(a.summary), kind_of(b.summary)
    if ka is not kb:
        raise TwinError(f"{a.path} is a run of kind {ka.name} and {b.path} one of kind {kb.name}: "
                        "compare two runs of one kind")
    ma, mb = ka.metrics(a.summary), kb.metrics(b.summary)
    rows = [{"metric": m, "a": ma.get(m), "b": mb.get(m), "difference": _difference(ma.get(m), mb.get(m))}
            for m in list(ma) + [m for m in mb if m not in ma]]
    result = {"a": a.label, "b": b.label, "run": ka.name, "metrics": rows, "same": True}
    if ka.compare is not None:
        detail = ka.compare(a, b)
        result.update(detail["detail"])
        result["same"] = detail["same"]
        result["_text"] = detail["text"]
    return result


def _difference(x, y):
    if isinstance(x, (int, float)) and isinstance(y, (int, float)) and math.isfinite(x) and math.isfinite(y):
        return y - x
    return None


def render(result: dict) -> str:
    lines = [f"A = {result['a']}   B = {result['b']}   ({result['run']} runs)", "",
             f"{'metric':<34}{'A':>16}{'B':>16}{'B - A':>16}"]
    for r in result["metrics"]:
        lines.append(f"{r['metric']:<34}{_fmt(r['a']):>16}{_fmt(r['b']):>16}{_fmt(r['difference'], sign=True):>16}")
    if result.get("_text"):
        lines += ["", result["_text"]]
    return "\n".join(lines)


def as_json(result: dict) -> dict:
    return {k: v for k, v in result.items() if not k.startswith("_")}


def _fmt(x, sign: bool = False) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):+,d}" if sign else f"{int(x):,d}"
    return f"{x:+.6g}" if sign else f"{x:.6g}"
