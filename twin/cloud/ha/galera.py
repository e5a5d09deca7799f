"""Galera's primary component on the controllers: who may commit, and who serves queries.

Rules (Galera 3 / Percona XtraDB Cluster 5.6; figures in params.Galera):
- Members whose mysqld runs and who reach each other form a component. A component is primary
  when its members hold a strict weighted majority of the last primary component (pc.weight);
  at most one can. Only a primary component commits; members of a non-primary one refuse.
- A member that goes silent (crash, power loss, NIC down, partition) is dropped from the view
  after `suspect_s`, when every remaining member suspects it; until then the component's commits
  stall (writes wait for the silent member). `inactive_s` is the hard limit for members that do
  not agree; this model's losses are symmetric, so the view changes after min(suspect, inactive).
- A graceful leave (mysqld stopped cleanly) is announced: the view changes at once and the
  leaver's weight is removed from the last primary component (quorum is recounted). A crash is
  not announced and not recounted: two crashes out of three leave one non-primary node, two
  graceful leaves leave one primary node.
- Joining (a member returns, a partition heals) changes the view at once. A member that missed
  commits (it was outside the primary component while it committed, or lost its disk) is a
  JOINER for `state_transfer_s` (IST/SST from a synced donor) before it serves; with
  `donor_blocks` the donor does not serve during the transfer.
- A non-primary component that holds a strict majority of the *configured* cluster is
  bootstrapped by the operator (pc.bootstrap) after `bootstrap_after_s`; members with the latest
  data are synced at once, the others join. (0 s: automatic, as pc.recovery re-forms a
  cluster whose members reconnect.)
- Member states and their transitions are the table TABLE; the cluster's status (primary,
  blocked, non_primary) is the machine CLUSTER, which moves to whatever the members make it.
  Both are state machines of twin/kernel/statemachine.py and record every change as
  ComponentState "galera/<member>" and "galera/cluster"; a view change that leaves a member
  where it was records nothing.
"""
from __future__ import annotations

from functools import partial

from twin.kernel.statemachine import Machine, Table
from twin.record.events import ComponentState

DOWN, NON_PRIMARY, JOINER, SYNCED = "down", "non_primary", "joiner", "synced"

#: (state, event) -> next state
TRANSITIONS: dict[tuple[str, str], str] = {
    (DOWN, "view_primary_current"): SYNCED,  # restarted with the latest data (bootstrap)
    (DOWN, "view_primary_stale"): JOINER,
    (DOWN, "view_non_primary"): NON_PRIMARY,
    (NON_PRIMARY, "view_primary_current"): SYNCED,
    (NON_PRIMARY, "view_primary_stale"): JOINER,
    (NON_PRIMARY, "view_non_primary"): NON_PRIMARY,
    (SYNCED, "view_primary_current"): SYNCED,
    (SYNCED, "view_non_primary"): NON_PRIMARY,
    (JOINER, "view_primary_current"): JOINER,  # a view change does not finish a transfer
    (JOINER, "view_primary_stale"): JOINER,
    (JOINER, "view_non_primary"): NON_PRIMARY,  # the transfer is aborted
    (JOINER, "transferred"): SYNCED,
    (SYNCED, "stop"): DOWN,
    (NON_PRIMARY, "stop"): DOWN,
    (JOINER, "stop"): DOWN,
}

TABLE = Table("galera", TRANSITIONS, states=(DOWN, NON_PRIMARY, JOINER, SYNCED), stable=(DOWN, NON_PRIMARY, SYNCED))

#: Cluster-level status, for the log and the metrics; the event is the status it is found in.
PRIMARY, BLOCKED = "primary", "blocked"
STATUSES = (PRIMARY, BLOCKED, NON_PRIMARY)
CLUSTER = Table("galera-cluster", {(a, b): b for a in STATUSES for b in STATUSES}, states=STATUSES,
                stable=STATUSES)


