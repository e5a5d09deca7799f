"""The HA control plane's figures, as a scenario writes them (`ha:`); the operations run's
settings (`operations:`) are in operating.py, re-exported here.

Rules: every figure is a parameter with a default; the comment gives its source (the real
system's documented default, Helion's shipped configuration, or *inferred* where it is our own
estimate: see docs/domain.md section 4). Unknown keys are errors, as everywhere in a scenario.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from twin.cloud.ha.operating import API_SERVICES, YEAR_S, Clients, Operations  # noqa: F401  (re-exported)
from twin.scenario.base import SectionModel
from twin.scenario.distributions import Distribution, fixed, lognormal

#: What a service's request may need beyond its API backend.
NEEDS = ("db", "rpc", "cinder_volume", "swift_storage")
#: The singletons (one host each, manual failover).
SINGLETONS = ("cinder_volume", "sherpa", "consoleauth")


class Keepalived(SectionModel):
    """keepalived VRRP for the VIP (Helion's keepalived.conf on the controllers)."""

    advert_interval_s: float = Field(1.0, gt=0)  # advert_int 1 (keepalived.conf; RFC 3768 default)
    priorities: dict[str, int] = Field(
        default_factory=dict,
        description="controller -> VRRP priority (1..254); absent: 101, 100, 99... in controller order (*inferred*)")
    preempt: bool = True  # keepalived default (no `nopreempt`): a higher priority takes the VIP back
    chk_interval_s: float = Field(2.0, gt=0)  # vrrp_script chk_haproxy: interval 2
    chk_fall: int = Field(4, ge=1)  # chk_haproxy fall 4: a dead haproxy is noticed in ~8 s
    chk_rise: int = Field(1, ge=1)  # keepalived vrrp_script default rise 1

    @model_validator(mode="after")
    def _prio(self):
        for node, prio in self.priorities.items():
            if not 1 <= prio <= 254:
                raise ValueError(f"priorities.{node}: a VRRP priority is 1..254, not {prio}")
        return self


class HAProxy(SectionModel):
    """HAProxy on every controller; only the VIP holder's carries traffic (Helion haproxy.cfg)."""

    inter_s: float = Field(2.0, gt=0)  # `check inter 2000`
    rise: int = Field(2, ge=1)  # `rise 2`: back up after ~4 s
    fall: int = Field(5, ge=1)  # `fall 5`: down after ~10 s
    retries: int = Field(3, ge=0)  # `retries 3`
    timeout_connect_s: float = Field(10.0, gt=0)  # `timeout connect 10s`
    balance: Literal["source", "roundrobin"] = "source"  # `balance source`: a client stays on one backend


class Galera(SectionModel):
    """Galera (Percona XtraDB Cluster) on the controllers, reached through HAProxy's MySQL
    listener, which sends every query to one node (the others are `backup` servers)."""

    weights: dict[str, int] = Field(default_factory=dict,
                                    description="controller -> pc.weight (default 1, the Galera default)")
    suspect_s: float = Field(5.0, gt=0)  # evs.suspect_timeout PT5S: a silent member is dropped
    inactive_s: float = Field(15.0, gt=0)  # evs.inactive_timeout PT15S (bounds suspect_s; see galera.py)
    state_transfer_s: Distribution = fixed(300.0)  # *inferred*: IST/SST of a Helion control-plane DB
    bootstrap_after_s: float = Field(
        900.0, ge=0,
        description="a non-primary component that holds a majority of the configured cluster is "
                    "bootstrapped (pc.bootstrap) by the operator after this long; 0 = at once")  # *inferred*
    donor_blocks: bool = False  # wsrep_sst_method=xtrabackup-v2 (PXC 5.6 default): the donor keeps serving


class RabbitMQ(SectionModel):
    """RabbitMQ on the controllers, clustered, mirrored queues, not behind the VIP."""

    partition_handling: Literal["pause_minority", "ignore"] = "pause_minority"  # Helion rabbitmq.config
    net_ticktime_s: float = Field(60.0, gt=0)  # net_ticktime 60: a silent peer is declared down
    client_retry_s: float = Field(1.0, ge=0)  # oslo.messaging rabbit_retry_interval 1
    client_backoff_s: float = Field(2.0, ge=0)  # oslo.messaging rabbit_retry_backoff 2
    client_retry_max_s: float = Field(30.0, ge=0)  # oslo.messaging rabbit_interval_max 30


class Singletons(SectionModel):
    """Services that run on one controller only; moving them is an operator's job."""

    cinder_volume: str | None = "controller0"  # Helion 1.x: cinder-volume on controller0 (manual move)
    sherpa: str | None = "controller0"  # Sherpa state is on controller0's disk: it cannot move
    consoleauth: str | None = "controller0"  # nova-consoleauth tokens in memory: consoles lost on a move
    failover_s: Distribution = lognormal(1800.0, 0.5)  # *inferred*: page, diagnose, move the service


class ApiService(SectionModel):
    needs: list[Literal["db", "rpc", "cinder_volume", "swift_storage"]] = Field(default_factory=lambda: ["db"])
    latency_s: Distribution = lognormal(0.1, 0.4)  # *inferred*: one API call answered


def _default_services() -> dict[str, ApiService]:
    # *inferred*: what a typical call of each API needs (every call validates its token in
    # Keystone, whose tokens are in the DB: all six need the DB), and its latency.
    return {
        "keystone": ApiService(needs=["db"], latency_s=lognormal(0.05, 0.3)),
        "nova": ApiService(needs=["db", "rpc"], latency_s=lognormal(0.25, 0.4)),
        "neutron": ApiService(needs=["db", "rpc"], latency_s=lognormal(0.15, 0.4)),
        "glance": ApiService(needs=["db"], latency_s=lognormal(0.1, 0.4)),
        "cinder": ApiService(needs=["db", "rpc", "cinder_volume"], latency_s=lognormal(0.2, 0.4)),
        "swift": ApiService(needs=["db", "swift_storage"], latency_s=lognormal(0.08, 0.5)),
    }


class HaParams(SectionModel):
    """The HA control plane of docs/domain.md section 4, every figure a parameter."""

    keepalived: Keepalived = Keepalived()
    haproxy: HAProxy = HAProxy()
    galera: Galera = Galera()
    rabbitmq: RabbitMQ = RabbitMQ()
    singletons: Singletons = Singletons()
    services: dict[str, ApiService] = Field(default_factory=_default_services)

    @model_validator(mode="after")
    def _known_services(self):
        unknown = sorted(set(self.services) - set(API_SERVICES))
        if unknown:
            raise ValueError(f"services: unknown service(s) {', '.join(unknown)} (known: {', '.join(API_SERVICES)})")
        return self
