"""Shared plumbing of the inventory readers and writers: reading a file as text, quoting a value
safely into a message, and writing a file atomically with owner-only permissions.

Rules:
- A file that cannot be read as UTF-8 text (missing, a directory or other non-regular file,
  permission denied, NUL bytes, undecodable bytes) raises UnreadableError with one Problem naming
  the file (and the line of a bad byte when known). A UTF-8 byte-order mark is tolerated.
- Line ends: "\n", "\r\n" and a lone "\r" (old Mac editors, some spreadsheet exports) all end a
  line, so a file saved with lone CRs is read line by line, not as one line of many fields.
- Every user value quoted in a message goes through `show`: it is truncated, escaped onto one line
  (repr), and replaced by `<redacted>` when any password of the file occurs in it (ignoring
  case), so a message never carries a password that was read as a password.
- Files holding passwords are written via `atomic_write`: temp file in the same directory (mode
  0600 from creation), fsync, rename over the target. A failure raises WriteError.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from twin import fileio
from twin.errors import Problem, TwinError, UnreadableError

SHOW_MAX = 40  # characters of a user value quoted in a message


class WriteError(TwinError):
    """An inventory file could not be written (the message names the file and the OS reason)."""


def unreadable(path: str, message: str, line: int = 0, field: str = "file") -> UnreadableError:
    return UnreadableError([Problem(path, line, field, message)])


def read_text(path: str | os.PathLike) -> str:
    """The file's text with newlines as "\\n"; raises UnreadableError (never OSError)."""
    name = os.fspath(path)
    p = Path(name)
    try:
        if p.is_dir():
            raise unreadable(name, "is a directory, not an inventory file")
        if p.exists() and not p.is_file():  # a FIFO or a device would block or never end
            raise unreadable(name, "is not a regular file")
        data = p.read_bytes()
    except UnreadableError:
        raise
    except FileNotFoundError:
        raise unreadable(name, "no such file") from None
    except PermissionError:
        raise unreadable(name, "permission denied: cannot read the file") from None
    except OSError as exc:  # a FIFO, an I/O error, a name too long...
        raise unreadable(name, f"cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if b"\x00" in data:
        line = _line_at(data, data.index(b"\x00"))
        raise unreadable(name, "contains NUL bytes: this is a binary file, not a text inventory", line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = _line_at(data, exc.start)
        raise unreadable(name, f"is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)", line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _line_at(data: bytes, offset: int) -> int:
    """The 1-based line of byte `offset`, with the line ends read_text uses."""
    head = data[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return head.count(b"\n") + 1


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` unchanged, or `<redacted>` when it contains any of `secrets` (ignoring case)."""
    folded = text.casefold()
    return "<redacted>" if any(s and s.casefold() in folded for s in secrets) else text


def show(value: object, secrets: Iterable[str] = (), quote: bool = True) -> str:
    """`value` for a one-line message (quoted unless quote=False, e.g. for numbers); `<redacted>`
    if it contains any of `secrets`; long values truncated; control characters escaped."""
    text = str(value)
    if redact(text, secrets) != text:  # case-insensitive: values may be normalised (MAC lower-cased)
        return "<redacted>"
    if not quote and text.isprintable() and len(text) <= SHOW_MAX:
        return text
    if len(text) > SHOW_MAX:
        return repr(text[:SHOW_MAX]) + "..."
    return repr(text)


def atomic_write(path: str | os.PathLike, text: str, mode: int = 0o600) -> None:
    """Write `text` to `path` atomically through the project's one writer (twin/fileio.py); the
    file ends with permissions `mode` (0600 default: an inventory holds BMC passwords)."""
    target = Path(os.fspath(path))
    try:
        fileio.atomic_write(target, text, mode)
    except OSError as exc:
        raise WriteError(f"{target}: cannot write the file ({exc.strerror or type(exc).__name__})") from None
