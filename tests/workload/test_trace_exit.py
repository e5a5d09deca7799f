"""A process that reads a bad Parquet trace exits with its own code (issue 13 item 11): reading
it used to start Arrow's CPU thread pool (pq.read_table), whose teardown at interpreter exit
sometimes aborted the process (exit 134, "terminate called without an active exception") after
the right errors were printed. The reader now starts no thread at all."""
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

REPO = Path(__file__).resolve().parents[2]
RUNS = 5  # the abort was intermittent (2 of 45 sweeps on a loaded machine): repeat

COUNT_THREADS = """
import os, sys
import pyarrow.parquet  # importing Arrow may start threads of its own; reading must start none
from twin.errors import InputError
from twin.cloud.workload.trace import read_trace
def threads():
    return len(os.listdir("/proc/self/task"))
before = threads()
try:
    read_trace(sys.argv[1], {"m1.small"})
except InputError as e:
    print(len(e.problems), file=sys.stderr)
print(before, threads())
"""


@pytest.fixture
def bad_parquet(tmp_path):
    path = tmp_path / "bad.parquet"
    n = 20_000
    table = pa.table({"submit_s": [float(i % 7 - 3) for i in range(n)], "lifetime_s": [-1.0] * n,
                      "flavor": ["nope"] * n})
    pq.write_table(table, path, row_group_size=500)  # many row groups: a threaded read would use the pool
    return path


def run(args, **kw):
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=120, **kw)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads through /proc")
def test_reading_a_parquet_trace_starts_no_thread(bad_parquet):
    done = run(["-c", COUNT_THREADS, str(bad_parquet)])
    assert done.returncode == 0, done.stderr
    before, after = map(int, done.stdout.split())
    assert after == before
    assert int(done.stderr.strip()) > 0  # the trace was read and refused


def test_a_run_refusing_a_bad_parquet_trace_always_exits_1(bad_parquet, tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"name: s\nrun: capacity\ninventory: {{generate: {{compute: 1}}}}\n"
                        f"workload: {{start: empty, traces: [{{file: {bad_parquet.name}}}]}}\n")
    for i in range(RUNS):
        done = run(["-m", "twin.cli", "run", str(scenario), "--out", str(tmp_path / f"out{i}"), "--quiet"])
        assert done.returncode == 1, done.stderr[-500:]
        assert "terminate called" not in done.stderr and "Traceback" not in done.stderr
        assert done.stderr.splitlines()[0] == f"{bad_parquet}:1: submit_s: must be a finite number >= 0, not -3.0"
        assert not (tmp_path / f"out{i}").exists()
