"""A finished run read back from its folder (events.parquet + summary.json).

Rules: a folder that is not a run's is refused in one located line that says what it is
instead (a sweep's or a plan's folder, a folder with a file missing, an unreadable file).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from twin.errors import Problem, UnreadableError

#: Files that mark another kind of output folder, and what to call it.
OTHER_FOLDERS = {"sweep.json": "a sweep's folder (twin sweep)", "plan.json": "a plan's folder (twin plan capacity)"}


@dataclass
class RunOnDisk:
    path: Path
    events: pd.DataFrame
    summary: dict

    @property
    def label(self) -> str:
        return f"{self.summary.get('backend', '?')}:{self.path.name}"


def read_run(path: str | Path) -> RunOnDisk:
    path = Path(path)

    def refuse(message: str):
        return UnreadableError([Problem(str(path), 0, "run", message)])

    if not path.is_dir():
        raise refuse("no such folder" if not path.exists() else "a file, not a run's folder")
    for marker, what in OTHER_FOLDERS.items():
        if (path / marker).is_file():
            raise refuse(f"{what}, not a run's; give the --out folder of a 'twin run'")
    missing = [name for name in ("summary.json", "events.parquet") if not (path / name).is_file()]
    if missing:
        raise refuse(f"not a run folder: {' and '.join(missing)} missing (give the --out folder of a 'twin run')")
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        events = pd.read_parquet(path / "events.parquet")
    except (OSError, ValueError) as e:
        raise refuse(f"cannot read the run: {type(e).__name__}") from None
    if not isinstance(summary, dict):
        raise refuse("summary.json is not a run's summary (not a JSON object)")
    return RunOnDisk(path, events, summary)
