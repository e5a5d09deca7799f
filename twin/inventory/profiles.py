"""Named limits profiles: what a supported Helion cloud may contain, as frozen data.

Rules: every figure is a parameter with a default and carries its source (docs/domain.md section);
a profile is chosen by name (`get_profile`), `kvm-30x40` being the default. Users may build their
own with `dataclasses.replace(get_profile("kvm-30x40"), max_compute=...)`.
"""
from __future__ import annotations

from dataclasses import dataclass

from twin.inventory.model import Role
from twin.inventory.roles import InventoryConfigError

DEFAULT_PROFILE = "kvm-30x40"


class UnknownProfileError(InventoryConfigError):
    """`get_profile` was given a name that is not in PROFILES."""


@dataclass(frozen=True)
class RoleLimit:
    """How many active nodes of `role` a cloud needs: min..max (max None = no limit of its own)."""

    role: Role
    min: int
    max: int | None
    why: str  # shown to the operator when the limit is broken


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    # docs/domain.md s1: KVM support statement (30), 1.1 commercial FAQ (100); ESX: chosen, see below.
    max_compute: int
    # docs/domain.md s1: KVM 40 VMs per node; ESX tested maximum 50 VMs per host.
    max_vms_per_host: int
    # ESX (docs/domain.md s1 ESX statement): a vCenter cluster is one Nova scheduling host.
    compute_host_is_cluster: bool = False
    # Servers per vCenter cluster when compute_host_is_cluster: no published figure (*inferred*,
    # our choice; a scenario overrides it with nova.cluster_hosts). The Nova model (twin/cloud/nova)
    # makes each compute row one scheduling host of this many servers of the row's hardware, with
    # a VM limit of max_vms_per_host x cluster_hosts (see vms_per_scheduling_host).
    cluster_hosts: int = 1
    # docs/domain.md s2: baremetal.csv (1.1) holds 7..100 lines. Note max_rows binds before max_compute
    # when max_compute > 94 (100 rows - 1 undercloud - 3 controllers - 2 Swift).
    min_rows: int = 7
    max_rows: int = 100
    # docs/domain.md s1 hardware requirements: >= 32 GB RAM (memory_MB is MiB, so 32 x 1024).
    min_memory_mib: int = 32768
    # docs/domain.md s1: the 1.1 support matrix relaxes the 1.0 ">= 2 TB" to 512 GB; a disk < 512 is
    # rejected by the installer (applied to disk_GiB as written in the CSV).
    min_disk_gib: int = 512
    # No published minimum: a node needs at least one CPU (a positive count).
    min_cpus: int = 1
    # docs/domain.md s1: one undercloud server; s1/s4: 3 controllers; s1/s6: 2 Swift (starter);
    # s1: >= 1 compute. Per role: (min, max); compute's max is max_compute.
    undercloud: tuple[int, int] = (1, 1)
    control: tuple[int, int] = (3, 3)
    swift_min: int = 2
    compute_min: int = 1
    # docs/domain.md s5: Helion recommends at least 3 VSA nodes per cluster (manager quorum); fewer
    # (but more than 0) is a warning, not an error.
    vsa_recommended_min: int = 3

    def vms_per_scheduling_host(self, cluster_hosts: int | None = None) -> int:
        """The NumInstances limit of one Nova scheduling host under this profile."""
        if not self.compute_host_is_cluster:
            return self.max_vms_per_host
        return self.max_vms_per_host * (cluster_hosts or self.cluster_hosts)

    @property
    def role_limits(self) -> tuple[RoleLimit, ...]:
        return (
            RoleLimit(Role.UNDERCLOUD, *self.undercloud, "Helion deploys the overcloud from one undercloud server"),
            RoleLimit(Role.CONTROL, *self.control,
                      "the HA control plane is 3 controllers (Galera and RabbitMQ quorum)"),
            RoleLimit(Role.SWIFT, self.swift_min, None, "the starter Swift cluster is 2 storage nodes"),
            RoleLimit(Role.COMPUTE, self.compute_min, self.max_compute,
                      f"VMs need at least {self.compute_min} compute node; "
                      f"{self.name} supports at most {self.max_compute} compute nodes"),
        )


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("kvm-30x40", "KVM support statement: up to 30 compute nodes, 40 VMs per node (docs/domain.md s1)",
                max_compute=30, max_vms_per_host=40),
        Profile("commercial-1.1", "Helion 1.1 commercial FAQ: 100 compute nodes x 40 VMs (docs/domain.md s1)",
                max_compute=100, max_vms_per_host=40),
        # ESX: tested maximum 50 VMs per host (docs/domain.md s1). Each compute row fronts a vCenter
        # cluster, which Nova schedules as one host; 100 compute rows is our choice (the file's
        # own 100-row limit applies first), not a published figure.
        Profile("esx", "ESX: 50 VMs per host; each compute row is a vCenter cluster (one scheduling host)",
                max_compute=100, max_vms_per_host=50, compute_host_is_cluster=True, cluster_hosts=4),
    )
}


def get_profile(name: str | Profile) -> Profile:
    """The profile called `name` (a Profile passes through); UnknownProfileError lists the known ones."""
    if isinstance(name, Profile):
        return name
    try:
        return PROFILES[name]
    except (KeyError, TypeError):
        raise UnknownProfileError(
            f"unknown profile {name!r}; known profiles: {', '.join(PROFILES)}") from None
