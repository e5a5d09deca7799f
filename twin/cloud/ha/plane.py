"""The HA control plane: VRRP, HAProxy, Galera, RabbitMQ and the singletons wired together over
a world's liveness, and the path of one API request through the VIP.

Rules:
- The plane reacts to the world: every liveness change (and every timer of a component: a VRRP
  master-down timer, a health check's verdict, a Galera view change...) asks for one *settle* at
  the current instant; changes at the same instant share it. A settle updates the components in
  dependency order (Galera, RabbitMQ, HAProxy's checks, VRRP, singletons), then recomputes each
  API service's level: the share of client addresses (`probe_sources`) whose request would
  succeed now. A level that changes, or the same level failing for another reason, is recorded
  (ServiceLevel) with why requests fail and what caused it, so availability is exact from the
  log, with or without sampled clients, and an outage's cause follows its failing requests.
- A request's path (`route`), in order: the VIP (VRRP holder, reachable, VIP configured), the
  holder's HAProxy (running), a backend chosen among those HAProxy's checks believe up
  (`balance source`: the client address picks it), that backend really answering, then each of
  the service's needs: the DB (HAProxy's MySQL listener on the same node sends every query to the
  first MySQL server its checks believe up; Galera decides whether it may commit), RPC (the
  backend's RabbitMQ client, the queue's master), the cinder-volume singleton, Swift storage
  (`swift_refusal(backend)`, given by the run from the Swift model: some ring device it reaches
  answers; without it, some Swift node is reachable). The share of objects readable or writable
  is the Swift model's own level (twin/cloud/swift), not the plane's.
  The first failing step is the request's error (REASONS: its words and its latency kind).
- HAProxy checks per (HAProxy node, backend node): the API check passes while the backend is up
  and reachable; the MySQL check (clustercheck) while its Galera member is synced in a primary
  component. An HAProxy node that (re)starts begins with its servers as they are.
- Timers are plain World timeouts with callbacks; a component's timer checks that it is still
  the pending one (no cancellation needed), and a settle follows it.
"""
from __future__ import annotations

from functools import partial

from twin.cloud.ha.checks import VERDICT, HealthCheck
from twin.cloud.ha.galera import Galera
from twin.cloud.ha.rabbit import Rabbit
from twin.cloud.ha.singletons import Singletons
from twin.cloud.ha.vrrp import Vrrp
from twin.kernel.settle import DeferredSettle
from twin.kernel.statemachine import Machine
from twin.record.events import ComponentState, ServiceLevel

#: Why a request fails: reason -> (words for the outage table, latency kind the client sees)
#: latency kinds: client_timeout (the client gives up), instant (refused at once), connect_retries
#: (HAProxy's connect timeout x (1 + retries), at most the client's timeout), service (the call's
#: own latency: the error comes from the service), rpc_timeout (the client's timeout).
REASONS: dict[str, tuple[str, str]] = {
    "vip_none": ("no node holds the VIP", "client_timeout"),
    "vip_unreachable": ("the VIP holder does not answer (VRRP takeover pending)", "client_timeout"),
    "vip_released": ("the VIP was released and not yet taken over", "client_timeout"),
    "haproxy_down": ("HAProxy is not running on the VIP holder (connection refused)", "instant"),
    "no_backend": ("HAProxy has no backend up (503)", "instant"),
    "backend_timeout": ("the backend HAProxy chose does not answer (503 after connect retries)", "connect_retries"),
    "db_no_server": ("HAProxy has no MySQL server up", "service"),
    "db_timeout": ("the MySQL server HAProxy chose does not answer", "connect_retries"),
    "db_blocked": ("Galera commits stall: a member went silent (suspect timeout)", "service"),
    "db_non_primary": ("Galera is non-primary: the DB refuses writes", "service"),
    "db_joining": ("the MySQL node is not synced (state transfer)", "service"),
    "rpc_no_broker": ("no RabbitMQ node reachable and running (paused or down)", "service"),
    "rpc_reconnecting": ("the RPC client is reconnecting to RabbitMQ", "service"),
    "rpc_queue_master": ("the RPC queue's master is down and not yet declared down (net_ticktime)", "rpc_timeout"),
    "cinder_volume_down": ("cinder-volume (singleton) is down", "service"),
    "swift_storage_down": ("no Swift storage device is reachable", "service"),
}

API, MYSQL = "api", "mysql"


