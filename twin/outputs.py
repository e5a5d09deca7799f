"""Output folders: where a run, a sweep or a plan writes, checked before the work and written as a
whole.

Rules:
- `default_out_dir(name, suffix)` is always under reports/: a scenario name such as `../../x` or
  `/tmp/x` becomes one safe folder name, never a path outside.
- `check_out_dir(path)` runs before any simulation and creates nothing: a file in the way, a
  parent that is a file, a folder that cannot be created or written is an OutputError (one line,
  exit 2), not a traceback after the work is done.
- `run_folder` writes a run's files into a fresh temporary folder beside the target and swaps it
  in at the end, under a lock beside the target: an interrupted run leaves the previous run
  whole, and two runs into one folder leave one complete run (the last), never a mix. Another
  run may be swapping the target at any moment, so it can vanish for an instant: the checks
  read each path once (one stat), and the target folder is never made ahead of the swap.
"""
from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import stat
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
    ancestor, mode = _nearest_existing(path)
    if not stat.S_ISDIR(mode):
        raise OutputError(path, "it is a file, not a folder" if ancestor == path
                          else "a part of the path is a file, not a folder")
    _probe(path, ancestor)
    return path


def _nearest_existing(path: Path) -> tuple[Path, int]:
    """The path itself or its nearest ancestor that exists, with its mode (one stat each)."""
    ancestor = path
    while True:
        try:
            return ancestor, os.stat(ancestor).st_mode
        except NotADirectoryError:  # a file further up: find it
            pass
        except FileNotFoundError:
            if ancestor.is_symlink():  # a dangling link in the way
                raise OutputError(path, f"{ancestor} is a broken symbolic link") from None
        except OSError as e:
            raise OutputError(path, _reason(e)) from None
        ancestor = ancestor.parent


def _probe(path: Path, folder: Path) -> None:
    """The one honest test of "may I write here": make a folder in `folder` (and leave nothing)."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".twin-probe-", dir=folder))
    except FileNotFoundError:
        if folder != path:
            raise OutputError(path, f"{folder} vanished while it was checked") from None
        _probe(path, path.parent)  # another run is swapping the folder in (run_folder), beside it
    except OSError as e:
        where = "" if folder == path else f" (in {folder})"
        raise OutputError(path, f"{_reason(e)}{where}") from None


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
    """Yield a fresh temporary folder beside `target`; on success it replaces `target` whole (or
    becomes it)."""
    target = check_out_dir(target)
    _make(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".new", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        with _locked(target):
            old = None
            if os.path.lexists(target):
                if not os.path.isdir(target):  # a file put there while the run ran
                    raise OutputError(target, "it is a file, not a folder")
                # a fresh empty name to rename over (a folder replaces an empty one), so that an old
                # folder another process still holds open cannot block this swap
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
                os.rename(target, old)  # a rename of folders in one filesystem: instant
            try:
                os.rename(tmp, target)
            except BaseException:
                if old is not None:
                    os.rename(old, target)
                raise
            if old is not None:
                _remove(old)
    except OSError as e:
        raise OutputError(target, _reason(e)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _remove(folder: Path) -> None:
    """Remove a replaced run folder; a checker probing in it at that moment (check_out_dir) may
    add an entry while it goes, so it is tried again once."""
    for _ in range(2):
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.lexists(folder):
            return


@contextmanager
def _locked(target: Path):
    lock = target.with_name(f".{target.name}.lock")
    fd = os.open(lock, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
