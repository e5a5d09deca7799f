"""The StoreVirtual VSA model on a World's clock: management groups with their managers and
quorum, clusters with their volumes' states, resyncs on the shared network.

Rules:
- The model reads the world through a Liveness (twin/cloud/ha/liveness.py): `up`, `reachable`,
  `client_reachable`, `disk_ok` and `watch`. Every change asks for one *settle* at the current
  instant (changes at the same instant share it), as the HA control plane does.
- Presence: with quorum, a node is present when it is up and reachable from the quorum side's
  first voter (a partitioned node, or one whose NIC is down, is away for quorum and data);
  without quorum, when it is up and its NIC works. A node whose disk failed holds no data.
- A settle, per group then per cluster: (1) quorum (quorum.py) and the virtual manager; (2)
  writes made since the last settle (to volumes that were accessible); (3) nodes that left
  (their copies go stale while their volumes take writes; a resync in progress stops and keeps
  what it moved), came back (they owe the data written while away, or their whole share after
  a disk replacement), or lost their disk; (4) volume states (volumes.py); (5) resyncs that may
  start (the node is present, quorum holds and every level it lacks is readable without it) or
  must stop (a source became unreadable: the second failure during a resync). A node's copies
  become current only when its resync ends.
- Lost volumes stay lost until an operator restores them from backup (`restore_s`); the
  restore writes every present node's copy. The virtual manager is started by an operator
  (`virtual_manager_start_s` after quorum is lost) on the first present node of the group.
- Every manager, quorum, volume-state, node-data and resync change is recorded (events.py);
  metrics come from the log alone (metrics.py).
"""
from __future__ import annotations

from twin.cloud.vsa.config import GIB, Vsa, plan_clusters
from twin.cloud.vsa.placement import LEVELS
from twin.cloud.vsa.quorum import quorum_side
from twin.cloud.vsa.resync import ClusterResync
from twin.cloud.vsa.volumes import ACCESSIBLE, LOST, VolumeClass, class_state
from twin.kernel.settle import DeferredSettle
from twin.record.events import VsaManager, VsaNodeData, VsaQuorum, VsaResync, VsaVolumes

FOM, VIRTUAL = "fom", "virtual"


class Group:
    """A management group: its votes and quorum."""

    def __init__(self, model, name: str, plan, nodes: list[str]):
        self.model, self.name, self.plan, self.nodes = model, name, plan, list(nodes)
        self.virtual_host: str | None = None
        self.virtual_pending = False
        self.running: dict[str, bool] = {}
        self.quorum: bool | None = None
        self.side: list[str] = []

    def voters(self) -> list[tuple[str, str]]:
        voters = [(node, node) for node in self.plan.managers]
        if self.plan.fom_host is not None:
            voters.append((FOM, self.plan.fom_host))
        if self.plan.virtual:
            voters.append((VIRTUAL, self.virtual_host or ""))
        return voters

    def update(self) -> None:
        lv, m = self.model.liveness, self.model
        if self.virtual_host is not None and not lv.up(self.virtual_host):
            self.virtual_host = None  # the virtual manager stops with its host
        voters = self.voters()
        hosts = dict(voters)

        def running(voter: str) -> bool:
            host = hosts[voter]
            return bool(host) and lv.up(host)

        for voter, host in voters:
            now_running = running(voter)
            if self.running.get(voter) != now_running:
                self.running[voter] = now_running
                m.record(VsaManager(self.name, voter, "running" if now_running else "stopped", host, m.cause))
        self.side, held = quorum_side(voters, running, lv.reachable)
        if held != self.quorum:
            self.quorum = held
            m.record(VsaQuorum(self.name, "held" if held else "lost", len(self.side), len(voters), m.cause))
        if not held and self.plan.virtual and self.virtual_host is None and not self.virtual_pending:
            self.virtual_pending = True
            m.after(m.p.virtual_manager_start_s.sample(m.rng), self._start_virtual)

    def anchor(self) -> str | None:
        """The host presence is judged from (the quorum side's first voter), None without quorum."""
        if not self.quorum or not self.side:
            return None
        return dict(self.voters())[self.side[0]]

    def _start_virtual(self) -> None:
        self.virtual_pending = False
        if self.quorum or self.virtual_host is not None:
            return
        lv = self.model.liveness
        host = next((n for n in self.nodes if lv.up(n) and lv.client_reachable(n)), None)
        if host is None:  # nowhere to start it: the operator tries again later
            self.virtual_pending = True
            m = self.model
            m.after(m.p.virtual_manager_start_s.sample(m.rng), self._start_virtual)
            return
        self.virtual_host = host
        self.model.cause = f"operator started the virtual manager on {host}"


