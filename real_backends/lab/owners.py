"""Who owns a lab, and reaping the labs whose owner is gone.

A lab made for one process (a test session, a live run that makes its own lab) records its owner:
pid and the process's start time (from /proc/PID/stat), so that a pid reused by another process
is not mistaken for the owner. Every owned lab is also listed in one registry per user,
independent of where the lab lives (TWIN_LAB_ROOT, `--out`, pytest's temporary folders):
  $TWIN_STATE_DIR/owned/<name>.json   (default ~/.local/state/helion-twin/owned)
`reap_stale()` takes down every listed lab whose owner is no longer running; `twin lab up`,
`twin lab status` and the live test session call it. Labs made by `twin lab up` have no owner:
they stay until `twin lab down`.

Rules: the registry folder is made mode 0700; entries hold names and paths only (no secret).
A lab that cannot be reaped (e.g. libvirtd down) stays listed and is tried again next time.
"""
from __future__ import annotations

import json
import os
import signal
from pathlib import Path


def state_dir() -> Path:
    env = os.environ.get("TWIN_STATE_DIR")
    return Path(env) if env else Path.home() / ".local" / "state" / "helion-twin"


def registry() -> Path:
    return state_dir() / "owned"


def process_start(pid: int) -> int | None:
    """The start time of process `pid` in clock ticks since boot, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] == "Z":  # a zombie has ended: it owns nothing any more
        return None
    return int(fields[19])  # field 22 of proc(5), counted after "pid (comm)"


def this_process() -> dict:
    return {"pid": os.getpid(), "start": process_start(os.getpid())}


def owner_alive(owner: dict | None) -> bool:
    if not owner:
        return True  # no owner: a user's lab, never reaped
    return process_start(int(owner["pid"])) == owner.get("start")


def entry_path(name: str) -> Path:
    return registry() / f"{name}.json"


def register(name: str, lab_dir: Path, root: Path, owner: dict) -> None:
    from real_backends.lab.lab import _write

    registry().mkdir(parents=True, exist_ok=True, mode=0o700)
    _write(entry_path(name), json.dumps({"name": name, "dir": str(lab_dir), "root": str(root),
                                         "owner": owner}) + "\n", 0o600)


def unregister(name: str, lab_dir: Path) -> None:
    path = entry_path(name)
    try:
        if Path(json.loads(path.read_text())["dir"]) == Path(lab_dir):
            path.unlink()
    except (OSError, ValueError, KeyError, TypeError):
        pass


def reap_stale() -> list[str]:
    """Take down every registered lab whose owner process is gone; the names reaped."""
    from real_backends.lab.lab import Lab, LabError

    reaped = []
    folder = registry()
    if not folder.is_dir():
        return reaped
    for path in sorted(folder.glob("*.json")):
        try:
            entry = json.loads(path.read_text())
            name, lab_dir, root = entry["name"], entry["dir"], entry["root"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if owner_alive(entry.get("owner")):
            continue
        try:
            Lab(name, lab_dir, root=root).down()
        except LabError:
            continue
        path.unlink(missing_ok=True)
        reaped.append(name)
    return reaped


def owned_labs() -> list[dict]:
    """Every registered owned lab: {"name", "dir", "root", "owner"}."""
    result = []
    folder = registry()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            result.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return result


def owned_by_this_process() -> list[dict]:
    me = this_process()
    return [entry for entry in owned_labs() if entry.get("owner") == me]


def teardown_on_sigterm() -> None:
    """Make SIGTERM take down this process's labs, then end it with status 143 (as SIGTERM
    would). For processes that own labs (test sessions, runs that make their own lab)."""
    def handler(signum, frame):
        from real_backends.lab.lab import Lab

        for entry in owned_by_this_process():
            try:
                Lab(entry["name"], entry["dir"], root=entry["root"]).down()
            except Exception:  # noqa: BLE001 - the next reap_stale() finishes the job
                pass
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os._exit(128 + signal.SIGTERM)

    signal.signal(signal.SIGTERM, handler)
