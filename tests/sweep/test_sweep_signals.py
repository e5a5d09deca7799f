"""Issue 13, defect 13 (the sweep's part): SIGTERM stops `twin sweep` as Ctrl-C does (message,
workers stopped, parts kept, exit 143), and SIGKILL of `twin sweep` leaves no process behind
(its workers exit when it is gone; the fork server and resource tracker follow them).
Real `python -m twin.cli sweep` processes; psutil sees what is left."""
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

REPO = Path(__file__).resolve().parents[2]
REPLICATIONS = 60


def _start(scenario: Path, out: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "twin.cli", "sweep", str(scenario), "--replications", str(REPLICATIONS),
           "--workers", "2", "--out", str(out), "--quiet"]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})


def _running_with_workers(proc: subprocess.Popen, out: Path) -> list[psutil.Process]:
    """Wait (bounded) until 3 parts are written; the sweep's descendants then: fork server,
    resource tracker and 2 workers."""
    deadline = time.monotonic() + 120
    while len(list((out / "parts").glob("*.json"))) < 3:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no 3 parts within 120 s"
        time.sleep(0.02)
    children = psutil.Process(proc.pid).children(recursive=True)
    assert len(children) >= 4, children  # forkserver, resource tracker, 2 workers
    return children


def _reap(proc: subprocess.Popen, children: list[psutil.Process]) -> None:
    """Whatever the test found, end what it started."""
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)
    for pipe in (proc.stdout, proc.stderr):  # unread after a SIGKILL: closed here, not by the collector
        pipe.close()
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


def test_sigkill_of_the_sweep_leaves_no_worker_fork_server_or_tracker(slow_scenario, tmp_path):
    out = tmp_path / "sweep"
    proc = _start(slow_scenario, out)
    children = []
    try:
        children = _running_with_workers(proc, out)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        _, alive = psutil.wait_procs(children, timeout=60)
        assert not alive, f"left running after SIGKILL of twin sweep: {[p.cmdline()[-1][:60] for p in alive]}"
    finally:
        _reap(proc, children)


def test_sigterm_stops_the_sweep_as_ctrl_c_does(slow_scenario, tmp_path):
    out = tmp_path / "sweep"
    proc = _start(slow_scenario, out)
    children = []
    try:
        children = _running_with_workers(proc, out)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 143, stderr
        assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr, stderr
        assert stderr.startswith("twin sweep: terminated (SIGTERM): ")
        done = int(stderr.split("(SIGTERM): ")[1].split()[0])
        assert 3 <= done < REPLICATIONS and f"{done} of {REPLICATIONS} replications finished and kept in {out}" in stderr
        assert len(list((out / "parts").glob("*.json"))) == done and not list((out / "parts").glob(".part-*"))
        _, alive = psutil.wait_procs(children, timeout=60)
        assert not alive, f"left running after SIGTERM: {alive}"
    finally:
        _reap(proc, children)
    resume = shlex.split(stderr.split("resume with: ")[1])
    assert resume[:2] == ["twin", "sweep"] and resume[-2:] == ["--resume", "--quiet"]
    finished = subprocess.run([sys.executable, "-m", "twin.cli", *resume[1:], "--workers", "1"], cwd=REPO,
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=600)
    assert finished.returncode == 0, finished.stderr
    table = pd.read_parquet(out / "results.parquet")
    assert table["replication"].tolist() == list(range(REPLICATIONS))