class Cluster:
    """A cluster: nodes in order, one VolumeClass per Network RAID level, resyncs."""

    def __init__(self, model, plan, group: Group, link, nic_bps):
        self.model, self.plan, self.group = model, plan, group
        self.name, self.nodes = plan.name, list(plan.nodes)
        self.n = len(self.nodes)
        self.index = {node: i for i, node in enumerate(self.nodes)}
        p = model.p
        self._last_t = model.world.now
        self.present: dict[str, bool] = {}
        self.destroyed: set[str] = set()
        self.classes: dict[str, VolumeClass] = {}
        for spec in plan.volumes:
            self.add_volumes(spec.network_raid or plan.level, spec.count, spec.size_gib * GIB,
                             spec.provisioning, p.write_rate_mib_s if spec.write_rate_mib_s is None
                             else spec.write_rate_mib_s, record=False)
        if not self.classes:
            self.classes[plan.level] = VolumeClass(LEVELS[plan.level], self.n)
        for vc in self.classes.values():
            vc.holding = set(range(self.n))
        self.mark: dict[str, dict[str, float]] = {}
        self.owed: dict[str, float] = {node: 0.0 for node in self.nodes}
        self.reason: dict[str, str] = {}
        self.data_state: dict[str, str] = {}
        self.resync = ClusterResync(link, p.resync_gbps * 1e9, nic_bps)
        # day-2 membership changes (membership.py): spares not yet in, their flows, the planned space
        self.withheld: tuple[str, ...] = ()
        self.membership: ClusterResync | None = None
        self.space: dict[str, float] | None = None

    # --- volumes (cinder.py adds and removes them) ---------------------------------------
    def add_volumes(self, level: str, count: int, size_bytes: float, provisioning: str, write_mib_s: float,
                    record: bool = True) -> None:
        self.integrate()
        vc = self.classes.get(level)
        if vc is None:
            vc = self.classes[level] = VolumeClass(LEVELS[level], self.n)
            vc.holding = {self.index[node] for node in self.nodes
                          if self.present.get(node, True) and node not in self.destroyed}
        fill = 1.0 if provisioning == "full" else self.model.p.thin_fill
        vc.add(count, size_bytes, fill, write_mib_s)
        if record:
            self.model.record(VsaVolumes(self.name, level, vc.state, vc.state, vc.count, self.model.cause))

    # --- the settle steps ------------------------------------------------------------------
    def integrate(self) -> None:
        now = self.model.world.now
        dt = now - self._last_t
        if dt > 0:
            for vc in self.classes.values():
                if vc.state in ACCESSIBLE:
                    vc.written += vc.write_bps * dt
        self._last_t = now

    def is_present(self, node: str, anchor: str | None) -> bool:
        """`anchor`: the group's `anchor()` (None without quorum)."""
        lv = self.model.liveness
        if anchor is None:
            return lv.up(node) and lv.client_reachable(node)
        return lv.up(node) and lv.reachable(anchor, node)

    def serving(self, vc: VolumeClass) -> set[int]:
        return {i for i in vc.holding if self.present.get(self.nodes[i], False)}

    def update(self) -> None:
        lv = self.model.liveness
        self.integrate()
        anchor = self.group.anchor()
        for node in self.nodes:
            was = self.present.get(node)
            now_present = self.is_present(node, anchor)
            self.present[node] = now_present
            if not lv.disk_ok(node) and node not in self.destroyed:
                self._destroy(node)
            if was is not False and not now_present:  # left (or away at the start)
                self.mark[node] = {level: vc.written for level, vc in self.classes.items()}
                self._stop_resync(node, "interrupted: the node left")
            elif was is False and now_present:
                self._returned(node)
        for vc in self.classes.values():
            self._set_state(vc)
        for node in self.nodes:  # away nodes fall behind the volumes that take writes
            if not self.present[node]:
                i = self.index[node]
                for vc in self.classes.values():
                    if vc.state in ACCESSIBLE and vc.write_bps > 0:
                        vc.holding.discard(i)
        for node in self.nodes:
            if node in self.resync.active and not self._sources_readable(node):
                self._stop_resync(node, "interrupted: no readable source")
        for node in self.nodes:
            if self.present[node] and node not in self.resync.active and self._lacks(node) \
                    and self.group.quorum and lv.disk_ok(node) and self._sources_readable(node):
                self._start_resync(node)
        self._record_data_states()

    def _destroy(self, node: str) -> None:
        self._stop_resync(node, "interrupted: the node's disk failed")
        self.destroyed.add(node)
        i = self.index[node]
        for vc in self.classes.values():
            vc.holding.discard(i)
        self.owed[node] = 0.0

    def _returned(self, node: str) -> None:
        mark = self.mark.pop(node, {})
        if node in self.destroyed:
            return  # it owes its whole share (computed when its rebuild starts)
        owed = sum(vc.node_bytes(vc.written - mark.get(level, vc.written)) for level, vc in self.classes.items())
        self.owed[node] += owed
        self.reason.setdefault(node, "rejoin")
        if self.owed[node] <= 0:  # nothing was written while it was away: current at once
            self._made_current(node)

    def _lacks(self, node: str) -> bool:
        i = self.index[node]
        return node in self.destroyed or any(i not in vc.holding for vc in self.classes.values())

    def _sources_readable(self, node: str) -> bool:
        i = self.index[node]
        return all(vc.state in ACCESSIBLE for vc in self.classes.values() if i not in vc.holding and vc.count)

    def _start_resync(self, node: str) -> None:
        if node in self.destroyed and self.reason.get(node) != "rebuild":
            self.reason[node] = "rebuild"
            self.owed[node] = sum(vc.node_bytes(vc.data_bytes) for vc in self.classes.values())
        owed = self.owed[node]
        self.model.record(VsaResync(self.name, node, "start", self.reason.get(node, "rejoin"), owed, self.model.cause))
        self.resync.start(node, owed, lambda moved, node=node: self._resync_done(node, moved))

    def _stop_resync(self, node: str, why: str) -> None:
        if node not in self.resync.active:
            return
        moved = self.resync.stop(node)
        self.owed[node] = max(0.0, self.owed[node] - moved)
        self.model.record(VsaResync(self.name, node, "interrupted", self.reason.get(node, "rejoin"), moved,
                                    f"{why} ({self.model.cause})"))

    def _resync_done(self, node: str, moved: float) -> None:
        m = self.model
        m.cause = f"resync of {node} done"
        m.record(VsaResync(self.name, node, "end", self.reason.get(node, "rejoin"), moved, m.cause))
        self.owed[node] = 0.0
        self._made_current(node)
        m.request_settle()

    def _made_current(self, node: str) -> None:
        i = self.index[node]
        self.destroyed.discard(node)
        self.reason.pop(node, None)
        self.owed[node] = 0.0
        for vc in self.classes.values():
            vc.holding.add(i)

    def _set_state(self, vc: VolumeClass) -> None:
        m = self.model
        state = LOST if vc.lost else class_state(vc.level, self.n, self.serving(vc), vc.holding, bool(self.group.quorum))
        if state == LOST and not vc.lost:
            vc.lost = True
            m.after(m.p.restore_s.sample(m.rng), lambda vc=vc: self._restore(vc))
        if state != vc.state or not m.started:
            m.record(VsaVolumes(self.name, vc.level.name, state, vc.state if m.started else "", vc.count, m.cause))
            vc.state = state

    def _restore(self, vc: VolumeClass) -> None:
        present = {self.index[n] for n in self.nodes if self.present.get(n) and n not in self.destroyed}
        m = self.model
        if not present:  # nothing to restore onto yet: the operator tries again later
            m.after(m.p.restore_s.sample(m.rng), lambda: self._restore(vc))
            return
        vc.lost = False
        vc.holding = present
        for mark in self.mark.values():  # away nodes owe the whole restored data of the class
            mark[vc.level.name] = min(mark.get(vc.level.name, vc.written), vc.written - vc.data_bytes)
        m.cause = f"operator restored {self.name} nr-{vc.level.name} volumes from backup"

    def _record_data_states(self) -> None:
        for node in self.nodes:
            if not self.present[node]:
                state = "destroyed" if node in self.destroyed else "away"
            elif node in self.resync.active:
                state = "resyncing"
            elif self._lacks(node):
                state = "stale"
            else:
                state = "current"
            old = self.data_state.get(node, "")
            if state != old:
                self.data_state[node] = state
                self.model.record(VsaNodeData(self.name, node, state, old, self.model.cause))


class VsaModel(DeferredSettle):
    def __init__(self, world, config: Vsa | None, inventory_nodes, liveness, link, nic_bps=None):
        self.world, self.liveness = world, liveness
        self.p = config or Vsa()
        self.rng = world.rng("vsa")
        self.cause = "start"
        plans = plan_clusters(config, inventory_nodes)
        self.groups: dict[str, Group] = {}
        for plan in plans:
            if plan.group not in self.groups:
                nodes = [n for q in plans if q.group == plan.group for n in q.nodes]
                self.groups[plan.group] = Group(self, plan.group, plan.managers, nodes)
        self.clusters = {plan.name: Cluster(self, plan, self.groups[plan.group], link, nic_bps) for plan in plans}
        self._settle_pending = False
        self.settles = 0

    def record(self, event) -> None:
        self.world.record(event)

    def _settle(self, _event=None) -> None:
        self._settle_pending = False
        self.settles += 1
        for group in self.groups.values():
            group.update()
        for cluster in self.clusters.values():
            cluster.update()
