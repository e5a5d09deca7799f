"""Output folders: where a run, a sweep or a plan writes, checked before the work and written as a
whole.

Rules:
- `default_out_dir(name, suffix)` is always under reports/: a scenario name such as `../../x` or
  `/tmp/x` becomes one safe folder name, never a path outside.
- `check_out_dir(path)` runs before any simulation and creates nothing: a file in the way, a
  parent that is a file, a folder that cannot be created or written is an OutputError (one line,
  exit 2), not a traceback after the work is done.
- `RunFolder` writes a run's files into a fresh temporary folder beside the target and swaps it
  in at the end, under a lock beside the target: an interrupted run leaves the previous run
  whole, and two runs into one folder leave one complete run (the last), never a mix.
"""
from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from twin.errors import OutputError

REPORTS = Path("reports")


def default_out_dir(name: str, suffix: str = "") -> Path:
    """reports/<name><suffix>, with the name made one safe path component."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-") or "scenario"
    return REPORTS / f"{safe}{suffix}"


def check_out_dir(path: str | os.PathLike) -> Path:
    """The output folder, checked (not created) before any work: it is a folder or can be made one
    where we may write. OutputError if not."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(path, "it is a file, not a folder")
    ancestor = path
    while not ancestor.exists():
        if ancestor.is_symlink():  # a dangling link in the way
            raise OutputError(path, f"{ancestor} is a broken symbolic link")
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(path, "a part of the path is a file, not a folder")
    try:  # the one honest test of "may I write here": try it (and leave nothing behind)
        os.rmdir(tempfile.mkdtemp(prefix=".twin-probe-", dir=ancestor))
    except OSError as e:
        where = "" if ancestor == path else f" (in {ancestor})"
        raise OutputError(path, f"{_reason(e)}{where}") from None
    return path


def _make(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(path, _reason(e)) from None
    return path


def _reason(e: OSError) -> str:
    if e.errno in (errno.ENOTDIR, errno.EEXIST):
        return "a part of the path is a file, not a folder"
    return e.strerror or type(e).__name__


@contextmanager
def run_folder(target: str | os.PathLike):
    """Yield a fresh temporary folder beside `target`; on success it replaces `target` whole."""
    target = _make(check_out_dir(target))
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".new", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        with _locked(target):
            old = target.with_name(f".{target.name}.{os.getpid()}.old")
            os.rename(target, old)  # a rename of folders in one filesystem: instant
            try:
                os.rename(tmp, target)
            except BaseException:
                os.rename(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
    except OSError as e:
        raise OutputError(target, _reason(e)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def _locked(target: Path):
    lock = target.with_name(f".{target.name}.lock")
    fd = os.open(lock, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
