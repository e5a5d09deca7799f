"""The scenario's `storage: {vsa: ...}` section and the StoreVirtual limits as located problems.

Rules:
- Every figure is a parameter with a default; the comment gives its source (docs/domain.md,
  "StoreVirtual VSA"): StoreVirtual's documented rule, Helion's figure, or *inferred* (our own
  estimate where nothing is published). Unknown keys are errors, as everywhere in a scenario.
- Without a `storage.vsa` section (or with no clusters) a cloud with VSA nodes gets one cluster
  of all of them (roles OvercloudVSAStorage and OvercloudVSAAOStorage, inventory order), NR-10.
- Cluster order is the order of `nodes` (default: inventory order); it decides where data lives
  (placement.py) and which nodes run managers (quorum.py).
- A cluster is its own management group unless `management_group` names a shared one; the
  group's managers are chosen over its clusters' nodes in order.
- `vsa_problems` returns the limits as (location, message, severity) with severity "error" or
  "warning"; the caller turns the location into FILE:LINE (the scenario loader's job).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from twin.scenario.base import SectionModel

from twin.cloud.vsa.placement import LEVELS
from twin.cloud.vsa.quorum import ManagerPlan, plan_managers
from twin.inventory.model import Role
from twin.scenario.distributions import Distribution, lognormal

GIB = 1024 ** 3
TB = 1e12
VSA_ROLES = (Role.VSA, Role.VSA_AO)
LevelName = Literal["0", "10", "10+1", "10+2", "5", "6"]




class VolumeSpec(SectionModel):
    """`count` volumes of `size_gib` each (a list of these for several kinds)."""

    name: str | None = None
    count: int = Field(1, ge=0)
    size_gib: float = Field(100.0, gt=0)  # *inferred*: a typical Cinder volume
    network_raid: LevelName | None = Field(None, description="default: the cluster's network_raid")
    provisioning: Literal["thin", "full"] = "thin"  # the LeftHand driver's default hplh:provisioning
    write_rate_mib_s: float | None = Field(None, ge=0, description="default: storage.vsa.write_rate_mib_s")


class Cluster(SectionModel):
    name: str = Field(min_length=1)
    nodes: list[str] | None = Field(None, description="inventory names in cluster order (default: "
                                                      "every VSA node not in another cluster)")
    network_raid: LevelName = "10"  # Helion/StoreVirtual default with >= 2 nodes: NR-10
    managers: int | None = Field(None, ge=1, description="regular managers (default: 1, 2, 3, 3, 5... by nodes)")
    fom: bool = False  # a Failover Manager: a vote without data
    fom_host: str = "seed"  # Helion: the FOM runs as a VM on the seed host (*inferred*: no other host is free)
    virtual_manager: bool | None = Field(None, description="default: only with 2 nodes and no FOM")
    management_group: str | None = Field(None, description="default: the cluster is its own group")
    volumes: VolumeSpec | list[VolumeSpec] = Field(default_factory=lambda: VolumeSpec(count=10))  # *inferred*

    def volume_list(self) -> list[VolumeSpec]:
        return list(self.volumes) if isinstance(self.volumes, list) else [self.volumes]


class VolumeWorkload(SectionModel):
    """Cinder volume creates (Poisson arrivals) and deletes (after a lifetime) on one cluster."""

    cluster: str | None = Field(None, description="default: the first cluster")
    creates_per_day: float = Field(gt=0)
    size_gib: Distribution = lognormal(50.0, 0.8)  # *inferred*: Cinder volume sizes
    lifetime_s: Distribution = lognormal(30 * 86400.0, 1.0)  # *inferred*: how long a volume is kept
    extra_specs: dict[str, str] = Field(default_factory=lambda: {"hplh:data_pl": "r-10-2"},
                                        description="the volume type's LeftHand extra specs")
    write_rate_mib_s: float | None = Field(None, ge=0, description="default: storage.vsa.write_rate_mib_s")


class Vsa(SectionModel):
    clusters: list[Cluster] = Field(default_factory=list)
    resync_gbps: float = Field(1.0, gt=0)  # *inferred*: no published resync speed; a per-cluster cap
    write_rate_mib_s: float = Field(0.05, ge=0)  # *inferred*: each volume's mean write rate
    thin_fill: float = Field(0.5, gt=0, le=1)  # *inferred*: share of a thin volume's size written
    virtual_manager_start_s: Distribution = lognormal(1800.0, 0.5)  # *inferred*: paged, logs in, starts it
    restore_s: Distribution = lognormal(4 * 3600.0, 0.5)  # *inferred*: lost volumes restored from backup
    licence_tb: float = Field(50.0, gt=0)  # Helion VSA licence: 50 TB per node
    max_cluster_nodes: int = Field(16, ge=1)  # StoreVirtual: 1..16 nodes per cluster
    recommended_cluster_nodes: int = Field(3, ge=1)  # Helion: at least 3 VSA nodes per cluster
    max_group_nodes: int = Field(32, ge=1)  # StoreVirtual: 32 nodes per management group
    max_group_volumes: int = Field(1500, ge=1)  # StoreVirtual: about 1,500 volumes per management group
    workload: VolumeWorkload | None = None


class Storage(SectionModel):
    """The scenario's `storage:` section (the VSA part; Swift has its own key)."""

    vsa: Vsa | None = None


