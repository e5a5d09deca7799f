"""The lab's own safety: planted symlinks and shared folders (issue 13 item 10), credential file
modes, and labs whose owner died (issue 13 item 13, issue 12 item 6). Real libvirt guests and
BMC processes; psutil and virsh are the independent witnesses."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from real_backends.lab import Lab

from conftest import unique_name
from test_live_lab import guests

pytestmark = pytest.mark.live
REPO = Path(__file__).resolve().parents[2]


def lab_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "real_backends.lab.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def bmc_pids(lab_dir: Path) -> set[int]:
    found = set()
    for proc in psutil.process_iter(["pid", "cmdline"]):
        args = proc.info["cmdline"] or []
        if "real_backends.lab.bmcd" in args and any(str(lab_dir) in a for a in args):
            found.add(proc.info["pid"])
    return found


def udp_ports_in_use(ports: set[int]) -> set[int]:
    return {c.laddr.port for c in psutil.net_connections("udp") if c.laddr and c.laddr.port in ports}


def test_lab_up_refuses_a_shared_folder_and_never_follows_a_planted_symlink(tmp_path, lab_root):
    folder, target = tmp_path / "D", tmp_path / "T"
    folder.mkdir()
    os.chmod(folder, 0o777)
    (folder / ".secrets.json.tmp").symlink_to(target)  # the attack of issue 13 item 10
    name = unique_name("sy")
    env = dict(os.environ, TWIN_LAB_ROOT=str(lab_root))
    proc = lab_cli("up", "--nodes", "1", "--name", name, "--out", str(folder), env=env)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and str(folder) in proc.stderr and "world-writable" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not target.exists() and f"twin-{name}-0" not in guests()

    os.chmod(folder, 0o700)  # a private folder: up works, and still never follows the symlink
    lab = Lab(name, folder, root=lab_root)
    try:
        lab.up(1)
        assert not target.exists()
        secret = json.loads((folder / "secrets.json").read_text())["password"]
        for path in [folder / "secrets.json", folder / "instackenv.json", folder / "state.json",
                     *(folder / "bmc").glob("*.json")]:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert all(secret not in p.read_text() for p in [folder / "lab.json"])
        assert not [p for p in folder.glob(".*.tmp") if not p.is_symlink()]  # no temporary file left
    finally:
        lab.down()
    assert (folder / ".secrets.json.tmp").is_symlink() and not target.exists()


OWNER = """
import sys, time
from real_backends.lab import Lab, owners
if sys.argv[3] == "term":
    owners.teardown_on_sigterm()
Lab(sys.argv[1], root=sys.argv[2]).up(2, owned=True)
print("ready", flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_lab_whose_owner_is_gone_is_reaped(sig, lab_root, tmp_path):
    name = unique_name("ow" + ("k" if sig == signal.SIGKILL else "t"))
    env = dict(os.environ, TWIN_LAB_ROOT=str(lab_root), TWIN_STATE_DIR=str(tmp_path / "state"),
               PYTHONPATH=str(REPO))
    owner = subprocess.Popen([sys.executable, "-c", OWNER, name, str(lab_root),
                              "term" if sig == signal.SIGTERM else "kill"],
                             cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lab = Lab(name, root=lab_root)
    try:
        assert owner.stdout.readline().strip() == "ready", owner.stderr.read() if owner.poll() is not None else ""
        state = json.loads(lab.state_path.read_text())
        ports = {n["bmc_port"] for n in state["nodes"]}
        pids = bmc_pids(lab.dir)
        assert len(pids) == 2 and udp_ports_in_use(ports) == ports
        assert {f"twin-{name}-0", f"twin-{name}-1"} <= set(guests())
        listed = lab_cli("status", "--name", "other", env=env)  # the owner lives: listed, not reaped
        assert f"owned lab {name} in {lab.dir} (owner pid {owner.pid})" in listed.stdout, listed.stdout
        assert {f"twin-{name}-0", f"twin-{name}-1"} <= set(guests())
        owner.send_signal(sig)
        owner.wait(timeout=120)
        if sig == signal.SIGKILL:  # nothing ran in the owner: the lab is still there ...
            assert {f"twin-{name}-0", f"twin-{name}-1"} <= set(guests())
            status = lab_cli("status", "--name", "other", env=env)  # ... until the next status
            assert f"lab {name}: its owner process is gone; taken down" in status.stderr
        else:
            assert owner.returncode == -signal.SIGTERM or owner.returncode == 128 + signal.SIGTERM
        assert not [g for g in guests() if g.startswith(f"twin-{name}-")]
        assert not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        assert udp_ports_in_use(ports) == set()
        assert not lab.dir.exists() and not (tmp_path / "state" / "owned" / f"{name}.json").exists()
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        owner.stdout.close()
        owner.stderr.close()
        Lab(name, root=lab_root).down()


def test_a_test_session_stopped_by_sigterm_takes_its_lab_down(lab_root, tmp_path):
    """The case of issue 13 item 13: `pytest tests/live` stopped with SIGTERM (e.g. by `timeout`)
    while its session lab exists. The session's SIGTERM handler takes the lab down."""
    env = dict(os.environ, PYTHONPATH=str(REPO), TWIN_STATE_DIR=str(tmp_path / "state"))
    session = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                                f"{Path(__file__).with_name('session_holder.py')}::test_hold_the_session_lab"],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    name = None
    try:
        for line in session.stdout:
            if line.startswith("holding "):
                name = line.split()[1]
                break
        assert name, "the session never made its lab"
        made = [g for g in guests() if g.startswith(f"twin-{name}-")]
        assert len(made) == 3
        registered = json.loads((tmp_path / "state" / "owned" / f"{name}.json").read_text())
        pids = bmc_pids(Path(registered["dir"]))
        assert len(pids) == 3
        session.send_signal(signal.SIGTERM)
        session.wait(timeout=120)
        assert session.returncode in (-signal.SIGTERM, 128 + signal.SIGTERM)
        assert not [g for g in guests() if g.startswith(f"twin-{name}-")]
        assert not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        assert not Path(registered["dir"]).exists()
    finally:
        if session.poll() is None:
            session.kill()
            session.wait()
        if name:
            subprocess.run([sys.executable, "-m", "real_backends.lab.cli", "status", "--name", name], cwd=REPO,
                           env=env, capture_output=True, timeout=300, check=False)  # reaps what is left
