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
import pytest

from twin.sweep import run_sweep

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

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
    assert lines[-1] == (f"results: {out / 'results.parquet'}  summary: {out / 'summary.json'}  "
                         f"report: {out / 'report.html'}")
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")
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


# ---- issue 13: what a new user hit ----------------------------------------------------------

#: `twin` with its address space capped first (what a runaway sweep could take: today's took 6 GB).
#: The cap is set by the child itself, not by a preexec_fn: that would make subprocess fork the
#: test process, which has eventlet loaded (through swift) and warns about fork().
_LIMITED_TWIN = ("import resource, runpy, sys; cap = int(sys.argv.pop(1)); "
                 "resource.setrlimit(resource.RLIMIT_AS, (cap, cap)); "
                 "runpy.run_module('twin.cli', run_name='__main__', alter_sys=True)")


def _twin_limited(*args, gib=3, timeout=300):
    return subprocess.run([sys.executable, "-c", _LIMITED_TWIN, str(gib << 30), *args], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
                          timeout=timeout)


def test_a_billion_replications_are_refused_up_front_with_the_figure(tmp_path):
    proc = _twin_limited("sweep", "scenarios/helion-reference.yaml", "-r", "1000000000", "--out", str(tmp_path / "x"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.stderr.splitlines() == [
        "twin sweep: error: this sweep is 10^9 runs (10^9 replication(s) of 1 point), more than --max-runs 100,000: "
        "use fewer replications or values, or raise --max-runs if you mean it"]
    assert proc.stdout == "" and not (tmp_path / "x").exists()


def test_six_axes_of_a_hundred_values_are_refused_up_front(tmp_path):
    keys = ["post_s", "dhcp_s", "ramdisk_boot_s", "os_boot_s", "image_write_overhead_s", "ipmi_latency_s"]
    sets = [a for key in keys for a in ("--set", f"timing.{key}={','.join(str(v) for v in range(1, 101))}")]
    proc = _twin_limited("sweep", "scenarios/helion-reference.yaml", "-r", "1", *sets, "--out", str(tmp_path / "x"))
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr[-2000:]
    assert proc.stderr.startswith("twin sweep: error: this sweep is 10^12 runs (10^12 point(s) "
                                  "(6 axes: 100 x 100 x 100 x 100 x 100 x 100 values) x 1 replication(s))")


def test_max_runs_lets_a_big_sweep_through_and_points_stay_bounded(tmp_path):
    from twin.sweep import SweepUsageError, run_sweep
    from twin.sweep.spec import MAX_POINTS, plan_sweep

    assert plan_sweep(REPO / "scenarios" / "helion-reference.yaml", 200_000, max_runs=200_000).total == 200_000
    many = {"timing.post_s": list(range(1, 201)), "timing.dhcp_s": list(range(1, 101))}  # 20,000 points
    with pytest.raises(SweepUsageError, match=f"this sweep is 20,000 points .* more than the {MAX_POINTS:,}"):
        run_sweep(REPO / "scenarios" / "helion-reference.yaml", 1, many, max_runs=10**6)
    with pytest.raises(SweepUsageError, match="--workers: at most"):
        run_sweep(REPO / "scenarios" / "helion-reference.yaml", 1, workers=100_000)


def test_tasks_are_made_as_they_are_submitted():
    """Replication r's seed is computed alone (the seed list of a huge R is never built), and the
    tasks of a sweep come from a generator, replication by replication."""
    import inspect

    import numpy as np

    from twin.sweep.core import _tasks
    from twin.sweep.spec import plan_sweep, replication_seed

    children = np.random.SeedSequence(42).spawn(5)
    assert [replication_seed(42, r) for r in range(5)] == [
        int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]
    plan = plan_sweep(REPO / "scenarios" / "helion-reference.yaml", 100_000, {"description": ["a", "b"]},
                      max_runs=200_000)
    tasks = _tasks(plan, {(0, 0): {}})
    assert inspect.isgenerator(tasks)
    first = [next(tasks) for _ in range(3)]
    assert [(t.point, t.replication) for t in first] == [(1, 0), (0, 1), (1, 1)]
    assert first[1].seed == replication_seed(42, 1) and first[1].params == {"description": "a"}


def test_an_infinite_value_is_refused_in_one_line_before_anything_runs(tmp_path):
    """Every number of a scenario is finite (a PXE wait of .inf would run forever), --set too."""
    out = tmp_path / "inf"
    proc = twin("sweep", "scenarios/helion-reference.yaml", "-r", "2", "--set", "timing.post_s=.inf,60",
                "--out", str(out), "--quiet", "--workers", "1")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert "timing.post_s" in proc.stderr and "finite" in proc.stderr
    assert not out.exists()


def test_help_shows_a_plain_percent_sign():
    proc = twin("sweep", "--help")
    assert proc.returncode == 0 and "95% confidence" in proc.stdout and "%%" not in proc.stdout


def test_on_a_terminal_the_header_and_warnings_come_first_then_a_bar_with_count_and_eta(tmp_path):
    import fcntl
    import pty
    import re
    import struct
    import termios

    # the reference scenario without its acknowledgement of the one-VSA-node warning
    scenario = tmp_path / "helion-reference.yaml"
    text = (REPO / "scenarios/helion-reference.yaml").read_text()
    scenario.write_text(text.replace("acknowledge: [vsa-few-nodes]", "acknowledge: []").replace(
        "file: inventories/", f"file: {REPO}/scenarios/inventories/"))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "twin.cli", "sweep", str(scenario), "-r", "100",
                             "--workers", "1", "--out", str(tmp_path / "s")], cwd=REPO, stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, env={**os.environ, "PYTHONPATH": str(REPO)})
    os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=300)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, text[-3000:]
    header = text.index("helion-reference: 1 point(s) x 100 replication(s), base seed 42")
    warning = text.index("warning: ")
    frames = [m.start() for m in re.finditer(r"\d+/100 \[\d\d:\d\d<", text)]
    assert frames, text[-3000:]
    assert warning < frames[0] and header < frames[0]  # printed when the sweep starts, not when it ends
    assert re.search(r" [1-9]\d?/100 \[\d\d:\d\d<\d\d:\d\d, ", text), "no frame with a count and an ETA"
    assert text.index("point  metric") > frames[0]
