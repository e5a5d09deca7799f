"""The shared management network: concurrent transfers share its bandwidth max-min fairly.

Rules: each transfer is capped by its node's NIC (a 100 Mb/s NIC never goes faster); the link's
capacity is shared so that capped flows get their cap and the others split what is left equally
(max-min fairness, which is what TCP flows through one bottleneck approach).

A transfer can be cancelled (`cancel`): it stops taking bandwidth at once and the bytes it
delivered so far are returned (a VSA resync interrupted by a second failure).

How, in O(groups + log n) per arrival or departure: flows with the same cap form a group that
all progress at the same rate, so each group keeps a "virtual progress" V (bytes each of its
flows has received so far) and a heap of the V at which each flow finishes. Only the earliest
finish is scheduled; a stale timer (superseded by a later change) is recognised by its
generation number and ignored.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field


@dataclass
class _Group:
    cap_bps: float
    progress: float = 0.0  # bytes delivered to each flow of this group so far
    rate_bps: float = 0.0
    heap: list = field(default_factory=list)  # (finish progress, seq, event, size)


class SharedLink:
    def __init__(self, env, capacity_bps: float):
        self.env = env
        self.capacity_bps = float(capacity_bps)
        self._groups: dict[float, _Group] = {}
        self._updated = 0.0
        self._generation = 0
        self._seq = 0

    @property
    def active_flows(self) -> int:
        return sum(len(g.heap) for g in self._groups.values())

    def transfer(self, size_bytes: float, cap_bps: float):
        """Start a transfer; the returned event succeeds (value: size) when it is complete."""
        done = self.env.event()
        if size_bytes <= 0:
            return done.succeed(0.0)
        self._advance()
        group = self._groups.get(cap_bps)
        if group is None:
            group = self._groups[cap_bps] = _Group(float(cap_bps))
        self._seq += 1
        heapq.heappush(group.heap, (group.progress + size_bytes, self._seq, done, size_bytes))
        self._reschedule()
        return done

    def cancel(self, done) -> float:
        """Stop the transfer whose completion event is `done`; the bytes it delivered so far
        (0 if it is unknown or already complete: nothing to stop)."""
        self._advance()
        for cap, g in self._groups.items():
            for i, (finish, _seq, event, size) in enumerate(g.heap):
                if event is done:
                    g.heap[i] = g.heap[-1]
                    g.heap.pop()
                    heapq.heapify(g.heap)
                    if not g.heap:
                        del self._groups[cap]
                    self._reschedule()
                    return max(0.0, min(size, size - (finish - g.progress)))
        return 0.0

    def _advance(self) -> None:
        dt = self.env.now - self._updated
        if dt > 0:
            for g in self._groups.values():
                g.progress += g.rate_bps / 8.0 * dt
        self._updated = self.env.now

    def _rates(self) -> None:
        """Water-filling: the smallest caps are satisfied first, the rest share what is left."""
        groups = sorted((g for g in self._groups.values() if g.heap), key=lambda g: g.cap_bps)
        remaining, flows = self.capacity_bps, sum(len(g.heap) for g in groups)
        for g in groups:
            share = remaining / flows
            g.rate_bps = min(g.cap_bps, share)
            remaining -= g.rate_bps * len(g.heap)
            flows -= len(g.heap)

    def _reschedule(self) -> None:
        self._rates()
        soonest = None
        for g in self._groups.values():
            if g.heap and g.rate_bps > 0:
                dt = (g.heap[0][0] - g.progress) * 8.0 / g.rate_bps
                soonest = dt if soonest is None else min(soonest, dt)
        self._generation += 1
        if soonest is not None:
            generation = self._generation
            timer = self.env.timeout(max(soonest, 0.0))
            timer.callbacks.append(lambda _e: self._on_timer(generation))

    def _on_timer(self, generation: int) -> None:
        if generation != self._generation:
            return  # superseded by a later arrival or departure
        self._advance()
        for cap, g in list(self._groups.items()):
            # a flow is done when its group's progress reaches its finish (within rounding), or
            # when what is left takes less time than the clock can tell apart (late in a long run)
            while g.heap and (g.heap[0][0] - g.progress <= 1e-9 * max(1.0, g.heap[0][0]) or (
                    g.rate_bps > 0 and self.env.now + (g.heap[0][0] - g.progress) * 8.0 / g.rate_bps == self.env.now)):
                _, _, event, size = heapq.heappop(g.heap)
                event.succeed(size)
            if not g.heap:
                del self._groups[cap]
        self._reschedule()
