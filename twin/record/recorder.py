"""The recorder: collects (time, event) pairs during a run and builds the event-log DataFrame.

Rules: recording is an append (cheap on the hot path); the DataFrame is built once, at the end.
The log is the source of truth: summaries and reports are derived from it. pandas is imported
when a frame is built, not with this module (every run kind's module imports it, and commands
such as `twin schema` or `twin validate` never build a frame).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from twin.record.events import COLUMNS

if TYPE_CHECKING:
    import pandas as pd


class Recorder:
    def __init__(self, echo=None):
        self._rows: list[tuple] = []
        self.echo = echo  # optional callable(time_s, event), e.g. a live progress display

    def record(self, time_s: float, event) -> None:
        self._rows.append((time_s, event))
        if self.echo is not None:
            self.echo(time_s, event)

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self):
        """The log's rows as the table will hold them, (time_s, kind, subject, name, detail, cause,
        value), without building the table (a summary that reads a few kinds of rows)."""
        return ((float(t), *e.row()) for t, e in self._rows)

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        rows = [(i, float(t), *e.row()) for i, (t, e) in enumerate(self._rows)]
        df = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
        df = df.astype({"seq": "int64", "time_s": "float64", "value": "float64"})
        for col in ("kind", "subject", "name", "detail", "cause"):
            df[col] = df[col].astype("string")
        return df


def write_events(df: pd.DataFrame, path: Path) -> None:
    """Write the log as Parquet, byte-for-byte the same for the same log."""
    df.to_parquet(path, index=False, engine="pyarrow", compression="zstd")
