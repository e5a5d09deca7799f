"""Synthetic API clients: requests to each service through the VIP, at a configured rate, each
recorded with its outcome and latency (Request events).

Rules:
- One open-loop client per service: arrivals are Poisson (or evenly spaced) at `rate_per_s`; a
  request comes from one of `sources` client addresses (random), which `balance source` pins to a
  backend. Each service's stream of numbers is its own ("clients", service).
- The outcome is decided when the request is sent, by the control plane's path (plane.route);
  the latency is the service's own (a success or an error the service returns), 1 ms for a
  refused connection, HAProxy's connect timeout x (1 + retries) for a dead backend, the
  client's timeout when nothing answers, all capped at the client's timeout.
- Clients are for drills: a year at 1 req/s per service is ~190 million requests; leave them out
  of long runs (the service levels give availability exactly without them).
"""
from __future__ import annotations

from twin.cloud.ha.plane import REASONS
from twin.record.events import Request

REFUSED_S = 0.001


class ApiClients:
    def __init__(self, world, plane, spec, params):
        self.world, self.plane, self.spec, self.p = world, plane, spec, params
        self.sent = 0

    def start(self) -> None:
        for service in self.spec.services:
            if service in self.plane.services:
                self.world.process(self._client(service))

    def latency(self, service: str, reason: str, rng) -> float:
        timeout = self.spec.timeout_s
        if not reason:
            return min(self.p.services[service].latency_s.sample(rng), timeout)
        kind = REASONS[reason][1]
        if kind == "instant":
            return REFUSED_S
        if kind == "connect_retries":
            hp = self.p.haproxy
            return min(hp.timeout_connect_s * (1 + hp.retries), timeout)
        if kind == "service":
            return min(self.p.services[service].latency_s.sample(rng), timeout)
        return timeout  # client_timeout, rpc_timeout

    def _client(self, service: str):
        world, spec = self.world, self.spec
        rng = world.rng("clients", service)
        gap = 1.0 / spec.rate_per_s
        if spec.from_s > world.now:
            yield world.timeout(spec.from_s - world.now)
        while True:
            yield world.timeout(rng.exponential(gap) if spec.arrivals == "poisson" else gap)
            if spec.until_s is not None and world.now >= spec.until_s:
                return
            source = int(rng.integers(spec.sources))
            backend, reason = self.plane.client_route(service, source)
            self.sent += 1
            error = REASONS[reason][0] if reason else ""
            world.record(Request(service, not reason, backend, error, self.latency(service, reason, rng)))
