"""A sweep's folder: its definition, one part file per finished task, the results and summary.

Layout of DIR:
    sweep.json          the definition (scenario and inventory hashes, axes, replications, seed)
    parts/P-R.json      one finished task's row (point P, replication R) with its checksum (parts.py),
                        written atomically
    results.parquet     every row, ordered by point and replication (written at the end)
    summary.json        means and intervals per point and metric (written at the end)

Rules: a part is written to a temporary file in parts/ and renamed into place, so a part that
exists is complete, whatever interrupted the sweep (Ctrl-C, a crash, a killed process); parts
are never rewritten; `--resume` reuses every part that passes its checks (parts.read_part:
schema, checksum, the task its name names), deletes the others saying why, and runs the missing
tasks, and only when the definition is the same; without `--resume` a folder that holds finished parts is refused (one
without parts, such as a sweep stopped before its first replication, is simply started again).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from twin import fileio
from twin.sweep.parts import BadPart, encode_part, read_part
from twin.sweep.spec import SweepError, SweepUsageError

MANIFEST = "sweep.json"
PARTS = "parts"
_PART = re.compile(r"^(\d+)-(\d+)\.json$")
MAX_NOTES = 5  # bad parts named one by one; the rest are counted
_DESCRIBE = {"scenario_sha256": "the scenario file changed", "inventory_sha256": "the inventory file changed",
             "axes": "the --set axes differ", "replications": "--replications differs", "seed": "the seed differs"}


class SweepStore:
    def __init__(self, out_dir: str | os.PathLike):
        self.dir = Path(out_dir)
        self.parts = self.dir / PARTS

    def existing_parts(self) -> dict[tuple[int, int], Path]:
        found = {}
        if self.parts.is_dir():
            for p in self.parts.iterdir():
                m = _PART.match(p.name)
                if m:
                    found[(int(m.group(1)), int(m.group(2)))] = p
        return found

    def open(self, definition: dict, resume: bool, head_of) -> tuple[dict[tuple[int, int], dict], list[str]]:
        """Prepare the folder; return the rows of the tasks already finished (resume only) and a
        line per part that failed its checks (deleted: its task runs again). head_of((P, R)) is
        what the row of task (P, R) must begin with, or None when the sweep has no such task.
        A folder without parts holds nothing to lose or resume: it is (re)started as this sweep."""
        manifest = self.dir / MANIFEST
        parts = self.existing_parts()
        if parts:
            if not resume:
                raise SweepUsageError(
                    f"{self.dir} already holds a sweep ({len(parts)} replication(s) finished): "
                    f"add --resume to continue it, or choose another --out")
            old = self._read_manifest(manifest)
            if old != definition:
                why = "; ".join(_DESCRIBE.get(k, k) for k in _DESCRIBE if old.get(k) != definition.get(k)) \
                    or "its definition differs"
                raise SweepUsageError(f"cannot resume the sweep in {self.dir}: {why} (run the same command "
                                      f"as before to resume it, or choose another --out)")
        self.parts.mkdir(parents=True, exist_ok=True)
        for stale in self.parts.glob(".part-*"):  # temporaries of an interrupted write
            stale.unlink(missing_ok=True)
        if not parts:
            write_atomically(manifest, json.dumps({"format": 1, "definition": definition}, indent=2) + "\n")
        done, bad = {}, []
        for key, path in sorted(parts.items()):
            try:
                head = head_of(key)
                if head is None:
                    raise BadPart("this sweep has no such point and replication")
                done[key] = read_part(path.read_bytes().decode("utf-8", errors="replace"), head)
            except (OSError, BadPart) as e:
                bad.append(f"{path}: {e}")
                path.unlink(missing_ok=True)
        notes = [f"warning: {line}; it runs again" for line in bad[:MAX_NOTES]]
        if len(bad) > MAX_NOTES:
            notes.append(f"warning: and {len(bad) - MAX_NOTES:,} more bad part(s) in {self.parts}; they run again")
        return done, notes

    def _read_manifest(self, manifest: Path) -> dict:
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            return data["definition"]
        except (OSError, ValueError, KeyError, TypeError):
            raise SweepError(f"cannot resume the sweep in {self.dir}: {manifest.name} is missing or unreadable "
                             f"(choose another --out)") from None

    def write_part(self, row: dict) -> Path:
        path = self.parts / f"{row['point']:05d}-{row['replication']:06d}.json"
        write_atomically(path, encode_part(row))
        return path


def write_atomically(path: Path, write) -> None:
    """The project's one atomic writer (twin/fileio.py): text, bytes, or a function of the temp path."""
    fileio.atomic_write(path, write)
