"""Fixtures of the sweep tests: the reference scenario, a slower one, a real Dask cluster on 127.0.0.1."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "scenarios" / "helion-reference.yaml"
DASK = Path(sys.executable).with_name("dask")


@pytest.fixture
def reference():
    return REFERENCE


@pytest.fixture(scope="session")
def slow_scenario(tmp_path_factory):
    """~40 ms a replication (96 generated nodes), for tests that must interrupt a sweep midway."""
    path = tmp_path_factory.mktemp("slow") / "slow.yaml"
    path.write_text("name: slow\ninventory:\n  generate: {compute: 90}\nlimits_profile: commercial-1.1\n")
    return path


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def dask_scheduler(tmp_path_factory):
    """A real `dask scheduler` and one `dask worker` (1 thread), as separate processes, every socket
    on 127.0.0.1; stopped at the end of the session, whatever happened."""
    if not DASK.exists():
        pytest.fail(f"{DASK} not found: install the package's dependencies (dask[distributed])")
    work = tmp_path_factory.mktemp("dask")
    scheduler_file = work / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = []

    def start(args, log: str):  # each process writes its own log; the test's copy of the file is closed
        with open(work / log, "w") as stderr:
            procs.append(subprocess.Popen([str(DASK), *args], cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=stderr))

    try:
        start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
               "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file)], "scheduler.log")
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() or not scheduler_file.read_text().strip().endswith("}"):
            if procs[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dask scheduler did not start: {(work / 'scheduler.log').read_text()[-2000:]}")
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        start(["worker", address, "--nworkers", "1", "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
               "--no-dashboard", "--dashboard-address", "127.0.0.1:0"], "worker.log")
        from distributed import Client

        with Client(address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)
