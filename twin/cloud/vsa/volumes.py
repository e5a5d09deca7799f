"""Volume states: what a cluster's volumes of one Network RAID level are, from which nodes hold
a current copy and whether the group has quorum (pure logic; model.py keeps the sets).

Rules (docs/storage.md):
- Volumes of one level on one cluster share their layout (every volume is striped over all the
  cluster's nodes, placement.py), so they share their state: one VolumeClass per level.
- `holding`: nodes whose copy is current, reachable or not; `serving`: those that are also
  present (up and reachable). A returning node's copy counts only after its resync.
- lost: some stripe group has more than `tolerance` members without a current copy anywhere
  (every copy of some data destroyed or stale): the data is gone until restored from backup.
  Otherwise offline: no quorum, or some group has more than `tolerance` members not serving.
  Otherwise degraded: some member of some group is not serving. Otherwise online.
- Online and degraded volumes serve I/O (ACCESSIBLE); only then are writes made, so only then
  does a node that is away fall behind.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from twin.cloud.vsa.placement import Level

ONLINE, DEGRADED, OFFLINE, LOST = "online", "degraded", "offline", "lost"
ACCESSIBLE = frozenset((ONLINE, DEGRADED))
MIB = 1024 ** 2


def class_state(level: Level, n: int, serving: set[int], holding: set[int], quorum: bool) -> str:
    everyone = set(range(n))
    if not level.readable(n, everyone - holding):
        return LOST
    if not quorum:
        return OFFLINE
    missing = everyone - serving
    if not level.readable(n, missing):
        return OFFLINE
    return ONLINE if level.intact(n, missing) else DEGRADED


@dataclass
class VolumeClass:
    """The volumes of one level on one cluster, in aggregate."""

    level: Level
    n: int
    count: int = 0
    write_bps: float = 0.0  # bytes/s written to all of them together while accessible
    data_bytes: float = 0.0  # data they hold (what a rebuild copies, before the node share)
    raw_bytes: float = 0.0  # raw cluster space they take (capacity accounting)
    state: str = ONLINE
    lost: bool = False  # sticky until restored from backup
    holding: set[int] = field(default_factory=set)
    written: float = 0.0  # bytes written to them so far (integral of write_bps while accessible)

    def add(self, count: int, size_bytes: float, fill: float, write_mib_s: float) -> None:
        """`count` volumes of `size_bytes` (`fill`: the share of the size that is written data,
        1 for full provisioning as far as space goes)."""
        self.count += count
        self.write_bps += count * write_mib_s * MIB
        self.data_bytes += count * size_bytes * fill
        self.raw_bytes += count * size_bytes * fill * self.level.capacity_factor(self.n)

    def node_bytes(self, written_bytes: float) -> float:
        """A node's part of `written_bytes` of this class's data."""
        return written_bytes * self.level.node_share(self.n)
