"""What one run gives back, whatever its kind: the summary, the event log and its flat metrics.

Rules: a leaf (it imports nothing of the twin), so every layer can hand a result up. `metrics` is
one row of a sweep's table, set by the run kind that made the result (twin/runs/); `events` may be
built on first use by a subclass (a capacity run's year of VM churn is a million rows). `files`:
more files of the run's folder, by name, each a writer given the path to write (e.g. the inventory
an operations run changed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RunResult:
    summary: dict
    events: object  # pandas.DataFrame
    metrics: dict[str, float] = field(default_factory=dict)
    out_dir: Path | None = None
    files: dict = field(default_factory=dict)  # name -> write(path)