class Galera:
    def __init__(self, plane, members: list[str], params):
        self.plane, self.lv, self.p = plane, plane.liveness, params
        self.members = list(members)
        self.weight = {m: params.weights.get(m, 1) for m in self.members}
        self.configured = frozenset(self.members)
        record = partial(ComponentState, "galera")
        self.sm = Machine(TABLE, plane.record, record)
        self.state = self.sm.state  # member -> its state (read only: changes go through self.sm)
        self.cluster = Machine(CLUSTER, plane.record, record)
        self.view: dict[str, frozenset | None] = {m: self.configured for m in self.members}
        self.current = {m: True for m in self.members}  # has every commit so far
        self.last_pc = self.configured
        self.primary_views: set[frozenset] = {self.configured}
        self.gone: dict[tuple[str, str], float] = {}  # (member, silent peer) -> since when
        self.change_at: dict[frozenset, float] = {}  # pending view change per component
        self.bootstrap_at: dict[frozenset, float] = {}
        self.transfer: dict[str, tuple[float, str | None]] = {}  # joiner -> (done at, donor)
        self._rng = plane.world.rng("galera")

    def start(self) -> None:
        for m in self.members:
            running = self.lv.running(m, "mysqld")
            if not running:
                self.view[m] = None
            self.sm.enter(m, SYNCED if running else DOWN, "start")
        self.cluster.enter("cluster", self._status(), "start")

    def _w(self, nodes) -> int:
        return sum(self.weight[m] for m in nodes)

    def _fire(self, m: str, event: str) -> None:
        self.sm.fire(m, event, self.plane.cause)

    # --- reacting ---------------------------------------------------------------------------
    def update(self, now: float) -> None:
        lv = self.lv
        running = [m for m in self.members if lv.running(m, "mysqld")]
        for m in self.members:
            if not lv.disk_ok(m):
                self.current[m] = False  # its data went with the disk
            if m not in running and self.state[m] != DOWN:
                self._stop(m, now)
        for comp in self._components(running):
            self._settle_component(comp, now)
        self._set_status()

    def _components(self, running: list[str]) -> list[frozenset]:
        comps, seen = [], set()
        for m in running:
            if m in seen:
                continue
            comp, todo = {m}, [m]
            while todo:
                a = todo.pop()
                for b in running:
                    if b not in comp and self.lv.reachable(a, b):
                        comp.add(b)
                        todo.append(b)
            seen |= comp
            comps.append(frozenset(comp))
        return comps

    def _stop(self, m: str, now: float) -> None:
        view = self.view[m]
        if self.lv.graceful(m) and view in self.primary_views and m in self.last_pc:
            self.last_pc = self.last_pc - {m}  # announced leave: quorum recounted
        self.transfer.pop(m, None)
        self._fire(m, "stop")
        self.view[m] = None
        self.gone = {k: t for k, t in self.gone.items() if k[0] != m}

    def _settle_component(self, comp: frozenset, now: float) -> None:
        """Install a new view for `comp` now, or when its silent members are declared gone."""
        deadline = None
        for a in comp:
            view = self.view[a]
            missing = (view - comp) if view else frozenset()
            for x in missing:
                if self.state[x] == DOWN and self.lv.graceful(x):
                    continue  # it said goodbye
                since = self.gone.setdefault((a, x), now)
                deadline = since if deadline is None else max(deadline, since)
            for key in [k for k in self.gone if k[0] == a and k[1] not in missing]:
                del self.gone[key]
        if all(self.view[m] == comp for m in comp):
            self.change_at.pop(comp, None)
            return
        if deadline is not None:
            at = deadline + min(self.p.suspect_s, self.p.inactive_s)
            if at > now:
                if self.change_at.get(comp) != at:
                    self.change_at[comp] = at
                    self.plane.at(at, lambda t, c=comp: self._view_change_due(c, t))
                return
        self._install(comp, now)

    def _view_change_due(self, comp: frozenset, at: float) -> bool:
        if self.change_at.get(comp) != at:
            return False
        del self.change_at[comp]
        if all(m in self.members and self.state[m] != DOWN and self.view[m] is not None for m in comp) and \
                comp in self._components([m for m in self.members if self.lv.running(m, "mysqld")]):
            self._install(comp, at)
        return True

    def _install(self, comp: frozenset, now: float, bootstrap: bool = False) -> None:
        self.change_at.pop(comp, None)
        for old in {self.view[m] for m in comp if self.view[m] is not None}:
            self.primary_views.discard(old)
        for m in comp:
            self.view[m] = comp
        quorum = self._w(comp & self.last_pc) * 2 > self._w(self.last_pc)
        if quorum or bootstrap:
            self._primary(comp, now)
            return
        for m in comp:
            self._fire(m, "view_non_primary")
            self.transfer.pop(m, None)
        if self._w(comp) * 2 > self._w(self.configured) and comp not in self.bootstrap_at:
            at = self.bootstrap_at[comp] = now + self.p.bootstrap_after_s
            self.plane.at(at, lambda t, c=comp: self._bootstrap_due(c, t))

    def _primary(self, comp: frozenset, now: float) -> None:
        self.primary_views = {v for v in self.primary_views if not (v & comp)}
        self.primary_views.add(comp)
        self.last_pc = comp
        self.bootstrap_at.pop(comp, None)
        if not any(self.current[m] for m in comp):  # nobody has the data: the operator restores one
            self.current[min(comp, key=self.members.index)] = True
        for m in self.members:
            if m not in comp:
                self.current[m] = False  # this component commits without it
        donor = next((m for m in self.members if m in comp and self.current[m]), None)
        for m in sorted(comp, key=self.members.index):
            if self.current[m]:
                self._fire(m, "view_primary_current")
            else:
                self._fire(m, "view_primary_stale")
                if m not in self.transfer:
                    at = now + self.p.state_transfer_s.sample(self._rng)
                    self.transfer[m] = (at, donor)
                    self.plane.at(at, lambda t, m=m: self._transferred(m, t))

    def _transferred(self, m: str, at: float) -> bool:
        pending = self.transfer.get(m)
        if pending is None or pending[0] != at:
            return False
        del self.transfer[m]
        if self.state[m] == JOINER and self.view[m] in self.primary_views:
            self.current[m] = True
            self._fire(m, "transferred")
        return True

    def _bootstrap_due(self, comp: frozenset, at: float) -> bool:
        if self.bootstrap_at.get(comp) != at:
            return False
        del self.bootstrap_at[comp]
        if all(self.view[m] == comp for m in comp) and comp not in self.primary_views:
            self._install(comp, at, bootstrap=True)
        return True

    # --- what clients get ---------------------------------------------------------------------
    def blocked(self, m: str) -> bool:
        view = self.view[m]
        return view is not None and view in self.primary_views and any(m in c for c in self.change_at)

    def refusal(self, m: str) -> str:
        """Why member `m` cannot run a write now ("" when it can)."""
        st = self.state[m]
        if st == SYNCED:
            if self.view[m] not in self.primary_views:
                return "db_non_primary"
            if self.blocked(m):
                return "db_blocked"
            if self.p.donor_blocks and any(d == m for _, d in self.transfer.values()):
                return "db_joining"
            return ""
        return {NON_PRIMARY: "db_non_primary", JOINER: "db_joining", DOWN: "db_timeout"}[st]

    def synced_primary(self, m: str) -> bool:
        """What HAProxy's clustercheck reports for `m` (wsrep Synced in a primary component)."""
        return self.state[m] == SYNCED and self.view[m] in self.primary_views

    def _status(self) -> str:
        serving = [m for m in self.members if self.state[m] == SYNCED and self.view[m] in self.primary_views]
        if not serving:
            return NON_PRIMARY
        return BLOCKED if all(self.blocked(m) for m in serving) else PRIMARY

    @property
    def status(self) -> str:
        return self.cluster.state["cluster"]

    def _set_status(self) -> None:
        self.cluster.fire("cluster", self._status(), self.plane.cause)
