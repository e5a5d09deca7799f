"""The lab's Redfish service: one sushy-tools emulator (`sushy-emulator`, libvirt driver) per lab,
serving the lab's guests as /redfish/v1/Systems/<domain uuid>.

Rules of this file:
- The emulator binds 127.0.0.1 only, speaks plain HTTP (loopback only) and demands HTTP basic
  auth: its user file is an htpasswd with the lab's user and a bcrypt hash of the lab's generated
  password (mode 0600); the password itself never leaves the lab's 0600 files.
- It serves only the lab's guests (SUSHY_EMULATOR_ALLOWED_INSTANCES: their UUIDs), never another
  libvirt domain of the host.
- The process carries the lab's emulator config path in its argv (`python -m
  sushy_tools.emulator.main --config <lab>/redfish/emulator.conf`): that is how `lab down` and the
  reaper recognise it (`pids_of`), as they recognise the lab's IPMI BMC processes.
- `start` returns once the service root answers an authenticated GET, or raises LabError with
  the log's last line.
"""
from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

MODULE = "sushy_tools.emulator.main"
READY_TIMEOUT_S = 30.0


def config_path(lab_dir: Path) -> Path:
    return lab_dir / "redfish" / "emulator.conf"


def write_config(lab_dir: Path, port: int, uri: str, user: str, password: str, uuids: list[str], write) -> list[Path]:
    """The emulator's config and user file (written with `write(path, text, mode)`); the paths."""
    import bcrypt

    folder = lab_dir / "redfish"
    htpasswd = folder / "htpasswd"
    digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()  # the lab's own secret
    write(htpasswd, f"{user}:{digest}\n", 0o600)
    conf = config_path(lab_dir)
    settings = {"SUSHY_EMULATOR_LISTEN_IP": "127.0.0.1", "SUSHY_EMULATOR_LISTEN_PORT": port,
                "SUSHY_EMULATOR_AUTH_FILE": str(htpasswd), "SUSHY_EMULATOR_LIBVIRT_URI": uri,
                "SUSHY_EMULATOR_ALLOWED_INSTANCES": sorted(uuids), "SUSHY_EMULATOR_IGNORE_BOOT_DEVICE": True}
    write(conf, "".join(f"{k} = {v!r}\n" for k, v in settings.items()), 0o600)
    return [htpasswd, conf]


def start(lab_dir: Path, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", MODULE, "--config", str(config_path(lab_dir))],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=str(lab_dir), env=env,
                                start_new_session=True, close_fds=True)


def wait_ready(proc: subprocess.Popen, port: int, user: str, password: str) -> bool:
    """Whether the emulator's service root answers an authenticated GET within READY_TIMEOUT_S."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/redfish/v1/", headers={"Authorization": f"Basic {token}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with opener.open(request, timeout=2) as answer:
                if answer.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def is_emulator(args: list[str], lab_dir: Path) -> bool:
    return MODULE in args and str(config_path(lab_dir)) in args


def pids_of(lab_dir: Path, cmdline) -> list[int]:
    """Every running emulator of the lab in `lab_dir` (`cmdline(pid)` reads a process's argv)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and is_emulator(cmdline(int(entry.name)), lab_dir):
            pids.append(int(entry.name))
    return pids
