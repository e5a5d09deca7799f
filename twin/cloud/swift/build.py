"""Helion's Swift rings from the scenario: account, container and object rings on the starter Swift
nodes (role OvercloudSwiftStorage), object-1 (storage policy 1) on the scale-out object nodes
(OvercloudSOSwiftStorage), or the operator's builder files named in `swift.builders`.

Rules: rings are built and rebalanced by swift's RingBuilder (twin/cloud/swift/verbs.py), never
placed by hand. A device's `ip` is the node's inventory name (the twin's servers are nodes, so a
failure SPEC `server:swift0` and the node's state line up). Zones come from failure domains: each
failure domain holding Swift nodes is a zone (in name order), a node in no domain is a zone of its
own; a node in two domains takes the first by name. Same config, nodes and domains: same rings.
"""
from __future__ import annotations

from twin.cloud.swift import rings, verbs
from twin.cloud.swift.config import SwiftConfig
from twin.errors import InputError, Problem
from twin.inventory.model import Role

#: ring name -> (inventory role whose nodes hold it, server kind for the port)
RING_LAYOUT = {
    "account": (Role.SWIFT, "account"),
    "container": (Role.SWIFT, "container"),
    "object": (Role.SWIFT, "object"),
    "object-1": (Role.SO_SWIFT_STORAGE, "object"),
}


def zones_for(nodes, failure_domains: dict[str, list[str]]) -> dict[str, int]:
    """Zone number (1..) of each node: one per failure domain holding any of them, then one per other node."""
    names = [n.name for n in nodes]
    zones: dict[str, int] = {}
    next_zone = 1
    for domain in sorted(failure_domains):
        members = [m for m in failure_domains[domain] if m in names and m not in zones]
        if members:
            zones.update({m: next_zone for m in members})
            next_zone += 1
    for name in names:
        if name not in zones:
            zones[name] = next_zone
            next_zone += 1
    return zones


def build_ring(config: SwiftConfig, nodes, zones: dict[str, int], port: int, name: str):
    """One rebalanced RingBuilder with every disk of every node."""
    where = f"swift ({name} ring)"
    builder = verbs.create(config.part_power, config.replicas, config.min_part_hours, where=where)
    for node in nodes:
        for disk in config.disks:
            verbs.add_disk(builder, region=config.region, zone=zones[node.name], ip=node.name, port=port,
                           device=disk.device, weight=disk.ring_weight, meta=f"{disk.size_gib:g} GiB", where=where)
    verbs.rebalance(builder, seed=config.seed, where=where)
    return builder


def build_rings(config: SwiftConfig, nodes, failure_domains: dict[str, list[str]] | None = None,
                names=tuple(RING_LAYOUT)) -> dict:
    """{ring name: RingBuilder} for the Swift nodes among `nodes` (rings without nodes are left out);
    `names`: only these rings."""
    failure_domains = failure_domains or {}
    result = {}
    for name, (role, kind) in RING_LAYOUT.items():
        if name not in names:
            continue
        if name in config.builders:
            result[name] = rings.load_builder(config.builders[name])
            continue
        holders = [n for n in nodes if n.role == role and not getattr(n, "deleted", False)]
        if not holders:
            continue
        devices = len(holders) * len(config.disks)
        if devices < config.replicas:
            raise InputError([Problem("swift", 0, "replicas", f"{config.replicas:g} replicas need at least "
                                      f"{config.replicas:g} disks; the {name} ring has {devices} "
                                      f"({len(holders)} node(s) x {len(config.disks)} disk(s))")])
        result[name] = build_ring(config, holders, zones_for(holders, failure_domains), config.ports[kind], name)
    return result


_CACHE: dict = {}
CACHE_SIZE = 4  # rings kept for runs of the same scenario (a sweep's replications)


def _file_stamp(path) -> tuple:
    try:
        st = path.stat()
        return str(path), st.st_mtime_ns, st.st_size
    except OSError:
        return str(path), None, None  # load_builder reports it


def shared_rings(config: SwiftConfig, nodes, failure_domains: dict[str, list[str]] | None = None,
                 names=tuple(RING_LAYOUT)) -> dict:
    """build_rings, remembered for the same config, Swift nodes, failure domains and builder files
    (a sweep's replications build a ring once). Callers must not change the builders they get
    (twin/cloud/swift/model.py works on its own copy)."""
    swift_roles = {role for role, _ in RING_LAYOUT.values()}
    key = (config.model_dump_json(exclude={"replication"}),
           tuple((n.name, n.role.value) for n in nodes if n.role in swift_roles and not getattr(n, "deleted", False)),
           tuple(sorted((d, tuple(m)) for d, m in (failure_domains or {}).items())), tuple(names),
           tuple(_file_stamp(p) for _, p in sorted(config.builders.items())))
    if key not in _CACHE:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = build_rings(config, nodes, failure_domains, names)
    return _CACHE[key]
