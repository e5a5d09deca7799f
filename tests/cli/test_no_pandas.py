"""A simulated deployment (`twin run` of a deploy scenario) never imports pandas: its summary and
report are read from the recorder's rows and events.parquet is written with pyarrow alone
(twin/runs/deploy.py, twin/record/recorder.py). pandas costs a third of a second at start-up.
Nor does it import the section models of the other run kinds (twin/runs/scenario.py: about 0.1 s).
Each check runs in a fresh interpreter, so nothing imported by the test session counts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow  # subprocesses

REPO = Path(__file__).resolve().parents[2]

DRIVER = """
import sys
from twin.cli import main
code = main(sys.argv[1:])
print(" ".join(sorted(m for m in sys.modules if m.startswith("twin.cloud.") and m.endswith(".config"))))
print("PANDAS_IMPORTED" if "pandas" in sys.modules else "NO_PANDAS")
sys.exit(code)
"""


def _run_in_fresh_python(*args):
    return subprocess.run([sys.executable, "-c", DRIVER, *args], cwd=REPO, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)


@pytest.mark.parametrize("scenario, code", [("helion-reference", 0), ("helion-faults", 1)])
def test_a_simulated_deployment_imports_no_pandas_and_writes_its_whole_folder(tmp_path, scenario, code):
    out = tmp_path / scenario
    done = _run_in_fresh_python("run", f"scenarios/{scenario}.yaml", "--out", str(out), "--quiet")
    assert done.returncode == code, done.stderr
    *_, section_models, pandas = done.stdout.strip().splitlines()
    assert pandas == "NO_PANDAS"
    assert not {"twin.cloud.vsa.config", "twin.cloud.nova.config", "twin.cloud.workload.config",
                "twin.cloud.day2.config", "twin.cloud.capacity.config"} & set(section_models.split())
    summary = json.loads((out / "summary.json").read_text())
    events = pd.read_parquet(out / "events.parquet")  # read back here, with pandas: the recorder's table
    assert len(events) == summary["counts"]["events"] > 0
    assert list(events["seq"]) == list(range(len(events)))
    assert events["kind"].dtype == "string" and events["value"].dtype == "float64"
    assert "</html>" in (out / "report.html").read_text()


def test_the_check_sees_pandas_when_a_run_imports_it(tmp_path):
    """The driver itself: an operations run summarises with pandas and reads the VSA's section,
    and the check says so."""
    done = _run_in_fresh_python("run", "scenarios/ha-drill.yaml", "--out", str(tmp_path / "ops"), "--quiet")
    assert done.returncode == 0, done.stderr
    *_, section_models, pandas = done.stdout.strip().splitlines()
    assert pandas == "PANDAS_IMPORTED"
    assert "twin.cloud.vsa.config" in section_models.split()
