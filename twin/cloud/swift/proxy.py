"""Swift's proxy paths on a ring, as pure functions of which devices are up: where an object lives
(md5 of its path, as swift), and whether a read or a write of a partition succeeds.

Rules (the 2014 / Juno proxy, docs/storage.md): a GET tries the partition's primaries, then
handoffs, and succeeds if a node holding the object answers (here: an up primary; objects written
to handoffs during an outage are not tracked). A PUT walks primaries then handoffs, up to
`request_node_count` nodes (Juno default 2 x replicas), connects to as many up nodes as there are
primaries, and succeeds with a quorum of them, n // 2 + 1 (Juno's `quorum_size`). Primaries and
handoffs come from swift's own `Ring` (`get_part_nodes`, `get_more_nodes`), built in memory from
the builder; a partition's availability weighs every partition equally (objects are spread
uniformly by the hash). Operations runs use the same rules vectorised over the replica table
(twin/cloud/swift/model.py); `availability` here is the partition-by-partition reference.
"""
from __future__ import annotations

import itertools
import math
import struct
from hashlib import md5

import numpy as np

from twin.cloud.swift.analyze import replica_table


def write_quorum(replicas: int) -> int:
    """Successful writes a PUT needs in the 2014 releases: n // 2 + 1 (swift.common.utils.quorum_size, Juno)."""
    return replicas // 2 + 1


def request_node_count(replicas: int) -> int:
    """Nodes a proxy tries per request: Juno's `request_node_count = 2 * replicas`."""
    return 2 * replicas


def partition_of(part_power: int, account: str, container: str | None = None, obj: str | None = None,
                 prefix: bytes = b"", suffix: bytes = b"") -> int:
    """The partition of /account[/container[/object]]: top part_power bits of md5(prefix/path suffix),
    as swift's hash_path and Ring.get_part compute it (prefix and suffix are the cluster's swift.conf)."""
    path = "/".join(x for x in (account, container, obj) if x)
    digest = md5(prefix + b"/" + path.encode("utf8") + suffix, usedforsecurity=False).digest()
    return struct.unpack_from(">I", digest)[0] >> (32 - part_power)


def ring_for(builder):
    """swift's Ring for this builder, in memory (as Ring._reload sets it up from a ring file)."""
    from swift.common.ring import Ring

    data = builder.get_ring()
    ring = Ring.__new__(Ring)
    ring.serialized_path, ring.reload_time, ring._rtime, ring._mtime = "", math.inf, math.inf, 0
    ring._devs, ring._dev_id_bytes = data.devs, data._dev_id_bytes
    ring._replica2part2dev_id, ring._part_shift = data._replica2part2dev_id, data._part_shift
    ring._rebuild_tier_data()
    ring._update_bookkeeping()
    ring._next_part_power, ring._version = data.next_part_power, data.version
    ring._size = ring._raw_size = 0
    return ring


def part_outcome(ring, part: int, up: np.ndarray, handoffs: bool = True) -> tuple[bool, bool]:
    """(read ok, write ok) for one partition; `up[id]` says whether device id answers."""
    primaries = ring.get_part_nodes(part)
    n = len(primaries)
    up_primaries = sum(bool(up[d["id"]]) for d in primaries)
    reachable = up_primaries
    if handoffs and reachable < n:
        extra = itertools.islice(ring.get_more_nodes(part), request_node_count(n) - n)
        reachable += sum(bool(up[d["id"]]) for d in extra)
    return up_primaries > 0, min(reachable, n) >= write_quorum(n)


def availability(builder, up_ids, ring=None, handoffs: bool = True) -> dict:
    """Fractions of partitions (= of objects) readable and writable with only `up_ids` up."""
    table = replica_table(builder)
    up = np.zeros(len(builder.devs) + 1, dtype=bool)
    up[list(up_ids)] = True
    present = table >= 0
    n = present.sum(axis=0)
    up_primaries = (up[table] & present).sum(axis=0)
    readable = up_primaries > 0
    writable = up_primaries >= n // 2 + 1
    if handoffs:
        ring = ring or ring_for(builder)
        for part in np.nonzero(~writable)[0]:
            writable[part] = part_outcome(ring, int(part), up, handoffs=True)[1]
    return {"read": float(readable.mean()), "write": float(writable.mean())}
