"""Random streams: one numpy SeedSequence per run, one independent Generator per named purpose.

Rules: no global `random`; a stream is named by purpose ("bmc", "machine"...), never by call
order, so adding a stream does not shift the numbers of another. Same seed, same streams.
A seed is a whole number 0 <= seed <= MAX_SEED (it fits the int64 columns runs are stored in);
`check_seed` refuses anything else with a TwinError before a world is built.
"""
from __future__ import annotations

import zlib

import numpy as np

from twin.errors import TwinError

#: The largest seed: 2**63 - 1, so a seed fits the signed 64-bit integers of Parquet and JSON readers.
MAX_SEED = 2**63 - 1


def check_seed(seed) -> None:
    """Raise TwinError unless `seed` is a whole number 0..MAX_SEED (numpy refuses negatives)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise TwinError(f"seed: must be a whole number from 0 to {MAX_SEED}, not {seed!r}")


class Streams:
    def __init__(self, seed: int):
        check_seed(seed)
        self.seed = int(seed)
        self._streams: dict[tuple[str, ...], np.random.Generator] = {}

    def get(self, *names: str) -> np.random.Generator:
        stream = self._streams.get(names)
        if stream is None:
            key = tuple(zlib.crc32(n.encode()) for n in names)
            stream = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))
            self._streams[names] = stream
        return stream
