"""Monitoring as part of the loop: check_mk checks on every node push their results to Icinga on
the undercloud [H-log]; a failure is *noticed* only when a check sees it and Icinga is up. The
operator's responses start from the notice time (`noticed_at`, `wait_noticed`).

Rules:
- Each node's checks run every `check_interval_s` at its own phase (a random offset drawn once
  from the stream ("day2", "check-phases")). A node that goes down is noticed at its first check
  instant at which Icinga is seeing (Icinga's node up and its `icinga` service running); the
  delay from the failure is the detection delay. A failure over before any such check is
  `unnoticed`.
- Icinga's own node is not watched by Icinga: its failure is noticed `icinga_lost_noticed_s`
  later if it is still down (the operator misses its UI). While Icinga is not seeing, monitoring
  is blind (MonitorEvent blind / seeing).
- Nodes down at the start (spares) are not watched; a node is discovered `discovery_s` after
  it first runs (check_mk's service discovery); a removed node is forgotten.
- Event-driven: nothing polls; a pending notice waits for its check instant or for Icinga.
- Every happening is a MonitorEvent; the metrics come from the log (metrics.py).
- `repair_gate(nodes)` is what the fault injector's repairs wait on (twin/faults/injector.py):
  an event that fires when the current failure of one of `nodes` is noticed, or when all of them
  are back up unseen; None when monitoring sees none of them down (a service crash, a hung BMC,
  a partition, a node it does not watch): such a repair does not wait.
"""
from __future__ import annotations

import math

from twin.record.events import MonitorEvent


