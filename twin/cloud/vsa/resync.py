"""Resyncs of one cluster as flows on the shared management network (twin/sim/network.py).

Rules:
- Each resyncing node is one flow of the bytes it lacks. The cluster's resyncs together take
  at most the cluster's cap (`resync_gbps`): k concurrent resyncs get cap / k each (and at most
  the node's NIC), and compete max-min fairly with every other flow on the link (PXE image
  writes, Swift replication).
- When a resync starts or ends the others are re-issued with their new cap and what they have
  left (the link's `cancel` returns what each delivered). `stop` ends a resync early (its node
  left, or its source became unreadable) and returns the bytes it moved.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class _Flow:
    total: float  # bytes this attempt moves
    moved: float = 0.0
    event: object = None
    on_done: object = None


class ClusterResync:
    def __init__(self, link, cap_bps: float, nic_bps=None):
        self.link, self.cap_bps = link, float(cap_bps)
        self.nic_bps = nic_bps  # node -> bps, or None
        self.active: dict[str, _Flow] = {}

    def start(self, node: str, nbytes: float, on_done) -> None:
        """Move `nbytes` to `node`; on_done(bytes moved) when complete."""
        self._pause_all()
        self.active[node] = _Flow(float(nbytes), on_done=on_done)
        self._issue_all()

    def stop(self, node: str) -> float:
        flow = self.active.get(node)
        if flow is None:
            return 0.0
        self._pause_all()
        del self.active[node]
        self._issue_all()
        return flow.moved

    def _pause_all(self) -> None:
        for flow in self.active.values():
            if flow.event is None:
                continue
            if flow.event.triggered:  # complete; its callback has not run yet: leave it be
                flow.moved = flow.total
                continue
            flow.moved = min(flow.total, flow.moved + self.link.cancel(flow.event))
            flow.event = None

    def _issue_all(self) -> None:
        waiting = [(node, flow) for node, flow in self.active.items() if flow.event is None]
        if not waiting:
            return
        share = self.cap_bps / len(waiting)
        for node, flow in waiting:
            cap = share if self.nic_bps is None else min(share, self.nic_bps(node))
            event = self.link.transfer(flow.total - flow.moved, cap)
            flow.event = event
            event.callbacks.append(lambda e, node=node, flow=flow: self._finished(node, flow, e))

    def _finished(self, node: str, flow: _Flow, event) -> None:
        if flow.event is not event or self.active.get(node) is not flow:
            return  # a superseded flow (re-issued or stopped)
        flow.moved = flow.total
        flow.event = None
        del self.active[node]
        self._pause_all()
        self._issue_all()
        flow.on_done(flow.total)
