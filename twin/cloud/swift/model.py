"""Swift's object storage on a World's clock: the object rings' devices, which replicas hold data,
what the proxy can read and write, and the operator removing failed devices from the ring.

Rules (docs/storage.md, "The proxy and replicator model"):
- The model reads the world through a Liveness (twin/cloud/ha/liveness.py): `up`, `reachable`,
  `disk_ok`, `watch`, as the VSA model does (twin/cloud/vsa/model.py); every change asks for one
  settle at the current instant (twin/kernel/settle.py).
- One RingState per object ring (object, object-1) from swift's RingBuilder (twin/cloud/swift/
  build.py): the replica table (replicas x partitions of device ids), `has` (that slot's device
  holds the partition's data), `lost` (no replica left anywhere). Every partition weighs the
  same (the md5 placement spreads objects uniformly) and has the same size: the ring's used bytes
  (`replication.fill` of each device's weight in GiB) spread over its partition replicas.
- A device is *alive* when its server is up with a working NIC and disk and the device is in the
  ring (the storage cluster's view: redundancy and replication); it *answers* when it is alive and
  reachable from a proxy that is up (a controller; with none up or none at all, alive is enough). A disk
  failure (the node's `disk_ok` false) destroys the data of every device of the node; a
  replaced disk comes back empty (its slots are refilled by the replicator) unless the operator
  already removed its devices. A device whose IP is no node of the inventory (an operator's
  builder) always answers.
- A partition is under-replicated when fewer of its primaries are alive and hold its data than it
  has replicas (a lost partition is counted as lost, not under-replicated).
- The proxy (proxy.py's paths, vectorised): a partition is readable when an answering primary
  holds its data; writable when the PUT reaches a quorum (n // 2 + 1) among its answering
  primaries and the first handoffs swift's Ring names (up to 2 x replicas nodes in all).
- The operator removes the devices of a failed disk `disk_remove_delay_s` after the failure
  (unless replaced by then), and those of a server down for `server_remove_delay_s` without a
  break, then rebalances with swift's RingBuilder (seeded: same run, same ring; min_part_hours
  counted in simulated hours since the run began, the ring being fresh then); a removal that
  would leave fewer devices than replicas is skipped (recorded). Slots that moved are empty
  until the replicator (replicator.py) fills them.
- Planned ring changes (day-2 weight steps, twin/cloud/swift/membership.py) go through
  `change_ring`: swift's add_dev / set_dev_weight / remove_dev, then its rebalance. Devices added
  during the run get new slots at the end of the per-device arrays (`_extend`). A moved slot's
  data stays on its *old holder* (`old`, per slot) while that device is in the builder and its
  disk works: it counts for reads and against loss, is the replicator's source for the slot,
  and is dropped when the push completes (or its disk fails, or it leaves the builder).
- Every device state, level, partition count, replicator pass, ring change and device fill is
  recorded (twin/record/events.py, kinds swift_*); metrics come from the log (metrics.py).
"""
from __future__ import annotations

import copy

import numpy as np

from twin.cloud.swift.analyze import bytes_per_replica, replica_table, used_bytes
from twin.cloud.swift.config import SwiftConfig
from twin.cloud.swift.proxy import request_node_count, ring_for, write_quorum
from twin.cloud.swift.replicator import Replicator
from twin.kernel.settle import DeferredSettle
from twin.record.events import SwiftDevice, SwiftFill, SwiftLevel, SwiftPartitions, SwiftRing

OBJECT_RINGS = ("object", "object-1")  # the rings the Swift API's object requests use
SERVING, AWAY, FAILED, REMOVED = "serving", "away", "failed", "removed"


