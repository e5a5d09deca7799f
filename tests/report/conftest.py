"""Hand-built event logs and summaries for the report tests (the schema of twin.record)."""
from __future__ import annotations

import pytest

from twin.record.events import NodeEnrolled, NodeFailed, PhaseEdge, RunMark, StateChanged
from twin.record.recorder import Recorder

HAPPY = ("enroll", "verifying", "manageable", "available", "deploying", "wait call-back", "active")


def build_run(nodes, fail=None, makespan=None, phases=(("undercloud", 0.0, 100.0), ("overcloud", 100.0, 400.0))):
    """nodes: [(name, role)]; fail: {name: cause} (those stop in `deploy failed`).

    Node i walks the happy path one state every 10 s starting at i seconds; a failing node goes
    wait call-back -> deploy failed instead of active. Returns (events, summary).
    """
    fail = fail or {}
    rec = Recorder()
    rec.record(0.0, RunMark("start"))
    for phase, start, _ in phases:
        rec.record(start, PhaseEdge(phase, "start"))
    timeline = []
    for i, (name, role) in enumerate(nodes):
        timeline.append((float(i), NodeEnrolled(name, role, "undercloud")))
        walk = list(HAPPY[:-1]) + (["deploy failed"] if name in fail else ["active"])
        prev = ""
        for k, state in enumerate(walk):
            t = float(i + 10 * k)
            timeline.append((t, StateChanged(name, state, prev)))
            prev = state
        if name in fail:
            timeline.append((float(i + 10 * (len(walk) - 1)), NodeFailed(name, fail[name])))
    for t, ev in sorted(timeline, key=lambda p: p[0]):
        rec.record(t, ev)
    outcome = "failed" if fail else "success"
    for phase, _, end in phases:
        rec.record(end, PhaseEdge(phase, "end", "success"))
    end = makespan if makespan is not None else max(400.0, len(nodes) + 70.0)
    rec.record(end, RunMark("end", outcome))
    summary = {
        "scenario": "helion-reference",
        "backend": "sim",
        "seed": 42,
        "policy": "carry-on",
        "deployment": {
            "outcome": outcome,
            "makespan_s": end,
            "attempts": 1,
            "phases": [{"name": p, "start_s": s, "end_s": e, "outcome": "success"} for p, s, e in phases],
            "nodes": {
                name: {
                    "role": role,
                    "state": "deploy failed" if name in fail else "active",
                    "deploy_s": None if name in fail else 60.0,
                    "cause": fail.get(name),
                }
                for name, role in nodes
            },
        },
        "counts": {"events": len(rec), "nodes": len(nodes)},
    }
    return rec.frame(), summary


SMALL = [
    ("undercloud", "Undercloud"),
    ("compute0", "OvercloudCompute"),
    ("controller0", "OvercloudControl"),
    ("swift0", "OvercloudSwiftStorage"),
    ("compute1", "OvercloudCompute"),
]


@pytest.fixture
def small_run():
    return build_run(SMALL, fail={"compute1": "PXE: no DHCP offer after 3 tries (dhcp_timeout)"})


@pytest.fixture
def make_run():
    """The builder itself, for tests that need their own shape of run."""
    return build_run