@dataclass(frozen=True)
class ClusterPlan:
    """A cluster as the model runs it: concrete nodes in order, its group and the group's managers."""

    name: str
    index: int  # position in storage.vsa.clusters (-1: the default cluster)
    nodes: tuple[str, ...]
    node_bytes: tuple[float, ...]  # each node's usable raw space (disk, at most the licence)
    level: str
    volumes: tuple[VolumeSpec, ...]
    group: str
    managers: ManagerPlan


def _default_cluster(nodes) -> Cluster:
    """One cluster of every VSA node: NR-10 with 2 or more nodes (StoreVirtual's default), NR-0 on
    a single node (nothing to mirror to; Helion's starter cloud has one VSA node)."""
    names = [n.name for n in nodes if n.role in VSA_ROLES]
    return Cluster(name="vsa", nodes=names, network_raid="10" if len(names) >= 2 else "0")


def configured_clusters(config: Vsa | None, inventory_nodes) -> list[tuple[int, Cluster]]:
    """(index, cluster) pairs; the default cluster (index -1) when none is configured."""
    if config is None or not config.clusters:
        default = _default_cluster(inventory_nodes)
        return [(-1, default)] if default.nodes else []
    return list(enumerate(config.clusters))


def _nodes_of(cluster: Cluster, taken: set[str], inventory_nodes) -> list[str]:
    if cluster.nodes is not None:
        return list(cluster.nodes)
    return [n.name for n in inventory_nodes if n.role in VSA_ROLES and n.name not in taken]


def plan_clusters(config: Vsa | None, inventory_nodes) -> list[ClusterPlan]:
    """The clusters to run (assumes `vsa_problems` found no error)."""
    config = config or Vsa()
    by_name = {n.name: n for n in inventory_nodes}
    listed = configured_clusters(config, inventory_nodes)
    taken = {name for _, c in listed if c.nodes for name in c.nodes}
    node_lists = [(i, c, _nodes_of(c, taken, inventory_nodes)) for i, c in listed]
    groups: dict[str, list[tuple[int, Cluster, list[str]]]] = {}
    for i, c, nodes in node_lists:
        groups.setdefault(c.management_group or c.name, []).append((i, c, nodes))
    plans = []
    for group, members in groups.items():
        group_nodes = [n for _, _, nodes in members for n in nodes]
        count = next((c.managers for _, c, _ in members if c.managers is not None), None)
        fom = next((c.fom_host for _, c, _ in members if c.fom), None)
        virtual = next((c.virtual_manager for _, c, _ in members if c.virtual_manager is not None), None)
        managers = plan_managers(group_nodes, count, fom, virtual)
        for i, c, nodes in members:
            sizes = tuple(min(by_name[n].hardware.disk_gib * GIB, config.licence_tb * TB) for n in nodes)
            plans.append(ClusterPlan(c.name, i, tuple(nodes), sizes, c.network_raid, tuple(c.volume_list()),
                                     group, managers))
    return sorted(plans, key=lambda p: (p.index, p.name))


Problem = tuple[tuple, str, str]  # (location, message, severity)


