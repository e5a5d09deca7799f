"""The deployment workflow, unchanged, against a real lab: libvirt/QEMU guests PXE-booting from
the boot endpoint, virtual BMCs driven over IPMI, run through the `twin` command as a user would.
Checked against independent truth: ipmitool's view of the BMCs, and a simulated run of the same
inventory (`twin compare`)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import unique_name

pytestmark = pytest.mark.live
REPO = Path(__file__).resolve().parents[2]
SCENARIO = str(REPO / "scenarios" / "lab-minimum.yaml")
# Ironic Juno's provision states (the scenario default, ironic_release: juno; Helion 1.x)
HAPPY = ["None", "deploying", "wait call-back", "deploying", "active"]


def twin(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "twin.cli", *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=timeout)


@pytest.fixture(scope="module")
def minimum_lab(lab_root):
    """A lab of the Helion minimum: undercloud, 3 controllers, 2 Swift, 1 compute."""
    from real_backends.lab import Lab

    lab = Lab(unique_name("min"), root=lab_root)
    try:
        lab.up(7, owned=True)
        yield lab
    finally:
        lab.down()


@pytest.fixture(scope="module")
def deployed(minimum_lab, tmp_path_factory):
    out = tmp_path_factory.mktemp("lab-run")
    proc = twin("run", SCENARIO, "--backend", "lab", "--inventory", str(minimum_lab.dir / "instackenv.json"),
                "--out", str(out), "--quiet")
    return proc, out


def read(out):
    return json.loads((out / "summary.json").read_text()), pd.read_parquet(out / "events.parquet")


def states_of(events, node):
    return list(events[(events.kind == "state") & (events.subject == node)].name)


def test_the_helion_minimum_deploys_to_active_through_ironics_states(deployed, minimum_lab):
    proc, out = deployed
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary, events = read(out)
    assert summary["backend"] == "lab" and summary["deployment"]["outcome"] == "success"
    nodes = summary["deployment"]["nodes"]
    assert len(nodes) == 7
    for name in nodes:
        assert states_of(events, name) == HAPPY
    roles = sorted(n["role"] for n in nodes.values())
    assert roles.count("OvercloudControl") == 3 and roles.count("Undercloud") == 1
    # the machines really booted: each asked the boot endpoint for its deploy and local-boot scripts
    scripts = events[(events.kind == "boot") & (events.name == "pxe_script")]
    assert set(scripts.subject) == set(nodes)
    assert set(scripts.detail) == {"deploy", "local_boot"}


def test_ipmitool_agrees_with_the_twin_that_every_node_is_powered_on(deployed, minimum_lab, ipmitool):
    secrets = json.loads((minimum_lab.dir / "secrets.json").read_text())
    inventory = json.loads((minimum_lab.dir / "instackenv.json").read_text())
    for node in inventory["nodes"]:
        status = subprocess.run([ipmitool, "-I", "lanplus", "-H", "127.0.0.1", "-p", str(node["pm_port"]),
                                 "-U", secrets["user"], "-P", secrets["password"], "-C", "3", "power", "status"],
                                capture_output=True, text=True, timeout=30)
        assert status.stdout.strip() == "Chassis Power is on", (node["name"], status.stdout, status.stderr)


def test_a_simulated_run_of_the_same_inventory_has_the_same_state_sequences(deployed, minimum_lab, tmp_path):
    _, live = deployed
    sim = tmp_path / "sim"
    assert twin("run", SCENARIO, "--inventory", str(minimum_lab.dir / "instackenv.json"), "--out", str(sim),
                "--quiet").returncode == 0
    proc = twin("compare", str(sim), str(live), "--json")
    assert proc.returncode == 0, proc.stdout
    result = json.loads(proc.stdout)
    assert result["same_states"] and len(result["nodes"]) == 7
    assert {m["step"] for m in result["step_medians"]} >= {"pxe_boot", "local_boot", "deploy"}


def test_calibration_fits_the_lab_and_reports_its_prediction_error(deployed, tmp_path):
    _, live = deployed
    profile = tmp_path / "timing.yaml"
    proc = twin("calibrate", str(live), "--out", str(profile), "--replications", "10")
    assert proc.returncode == 0, proc.stderr
    assert "makespan: live" in proc.stdout and "error" in proc.stdout
    quality = json.loads(profile.with_suffix(".quality.json").read_text())
    # the calibrated simulation predicts the lab's makespan: a loose bound, a real check
    assert abs(quality["makespan_error"]) < 0.25, quality
    steps = {s["step"]: s for s in quality["steps"]}
    assert abs(steps["pxe_boot"]["sim_s"] - steps["pxe_boot"]["live_s"]) < 2.0
    # and the profile is usable as it is
    again = tmp_path / "again"
    assert twin("run", SCENARIO, "--timing", str(profile), "--out", str(again), "--quiet").returncode == 0


def test_passwords_appear_in_no_output_of_a_live_run(deployed, minimum_lab):
    proc, out = deployed
    password = json.loads((minimum_lab.dir / "secrets.json").read_text())["password"]
    assert password not in proc.stdout + proc.stderr
    for path in out.iterdir():
        assert password.encode() not in path.read_bytes()


def test_faulty_nodes_fail_with_their_causes_while_the_others_reach_active(minimum_lab, tmp_path):
    """One run, three operator errors in the inventory: a wrong BMC password (swift), a BMC
    address where nothing answers (swift), a wrong MAC so the guest never gets a deploy (compute)."""
    inventory = json.loads((minimum_lab.dir / "instackenv.json").read_text())
    wrong_password, unreachable, wrong_mac = (inventory["nodes"][i]["name"] for i in (4, 5, 6))
    inventory["nodes"][4]["pm_password"] = "not-the-password"
    inventory["nodes"][5]["pm_port"] = 9  # UDP discard port on 127.0.0.1: nothing answers IPMI there
    inventory["nodes"][6]["mac"] = ["52:54:00:de:ad:01"]
    faulty = tmp_path / "instackenv.json"
    faulty.write_text(json.dumps(inventory))
    out = tmp_path / "out"
    proc = twin("run", SCENARIO, "--backend", "lab", "--inventory", str(faulty), "--lab", str(minimum_lab.dir),
                "--out", str(out), "--quiet")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a deployment with failures, not a crash
    assert "Traceback" not in proc.stderr and "not-the-password" not in proc.stdout + proc.stderr
    summary, events = read(out)
    nodes = summary["deployment"]["nodes"]
    assert [n for n, v in nodes.items() if v["state"] != "active"] == sorted([wrong_password, unreachable, wrong_mac])

    assert nodes[wrong_password]["state"] == "None" and "credentials" in nodes[wrong_password]["cause"]
    assert "127.0.0.1:" in nodes[wrong_password]["cause"]  # names the BMC address

    assert nodes[unreachable]["state"] == "None"  # Juno: a node failing the BMC check stays in NOSTATE
    assert "timeout" in nodes[unreachable]["cause"] or "unreachable" in nodes[unreachable]["cause"]
    enrolled = events[(events.subject == unreachable) & (events.kind == "state")].time_s.iloc[0]
    failed = events[(events.subject == unreachable) & (events.kind == "failure")].time_s.iloc[-1]
    took = failed - enrolled
    assert took <= 20 + 5 + 5  # ipmi_retry_timeout_s + one call timeout + slack: bounded, as configured

    assert nodes[wrong_mac]["state"] == "deploy failed" and "deploy ramdisk callback" in nodes[wrong_mac]["cause"]
    waited = events[(events.subject == wrong_mac) & (events.kind == "state")]
    wait_start = waited[waited.name == "wait call-back"].time_s.iloc[0]
    failed_at = waited[waited.name == "deploy failed"].time_s.iloc[0]
    assert 60 <= failed_at - wait_start <= 60 + 5 + 5  # the callback timeout, noticed at the periodic check
    rogues = events[(events.kind == "boot") & (events.name == "rogue_node")]
    assert len(rogues) >= 1  # the guest did PXE-boot, and the endpoint refused its unknown MAC