class Monitor:
    def __init__(self, world, params, liveness, nodes: list[str]):
        self.world, self.p, self.lv = world, params, liveness
        self.nodes = [n for n in nodes if n != params.icinga_node]
        rng = world.rng("day2", "check-phases")
        self.phase = {n: float(rng.uniform(0, params.check_interval_s)) for n in self.nodes}
        self.down_since: dict[str, float] = {}
        self.noticed: dict[str, list[tuple[float, float]]] = {}  # node -> [(failed at, noticed at)]
        self._noticed_event: dict[str, object] = {}
        self._seeing_event = None
        self.seeing = True
        self.icinga_down_since: float | None = None
        self.watched_from: dict[str, float | None] = {}
        self._discovering: dict[str, float] = {}
        self._gates: list[tuple[object, dict[str, float]]] = []  # (event, {node: failed at}) pending

    # --- public -------------------------------------------------------------------------
    def start(self) -> None:
        self.seeing = self._icinga_ok()
        self.watched_from = {n: 0.0 if self.lv.up(n) else None for n in self.nodes}
        self.lv.watch(self._changed)
        self._changed("start")

    def forget(self, node: str) -> None:
        """Stop watching a node (removed from the cloud)."""
        self.watched_from[node] = None
        failed = self.down_since.pop(node, None)
        if failed is not None:
            self._settle_gates(node, failed, None)

    def noticed_at(self, node: str, since: float) -> float | None:
        """When monitoring noticed the first failure of `node` that started at or after `since`
        (None: not noticed, or not yet). The hook for the operator's responses (repair, replace,
        restore): they start from this time, not the failure's."""
        for failed, noticed in self.noticed.get(node, ()):
            if failed >= since:
                return noticed
        return None

    def wait_noticed(self, node: str):
        """A World event that fires when the current failure of `node` is noticed."""
        event = self._noticed_event.get(node)
        if event is None:
            event = self._noticed_event[node] = self.world.event()
        return event

    def repair_gate(self, nodes):
        """An event the repair of a failure of `nodes` waits on (see the module's rules), or None."""
        pending = {n: self.down_since[n] for n in nodes if n in self.down_since}
        icinga = self.p.icinga_node
        if icinga in nodes and self.icinga_down_since is not None:
            pending[icinga] = self.icinga_down_since
        if not pending:
            return None
        event = self.world.event()
        for node, failed in pending.items():
            for f, noticed in self.noticed.get(node, ()):
                if f == failed:
                    event.succeed(noticed)
                    return event
        self._gates.append((event, pending))
        return event

    # --- internals ----------------------------------------------------------------------
    def _settle_gates(self, node: str, failed: float, noticed: float | None) -> None:
        """A failure of `node` was noticed (a time) or ended unseen (None): open the gates it holds."""
        if not self._gates:
            return
        keep = []
        for event, pending in self._gates:
            if pending.get(node) == failed:
                if noticed is not None:
                    event.succeed(noticed)
                    continue
                del pending[node]
                if not pending:
                    event.succeed(None)
                    continue
            keep.append((event, pending))
        self._gates = keep

    def _icinga_ok(self) -> bool:
        node = self.p.icinga_node
        return self.lv.up(node) and self.lv.running(node, "icinga")

    def _changed(self, cause: str) -> None:
        now = self.world.now
        seeing = self._icinga_ok()
        if seeing != self.seeing:
            self.seeing = seeing
            self.world.record(MonitorEvent("icinga", "seeing" if seeing else "blind", cause))
            if seeing and self._seeing_event is not None:
                event, self._seeing_event = self._seeing_event, None
                event.succeed()
        icinga = self.p.icinga_node
        icinga_down = not self.lv.up(icinga)
        if icinga_down and self.icinga_down_since is None:
            self.icinga_down_since = now
            self.world.record(MonitorEvent(icinga, "failed", cause))
            self.world.process(self._icinga_lost(now))
        elif not icinga_down and self.icinga_down_since is not None:
            failed, self.icinga_down_since = self.icinga_down_since, None
            if not any(f == failed for f, _ in self.noticed.get(icinga, ())):
                self.world.record(MonitorEvent(icinga, "unnoticed", cause, now - failed))
                self._settle_gates(icinga, failed, None)
        for node in self.nodes:
            up = self.lv.up(node)
            since = self.watched_from.get(node)
            if since is None:  # not (yet) known to Icinga: discovered a while after it first runs
                if up and node in self.watched_from and self._discovering.get(node) is None:
                    self._discovering[node] = now
                    self.world.process(self._discover(node))
                continue
            if since > now:
                continue
            if not up and node not in self.down_since:
                self.down_since[node] = now
                self.world.record(MonitorEvent(node, "failed", cause))
                self.world.process(self._notice(node, now))
            elif up and node in self.down_since:
                failed = self.down_since.pop(node)
                if not any(f == failed for f, _ in self.noticed.get(node, ())):
                    self.world.record(MonitorEvent(node, "unnoticed", cause, now - failed))
                    self._settle_gates(node, failed, None)

    def _discover(self, node: str):
        yield self.world.timeout(self.p.discovery_s)
        self._discovering.pop(node, None)
        if self.watched_from.get(node, 0.0) is None and self.lv.up(node):
            self.watched_from[node] = self.world.now
            self.world.record(MonitorEvent(node, "discovered", "check_mk inventory"))

    def _next_check(self, node: str, t: float) -> float:
        interval, phase = self.p.check_interval_s, self.phase[node]
        return phase + math.ceil((t - phase) / interval) * interval if t > phase else phase

    def _notice(self, node: str, failed: float):
        world = self.world
        t = self._next_check(node, world.now)
        while True:
            if t > world.now:
                yield world.timeout(t - world.now)
            if self.down_since.get(node) != failed:
                return  # over before a check saw it
            if self.seeing:
                self._record_notice(node, failed, "check_mk: host down")
                return
            if self._seeing_event is None:
                self._seeing_event = world.event()
            yield self._seeing_event
            t = self._next_check(node, world.now)

    def _icinga_lost(self, failed: float):
        yield self.world.timeout(self.p.icinga_lost_noticed_s)
        if self.icinga_down_since == failed:
            self._record_notice(self.p.icinga_node, failed, "Icinga unreachable (operator)")

    def _record_notice(self, node: str, failed: float, how: str) -> None:
        now = self.world.now
        self.noticed.setdefault(node, []).append((failed, now))
        self.world.record(MonitorEvent(node, "noticed", how, now - failed))
        event = self._noticed_event.pop(node, None)
        if event is not None:
            event.succeed(now)
        self._settle_gates(node, failed, now)