def write_shares(table: np.ndarray, answers: np.ndarray, handoff_ok) -> np.ndarray:
    """Per partition: does a PUT reach its quorum? `answers[id]` (index -1: no device, False);
    `handoff_ok(part, n)` -> answering handoffs among the first n the ring names (for the few
    partitions whose primaries alone miss the quorum)."""
    present = table >= 0
    n = present.sum(axis=0)
    up = (answers[table] & present).sum(axis=0)
    quorum = n // 2 + 1
    writable = up >= quorum
    for part in np.nonzero(~writable & (n > 0))[0]:
        p = int(part)
        writable[p] = min(int(up[p]) + handoff_ok(p, int(n[p])), int(n[p])) >= write_quorum(int(n[p]))
    return writable


class RingState:
    """One object ring in a run: its own builder copy, the table, and where the data is."""

    def __init__(self, name: str, builder, fill: float, node_index: dict[str, int]):
        self.name = name
        self.builder = copy.deepcopy(builder)  # removals rebalance this copy, never the caller's
        self.hours_credited = 0  # simulated hours given to swift's min_part_hours clock so far
        self.node_index = node_index
        self._load_table()
        per = bytes_per_replica(self.table, used_bytes(self.builder, fill=fill))
        slot_bytes = np.where(self.present, per[self.table], 0.0)
        self.part_bytes = np.divide(slot_bytes.sum(axis=0), self.present.sum(axis=0),
                                    out=np.zeros(self.parts), where=self.present.any(axis=0))
        self.has = self.present.copy()
        self.old = np.full(self.table.shape, -1, dtype=np.int64)  # a moved slot's old holder, until pushed
        self.lost = np.zeros(self.parts, dtype=bool)
        self.inflight = np.zeros(self.table.shape, dtype=bool)
        self.failed = np.zeros(self.n_ids + 1, dtype=bool)
        self.removed = np.zeros(self.n_ids + 1, dtype=bool)
        self.state: dict[int, str] = {}
        self.levels: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.fill_recorded = np.full(self.n_ids + 1, -1.0)
        self.version = 0  # bumped whenever the table, `has`, `failed` or `removed` change
        self.last_key = None

    def _load_table(self) -> None:
        b = self.builder
        self.table = replica_table(b)
        self.present = self.table >= 0
        self.parts = self.table.shape[1]
        # device ids keep their slots: swift drops removed devices from the end of `devs`
        self.n_ids = max(len(b.devs), getattr(self, "n_ids", 0))
        self.labels = {**getattr(self, "labels", {}),  # removed devices keep their label
                       **{d["id"]: f"{d['ip']}/{d['device']}" for d in b._iter_devs()}}
        self.dev_node = np.full(self.n_ids + 1, -1, dtype=np.int64)  # -1: no node of ours (always answers)
        self.in_builder = np.zeros(self.n_ids + 1, dtype=bool)  # ids of removed devices are gaps in b.devs
        for d in b._iter_devs():
            self.dev_node[d["id"]] = self.node_index.get(str(d["ip"]), -1)
            self.in_builder[d["id"]] = True
        self._ring = None
        self._write_memo: dict[bytes, np.ndarray] = {}

    def live_ids(self) -> list[int]:
        return [i for i in self.labels if not self.removed[i]]

    def answers(self, node_answers: np.ndarray) -> np.ndarray:
        """Per device id (+1 slot for "no device"): does it answer the proxy now?"""
        known = np.append(node_answers, True)[self.dev_node]  # dev_node -1 -> the extra True
        return known & self.in_builder & ~self.failed & ~self.removed

    def writable(self, ans: np.ndarray) -> np.ndarray:
        key = np.packbits(ans).tobytes()
        if key not in self._write_memo:
            self._write_memo[key] = write_shares(self.table, ans, lambda p, n: self._handoffs_up(p, n, ans))
        return self._write_memo[key]

    def _handoffs_up(self, part: int, n: int, ans: np.ndarray) -> int:
        import itertools

        if self._ring is None:
            self._ring = ring_for(self.builder)
        extra = itertools.islice(self._ring.get_more_nodes(part), request_node_count(n) - n)
        return sum(bool(ans[d["id"]]) for d in extra)

    def fill(self) -> np.ndarray:
        """Bytes per device id: the replicas it holds as a primary and those it still holds as an old holder."""
        held = self.present & self.has
        sizes = np.broadcast_to(self.part_bytes, self.table.shape)
        kept = self.old >= 0
        return (np.bincount(self.table[held], weights=sizes[held], minlength=self.n_ids + 1)[: self.n_ids + 1]
                + np.bincount(self.old[kept], weights=sizes[kept], minlength=self.n_ids + 1)[: self.n_ids + 1])

    def copies(self, alive: np.ndarray) -> np.ndarray:
        """Per slot: an old holder that is alive (per device id) still has the moved replica."""
        return (self.old >= 0) & alive[self.old]

    def _simulated_hours(self, now: float) -> None:
        """Make swift's min_part_hours bookkeeping (wall-clock hours since `_last_part_moves_epoch`)
        see the simulated hours since the run began instead: the whole hours not yet credited, with
        half an hour of margin so that the wall-clock instant of the call cannot change the count."""
        import time

        hours = int(now) // 3600 - self.hours_credited
        self.hours_credited += hours
        self.builder._last_part_moves_epoch = time.time() - hours * 3600 - 1800

    def remove(self, ids: list[int], seed: int, now: float = 0.0) -> int:
        """Remove devices and rebalance (swift's); the partition replicas that moved (now empty)."""
        def change(builder):
            for i in ids:
                builder.remove_dev(i)

        moved, _, _ = self.rebalance(change, seed, now)
        self.removed[ids] = True
        return moved

    def rebalance(self, change, seed: int, now: float = 0.0) -> tuple[int, int, float]:
        """Apply `change(builder)` (swift's add_dev, set_dev_weight, remove_dev) and rebalance with
        swift's RingBuilder; the slots whose device changed are empty until the replicator fills
        them. Devices added get slots at the end of the per-device arrays. Returns (partition
        replicas that moved by the table, swift's own count of reassigned replicas, their bytes)."""
        from twin.cloud.swift import verbs

        before = self.table
        change(self.builder)
        self._simulated_hours(now)
        swift_count = verbs.rebalance(self.builder, seed=seed, where=f"swift ({self.name} ring)")["reassigned"]
        old_has, old_inflight, old_holder = self.has, self.inflight, self.old
        self._load_table()
        self._extend()
        rows = min(before.shape[0], self.table.shape[0])
        same = np.zeros(self.table.shape, dtype=bool)
        same[:rows] = before[:rows] == self.table[:rows]
        self.has = np.zeros(self.table.shape, dtype=bool)
        self.has[:rows] = old_has[:rows] & same[:rows]
        self.has &= self.present
        self.inflight = np.zeros(self.table.shape, dtype=bool)
        self.inflight[:rows] = old_inflight[:rows] & same[:rows]
        # a moved slot's data stays on the device that held it (its old holder) until the replicator
        # pushes it to the new primary; a holder no longer in the builder (removed) keeps nothing
        self.old = np.full(self.table.shape, -1, dtype=np.int64)
        held_before = old_has[:rows] & (before[:rows] >= 0)
        self.old[:rows] = np.where(same[:rows] | ~held_before, old_holder[:rows], before[:rows])
        self.old[(self.old >= 0) & ~self.in_builder[self.old]] = -1
        back = (self.old >= 0) & (self.old == self.table)  # moved back onto its old holder: held again
        self.has |= back & self.present
        self.old[back] = -1
        self.version += 1
        moved = self.present & ~same
        nbytes = float(np.broadcast_to(self.part_bytes, moved.shape)[moved].sum())
        return int(moved.sum()), int(swift_count), nbytes

    def _extend(self) -> None:
        """Grow the per-device arrays (index = device id, last slot = "no device") to n_ids + 1."""
        for name, fill in (("failed", False), ("removed", False), ("fill_recorded", -1.0)):
            old = getattr(self, name)
            if len(old) == self.n_ids + 1:
                continue
            grown = np.full(self.n_ids + 1, fill, dtype=old.dtype)
            grown[: len(old) - 1] = old[:-1]
            setattr(self, name, grown)


