"""The recorder's table, built from its rows without pandas, against pandas itself: the Parquet
file is byte for byte the one `DataFrame.to_parquet` writes for the DataFrame pandas builds from
the same rows (the recorder's DataFrame before pyarrow wrote it directly), and reads back equal."""
from __future__ import annotations

import pandas as pd
import pytest

from twin.record.events import COLUMNS, BmcCall, BootStage, NodeFailed, RunMark, StateChanged
from twin.record.recorder import Recorder, write_events


def _pandas_frame(rec: Recorder) -> pd.DataFrame:
    """The recorder's rows typed by pandas, as the recorder built its DataFrame before."""
    df = pd.DataFrame.from_records(list(rec.records()), columns=list(COLUMNS))
    df = df.astype({"seq": "int64", "time_s": "float64", "value": "float64"})
    for col in ("kind", "subject", "name", "detail", "cause"):
        df[col] = df[col].astype("string")
    return df


def _recorder(n: int) -> Recorder:
    rec = Recorder()
    events = [RunMark("start"), StateChanged("nœud-1", "deploying", "available", "cause «é»"),
              BmcCall("n2", "power_on", "ok", 0.25), BootStage("n2", "post"), NodeFailed("n3", ""),
              BootStage("n2", "image_written", "", 3.5e9)]
    for i in range(n):
        rec.record(i * 1.5, events[i % len(events)])
    return rec


@pytest.mark.parametrize("n", [0, 1, 7, 2000])  # empty, one row, NaN and numbers mixed, past a bitmap byte
def test_the_parquet_file_is_the_one_pandas_writes(tmp_path, n):
    rec = _recorder(n)
    ours, theirs = tmp_path / "ours.parquet", tmp_path / "theirs.parquet"
    write_events(rec, ours)
    _pandas_frame(rec).to_parquet(theirs, index=False, engine="pyarrow", compression="zstd")
    assert ours.read_bytes() == theirs.read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(ours), _pandas_frame(rec))


def test_the_frame_is_the_one_pandas_builds_and_a_frame_writes_the_same_file(tmp_path):
    rec = _recorder(50)
    frame = rec.frame()
    pd.testing.assert_frame_equal(frame, _pandas_frame(rec))
    assert frame["value"].isna().sum() == sum(1 for r in rec.rows() if r[-1] != r[-1]) > 0
    write_events(rec, tmp_path / "rows.parquet")
    write_events(frame, tmp_path / "frame.parquet")
    assert (tmp_path / "rows.parquet").read_bytes() == (tmp_path / "frame.parquet").read_bytes()
