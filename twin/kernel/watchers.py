"""A watch list: callables told `changed(cause)` after each change of whatever their owner
describes (a world's liveness: simulated machines in twin/sim/ops.py, BMC power states in
real_backends/ops.py).

Rules: callbacks run at once, in the order they were registered, on the World's loop; the cause
is the words for what happened (e.g. "power_loss controller0 (faults[0])"). A mixin: it knows
nothing of what is watched.
"""
from __future__ import annotations

from collections.abc import Callable


class Watchers:
    """The watch list a Liveness implementation keeps (a mixin)."""

    def __init__(self):
        self._watchers: list[Callable[[str], None]] = []

    def watch(self, callback: Callable[[str], None]) -> None:
        self._watchers.append(callback)

    def changed(self, cause: str) -> None:
        for callback in self._watchers:
            callback(cause)
