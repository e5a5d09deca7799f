"""Load and save swift ring builders (`.builder`) and rings (`.ring.gz`) in swift's own formats.

Rules: a builder file is the pickle `swift-ring-builder` writes (`RingBuilder.to_dict()`, protocol 2,
via `RingBuilder.save`), so either tool opens the other's files. Saving is atomic: the builder is
written to a temporary file created with O_EXCL in the target's folder, made mode 0644 (as swift's
ring writer does), fsynced, then `os.replace`d over the target; on any failure the target is
untouched and the temporary file removed. Rings are written by swift's `RingData.save`, which is
itself atomic. Every failure is a located `twin.errors` error naming the file.

A builder file is a Python pickle, as with `swift-ring-builder`: only open builder files you trust.
"""
from __future__ import annotations

import os
from pathlib import Path

from twin.fileio import atomic_write

from twin.errors import InputError, Problem, UnreadableError

BUILDER_SUFFIX, RING_SUFFIX = ".builder", ".ring.gz"


def unreadable(path, message: str, field: str = "builder") -> UnreadableError:
    return UnreadableError([Problem(str(path), 0, field, message)])


def invalid(path, field: str, message: str) -> InputError:
    return InputError([Problem(str(path), 0, field, message)])


def load_builder(path):
    """The RingBuilder stored in `path`; UnreadableError if it is missing or not a builder file."""
    from swift.common.ring import RingBuilder

    p = Path(path)
    if not p.exists():
        raise unreadable(p, "no such builder file")
    if p.is_dir():
        raise unreadable(p, "is a directory, not a builder file")
    if not os.access(p, os.R_OK):
        raise unreadable(p, "permission denied")
    try:
        builder = RingBuilder.load(str(p))
        builder.devs, builder.replicas, builder.parts
        for dev in builder._iter_devs():
            for key in ("id", "region", "zone", "ip", "port", "device", "weight"):
                dev[key]
    except Exception as e:  # swift raises UnPicklingError, KeyError, TypeError... for a bad file
        raise unreadable(p, f"not a swift ring builder file ({type(e).__name__}: {e})".replace(str(p), "the file"))
    return builder


def save_builder(builder, path) -> None:
    """Write `builder` to `path` atomically, in swift's format (see the module rules)."""
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise unreadable(p, f"folder {folder} does not exist")
    try:
        # swift's own serialisation (it also assigns the builder's id), through the one atomic writer
        atomic_write(p, lambda tmp: builder.save(str(tmp)))
    except OSError as e:
        raise unreadable(p, f"cannot write in {folder}: {e.strerror or type(e).__name__}") from None


def default_ring_path(builder_path) -> Path:
    """Where swift-ring-builder writes the ring of BUILDER: NAME.builder -> NAME.ring.gz."""
    p = Path(builder_path)
    stem = p.name.removesuffix(BUILDER_SUFFIX)
    return p.with_name(stem + RING_SUFFIX)


def write_ring(builder, path, builder_path="", format_version: int = 1) -> Path:
    """Write the builder's ring to `path` with swift's RingData.save (atomic, mode 0644)."""
    p = Path(path)
    if not builder.ever_rebalanced:
        raise invalid(builder_path or p, "rebalance", "the builder was never rebalanced: it has no ring to write")
    if not p.parent.is_dir():
        raise unreadable(p, f"folder {p.parent} does not exist", field="ring")
    builder.get_ring().save(str(p), format_version=format_version)
    return p


def load_ring(path):
    """The RingData of a `.ring.gz` file (swift's reader)."""
    from swift.common.ring import RingData

    p = Path(path)
    if not p.is_file():
        raise unreadable(p, "no such ring file", field="ring")
    try:
        return RingData.load(str(p))
    except Exception as e:
        raise unreadable(p, f"not a swift ring file ({type(e).__name__})", field="ring")
