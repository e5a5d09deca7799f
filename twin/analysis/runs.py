"""A finished run read back from its folder (events.parquet + summary.json)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from twin.errors import Problem, UnreadableError


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
    try:
        summary = json.loads((path / "summary.json").read_text())
        events = pd.read_parquet(path / "events.parquet")
    except FileNotFoundError as e:
        raise UnreadableError([Problem(str(path), 0, "run", f"not a run folder: {Path(e.filename).name} is missing "
                                                            "(give the --out folder of a 'twin run')")]) from None
    except (OSError, ValueError) as e:
        raise UnreadableError([Problem(str(path), 0, "run", f"cannot read the run: {type(e).__name__}")]) from None
    return RunOnDisk(path, events, summary)
