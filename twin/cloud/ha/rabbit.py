"""The RabbitMQ cluster on the controllers (RPC for nova, neutron, cinder): pause_minority,
peer detection, mirrored queues, and the RPC clients' reconnection.

Rules (RabbitMQ 3.x; figures in params.RabbitMQ):
- Each node keeps the set of peers it sees. A peer that goes silent (its host crashed or lost
  power, a NIC, a partition) is declared down after `net_ticktime_s`; one stopped cleanly says
  so at once, and so does one whose Erlang VM died on a live host (its sockets close). A peer
  seen again is back at once.
- pause_minority: a running node that sees no more than half of the cluster (itself included,
  stopped nodes still counted in the cluster) pauses; a paused node resumes when it sees a
  majority again. So two of three nodes stopped, even cleanly, pause the third.
- Queues are mirrored (ha-mode all); a queue's master is the first node, from its home node in
  cluster order, that the client's broker still believes up. Until a dead master is declared
  down its queue does not answer (the RPC waits: `rpc_queue_master`).
- RabbitMQ is not behind the VIP: an API node's RPC client holds the node list and connects to
  the first usable broker starting from its own node (*inferred* order). When its broker goes
  away it reconnects after `client_retry_s`, then `+ client_backoff_s` per failed attempt, at
  most `client_retry_max_s` apart; meanwhile its calls fail (`rpc_reconnecting`).
- Node states and their transitions are the table TABLE (a state machine of
  twin/kernel/statemachine.py, which records every change as ComponentState "rabbitmq/<node>").
"""
from __future__ import annotations

from functools import partial

from twin.kernel.statemachine import Machine, Table
from twin.record.events import ComponentState

DOWN, RUNNING, PAUSED = "down", "running", "paused"

#: (state, event) -> next state
TRANSITIONS: dict[tuple[str, str], str] = {
    (DOWN, "start"): RUNNING,
    (RUNNING, "minority"): PAUSED,
    (PAUSED, "majority"): RUNNING,
    (RUNNING, "stop"): DOWN,
    (PAUSED, "stop"): DOWN,
}
TABLE = Table("rabbitmq", TRANSITIONS, states=(DOWN, RUNNING, PAUSED), stable=(DOWN, RUNNING, PAUSED))


