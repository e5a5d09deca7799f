"""Injected hardware faults, looked up by node and kind at the moment they matter.

Rules: a fault is active in [from_s, from_s + for_s) (forever without for_s); the hardware asks
`active(node, kind, now)` when it acts, so a fault that ends lets the next attempt succeed.
"""
from __future__ import annotations

from collections import defaultdict


class FaultBook:
    def __init__(self, faults=()):
        self._by_node: dict[str, list] = defaultdict(list)
        for f in faults:
            self._by_node[f.node].append(f)

    def active(self, node: str, kind: str, now: float):
        """The active fault of this kind on this node, or None."""
        for f in self._by_node.get(node, ()):
            if f.kind == kind and f.active(now):
                return f
        return None