def vsa_problems(config: Vsa | None, inventory_nodes) -> list[Problem]:
    """The StoreVirtual limits (docs/storage.md) as located problems, errors and warnings."""
    config = config or Vsa()
    by_name = {n.name: n for n in inventory_nodes if not getattr(n, "deleted", False)}
    problems: list[Problem] = []

    def add(loc, message, severity="error"):
        problems.append((("storage", "vsa", *loc), message, severity))

    listed = configured_clusters(config, inventory_nodes)
    seen_names: dict[str, int] = {}
    owner: dict[str, str] = {}
    for i, c in listed:
        where = ("clusters", i) if i >= 0 else ("clusters",)
        if c.name in seen_names:
            add((*where, "name"), f"cluster name {c.name!r} is used twice")
        seen_names.setdefault(c.name, i)
        for k, name in enumerate(c.nodes or []):
            node = by_name.get(name)
            if node is None:
                add((*where, "nodes", k), f"{name}: no such node in the inventory")
            elif node.role not in VSA_ROLES:
                add((*where, "nodes", k), f"{name}: role {node.role.value} is not a VSA role "
                                          f"({', '.join(r.value for r in VSA_ROLES)})")
            elif name in owner:
                add((*where, "nodes", k), f"{name}: already in cluster {owner[name]!r}")
            else:
                owner[name] = c.name
    if problems:
        return problems  # the counts below need the nodes right
    plans = plan_clusters(config, inventory_nodes)
    group_nodes: dict[str, int] = {}
    group_volumes: dict[str, int] = {}
    group_first: dict[str, tuple] = {}
    for plan, (i, c) in zip(plans, listed):
        where = ("clusters", i) if i >= 0 else ("clusters",)
        n = len(plan.nodes)
        if n == 0:
            add((*where, "nodes"), f"cluster {c.name!r} has no nodes (a cluster holds 1 to {config.max_cluster_nodes})")
            continue
        if n > config.max_cluster_nodes:
            add((*where, "nodes"), f"cluster {c.name!r} has {n} nodes; a cluster holds at most {config.max_cluster_nodes}")
        elif n < config.recommended_cluster_nodes and i >= 0:  # the default cluster: the inventory rule says it
            add((*where, "nodes"), f"cluster {c.name!r} has {n} node(s); Helion recommends at least "
                                   f"{config.recommended_cluster_nodes} (manager quorum)", "warning")
        if c.managers is not None and c.managers > n:
            add((*where, "managers"), f"{c.managers} managers on a cluster of {n} node(s)")
        if c.fom and c.fom_host != "seed" and c.fom_host not in by_name:
            add((*where, "fom_host"), f"{c.fom_host}: no such host (the seed or an inventory node)")
        elif c.fom and c.fom_host in plan.nodes:
            add((*where, "fom_host"), f"{c.fom_host}: the FOM runs on its own host, not a node of the cluster")
        levels = [("network_raid", c.network_raid)] + [
            (("volumes", k, "network_raid") if isinstance(c.volumes, list) else ("volumes", "network_raid"), v.network_raid)
            for k, v in enumerate(c.volume_list()) if v.network_raid is not None]
        for loc, name in levels:
            level = LEVELS[name]
            if n < level.min_nodes:
                add((*where, *loc) if isinstance(loc, tuple) else (*where, loc),
                    f"Network RAID-{name} needs at least {level.min_nodes} nodes; cluster {c.name!r} has {n}")
        for k, name in enumerate(plan.nodes):
            disk = by_name[name].hardware.disk_gib * GIB
            if disk > config.licence_tb * TB:
                add((*where, "nodes", k) if c.nodes is not None else (*where, "nodes"),
                    f"{name}: {disk / TB:.1f} TB of disk, the VSA licence covers {config.licence_tb:g} TB per node "
                    f"(the rest stays unused)", "warning")
        used = sum(v.count * v.size_gib * GIB * (1.0 if v.provisioning == "full" else config.thin_fill)
                   * LEVELS[v.network_raid or plan.level].capacity_factor(n)
                   for v in plan.volumes if n >= LEVELS[v.network_raid or plan.level].min_nodes)
        raw = n * min(plan.node_bytes)
        if used > raw:
            add((*where, "volumes"), f"the volumes need {used / GIB:,.0f} GiB of raw space; cluster {c.name!r} has "
                                     f"{raw / GIB:,.0f} GiB ({n} x the smallest node, licence included)")
        group_nodes[plan.group] = group_nodes.get(plan.group, 0) + n
        group_volumes[plan.group] = group_volumes.get(plan.group, 0) + sum(v.count for v in plan.volumes)
        group_first.setdefault(plan.group, where)
    if config.workload is not None:
        problems.extend(_workload_problems(config.workload, [p.name for p in plans]))
    for group, n in group_nodes.items():
        if n > config.max_group_nodes:
            add((*group_first[group], "management_group"),
                f"management group {group!r} has {n} nodes; a group holds at most {config.max_group_nodes}")
        if group_volumes[group] > config.max_group_volumes:
            add((*group_first[group], "volumes"), f"management group {group!r} has {group_volumes[group]} volumes; "
                                                  f"a group holds about {config.max_group_volumes} at most")
    return problems


def _workload_problems(workload: VolumeWorkload, clusters: list[str]) -> list[Problem]:
    from twin.cloud.vsa.cinder import volume_type  # cinder.py imports this module

    where = ("storage", "vsa", "workload")
    problems: list[Problem] = []
    if workload.cluster is not None and workload.cluster not in clusters:
        message = f"{workload.cluster}: no such cluster (clusters: {', '.join(clusters) or 'none'})"
        problems.append(((*where, "cluster"), message, "error"))
    elif not clusters:
        problems.append(((*where,), "a volume workload needs a VSA cluster; there is none", "error"))
    try:
        volume_type("workload", workload.extra_specs)
    except ValueError as err:
        problems.append(((*where, "extra_specs"), str(err).removeprefix("workload: "), "error"))
    return problems
