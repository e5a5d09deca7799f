"""Nova's host weighers (Juno), as data: a name, a per-host weight and a multiplier.

Rules (nova/weights.py, nova/scheduler/weights/ram.py):
- Each weigher's raw weights over the hosts that passed the filters are normalised to 0..1
  ((w - min) / (max - min); all equal -> all 0), multiplied by the weigher's multiplier and
  summed per host; hosts are then ordered by that sum, highest first, ties keeping host order.
- RAMWeigher weighs `free_ram_mb`. ram_weight_multiplier > 0 spreads VMs (most free RAM first,
  Juno's default 1.0); < 0 stacks them (least free RAM first); 0 leaves host order.
- Juno's other default weigher, MetricsWeigher, weighs nothing unless metrics are configured;
  it is not modelled.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter


@dataclass(frozen=True)
class HostWeigher:
    name: str
    weigh: Callable  # (HostState) -> float
    multiplier: float = 1.0


def ram_weigher(multiplier: float = 1.0) -> HostWeigher:
    return HostWeigher("RAMWeigher", attrgetter("free_ram_mb"), multiplier)


#: Weighers by name: a factory taking the scenario's nova settings.
WEIGHERS: dict[str, Callable] = {
    "RAMWeigher": lambda cfg: ram_weigher(cfg.ram_weight_multiplier),
}


def normalize(weights: list[float]) -> list[float]:
    """nova.weights.normalize without explicit bounds."""
    if not weights:
        return []
    lo, hi = float(min(weights)), float(max(weights))
    if lo == hi:
        return [0.0] * len(weights)
    span = hi - lo
    return [(w - lo) / span for w in weights]
