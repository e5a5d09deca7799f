"""Network RAID: where a volume's data lives on a cluster's nodes, and which node losses it survives.

The one rule, for every level (docs/storage.md, figures and sources in docs/domain.md):
- A level has a stripe width `w` and a tolerance `f`. The nodes are numbered 0..n-1 in cluster
  order; stripe group i (i = 0..n-1) lives on the w consecutive nodes i, i+1, ..., i+w-1,
  wrapping around, so the groups rotate and every run of w consecutive nodes holds data.
- A group is readable while at most `f` of its members lack a current copy; the volume needs
  every group readable.
- Mirrored levels (NR-10, NR-10+1, NR-10+2) keep w = copies full copies of each stripe on
  consecutive nodes: f = w - 1. NR-10 on 4 nodes has groups (1,2) (2,3) (3,4) (4,1): it survives
  losing nodes 1 and 3, not 1 and 2, nor 4 and 1. NR-0 is w = 1, f = 0: every node is needed.
- Parity levels: the stripe spans w = min(n, max width) consecutive nodes, parity included,
  rotating the same way: NR-5 (single parity) spans 3 to 5 nodes, f = 1; NR-6 (dual parity)
  spans 5 to 7 nodes, f = 2 (HP P4000 SAN Solution User Guide, AX696-96168, 2012, "Network
  RAID-5/-6": stripes of 3-5 / 5-7 nodes including parity; data available while any one / any
  two storage systems of a stripe are unavailable). Which nodes a real stripe uses beyond that
  is not published: the consecutive rotation is this model's choice, the same as for mirrors.
- Space: a volume of S bytes takes S * w / (w - f) on the cluster, S * w / ((w - f) * n) per
  node (its share); minimum nodes per level as in LEVELS (a cluster smaller than that cannot
  hold the level).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Level:
    name: str  # "0", "10", "10+1", "10+2", "5", "6"
    min_nodes: int
    max_width: int
    tolerance: int
    parity: bool = False

    def width(self, n: int) -> int:
        return min(n, self.max_width)

    def groups(self, n: int) -> tuple[tuple[int, ...], ...]:
        return _groups(n, self.width(n))

    def capacity_factor(self, n: int) -> float:
        """Raw bytes the cluster spends per byte of volume."""
        w = self.width(n)
        return w / (w - self.tolerance)

    def node_share(self, n: int) -> float:
        """Bytes each node holds per byte of volume (data rotates evenly over the nodes)."""
        return self.capacity_factor(n) / n

    def readable(self, n: int, missing) -> bool:
        """Every stripe group has at most `tolerance` members in `missing` (node indexes)."""
        f = self.tolerance
        return all(sum(1 for m in g if m in missing) <= f for g in self.groups(n))

    def intact(self, n: int, missing) -> bool:
        """No member of any group is in `missing` (nothing to rebuild)."""
        return not any(m in missing for g in self.groups(n) for m in g)


@lru_cache(maxsize=256)
def _groups(n: int, w: int) -> tuple[tuple[int, ...], ...]:
    seen, result = set(), []
    for i in range(n):
        group = tuple((i + k) % n for k in range(w))
        if frozenset(group) not in seen:
            seen.add(frozenset(group))
            result.append(group)
    return tuple(result)


#: The Network RAID levels (StoreVirtual's names without "NR-"); docs/domain.md for the figures.
LEVELS: dict[str, Level] = {
    "0": Level("0", min_nodes=1, max_width=1, tolerance=0),
    "10": Level("10", min_nodes=2, max_width=2, tolerance=1),
    "10+1": Level("10+1", min_nodes=3, max_width=3, tolerance=2),
    "10+2": Level("10+2", min_nodes=4, max_width=4, tolerance=3),
    "5": Level("5", min_nodes=3, max_width=5, tolerance=1, parity=True),
    "6": Level("6", min_nodes=5, max_width=7, tolerance=2, parity=True),
}
