"""The bad-input corpus through the real CLI (issue 13 items 11, 12, 15): each file in corpus/
names on its first line the exit code and the one located line `twin run` must print
(`# expect: EXIT LINE FIELD: MESSAGE`); no traceback, nothing written. Plus the inputs that are
not scenario files: a non-UTF-8 scenario, `--seed -1`, and `twin calibrate` refusals."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from twin.analysis.calibrate import check_calibratable
from twin.analysis.runs import RunOnDisk
from twin.errors import TwinError

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

REPO = Path(__file__).resolve().parents[2]
CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.yaml"))


def twin(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "twin.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=300)


def expectation(path: Path) -> tuple[int, str]:
    first = path.read_text().splitlines()[0]
    code, line, rest = first.removeprefix("# expect: ").split(" ", 2)
    return int(code), f"{path}:{line}: {rest}"


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_each_bad_scenario_is_one_located_line_and_an_exit_code(path, tmp_path):
    code, line = expectation(path)
    done = twin("run", path, "--out", tmp_path / "out", "--quiet")
    assert (done.returncode, done.stderr.splitlines()) == (code, [line])
    assert done.stdout == "" and not (tmp_path / "out").exists()


def test_a_non_utf8_scenario_is_refused_at_the_bad_bytes_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: t\ninventory: {generate: {compute: 1}}\ndescription: caf\xe9\n")
    done = twin("run", path, "--out", tmp_path / "out", "--quiet")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"{path}:3: file: not UTF-8 text: byte 0xe9 cannot be decoded "
                                        "(invalid continuation byte)"]


def test_a_negative_seed_is_one_line_not_a_numpy_traceback(tmp_path):
    done = twin("run", REPO / "scenarios" / "lab-minimum.yaml", "--seed", "-1", "--out", tmp_path / "out", "--quiet")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == ["twin: error: seed: must be a whole number from 0 to 9223372036854775807, not -1"]
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def simulated_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "sim"
    done = twin("run", REPO / "scenarios" / "lab-minimum.yaml", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("args, message", [
    (["--replications", "-5"], "twin: error: --replications: must be a whole number from 1 to 1000, not -5"),
    (["--replications", "0"], "twin: error: --replications: must be a whole number from 1 to 1000, not 0"),
    ([], "twin: error: {run}: a simulated run; calibrate needs a live run (--backend lab|ipmi)"),
])
def test_calibrate_refuses_before_writing_anything(simulated_run, tmp_path, args, message):
    profile = tmp_path / "profiles" / "timing.yaml"
    done = twin("calibrate", simulated_run, "--out", profile, *args)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [message.format(run=simulated_run)]
    assert not (tmp_path / "profiles").exists()


def test_calibrate_accepts_a_live_deployment_and_refuses_other_runs(tmp_path):
    live = {"backend": "lab", "run": "deploy", "deployment": {"makespan_s": 1.0}}
    check_calibratable(RunOnDisk(tmp_path, None, live), 20)
    for summary, words in [({**live, "backend": "ipmi"}, None),
                           ({"backend": "lab", "run": "operations"}, "calibrate fits the timing of a live deployment"),
                           ({**live, "backend": "sim"}, "a simulated run"),
                           ({**live, "backend": None}, "calibrate needs a live run")]:
        if words is None:
            check_calibratable(RunOnDisk(tmp_path, None, summary), 1)
            continue
        with pytest.raises(TwinError, match=words):
            check_calibratable(RunOnDisk(tmp_path, None, summary), 20)
    with pytest.raises(TwinError, match="--replications"):
        check_calibratable(RunOnDisk(tmp_path, None, live), 1001)
    assert json.dumps(live)  # the summary used is a plain JSON document, as read_run gives
