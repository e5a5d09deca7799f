"""Random streams: one numpy SeedSequence per run, one independent Generator per named purpose.

Rules: no global `random`; a stream is named by purpose ("bmc", "machine"...), never by call
order, so adding a stream does not shift the numbers of another. Same seed, same streams.
"""
from __future__ import annotations

import zlib

import numpy as np


class Streams:
    def __init__(self, seed: int):
        self.seed = int(seed)
        self._streams: dict[tuple[str, ...], np.random.Generator] = {}

    def get(self, *names: str) -> np.random.Generator:
        stream = self._streams.get(names)
        if stream is None:
            key = tuple(zlib.crc32(n.encode()) for n in names)
            stream = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))
            self._streams[names] = stream
        return stream
