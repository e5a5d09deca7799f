"""Managers and quorum of a StoreVirtual management group (pure logic; model.py applies it).

Rules (figures and sources in docs/domain.md):
- Managers run on the group's first nodes in order; their default count is StoreVirtual's rule
  DEFAULT_MANAGERS (1 node: 1; 2: 2 plus a virtual manager; 3-4: 3; 5 or more: 5), overridable.
- An optional Failover Manager (FOM) votes but holds no data; it runs on its own host (by
  default the seed host) and fails with it.
- The virtual manager is a configured vote that does not run until an operator starts it (on a
  node of the group that is present, after a delay: model.py); it stops when its host leaves.
- Quorum: a strict majority of all configured votes (regular managers, FOM, virtual) runs and
  can reach each other. The side is taken from the running voter that reaches the most running
  voters (ties: the first in order); partitions are judged pairwise (`reachable`).
"""
from __future__ import annotations

from dataclasses import dataclass


def default_manager_count(nodes: int) -> int:
    """StoreVirtual's recommended number of regular managers for a group of `nodes` nodes."""
    return {0: 0, 1: 1, 2: 2, 3: 3, 4: 3}.get(nodes, 5)


@dataclass(frozen=True)
class ManagerPlan:
    managers: tuple[str, ...]  # nodes that run a regular manager
    fom_host: str | None  # the FOM's host, None without a FOM
    virtual: bool  # a virtual manager is configured (not running at the start)

    @property
    def votes(self) -> int:
        return len(self.managers) + (self.fom_host is not None) + self.virtual


def plan_managers(nodes: list[str], count: int | None = None, fom_host: str | None = None,
                  virtual: bool | None = None) -> ManagerPlan:
    """Managers on the first `count` nodes (default: the rule); a virtual manager by default only
    for two nodes without a FOM (StoreVirtual's advice: a FOM or a virtual manager, not both)."""
    n = default_manager_count(len(nodes)) if count is None else count
    if virtual is None:
        virtual = len(nodes) == 2 and fom_host is None and count is None
    return ManagerPlan(tuple(nodes[:n]), fom_host, bool(virtual))


def has_majority(running: int, votes: int) -> bool:
    return votes > 0 and 2 * running > votes


def quorum_side(voters: list[tuple[str, str]], running, reachable) -> tuple[list[str], bool]:
    """voters: (voter id, host) in order; running(voter) -> bool; reachable(host_a, host_b).
    Returns (the voters of the largest mutually reachable side, whether it is a strict majority
    of all voters)."""
    alive = [(v, h) for v, h in voters if running(v)]
    best: list[str] = []
    for v, h in alive:
        side = [u for u, g in alive if u == v or reachable(h, g)]
        if len(side) > len(best):
            best = side
    return best, has_majority(len(best), len(voters))
