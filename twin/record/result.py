"""What one run gives back, whatever its kind: the summary, the event log and its flat metrics.

Rules: a leaf (it imports nothing of the twin, nor pandas), so every layer can hand a result up.
`metrics` is one row of a sweep's table, set by the run kind that made the result (twin/runs/).
`events` (the event log as a pandas DataFrame) is built on first use and then kept: a run gives
either the frame itself, or what builds it: its Recorder (twin/record/recorder.py) or a `build`
function (a capacity run's year of VM churn is a million rows a sweep never reads). `log` is the
log as cheaply as it is at hand, for whoever can read a Recorder's rows (the deployment report,
twin/record/recorder.py write_events) without pandas. `files`: more files of the run's folder, by
name, each a writer given the path to write (e.g. the inventory an operations run changed).
"""
from __future__ import annotations

from pathlib import Path


class RunResult:
    def __init__(self, summary: dict, events=None, metrics: dict[str, float] | None = None,
                 out_dir: Path | None = None, files: dict | None = None, *, recorder=None, build=None):
        self.summary = summary
        self.metrics = dict(metrics or {})
        self.out_dir = out_dir
        self.files = dict(files or {})  # name -> write(path)
        self.recorder = recorder  # a Recorder whose rows are the log, or None
        self._events = events  # pandas.DataFrame, or None until built
        self._build = build if build is not None else (recorder.frame if recorder is not None else None)
        if events is None and self._build is None:
            raise ValueError("a RunResult needs its events, a recorder or a build function")

    @property
    def events(self):
        """The event log as a pandas DataFrame (twin/record/events.py COLUMNS), built once."""
        if self._events is None:
            self._events = self._build()
        return self._events

    @events.setter
    def events(self, frame) -> None:
        self._events = frame

    @property
    def log(self):
        """The DataFrame when it is built (or the run gave it), else the Recorder when the run has
        one (its rows, no pandas), else the DataFrame, built now."""
        if self._events is None and self.recorder is not None:
            return self.recorder
        return self.events

    def __repr__(self) -> str:
        return f"RunResult(summary={self.summary.get('scenario')!r}, metrics={self.metrics!r})"
