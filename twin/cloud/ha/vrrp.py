"""keepalived's VRRP for the API VIP: which controller holds it, and how it moves.

Rules (RFC 3768 as keepalived implements it; figures in params.Keepalived):
- States and their transitions are the table TABLE (a state machine of twin/kernel/statemachine.py,
  which records every change as ComponentState "vrrp/<node>"). keepalived starts as BACKUP; a BACKUP
  becomes MASTER when its Master_Down_Timer expires, a MASTER that hears a higher-ranked MASTER
  steps down, a failed `chk_haproxy` puts a node in FAULT (it gives the VIP up).
- Master_Down_Timer: a BACKUP that stops hearing a valid MASTER waits 3 x advert + skew,
  skew = (256 - priority) / 256 x advert; if the MASTER said goodbye (a priority-0 advert: its
  keepalived stopped gracefully or went to FAULT), it waits only the skew. A valid master is a
  reachable MASTER of higher or equal priority (any priority without preemption), so with
  preemption a returning higher-priority node takes the VIP back after its own timer.
- Rank: priority, then the earlier controller in the inventory (VRRP breaks ties by address).
- Clients follow gratuitous ARP: the VIP's traffic goes to the last node that became MASTER
  while its NIC was up (`holder`). A node that left MASTER cleanly removed the VIP from its
  interface; one whose keepalived was killed keeps it configured (and keeps answering).
- chk_haproxy: an event-driven rise/fall check of "haproxy runs here" (checks.py).
- At start (an already-running cloud) the highest-ranked eligible node is MASTER and holder.
"""
from __future__ import annotations

from functools import partial

from twin.cloud.ha.checks import HealthCheck
from twin.kernel.statemachine import Machine, Table
from twin.record.events import ComponentState, VipMoved

STOPPED, BACKUP, MASTER, FAULT = "stopped", "backup", "master", "fault"

#: (state, event) -> next state
TRANSITIONS: dict[tuple[str, str], str] = {
    (STOPPED, "start"): BACKUP,
    (BACKUP, "master_down"): MASTER,
    (MASTER, "higher_advert"): BACKUP,
    (BACKUP, "check_fail"): FAULT,
    (MASTER, "check_fail"): FAULT,
    (FAULT, "check_ok"): BACKUP,
    (BACKUP, "stop"): STOPPED,
    (MASTER, "stop"): STOPPED,
    (FAULT, "stop"): STOPPED,
}
TABLE = Table("vrrp", TRANSITIONS, states=(STOPPED, BACKUP, MASTER, FAULT), stable=(STOPPED, BACKUP, MASTER, FAULT))


def skew_s(priority: int, advert_s: float) -> float:
    return (256 - priority) / 256 * advert_s


def master_down_s(priority: int, advert_s: float) -> float:
    """RFC 3768 Master_Down_Interval: 3 x Advertisement_Interval + Skew_Time."""
    return 3 * advert_s + skew_s(priority, advert_s)


