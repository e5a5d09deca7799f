"""A sweep on a real Dask cluster: a `dask scheduler` and a `dask worker` process on 127.0.0.1,
started by the session fixture (conftest.py) and stopped whatever happens."""
from pathlib import Path

import pytest

from twin.sweep import SweepError, SweepUsageError, run_sweep
from twin.sweep.executors import DaskExecutor

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

REFERENCE = Path(__file__).resolve().parents[2] / "scenarios" / "helion-reference.yaml"
AXES = {"network.management_gbps": [1, 10]}


def test_a_sweep_on_dask_equals_the_local_run(dask_scheduler, tmp_path):
    local = run_sweep(REFERENCE, 3, AXES)
    on_dask = run_sweep(REFERENCE, 3, AXES, scheduler=dask_scheduler, out_dir=tmp_path)
    assert on_dask.ran == 6
    assert on_dask.table.drop(columns="wall_s").equals(local.table.drop(columns="wall_s"))
    assert on_dask.summary == local.summary
    assert len(list((tmp_path / "parts").glob("*.json"))) == 6


def test_a_dask_sweep_resumes_a_local_one(dask_scheduler, tmp_path):
    """Where a task ran does not matter: parts from local workers, the rest from the cluster."""
    local = run_sweep(REFERENCE, 3, AXES, out_dir=tmp_path)
    for part in sorted((tmp_path / "parts").glob("*.json"))[::2]:
        part.unlink()
    resumed = run_sweep(REFERENCE, 3, AXES, scheduler=dask_scheduler, out_dir=tmp_path, resume=True)
    assert (resumed.ran, resumed.reused) == (3, 3)
    assert resumed.table.drop(columns="wall_s").equals(local.table.drop(columns="wall_s"))


def test_workers_and_a_scheduler_do_not_mix(dask_scheduler):
    with pytest.raises(SweepUsageError, match="--workers"):
        run_sweep(REFERENCE, 2, workers=2, scheduler=dask_scheduler)


def test_an_unreachable_scheduler_is_a_one_line_error():
    with pytest.raises(SweepError) as e:
        DaskExecutor("tcp://127.0.0.1:9", timeout_s=1)
    assert str(e.value).startswith("--scheduler tcp://127.0.0.1:9: cannot reach the Dask scheduler")
    assert "\n" not in str(e.value)
