"""Injected hardware faults, looked up by node and kind at the moment they matter.

Rules:
- A scheduled deployment fault (bmc_no_answer, bmc_wrong_credentials, pxe_timeout, slow_nic) is
  active in [from_s, from_s + for_s) (forever without for_s); the hardware asks
  `active(node, kind, now)` when it acts, so a fault that ends lets the next attempt succeed.
- Conditions set while a run goes (`set_condition`, by the fault injector through SimTargets:
  a hung BMC, a NIC that is down) are active from when they are set until they are cleared;
  overlapping ones are counted, so two faults holding a NIC down release it after both end.
- A hung BMC (`bmc_hang`) answers nothing, exactly as `bmc_no_answer`: the lookup of either
  kind finds both.
- Faults of other kinds (crashes, power loss, partitions...) are not lookups: the injector
  applies them (twin/faults/injector.py), so this book ignores them.
"""
from __future__ import annotations

from collections import defaultdict

LOOKUP_KINDS = frozenset({"bmc_no_answer", "bmc_wrong_credentials", "pxe_timeout", "slow_nic"})
#: A lookup of the key also finds conditions of the kinds in the value.
ALIASES = {"bmc_no_answer": ("bmc_no_answer", "bmc_hang"), "bmc_hang": ("bmc_no_answer", "bmc_hang")}


class FaultBook:
    def __init__(self, faults=()):
        self._by_node: dict[str, list] = defaultdict(list)
        for f in faults:
            if f.kind in LOOKUP_KINDS and f.node is not None and not getattr(f, "stochastic", False):
                self._by_node[f.node].append(f)
        self._conditions: dict[tuple[str, str], int] = {}
        self.any = bool(self._by_node)  # False: no lookup can find anything (the fast path)

    def active(self, node: str, kind: str, now: float):
        """The active fault of this kind on this node (a Fault, or True for a set condition), or None."""
        for f in self._by_node.get(node, ()):
            if f.kind == kind and f.active(now):
                return f
        if self._conditions:
            for k in ALIASES.get(kind, (kind,)):
                if self._conditions.get((node, k)):
                    return True
        return None

    def set_condition(self, node: str, kind: str, on: bool) -> None:
        key = (node, kind)
        count = self._conditions.get(key, 0) + (1 if on else -1)
        if count > 0:
            self._conditions[key] = count
        else:
            self._conditions.pop(key, None)
        self.any = bool(self._by_node or self._conditions)