class Rabbit:
    def __init__(self, plane, nodes: list[str], params):
        self.plane, self.lv, self.p = plane, plane.liveness, params
        self.nodes = list(nodes)
        self.n = len(self.nodes)
        self.sm = Machine(TABLE, plane.record, partial(ComponentState, "rabbitmq"))
        self.state = self.sm.state  # node -> its state (read only: changes go through self.sm)
        self.sees = {x: set(self.nodes) - {x} for x in self.nodes}
        self.lost_at: dict[tuple[str, str], float] = {}  # (observer, peer) -> declared down at
        self.conn: dict[str, str | None] = {x: x for x in self.nodes}  # API node -> its broker
        self.retry: dict[str, list] = {}  # API node -> [next attempt at, attempts, timer armed]

    def start(self) -> None:
        for x in self.nodes:
            self.sm.enter(x, RUNNING if self.lv.running(x, "rabbitmq") else DOWN, "start")
        self.update(self.plane.world.now, quiet=True)

    def _fire(self, x: str, event: str) -> None:
        self.sm.fire(x, event, self.plane.cause)

    def _erlang_up(self, x: str) -> bool:
        return self.lv.running(x, "rabbitmq")

    # --- reacting ---------------------------------------------------------------------------
    def update(self, now: float, quiet: bool = False) -> None:
        lv = self.lv
        for x in self.nodes:
            up = self._erlang_up(x)
            if not up and self.state[x] != DOWN:
                self._fire(x, "stop")
                self.sees[x] = set()
            elif up and self.state[x] == DOWN:
                self._fire(x, "start")
        for a in self.nodes:
            if self.state[a] == DOWN:
                continue
            for b in self.nodes:
                if b == a:
                    continue
                visible = self._erlang_up(b) and lv.reachable(a, b)
                if visible:
                    self.sees[a].add(b)
                    self.lost_at.pop((a, b), None)
                elif b in self.sees[a]:
                    if self.state[b] == DOWN and (lv.graceful(b) or lv.up(b)):
                        self.sees[a].discard(b)  # a clean stop is announced; a dead VM on a live host closes its sockets
                    elif (a, b) not in self.lost_at:
                        at = self.lost_at[(a, b)] = now + self.p.net_ticktime_s
                        self.plane.at(at, lambda t, a=a, b=b: self._declare_down(a, b, t))
        self._pause_or_resume()
        self._connections(now)

    def _declare_down(self, a: str, b: str, at: float) -> bool:
        if self.lost_at.get((a, b)) != at:
            return False
        del self.lost_at[(a, b)]
        self.sees[a].discard(b)
        return True

    def _pause_or_resume(self) -> None:
        if self.p.partition_handling != "pause_minority":
            return
        for x in self.nodes:
            majority = (len(self.sees[x]) + 1) * 2 > self.n
            if self.state[x] == RUNNING and not majority:
                self._fire(x, "minority")
            elif self.state[x] == PAUSED and majority:
                self._fire(x, "majority")

    def _usable(self, api: str, broker: str) -> bool:
        return self.state[broker] == RUNNING and self.lv.reachable(api, broker)

    def _wait_s(self, attempts: int) -> float:
        return min(self.p.client_retry_s + self.p.client_backoff_s * attempts, self.p.client_retry_max_s)

    def _connections(self, now: float) -> None:
        """Reconnect clients that lost their broker, on their retry schedule. While no broker is
        usable every attempt fails, so the schedule is advanced arithmetically and a timer is
        armed only for an attempt that can succeed (no event per failed retry)."""
        for api in self.nodes:
            broker = self.conn.get(api)
            if broker is not None and self._usable(api, broker):
                continue
            self.conn[api] = None
            if not self.lv.up(api):
                self.retry.pop(api, None)  # it starts over when it is back
                continue
            pending = self.retry.get(api)
            if pending is None:
                pending = self.retry[api] = [now + self._wait_s(0), 0, False]
            if not pending[2] and any(self._usable(api, b) for b in self.nodes):
                at, attempts = pending[0], pending[1]
                while at < now:
                    step = self._wait_s(attempts + 1)
                    if step >= self.p.client_retry_max_s and step > 0:
                        k = max(1, int((now - at) // step) + (1 if (now - at) % step else 0))
                        at, attempts = at + k * step, attempts + k
                    else:
                        at, attempts = at + step, attempts + 1
                pending[:] = [at, attempts, True]
                self.plane.at(at, lambda t, api=api: self._reconnect(api, t))

    def _reconnect(self, api: str, at: float) -> bool:
        pending = self.retry.get(api)
        if pending is None or pending[0] != at or not pending[2]:
            return False
        i = self.nodes.index(api)
        for k in range(self.n):
            broker = self.nodes[(i + k) % self.n]
            if self._usable(api, broker):
                self.conn[api] = broker
                del self.retry[api]
                return True
        attempts = pending[1] + 1
        pending[:] = [at + self._wait_s(attempts), attempts, False]  # next attempt, armed when it can work
        return False

    # --- what an RPC call gets -----------------------------------------------------------------
    def refusal(self, api: str, key: int) -> tuple[str, str]:
        """(reason, broker) why an RPC call from API node `api` fails now; reason "" if it works."""
        broker = self.conn.get(api)
        if broker is None or not self._usable(api, broker):
            if not any(self._usable(api, b) for b in self.nodes):
                return "rpc_no_broker", ""
            return "rpc_reconnecting", ""
        home = key % self.n
        believed = self.sees[broker]
        for k in range(self.n):
            master = self.nodes[(home + k) % self.n]
            if master == broker or master in believed:
                if master == broker or (self._erlang_up(master) and self.state[master] == RUNNING
                                        and self.lv.reachable(broker, master)):
                    return "", broker
                return "rpc_queue_master", broker
        return "rpc_no_broker", broker

    def majority_running(self) -> bool:
        return sum(1 for x in self.nodes if self.state[x] == RUNNING) * 2 > self.n
