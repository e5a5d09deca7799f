"""The recorder: collects (time, event) pairs during a run; the event log's table is built from them.

Rules: recording is an append (cheap on the hot path); the table is built once, at the end.
The log is the source of truth: summaries and reports are derived from it. One table, one
schema: `table()` is the Arrow table events.parquet holds (its columns typed, with the pandas
metadata that `pandas.read_parquet` reads back as the recorder's DataFrame), and `frame()` is that
table as a DataFrame. Neither pandas nor pyarrow is imported with this module (every run kind's
module imports it, and `twin schema` or `twin validate` never builds a table); pandas is imported
only for a DataFrame: a deployment writes its log and reads its rows without it.
"""
from __future__ import annotations

import json
from array import array
from itertools import accumulate
from math import isnan
from pathlib import Path
from typing import TYPE_CHECKING

from twin.record.events import COLUMNS

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: Column -> (pandas_type, numpy_type) of the pandas metadata; the other columns are text.
NUMBER_COLUMNS = {"seq": ("int64", "int64"), "time_s": ("float64", "float64"), "value": ("float64", "float64")}
TEXT = ("object", "string")  # pandas' "string" dtype


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

    def records(self):
        """The log's rows with their sequence number, in COLUMNS order (seq, time_s, kind, ...)."""
        return ((i, float(t), *e.row()) for i, (t, e) in enumerate(self._rows))

    def table(self) -> pa.Table:
        """The log as the Arrow table events.parquet holds."""
        import pyarrow as pa

        columns = list(zip(*self.records())) or [()] * len(COLUMNS)
        schema = arrow_schema()
        return pa.Table.from_arrays([_arrow_array(f.type, c) for f, c in zip(schema, columns)], schema=schema)

    def frame(self) -> pd.DataFrame:
        """The log as a pandas DataFrame: seq int64, time_s and value float64, text as "string"."""
        return self.table().to_pandas()


def arrow_schema() -> pa.Schema:
    """The log's Arrow schema, with the pandas metadata pandas itself writes for the recorder's
    DataFrame (so a Parquet file written from the rows is the one `DataFrame.to_parquet` wrote)."""
    from importlib.metadata import version

    import pyarrow as pa

    def column(name):
        pandas_type, numpy_type = NUMBER_COLUMNS.get(name, TEXT)
        return {"name": name, "field_name": name, "pandas_type": pandas_type, "numpy_type": numpy_type,
                "metadata": None}

    pandas_meta = {"index_columns": [], "column_indexes": [], "columns": [column(c) for c in COLUMNS],
                   "attributes": {}, "creator": {"library": "pyarrow", "version": pa.__version__},
                   "pandas_version": version("pandas")}
    types = {"seq": pa.int64(), "time_s": pa.float64(), "value": pa.float64()}
    return pa.schema([pa.field(c, types.get(c, pa.large_string())) for c in COLUMNS],
                     metadata={"pandas": json.dumps(pandas_meta)})


def _arrow_array(arrow_type, values) -> pa.Array:
    """One column as an Arrow array, built from its buffers: `pyarrow.array` imports pandas (to
    check whether it was given a pandas object), which a deployment never needs. A NaN number is
    a null, as pandas writes it; text is UTF-8 with 64-bit offsets (large_string)."""
    import pyarrow as pa

    n = len(values)
    if arrow_type == pa.large_string():
        encoded = [v.encode("utf-8") for v in values]
        offsets = array("q", accumulate(map(len, encoded), initial=0))
        return pa.Array.from_buffers(arrow_type, n, [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])
    if arrow_type == pa.int64():
        return pa.Array.from_buffers(arrow_type, n, [None, pa.py_buffer(array("q", values))])
    valid = bytearray((n + 7) // 8)  # float64: a validity bitmap (least significant bit first)
    nulls = 0
    for i, v in enumerate(values):
        if isnan(v):
            nulls += 1
        else:
            valid[i >> 3] |= 1 << (i & 7)
    data = array("d", [0.0 if isnan(v) else v for v in values])
    return pa.Array.from_buffers(arrow_type, n, [pa.py_buffer(valid) if nulls else None, pa.py_buffer(data)],
                                 null_count=nulls)


def write_events(events, path: Path) -> None:
    """Write the log (a Recorder, or a DataFrame of its columns) as Parquet, byte-for-byte the same
    for the same log."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = events.table() if isinstance(events, Recorder) else pa.Table.from_pandas(events, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def as_frame(events) -> pd.DataFrame:
    """The log as a DataFrame, given as one or as its Recorder (RunResult.log)."""
    return events.frame() if isinstance(events, Recorder) else events
