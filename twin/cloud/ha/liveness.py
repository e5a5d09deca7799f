"""What the HA model reads from a world: which nodes are up, who can reach whom, which services
run, and a call after every change. Simulated hardware implements it (twin/sim/ops.py: machine
power and boot plus fault effects); the live lab implements it by polling power states through
the BMCs (real_backends/ops.py). Both keep their watch list with twin/kernel/watchers.py.

Rules:
- Queries are instant and side-effect free; they describe the world *now*.
- `watch(callback)`: the world calls `callback(cause)` after each change of anything a query
  answers (cause: the words for what happened, e.g. "power_loss controller0 (faults[0])").
  The model reacts on the World clock; it never polls a simulated world.
- A node is `up` when its OS runs; a service runs when its node is up and it was not stopped;
  `reachable(a, b)` is the controllers' internal network (partitions, NICs); `client_reachable`
  is the public side the API clients come from (a node's NIC).
"""
from __future__ import annotations

from typing import Callable, Protocol


class Liveness(Protocol):
    def up(self, node: str) -> bool: ...

    def running(self, node: str, service: str) -> bool: ...

    def reachable(self, a: str, b: str) -> bool: ...

    def client_reachable(self, node: str) -> bool: ...

    def graceful(self, node: str) -> bool:
        """Was the node's last stop a graceful shutdown (its services said goodbye)?"""

    def disk_ok(self, node: str) -> bool: ...

    def watch(self, callback: Callable[[str], None]) -> None: ...

