"""The interface every run kind provides: one small record of what the kind does at each step.

A run kind (deploy, operations, capacity, durability, ...) is one module of twin/runs/ that ends with
`KIND = RunKind(...)`, and one line in twin/runs/registry.py. Everything that differs between
kinds goes through these fields; nothing elsewhere compares `run:` strings.

Fields (all functions take the scenario `sc` composed in twin/runs/scenario.py):
    name        the scenario's `run:` value
    help        one line for `twin schema` and `twin run --help`
    sections    () -> the scenario sections this kind reads: {key: (model class, default)}, built
                on first call (the models are imported only for the scenarios that need them,
                twin/runs/scenario.py); a section shared by kinds is the same class
    simulate    (sc, inventory, seed, progress) -> RunResult, in the simulated world
    live        (sc, inventory, seed, backend, lab_dir, boot_bind, progress) -> RunResult, or None
                when the kind cannot run live (refused with `live_refusal`)
    live_problems  (loaded, sc) -> located Problems that stop this scenario from running live
    problems    (loaded, sc, inventory) -> (errors, warnings): located Problems the schema alone
                cannot find (names, traces, limits), checked before anything runs
    metrics     (summary) -> {name: float}: one row of a sweep's table
    digest      (summary, out_dir) -> (text, exit code): what `twin run` prints
    report      (events, summary) -> str: the self-contained HTML report; `events` is the log as
                a DataFrame or as the run's Recorder (RunResult.log; `as_frame` makes it a DataFrame)
    compare     (run_a, run_b) -> {"detail": dict, "text": str, "same": bool}, or None: what
                `twin compare` shows beyond the metrics side by side, and its verdict (deploy:
                provision-state sequences and step durations)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _no_problems(loaded, sc, inventory):
    return [], []


@dataclass(frozen=True)
class RunKind:
    name: str
    help: str
    simulate: Callable[..., Any]
    metrics: Callable[[dict], dict]
    digest: Callable[..., tuple[str, int]]
    report: Callable[..., str]
    sections: Callable[[], dict[str, tuple[type, Any]]] = dict
    live: Callable[..., Any] | None = None
    live_refusal: str = ""
    live_problems: Callable[..., list] = lambda loaded, sc: []
    problems: Callable[..., tuple[list, list]] = _no_problems
    compare: Callable[..., dict | None] | None = None
