"""A sweep's part files: one finished (point, replication) row each, with a checksum; checked on resume.

Rules: a part is the JSON object {"format": 2, "sha256": H, "row": ROW}, H being the SHA-256 of
ROW's canonical JSON text (sorted keys, no spaces; NaN and infinities as Python's json writes
them). A part is trusted only when all of this holds, else `read_part` raises BadPart saying why
(and the sweep runs that replication again): it parses; the checksum matches; the row's point,
replication, seed and parameters are exactly those of the task its file name names; every other
value is a number (NaN allowed: undefined) in its metric kind's range (stats.metric_kind), and
wall_s is a number >= 0. `metric_problem` is the same check for a row a task has just made.
"""
from __future__ import annotations

import hashlib
import json
import math

from twin.sweep.stats import metric_kind, out_of_range

FORMAT = 2


class BadPart(ValueError):
    """A part file that cannot be trusted; the message says why."""


def _canonical(row: dict) -> str:
    return json.dumps(row, sort_keys=True, separators=(",", ":"))


def encode_part(row: dict) -> str:
    """The text of the part file of `row`."""
    return json.dumps({"format": FORMAT, "sha256": hashlib.sha256(_canonical(row).encode()).hexdigest(),
                       "row": row}) + "\n"


def read_part(text: str, head: dict) -> dict:
    """The row of a part file's `text`, checked against `head` (its task's point, parameters,
    replication and seed, as the row must hold them). Raises BadPart."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise BadPart(f"not JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or set(data) != {"format", "sha256", "row"}:
        raise BadPart(f"not a part of format {FORMAT} (an object with format, sha256 and row)")
    row = data["row"]
    if not isinstance(row, dict):
        raise BadPart(f"its row is {type(row).__name__}, not an object")
    if data["sha256"] != hashlib.sha256(_canonical(row).encode()).hexdigest():
        raise BadPart("its checksum does not match its row (changed after it was written)")
    for key, want in head.items():
        if key not in row:
            raise BadPart(f"its row has no '{key}'")
        have = row[key]
        if type(have) is not type(want) or have != want:
            raise BadPart(f"its row's {key} is {have!r}, where its task's is {want!r}")
    if "wall_s" not in row:
        raise BadPart("its row has no 'wall_s'")
    for name, value in row.items():
        if name in head:
            continue
        if name == "wall_s":
            problem = None if type(value) is float and value >= 0 else f"{value!r} is not a number of seconds >= 0"
        else:
            problem = metric_problem(name, value)
        if problem:
            raise BadPart(f"its row's {name}: {problem}")
    return row


def metric_problem(name: str, value: float) -> str | None:
    """Why `value` cannot be the metric `name`'s (None: it can)."""
    if type(value) is not float:  # rows hold floats (JSON reads 1.0 back as a float)
        return f"{value!r} is not a number"
    if math.isnan(value):
        return None
    return out_of_range(metric_kind(name), value)
