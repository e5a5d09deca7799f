"""`twin sweep` as a user runs it: real processes, real files, a real Ctrl-C (SIGINT)."""
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil

from twin.sweep import run_sweep

REPO = Path(__file__).resolve().parents[2]


def twin(*args, cwd=REPO, timeout=300):
    return subprocess.run([sys.executable, "-m", "twin.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=timeout)


def test_the_reference_sweep(tmp_path):
    out = tmp_path / "sweep"
    proc = twin("sweep", "scenarios/helion-reference.yaml", "--replications", "3",
                "--set", "network.management_gbps=1,10", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    table = pd.read_parquet(out / "results.parquet")
    assert len(table) == 6 and sorted(table["network.management_gbps"].unique()) == [1, 10]
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["points"]) == 2 and summary["replications"] == 3
    lines = proc.stdout.splitlines()
    assert lines[0] == "helion-reference: 2 point(s) x 3 replication(s), base seed 42"
    assert lines[1].split()[:4] == ["point", "network.management_gbps", "metric", "n"]
    assert sum(1 for line in lines if " makespan_s " in line) == 2
    assert lines[-1] == f"results: {out / 'results.parquet'}  summary: {out / 'summary.json'}"
    # the same command again: refused without --resume, a no-op with it
    again = twin("sweep", "scenarios/helion-reference.yaml", "--replications", "3",
                 "--set", "network.management_gbps=1,10", "--out", str(out), "--quiet")
    assert again.returncode == 2 and "--resume" in again.stderr and len(again.stderr.splitlines()) == 1
    resumed = twin("sweep", "scenarios/helion-reference.yaml", "--replications", "3",
                   "--set", "network.management_gbps=1,10", "--out", str(out), "--quiet", "--resume")
    assert resumed.returncode == 0 and "(6 finished before, 0 to run)" in resumed.stdout


def test_bad_set_arguments_are_one_line_errors(tmp_path):
    cases = [(["--set", "timing.post=60,90"], 2, "--set timing.post=60,90: timing.post: unknown key"),
             (["--set", "timing.post_s"], 2, "--set timing.post_s: expected key=value1,value2"),
             (["--set", "network.management_gbps=0,10"], 1, "value 0: network.management_gbps: Input should be"),
             (["--set", "policy=yolo"], 1, "--set policy=yolo: value yolo: policy:")]
    for args, code, text in cases:
        proc = twin("sweep", "scenarios/helion-reference.yaml", "-r", "2", *args, "--out", str(tmp_path / "x"),
                    "--quiet")
        assert proc.returncode == code, (args, proc.stderr)
        assert proc.stderr.startswith("twin sweep: error: ") and text in proc.stderr
        assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
        assert proc.stdout == ""
    assert not (tmp_path / "x").exists()  # nothing ran, nothing was written
    missing = twin("sweep", "nope.yaml", "-r", "2", "--quiet", "--out", str(tmp_path / "y"))
    assert missing.returncode == 2 and "nope.yaml:0: file: no such file" in missing.stderr


def test_ctrl_c_keeps_finished_replications_and_the_printed_command_resumes(slow_scenario, tmp_path):
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "twin.cli", "sweep", str(slow_scenario), "--replications", "40", "--workers", "2",
           "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 60
        while len(list((out / "parts").glob("*.json"))) < 3:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no parts within 60 s"
            time.sleep(0.01)
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len([w for w in workers if w.is_running()]) >= 2  # the fork server and its workers
        os.kill(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr
    assert stderr.startswith("twin sweep: interrupted: ")
    done = int(stderr.split("interrupted: ")[1].split()[0])
    assert 3 <= done < 40 and f"{done} of 40 replications finished and kept in {out}" in stderr
    assert len(list((out / "parts").glob("*.json"))) == done
    assert not list((out / "parts").glob(".part-*")) and not (out / "results.parquet").exists()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"worker processes left running: {alive}"

    resume = shlex.split(stderr.split("resume with: ")[1])
    assert resume[:2] == ["twin", "sweep"] and "--resume" in resume
    finished = twin(*resume[1:])
    assert finished.returncode == 0, finished.stderr
    assert f"({done} finished before, {40 - done} to run)" in finished.stdout
    whole = run_sweep(slow_scenario, 40, workers=2)
    table = pd.read_parquet(out / "results.parquet")
    assert table.drop(columns="wall_s").equals(whole.table.drop(columns="wall_s"))
