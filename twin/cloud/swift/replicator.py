"""Swift's object-replicator in operations runs: per-server passes that push missing partition
replicas as flows on the shared management network (twin/sim/network.py).

Rules (docs/storage.md, "The proxy and replicator model"):
- A slot (replica, partition) is *missing* when its device is alive (model.py) but does not hold
  the data (a moved slot after a rebalance, a replaced disk), the partition is not lost and some
  alive primary or the slot's alive old holder (model.py) holds it. Its *source* is the old
  holder (its replicator pushes the partition it no longer owns, then deletes it), else the
  first holding primary in replica order (swift's every holder pushes and rsync finds the
  others already in sync: one copy crosses the wire).
- Each (ring, server) runs passes: a pass takes every missing slot it is the source of and
  whose target it reaches, pushes their bytes as `concurrency` equal flows (each capped by the
  server's NIC, competing max-min fairly with every other flow on the link: VSA resyncs, PXE),
  and when all its flows end, the slots whose device still answers and still holds that slot
  get the data. The server then sleeps `run_pause_s` and passes again while it has work.
- An idle server's replicator wakes on its own phase (a per-server offset in [0, run_pause),
  from the run's "swift/replicator" random stream): its first pass after work appears starts at
  the next instant of its grid (phase + k x run_pause). Idle passes are not simulated.
- A pass whose server stops being alive is interrupted (the link returns what each flow moved);
  its slots stay missing.
Simplified: a pass's slots are done together at its end (not partition by partition).
"""
from __future__ import annotations

import math

import numpy as np

from twin.record.events import SwiftReplication


class _Pass:
    def __init__(self, ring, node: str, slots: np.ndarray, devs: np.ndarray, nbytes: float):
        self.ring, self.node, self.slots, self.devs, self.nbytes = ring, node, slots, devs, nbytes
        self.flows: list = []
        self.moved = 0.0
        self.left = 0


class Replicator:
    def __init__(self, model, link, nic_bps, params, rng):
        self.model, self.link, self.nic_bps, self.p = model, link, nic_bps, params
        self.phase = {n: float(rng.uniform(0, params.run_pause_s)) for n in model.nodes}
        self.scheduled: set[tuple[str, str]] = set()
        self.running: dict[tuple[str, str], _Pass] = {}
        self.last_key: dict[str, tuple] = {}

    # --- which slots miss data, and who pushes them ---------------------------------------------
    def sources(self, ring) -> tuple[np.ndarray, np.ndarray]:
        """(missing slots mask, source node index per slot, -1 = none): a moved slot's alive old
        holder, else the partition's first alive primary holding it."""
        alive = ring.answers(self.model.node_alive)
        on = alive[ring.table] & ring.present
        holder = on & ring.has
        missing = on & ~ring.has & ~ring.inflight & ~ring.lost[None, :]
        has_src = holder.any(axis=0)
        old_ok = ring.copies(alive)
        missing &= has_src[None, :] | old_ok
        first = holder.argmax(axis=0)
        src_dev = ring.table[first, np.arange(ring.parts)]
        src_node = np.where(has_src, ring.dev_node[src_dev], -1)
        return missing, np.where(old_ok, ring.dev_node[ring.old], src_node[None, :])

    def settle(self) -> None:
        """After the model's settle: stop passes whose server left, wake servers with work."""
        m = self.model
        for key, run in list(self.running.items()):
            ring_name, node = key
            if not m.node_alive[m.node_index[node]]:
                self._interrupt(key, run, f"interrupted: {node} stopped answering ({m.cause})")
        for ring in m.rings.values():
            key = (m.node_alive.tobytes(), ring.version, len(self.running), len(self.scheduled))
            if self.last_key.get(ring.name) == key:
                continue  # no change that could give a server new work
            self.last_key[ring.name] = key
            missing, src_node = self.sources(ring)
            if not missing.any():
                continue
            for k in np.unique(src_node[missing]):
                if k < 0:
                    continue
                key = (ring.name, m.nodes[int(k)])
                if key not in self.scheduled and key not in self.running:
                    self._schedule(key, self._next_phase(key[1]))

    def _next_phase(self, node: str) -> float:
        now, pause, phase = self.model.world.now, self.p.run_pause_s, self.phase[node]
        k = math.ceil((now - phase) / pause - 1e-12)
        return max(0.0, phase + max(k, 0) * pause - now)

    def _schedule(self, key, delay: float) -> None:
        self.scheduled.add(key)
        self.model.world.timeout(delay).callbacks.append(lambda _e, key=key: self._pass(key))

    # --- a pass ---------------------------------------------------------------------------------
    def _pass(self, key) -> None:
        self.scheduled.discard(key)
        m = self.model
        ring_name, node = key
        ring = m.rings[ring_name]
        k = m.node_index[node]
        if not m.node_alive[k]:
            return  # woken again when it is alive
        missing, src_node = self.sources(ring)
        slots = missing & (src_node == k)
        mine = slots.copy()
        if slots.any():
            targets = ring.dev_node[ring.table[slots]]
            reach = {int(t): t < 0 or m.liveness.reachable(node, m.nodes[int(t)]) for t in np.unique(targets)}
            ok = np.array([reach[int(t)] for t in targets], dtype=bool)
            rows, cols = np.nonzero(slots)
            slots = np.zeros_like(slots)
            slots[rows[ok], cols[ok]] = True
        if not slots.any():
            if mine.any():  # work whose targets it cannot reach (a partition): it tries every pass
                self._schedule(key, self.p.run_pause_s)
            return  # nothing this server can push: idle until the model finds work again
        nbytes = float(np.broadcast_to(ring.part_bytes, slots.shape)[slots].sum())
        run = _Pass(ring, node, slots, ring.table[slots].copy(), nbytes)
        ring.inflight |= slots
        self.running[key] = run
        m.record(SwiftReplication(ring_name, node, "start", int(slots.sum()), nbytes, m.cause))
        n = self.p.concurrency
        cap = self.nic_bps(node) if self.nic_bps is not None else None
        cap = cap if cap else self.link.capacity_bps
        run.left = n
        for _ in range(n):
            event = self.link.transfer(nbytes / n, cap)
            run.flows.append(event)
            event.callbacks.append(lambda e, key=key, run=run: self._flow_done(key, run))

    def _flow_done(self, key, run: _Pass) -> None:
        if self.running.get(key) is not run:
            return  # interrupted
        run.left -= 1
        if run.left:
            return
        m = self.model
        ring = run.ring
        del self.running[key]
        ring.inflight &= ~run.slots
        ans = ring.answers(m.node_alive)
        rows, cols = np.nonzero(run.slots)
        now_devs = ring.table[rows, cols] if rows.size and rows.max() < ring.table.shape[0] else run.devs
        done = (now_devs == run.devs) & ans[run.devs]
        ring.has[rows[done], cols[done]] = True
        ring.old[rows[done], cols[done]] = -1  # the old holder deletes its copy once pushed
        ring.version += 1
        m.cause = f"replication pass of {run.node} done"
        m.record(SwiftReplication(ring.name, run.node, "end", int(done.sum()), run.nbytes, m.cause))
        self._schedule(key, self.p.run_pause_s)
        m.request_settle()

    def _interrupt(self, key, run: _Pass, why: str) -> None:
        moved = sum(self.link.cancel(e) if not e.triggered else run.nbytes / len(run.flows) for e in run.flows)
        del self.running[key]
        run.ring.inflight &= ~run.slots
        self.model.record(SwiftReplication(run.ring.name, run.node, "interrupted", int(run.slots.sum()),
                                           float(moved), why))