class ControlPlane(DeferredSettle):
    def __init__(self, world, params, liveness, controllers: list[str], swift_nodes: list[str] = (),
                 probe_sources: int = 12, swift_refusal=None):
        self.world, self.p, self.liveness = world, params, liveness
        self.controllers = list(controllers)
        self.swift_nodes = list(swift_nodes)
        self.swift_refusal = swift_refusal  # backend -> reason ("" = Swift storage answers); None: any node
        self.services = dict(params.services)
        self.probe_sources = probe_sources
        self.cause = "start"
        rng = world.rng("ha", "check-phases")
        hp = params.haproxy
        verdicts = Machine(VERDICT, self.record, partial(ComponentState, "haproxy"))  # records every flip
        self.checks = {(lb, b, kind): HealthCheck(hp.inter_s, hp.rise, hp.fall, float(rng.uniform(0, hp.inter_s)),
                                                  verdict=verdicts, name=f"{lb}>{b}:{kind}")
                       for lb in self.controllers for b in self.controllers for kind in (API, MYSQL)}
        chk_phases = [float(rng.uniform(0, params.keepalived.chk_interval_s)) for _ in self.controllers]
        self.galera = Galera(self, self.controllers, params.galera)
        self.rabbit = Rabbit(self, self.controllers, params.rabbitmq)
        self.vrrp = Vrrp(self, self.controllers, params.keepalived, chk_phases)
        self.singletons = Singletons(self, self.controllers, params.singletons)
        self.levels = {s: 1.0 for s in self.services}
        self.reasons = {s: "" for s in self.services}  # why the level is below 1 (a change is recorded)
        self._lb_up = {lb: True for lb in self.controllers}
        self._settle_pending = False
        self._rr = {s: 0 for s in self.services}
        self.settles = 0

    # --- plumbing ---------------------------------------------------------------------------
    def record(self, event) -> None:
        self.world.record(event)

    def at(self, t: float, fn) -> None:
        """Call fn(t) at time t (now if t is past) with this settle's cause, then settle."""
        cause = self.cause

        def fire(_event):
            self.cause = cause
            fn(t)
            self.request_settle()

        self.world.timeout(max(0.0, t - self.world.now)).callbacks.append(fire)


    # --- start and settle --------------------------------------------------------------------
    def start(self) -> None:
        """The cloud as it is now (already running): components in their steady state."""
        self.liveness.watch(self.on_change)
        self.galera.start()
        self.rabbit.start()
        for (lb, b, kind), check in self.checks.items():
            check.reset(self._healthy(lb, b, kind))
        for lb in self.controllers:
            self._lb_up[lb] = self.liveness.up(lb)
        self.vrrp.start()
        self.singletons.start()
        self.cause = "start"
        for service in self.services:
            level, reason = self.level(service)
            self.levels[service], self.reasons[service] = level, reason
            self.record(ServiceLevel(service, level, REASONS.get(reason, ("",))[0], "start"))

    def _settle(self, _event=None) -> None:
        self._settle_pending = False
        self.settles += 1
        now = self.world.now
        self.galera.update(now)
        self.rabbit.update(now)
        self._update_checks(now)
        self.vrrp.update(now)
        self.singletons.update(now)
        memo: dict = {}
        for service in self.services:
            level, reason = self.level(service, memo)
            if level != self.levels[service] or reason != self.reasons[service]:
                self.levels[service], self.reasons[service] = level, reason
                self.record(ServiceLevel(service, level, REASONS.get(reason, ("",))[0], self.cause))

    def _healthy(self, lb: str, b: str, kind: str) -> bool:
        if not self.liveness.reachable(lb, b):
            return False
        return kind == API or self.galera.synced_primary(b)

    def _update_checks(self, now: float) -> None:
        lv = self.liveness
        for lb in self.controllers:
            up = lv.up(lb)
            if up != self._lb_up[lb]:
                self._lb_up[lb] = up
                if up:  # HAProxy (re)starts: its first checks find the servers as they are
                    for b in self.controllers:
                        for kind in (API, MYSQL):
                            self.checks[(lb, b, kind)].reset(self._healthy(lb, b, kind))
                continue
            if not up:
                continue
            for b in self.controllers:
                for kind in (API, MYSQL):
                    check = self.checks[(lb, b, kind)]
                    flip = check.observe(self._healthy(lb, b, kind), now)
                    if flip is not None:
                        self.at(flip, lambda t, key=(lb, b, kind): self._check_due(key, t))

    def _check_due(self, key, at: float) -> bool:
        return self.checks[key].due(at, self.cause)  # a flip is recorded by the checks' machine

    # --- a request's path ----------------------------------------------------------------------
    def up_servers(self, lb: str, kind: str = API) -> list[str]:
        return [b for b in self.controllers if self.checks[(lb, b, kind)].up]

    def route(self, service: str, key: int, entry: str | None = None) -> tuple[str, str]:
        """(backend, reason) for a request of `service` from client address `key`; reason "" =
        success. `entry`: the node whose VIP the client reaches (default: where VRRP put it;
        give one to ask what a split-brain copy of the VIP would answer)."""
        lv = self.liveness
        if entry is None:
            entry, reason = self.vrrp.entry()
            if entry is None:
                return "", reason
        elif not lv.client_reachable(entry):
            return "", "vip_unreachable"
        if not lv.running(entry, "haproxy"):
            return "", "haproxy_down"
        servers = self.up_servers(entry)
        if not servers:
            return "", "no_backend"
        backend = servers[key % len(servers)]
        if not lv.reachable(entry, backend):
            return backend, "backend_timeout"
        reason = self._needs(service, backend, key, entry)
        return backend, reason

    def _needs(self, service: str, backend: str, key: int, entry: str) -> str:
        for need in self.services[service].needs:
            reason = self.rabbit.refusal(backend, key)[0] if need == "rpc" else self._need(need, backend, entry)
            if reason:
                return reason
        return ""

    def _db(self, backend: str, entry: str) -> str:
        if not self.liveness.reachable(backend, entry):
            return "db_timeout"
        servers = self.up_servers(entry, MYSQL)
        if not servers:
            return "db_no_server"
        server = servers[0]  # the others are `backup` servers
        if not (self.liveness.reachable(entry, server) and self.liveness.running(server, "mysqld")):
            return "db_timeout"
        return self.galera.refusal(server)

    def level(self, service: str, memo: dict | None = None) -> tuple[float, str]:
        """(share of probe client addresses whose request succeeds now, the commonest failure).
        Same answer as `route` for every probe address, with the steps that do not depend on the
        address done once (`memo`: shared by the services of one settle)."""
        n = self.probe_sources
        memo = {} if memo is None else memo
        if "entry" not in memo:
            entry, reason = self.vrrp.entry()
            if entry is not None and not self.liveness.running(entry, "haproxy"):
                entry, reason = None, "haproxy_down"
            servers = self.up_servers(entry) if entry is not None else []
            if entry is not None and not servers:
                entry, reason = None, "no_backend"
            memo.update(entry=entry, reason=reason, servers=servers)
        if memo["entry"] is None:
            return 0.0, memo["reason"]
        entry, servers = memo["entry"], memo["servers"]
        needs = self.services[service].needs
        failures: dict[str, int] = {}
        for key in range(n):
            backend = servers[key % len(servers)]
            reason = memo.get(("backend", backend))
            if reason is None:
                reason = memo[("backend", backend)] = "" if self.liveness.reachable(entry, backend) \
                    else "backend_timeout"
            if not reason:
                for need in needs:
                    if need == "rpc":
                        reason = self.rabbit.refusal(backend, key)[0]
                    else:
                        reason = memo.get((need, backend))
                        if reason is None:
                            reason = memo[(need, backend)] = self._need(need, backend, entry)
                    if reason:
                        break
            if reason:
                failures[reason] = failures.get(reason, 0) + 1
        if not failures:
            return 1.0, ""
        worst = max(failures, key=failures.__getitem__)
        return (n - sum(failures.values())) / n, worst

    def _need(self, need: str, backend: str, entry: str) -> str:
        if need == "db":
            return self._db(backend, entry)
        if need == "cinder_volume":
            return self.singletons.refusal("cinder_volume", backend)
        if self.swift_refusal is not None:
            return self.swift_refusal(backend)
        return "" if any(self.liveness.reachable(backend, s) for s in self.swift_nodes) else "swift_storage_down"

    def client_route(self, service: str, source: int) -> tuple[str, str]:
        """A sampled client's request: source-pinned, or round robin over the backends."""
        if self.p.haproxy.balance == "roundrobin":
            self._rr[service] += 1
            return self.route(service, self._rr[service])
        return self.route(service, source)
