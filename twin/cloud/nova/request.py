"""What a boot (or move) asks the scheduler for: Nova's request spec and filter properties.

Rules:
- A RequestSpec is immutable; a retry or a move makes a new one (`retried`, `ignoring`).
- `retry_hosts`: hosts already tried for this request (RetryFilter); `ignore_hosts`: hosts the
  host manager removes before any filter runs (Juno: the source of a resize when
  allow_resize_to_same_host is False, and of a live migration).
- A server group's `hosts` are the hosts of its current members, with a count per host, kept by
  the cloud as members are placed, moved and removed (Nova derives the same list from members).
"""
from __future__ import annotations


class ServerGroup:
    __slots__ = ("name", "policy", "hosts")

    POLICIES = ("anti-affinity", "affinity")

    def __init__(self, name: str, policy: str):
        if policy not in self.POLICIES:
            raise ValueError(f"server group policy must be one of {', '.join(self.POLICIES)}, not {policy!r}")
        self.name = name
        self.policy = policy
        self.hosts: dict[str, int] = {}

    def add(self, host: str) -> None:
        self.hosts[host] = self.hosts.get(host, 0) + 1

    def remove(self, host: str) -> None:
        n = self.hosts.get(host, 0) - 1
        if n > 0:
            self.hosts[host] = n
        else:
            self.hosts.pop(host, None)


class RequestSpec:
    __slots__ = ("flavor", "tenant", "availability_zone", "group", "image_properties", "retry_hosts",
                 "ignore_hosts", "plain")

    def __init__(self, flavor, tenant: str = "", availability_zone: str | None = None,
                 group: ServerGroup | None = None, image_properties: dict | None = None,
                 retry_hosts: frozenset = frozenset(), ignore_hosts: frozenset = frozenset()):
        self.flavor = flavor
        self.tenant = tenant
        self.availability_zone = availability_zone
        self.group = group
        self.image_properties = dict(image_properties or {})
        self.retry_hosts = frozenset(retry_hosts)
        self.ignore_hosts = frozenset(ignore_hosts)
        # nothing but a flavor: the filters that need more than that pass every host
        self.plain = (availability_zone is None and group is None and not self.image_properties
                      and not retry_hosts and not flavor.extra_specs)

    def retried(self, host: str) -> RequestSpec:
        return RequestSpec(self.flavor, self.tenant, self.availability_zone, self.group, self.image_properties,
                           self.retry_hosts | {host}, self.ignore_hosts)

    def ignoring(self, *hosts: str) -> RequestSpec:
        return RequestSpec(self.flavor, self.tenant, self.availability_zone, self.group, self.image_properties,
                           self.retry_hosts, self.ignore_hosts | set(hosts))

    def with_flavor(self, flavor) -> RequestSpec:
        return RequestSpec(flavor, self.tenant, self.availability_zone, self.group, self.image_properties,
                           self.retry_hosts, self.ignore_hosts)
