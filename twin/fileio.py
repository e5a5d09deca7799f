"""Writing files so that a reader sees the old file or the new one, never half of either.

Rules:
- `atomic_write` writes through a temporary file beside the target, created safely (a unique
  name, `O_EXCL | O_NOFOLLOW`, the final mode from creation, so no planted symlink is followed
  and no secret is ever readable by others), flushed to disk, then renamed over the target.
- On any failure (including Ctrl-C) the temporary file is removed and the target is untouched.
- `write` is either the bytes/text to write or a function given the temporary path (for writers
  such as pyarrow's that want a path).
This is the project's one atomic writer; every module that writes an output uses it.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

Writer = bytes | str | Callable[[Path], object]


def atomic_write(path: str | os.PathLike, write: Writer, mode: int = 0o644) -> Path:
    """Write `path` atomically with permissions `mode`; returns the path."""
    target = Path(os.fspath(path))
    directory = target.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = directory / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, flags, mode)
            break
        except FileExistsError:  # a name someone else holds (or planted): draw another
            continue
    try:
        os.fchmod(fd, mode)  # the umask may have narrowed the mode given to open()
        if callable(write):
            os.close(fd)
            fd = -1
            write(tmp)
            fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        else:
            data = write.encode("utf-8") if isinstance(write, str) else write
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, target)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    return target
