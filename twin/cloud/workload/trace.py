"""Trace replay input: a recorded workload as CSV or Parquet, read strictly, every problem located.

Columns (a header row in CSV; column names in Parquet), case-insensitive, any order:
    submit_s    seconds from the trace's start to the boot request (a number >= 0)
    lifetime_s  seconds the VM lives (> 0); empty or "inf": it is never deleted
    flavor      a flavor name of the scenario's catalogue, or empty when sizes are given
    vcpus, memory_mb, disk_gb   the VM's size instead of a flavor (whole numbers: > 0, > 0, >= 0);
                a size with no matching flavor becomes a flavor named <vcpus>c-<memory_mb>m-<disk_gb>g
    tenant      the project (optional; default "trace")
Rules:
- Every problem is reported, not the first only: `FILE:LINE: column: message`. LINE is the
  physical line in a CSV (header = 1) and the row number (first row = 1) in Parquet; a problem of
  the file as a whole is line 0 with field `file`, of the header line 1. At most MAX_PROBLEMS are
  listed, then one line counting the rest.
- Unknown or repeated columns are errors (a typo must not silently drop a column); blank CSV
  lines are skipped. A row gives a flavor or all three sizes, never both.
- Nothing here raises anything but InputError / UnreadableError, whatever the bytes.
- Reading starts no thread (Parquet is read in the caller's thread): a process that reads a bad
  trace and exits must exit with its own code, never abort in Arrow's thread-pool teardown.
- Replay order is submit time, ties in file order (`TraceRows.order`).
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from twin.errors import InputError, Problem, UnreadableError

COLUMNS = ("submit_s", "lifetime_s", "flavor", "vcpus", "memory_mb", "disk_gb", "tenant")
SIZES = ("vcpus", "memory_mb", "disk_gb")
DEFAULT_TENANT = "trace"
MAX_PROBLEMS = 1000
MAX_FIELD = 1 << 20  # characters in one CSV field


@dataclass
class TraceRows:
    """The parsed rows, in file order."""

    source: str
    submit_s: list[float] = field(default_factory=list)
    lifetime_s: list[float] = field(default_factory=list)  # inf: never deleted
    flavor: list = field(default_factory=list)  # a name, or (vcpus, memory_mb, disk_gb)
    tenant: list[str] = field(default_factory=list)
    line: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.submit_s)

    def order(self) -> list[int]:
        """Row indexes in replay order: by submit time, ties in file order."""
        return sorted(range(len(self.submit_s)), key=lambda i: (self.submit_s[i], i))

    def tenants(self) -> list[str]:
        return list(dict.fromkeys(self.tenant))


class _Problems:
    def __init__(self, source: str):
        self.source = source
        self.items: list[Problem] = []
        self.dropped = 0

    def add(self, line: int, column: str, message: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(self.source, line, column, message))
        else:
            self.dropped += 1

    def raise_if_any(self) -> None:
        if self.items:
            items = list(self.items)
            if self.dropped:
                items.append(Problem(self.source, 0, "file", f"... and {self.dropped} more problems not listed"))
            raise InputError(items)


def read_trace(path: str | Path, flavors: set[str] | None = None, fmt: str = "auto") -> TraceRows:
    """The trace's rows; InputError with every problem. `flavors`: the names a row may give
    (None: any name is accepted, checked later)."""
    path = Path(path)
    source = str(path)
    if fmt == "auto":
        fmt = "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv"
    if fmt == "parquet":
        header, rows = _parquet_rows(path, source)
    else:
        header, rows = _csv_rows(path, source)
    return _parse(source, header, rows, flavors)


# --- reading ------------------------------------------------------------------------------------
def _unreadable(source: str, message: str):
    return UnreadableError([Problem(source, 0, "file", message)])


def _read_bytes(path: Path, source: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise _unreadable(source, "no such file") from None
    except IsADirectoryError:
        raise _unreadable(source, "is a directory, not a trace file") from None
    except OSError as e:
        raise _unreadable(source, e.strerror or "cannot be read") from None


def _csv_rows(path: Path, source: str):
    data = _read_bytes(path, source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _unreadable(source, f"not UTF-8 text ({e.reason})") from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise UnreadableError([Problem(source, line, "row", "contains a NUL byte: not a CSV text file")])
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        rows = []
        header = None
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                raise UnreadableError([Problem(source, start, "row", f"not valid CSV: {e}")]) from None
            if not cells or all(not c.strip() for c in cells):
                continue
            if header is None:
                header = (start, cells)
            else:
                rows.append((start, cells))
    finally:
        csv.field_size_limit(limit)
    if header is None:
        raise InputError([Problem(source, 1, "file", "empty trace: no header line (submit_s,lifetime_s,flavor,...)")])
    return header, rows


def _parquet_rows(path: Path, source: str):
    data = _read_bytes(path, source)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # One thread, no dataset layer: pq.read_table starts Arrow's CPU thread pool, whose workers
        # could still be torn down at interpreter exit and abort it (std::terminate, exit 134)
        # after the errors were printed. A trace is small; reading it in this thread costs nothing.
        table = pq.ParquetFile(pa.BufferReader(data)).read(use_threads=False)
    except Exception as e:  # pyarrow raises many types for a bad file; none of them is ours
        raise _unreadable(source, f"not a readable Parquet file ({type(e).__name__})") from None
    names = [str(n) for n in table.column_names]
    columns = []
    for i in range(table.num_columns):
        try:
            columns.append(table.column(i).to_pylist())
        except Exception as e:
            raise InputError([Problem(source, 1, names[i] or "file",
                                      f"column cannot be read ({type(e).__name__})")]) from None
    rows = [(r + 1, [col[r] for col in columns]) for r in range(table.num_rows)]
    return (1, names), rows


# --- checking -----------------------------------------------------------------------------------
def _parse(source: str, header, rows, flavors: set[str] | None) -> TraceRows:
    problems = _Problems(source)
    header_line, names = header
    index: dict[str, int] = {}
    for i, raw in enumerate(names):
        name = str(raw).strip().lower()
        shown = _clip(name) if name else f"column {i + 1}"
        if name not in COLUMNS:
            problems.add(header_line, shown, f"unknown column (columns: {', '.join(COLUMNS)})")
        elif name in index:
            problems.add(header_line, shown, "column given twice")
        else:
            index[name] = i
    for name in ("submit_s", "lifetime_s"):
        if name not in index:
            problems.add(header_line, name, "required column is missing")
    sizes_given = [s for s in SIZES if s in index]
    if 0 < len(sizes_given) < len(SIZES):
        missing = [s for s in SIZES if s not in index]
        problems.add(header_line, missing[0], f"sizes need all of {', '.join(SIZES)} ({', '.join(missing)} missing)")
    if "flavor" not in index and len(sizes_given) < len(SIZES):
        problems.add(header_line, "flavor", f"give a flavor column, or {', '.join(SIZES)}")
    problems.raise_if_any()

    out = TraceRows(source)
    width = len(names)
    has_sizes = len(sizes_given) == len(SIZES)
    for line, cells in rows:
        if len(cells) != width:
            problems.add(line, "row", f"has {len(cells)} fields, the header has {width}")
            continue
        ok = True

        def cell(name):
            i = index.get(name)
            return None if i is None else cells[i]

        submit = _number(cell("submit_s"))
        if isinstance(submit, str):
            problems.add(line, "submit_s", submit)
            ok = False
        elif submit is None:
            problems.add(line, "submit_s", "is empty (seconds from the trace's start)")
            ok = False
        elif submit < 0 or not math.isfinite(submit):
            problems.add(line, "submit_s", f"must be a finite number >= 0, not {submit!r}")
            ok = False
        life = _number(cell("lifetime_s"), allow_inf=True)
        if isinstance(life, str):
            problems.add(line, "lifetime_s", life)
            ok = False
        elif life is None:
            life = math.inf
        elif not life > 0:
            problems.add(line, "lifetime_s", f"must be > 0 (empty or inf: never deleted), not {life!r}")
            ok = False
        flavor_cell = cell("flavor")
        name = "" if flavor_cell is None else str(flavor_cell).strip()
        size_cells = [cell(s) for s in SIZES] if has_sizes else [None, None, None]
        any_size = any(c is not None and str(c).strip() != "" for c in size_cells)
        flavor = None
        if name and any_size:
            problems.add(line, "flavor", "give a flavor or vcpus/memory_mb/disk_gb, not both")
            ok = False
        elif name:
            if flavors is not None and name not in flavors:
                shown = ", ".join(sorted(flavors)[:8]) + ("..." if len(flavors) > 8 else "")
                problems.add(line, "flavor", f"unknown flavor '{_clip(name)}' (flavors: {shown})")
                ok = False
            flavor = name
        elif any_size:
            sizes = []
            for s, c, least in zip(SIZES, size_cells, (1, 1, 0)):
                v = _whole(c)
                if isinstance(v, str):
                    problems.add(line, s, v)
                    ok = False
                elif v is None:
                    problems.add(line, s, "is empty (all three sizes are needed)")
                    ok = False
                elif v < least:
                    problems.add(line, s, f"must be >= {least}, not {v}")
                    ok = False
                sizes.append(v)
            flavor = tuple(sizes)
        else:
            problems.add(line, "flavor", "no flavor and no vcpus/memory_mb/disk_gb")
            ok = False
        tenant_cell = cell("tenant")
        tenant = DEFAULT_TENANT
        if "tenant" in index:
            tenant = "" if tenant_cell is None else str(tenant_cell).strip()
            if not tenant:
                problems.add(line, "tenant", "is empty (name the project)")
                ok = False
        if ok:
            out.submit_s.append(float(submit))
            out.lifetime_s.append(float(life))
            out.flavor.append(flavor)
            out.tenant.append(tenant)
            out.line.append(line)
    problems.raise_if_any()
    return out


def _clip(text: str, n: int = 40) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= n else text[:n] + "..."


def _number(value, allow_inf: bool = False):
    """float, None (empty) or a message (str)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return f"not a number: {value!r}"
    if isinstance(value, (int, float)):
        try:
            x = float(value)
        except OverflowError:
            return "is too large"
    else:
        text = str(value).strip()
        if not text:
            return None
        try:
            x = float(text)
        except ValueError:
            return f"not a number: '{_clip(text)}'"
    if math.isnan(x):
        return "not a number: NaN"
    if math.isinf(x) and not allow_inf:
        return "must be finite"
    if math.isinf(x) and x < 0:
        return "must be > 0"
    return x


def _whole(value):
    x = _number(value)
    if x is None or isinstance(x, str):
        return x
    if not math.isfinite(x) or x != int(x):
        return f"must be a whole number, not {x!r}"
    if abs(x) > 2**53:
        return "is too large"
    return int(x)