class SwiftModel(DeferredSettle):
    def __init__(self, world, config: SwiftConfig | None, builders: dict, swift_nodes: list[str], liveness,
                 link, proxies: list[str] = (), nic_bps=None):
        self.world, self.liveness = world, liveness
        self.p = config or SwiftConfig()
        self.nodes = list(swift_nodes)
        self.node_index = {n: i for i, n in enumerate(self.nodes)}
        self.proxies = list(proxies)
        self.rings = {name: RingState(name, builders[name], self.p.replication.fill, self.node_index)
                      for name in OBJECT_RINGS if name in builders}
        self.cause = "start"
        self.down_since: dict[str, float] = {}
        self.settles = 0
        self._rebalances = 0
        self.node_alive = self.node_answers = np.ones(len(self.nodes), dtype=bool)
        self.replicator = Replicator(self, link, nic_bps, self.p.replication, world.rng("swift", "replicator"))

    def record(self, event) -> None:
        self.world.record(event)

    # --- what the HA plane asks --------------------------------------------------------------
    def refusal(self, backend: str) -> str:
        """Why a Swift request through proxy `backend` fails outright ("" when some device it
        reaches is in a ring and its disk works): the plane's swift_storage step."""
        lv = self.liveness
        for ring in self.rings.values():
            for i in ring.live_ids():
                if ring.failed[i]:
                    continue
                node = ring.dev_node[i]
                if node < 0 or (lv.disk_ok(self.nodes[node]) and lv.reachable(backend, self.nodes[node])):
                    return ""
        return "swift_storage_down"

    # --- the settle -----------------------------------------------------------------------------
    def _node_states(self) -> tuple[np.ndarray, np.ndarray]:
        """(alive, answers) per Swift node: alive = up, its NIC works and its disk too (the storage
        cluster's view: replication and redundancy); answers = alive and reachable from a proxy
        that is up (the proxy's view: reads and writes; with no proxy up, alive)."""
        lv = self.liveness
        alive = np.array([lv.client_reachable(n) and lv.disk_ok(n) for n in self.nodes], dtype=bool)
        proxies = [c for c in self.proxies if lv.up(c)]
        if not proxies:
            return alive, alive
        answers = np.array([ok and any(lv.reachable(c, n) for c in proxies) for ok, n in zip(alive, self.nodes)],
                           dtype=bool)
        return alive, answers

    def _settle(self, _event=None) -> None:
        self._settle_pending = False
        self.settles += 1
        lv = self.liveness
        now = self.world.now
        for n in self.nodes:
            if not lv.up(n):
                if n not in self.down_since:
                    self.down_since[n] = now
                    self.after(self.p.replication.server_remove_delay_s, lambda n=n, t=now: self._server_gone(n, t))
            else:
                self.down_since.pop(n, None)
        self.node_alive, self.node_answers = self._node_states()
        for ring in self.rings.values():
            self._disks(ring)
            self._update(ring)
        self.replicator.settle()

    def _disks(self, ring: RingState) -> None:
        lv = self.liveness
        for i in ring.live_ids():
            node = ring.dev_node[i]
            if node < 0:
                continue
            ok = lv.disk_ok(self.nodes[node])
            if not ok and not ring.failed[i]:
                ring.failed[i] = True
                ring.has &= ring.table != i
                ring.old[ring.old == i] = -1
                ring.version += 1
                self.after(self.p.replication.disk_remove_delay_s, lambda ring=ring, i=i: self._disk_gone(ring, i))
            elif ok and ring.failed[i]:
                ring.failed[i] = False  # a new, empty disk in the same slot: the replicator refills it
                ring.version += 1

    def _update(self, ring: RingState) -> None:
        key = (self.node_alive.tobytes(), self.node_answers.tobytes(), ring.version)
        if key == ring.last_key:
            return  # nothing it depends on changed since the last settle
        ring.last_key = key
        ans = ring.answers(self.node_answers)
        alive = ring.answers(self.node_alive)
        held = ring.present & ring.has
        newly_lost = ~held.any(axis=0) & ~(ring.old >= 0).any(axis=0) & ring.present.any(axis=0) & ~ring.lost
        ring.lost |= newly_lost
        readable = (held & ans[ring.table]).any(axis=0) | ring.copies(ans).any(axis=0)
        writable = ring.writable(ans)
        under = ~ring.lost & ((held & alive[ring.table]).sum(axis=0) < ring.present.sum(axis=0))
        for path, share in (("read", float(readable.mean())), ("write", float(writable.mean()))):
            if ring.levels.get(path) != share:
                ring.levels[path] = share
                self.record(SwiftLevel(ring.name, path, share, ring.parts, self.cause))
        for what, count in (("under_replicated", int(under.sum())), ("lost", int(ring.lost.sum()))):
            if ring.counts.get(what) != count:
                ring.counts[what] = count
                self.record(SwiftPartitions(ring.name, what, count, self.cause))
        for i, label in ring.labels.items():
            state = REMOVED if ring.removed[i] else FAILED if ring.failed[i] else SERVING if alive[i] else AWAY
            old = ring.state.get(i, "")
            if state != old:
                ring.state[i] = state
                self.record(SwiftDevice(ring.name, label, state, old, self.cause))
        self.record_fill(ring)

    def record_fill(self, ring: RingState) -> None:
        fill = ring.fill()
        for i in np.nonzero(fill != ring.fill_recorded)[0]:
            if int(i) in ring.labels:
                self.record(SwiftFill(ring.name, ring.labels[int(i)], float(fill[i]), self.cause))
        ring.fill_recorded = fill

    # --- the operator ---------------------------------------------------------------------------
    def _server_gone(self, node: str, since: float) -> None:
        if self.down_since.get(node) != since:
            return  # it came back (and maybe went down again: that failure has its own timer)
        self.cause = f"operator removed {node}'s devices (down {self.p.replication.server_remove_delay_s:g} s)"
        for ring in self.rings.values():
            ids = [i for i in ring.live_ids() if ring.dev_node[i] == self.node_index[node]]
            self._remove(ring, ids)

    def _disk_gone(self, ring: RingState, i: int) -> None:
        if not ring.failed[i] or ring.removed[i]:
            return  # replaced (or already removed with its server)
        self.cause = f"operator removed failed device {ring.labels[i]}"
        node = ring.dev_node[i]
        self._remove(ring, [j for j in ring.live_ids() if ring.failed[j] and ring.dev_node[j] == node])

    def _remove(self, ring: RingState, ids: list[int]) -> None:
        if not ids:
            return
        names = ", ".join(ring.labels[i] for i in ids)
        if len(ring.live_ids()) - len(ids) < ring.builder.replicas:
            self.record(SwiftRing(ring.name, "removal_skipped", names, 0,
                                  f"{self.cause}: fewer devices than replicas would be left"))
            return
        self._rebalances += 1
        moved = ring.remove(ids, seed=self.p.seed + self._rebalances, now=self.world.now)
        self.record(SwiftRing(ring.name, "rebalance", names, moved, self.cause))

    def change_ring(self, ring: RingState, action: str, names: str, change) -> tuple[int, int, float]:
        """An operator's planned ring change (twin/cloud/swift/membership.py): `change(builder)`
        then swift's rebalance, recorded as a SwiftRing `action`; (moved, swift's reassigned,
        bytes moved)."""
        self._rebalances += 1
        moved = ring.rebalance(change, seed=self.p.seed + self._rebalances, now=self.world.now)
        self.record(SwiftRing(ring.name, action, names, moved[0], self.cause))
        self.request_settle()
        return moved