class Vrrp:
    def __init__(self, plane, nodes: list[str], params, phases: list[float]):
        self.plane, self.lv, self.p = plane, plane.liveness, params
        self.nodes = list(nodes)
        self.priority = {n: params.priorities.get(n, 101 - i) for i, n in enumerate(self.nodes)}
        self.rank = {n: (self.priority[n], -i) for i, n in enumerate(self.nodes)}
        self.sm = Machine(TABLE, plane.record, partial(ComponentState, "vrrp"))
        self.state = self.sm.state  # node -> its state (read only: changes go through self.sm)
        self.vip_on = {n: False for n in self.nodes}  # the VIP is configured on its interface
        self.timer: dict[str, float | None] = {n: None for n in self.nodes}
        self.chk = {n: HealthCheck(params.chk_interval_s, params.chk_rise, params.chk_fall, ph)
                    for n, ph in zip(self.nodes, phases)}
        self._was_up = {n: True for n in self.nodes}
        self.holder: str | None = None

    # --- start and the table ----------------------------------------------------------------
    def start(self) -> None:
        lv = self.lv
        initial = {}
        for n in self.nodes:
            self._was_up[n] = lv.up(n)
            self.chk[n].reset(lv.running(n, "haproxy"))
            initial[n] = (BACKUP if self.chk[n].up else FAULT) if lv.running(n, "keepalived") else STOPPED
        eligible = [n for n in self.nodes if initial[n] == BACKUP]
        if eligible:
            first = max(eligible, key=self.rank.__getitem__)
            initial[first], self.vip_on[first] = MASTER, True
            self.holder = first
        for n in self.nodes:
            self.sm.enter(n, initial[n], "start")
        self.plane.record(VipMoved(self.holder or "", "", "start"))

    def _fire(self, node: str, event: str) -> str:
        old = self.state[node]
        new = self.sm.fire(node, event, self.plane.cause)
        if old == MASTER and new != MASTER:
            # a clean exit removes the VIP; a killed keepalived leaves it on the interface
            if not (event == "stop" and self.lv.up(node) and not self._graceful_stop(node)):
                self.vip_on[node] = False
        return new

    def _graceful_stop(self, node: str) -> bool:
        return self.lv.graceful(node)

    # --- reacting ----------------------------------------------------------------------------
    def update(self, now: float) -> None:
        lv, released = self.lv, False
        for n in self.nodes:
            up = lv.up(n)
            if up != self._was_up[n]:
                self._was_up[n] = up
                self.chk[n].reset(lv.running(n, "haproxy"))  # keepalived (re)starts its script
                if not up:
                    self.vip_on[n] = False  # a node that went down lost its addresses
            flip = self.chk[n].observe(lv.running(n, "haproxy"), now)
            if flip is not None:
                self.plane.at(flip, lambda t, n=n: self.chk[n].due(t))
            st = self.state[n]
            alive = lv.running(n, "keepalived")
            if not alive:
                if st != STOPPED:
                    released |= st == MASTER and lv.graceful(n)
                    self._fire(n, "stop")
                continue
            if st == STOPPED:
                st = self._fire(n, "start")
            if st in (BACKUP, MASTER) and not self.chk[n].up:
                released |= st == MASTER
                self._fire(n, "check_fail")
            elif st == FAULT and self.chk[n].up:
                self._fire(n, "check_ok")
        masters = [n for n in self.nodes if self.state[n] == MASTER]
        for m in masters:
            if any(self.rank[o] > self.rank[m] and lv.reachable(o, m) for o in masters if o != m):
                self._fire(m, "higher_advert")
        for b in self.nodes:
            if self.state[b] != BACKUP:
                self.timer[b] = None
            elif self._hears_valid_master(b):
                self.timer[b] = None
            elif self.timer[b] is None:
                wait = skew_s(self.priority[b], self.p.advert_interval_s) if released else \
                    master_down_s(self.priority[b], self.p.advert_interval_s)
                at = self.timer[b] = now + wait
                self.plane.at(at, lambda t, b=b: self._master_down(b, t))

    def _hears_valid_master(self, b: str) -> bool:
        for m in self.nodes:
            if m != b and self.state[m] == MASTER and self.lv.reachable(m, b):
                if not self.p.preempt or self.priority[m] >= self.priority[b]:
                    return True
        return False

    def _master_down(self, b: str, at: float) -> bool:
        if self.timer[b] != at or self.state[b] != BACKUP or self._hears_valid_master(b):
            return False
        self.timer[b] = None
        self._fire(b, "master_down")
        was_serving = self.holder == b and self.vip_on[b]
        self.vip_on[b] = True
        if self.lv.client_reachable(b) and not was_serving:  # gratuitous ARP: clients follow
            previous, self.holder = self.holder, b
            self.plane.record(VipMoved(b, previous or "", self.plane.cause))
        return True

    # --- what a client finds at the VIP -----------------------------------------------------
    def entry(self) -> tuple[str | None, str]:
        """(the node the VIP's traffic reaches, "") or (None, reason)."""
        h = self.holder
        if h is None:
            return None, "vip_none"
        if not self.lv.client_reachable(h):
            return None, "vip_unreachable"
        if not self.vip_on[h]:
            return None, "vip_released"
        return h, ""
