"""Compute hosts as Nova's scheduler sees them (its HostState), built from the inventory.

Rules (Juno's resource tracker and scheduler host manager):
- A host reports its physical totals: memory_mb, vcpus, local_gb. `free_ram_mb` starts at
  memory_mb - reserved_host_memory_mb (the tracker counts the reserve as used memory) and
  `free_disk_mb` at local_gb x 1024 - reserved_host_disk_mb; each VM then takes its flavor's
  memory_mb, vcpus and (root + ephemeral) GB. Free figures may go negative under overcommit.
- The allocation ratios are not applied here: the filters apply them (filters.py), as Nova does.
- `service_up` is False while the host is failed; `enabled` is False while an operator has
  disabled its nova-compute service (maintenance). ComputeFilter passes only up, enabled hosts.
- A scheduling host is one inventory compute node; under a profile whose compute host is a
  cluster (ESX: one vCenter cluster per nova-compute), it is `cluster_hosts` servers of that node's
  hardware, with totals and instance limit multiplied (as the VMware driver reports the cluster).
- After any change of a host's figures, the owner calls `Scheduler.changed(host)` so that the
  scheduler's weight order stays true (scheduler.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from twin.inventory.model import Hardware, Node, Role


class HostState:
    __slots__ = ("name", "index", "memory_mb", "vcpus_total", "local_gb", "free_ram_mb", "vcpus_used",
                 "free_disk_mb", "num_instances", "max_instances", "ram_allocation_ratio", "cpu_allocation_ratio",
                 "disk_allocation_ratio", "reserved_ram_mb", "reserved_disk_mb", "service_up", "enabled",
                 "availability_zone", "capabilities", "arch", "hypervisor_type", "vms",
                 "ram_limit_mb", "vcpus_limit", "disk_total_mb", "disk_limit_mb")

    def __init__(self, name: str, index: int, memory_mb: int, vcpus: int, local_gb: int, *, max_instances: int,
                 ram_allocation_ratio: float = 1.5, cpu_allocation_ratio: float = 16.0,
                 disk_allocation_ratio: float = 1.0, reserved_host_memory_mb: int = 512,
                 reserved_host_disk_mb: int = 0, availability_zone: str = "nova",
                 capabilities: dict | None = None, arch: str = "x86_64", hypervisor_type: str = "QEMU"):
        self.name = name
        self.index = index
        self.memory_mb = memory_mb  # Nova: total_usable_ram_mb
        self.vcpus_total = vcpus
        self.local_gb = local_gb  # Nova: total_usable_disk_gb
        self.reserved_ram_mb = reserved_host_memory_mb
        self.reserved_disk_mb = reserved_host_disk_mb
        self.free_ram_mb = memory_mb - reserved_host_memory_mb
        self.vcpus_used = 0
        self.free_disk_mb = local_gb * 1024 - reserved_host_disk_mb
        self.num_instances = 0
        self.max_instances = max_instances
        self.ram_allocation_ratio = ram_allocation_ratio
        self.cpu_allocation_ratio = cpu_allocation_ratio
        self.disk_allocation_ratio = disk_allocation_ratio
        self.service_up = True
        self.enabled = True
        self.availability_zone = availability_zone
        self.capabilities = dict(capabilities or {})
        self.arch = arch
        self.hypervisor_type = hypervisor_type
        self.vms: dict = {}  # vm id -> Vm, in placement order
        # limits the filters compare against (fixed for a host; the ratios do not change in a run)
        self.ram_limit_mb = memory_mb * ram_allocation_ratio  # RamFilter's memory_mb_limit (reserve not scaled)
        self.vcpus_limit = vcpus * cpu_allocation_ratio  # CoreFilter's vcpus_total x ratio
        self.disk_total_mb = local_gb * 1024  # DiskFilter's total_usable_disk_mb
        self.disk_limit_mb = local_gb * 1024 * disk_allocation_ratio  # ... x disk_allocation_ratio

    # --- what the filters compare (Nova's formulas, see filters.py) -------------------------
    @property
    def used_ram_mb(self) -> int:
        """Used memory as Nova counts it: the reserve plus every VM's memory."""
        return self.memory_mb - self.free_ram_mb

    @property
    def usable_ram_mb(self) -> float:
        return self.ram_limit_mb - self.used_ram_mb

    @property
    def usable_disk_mb(self) -> float:
        return self.disk_limit_mb - (self.disk_total_mb - self.free_disk_mb)

    # --- the VMs' share of the figures (what the metrics count) -----------------------------
    @property
    def instance_ram_mb(self) -> int:
        return self.used_ram_mb - self.reserved_ram_mb

    @property
    def schedulable_ram_mb(self) -> float:
        """Memory VMs may take in all: the RamFilter limit less the reserve."""
        return self.ram_limit_mb - self.reserved_ram_mb

    # --- changes ----------------------------------------------------------------------------
    def claim(self, flavor) -> None:
        self.free_ram_mb -= flavor.memory_mb
        self.vcpus_used += flavor.vcpus
        self.free_disk_mb -= flavor.disk_mb
        self.num_instances += 1

    def release(self, flavor) -> None:
        self.free_ram_mb += flavor.memory_mb
        self.vcpus_used -= flavor.vcpus
        self.free_disk_mb += flavor.disk_mb
        self.num_instances -= 1

    def fits(self, flavor) -> bool:
        """Whether the capacity filters (Ram, Core, Disk, NumInstances) would take `flavor` now."""
        return (self.usable_ram_mb >= flavor.memory_mb
                and self.vcpus_limit - self.vcpus_used >= flavor.vcpus
                and self.usable_disk_mb >= flavor.requested_disk_mb
                and self.num_instances < self.max_instances)

    def __repr__(self) -> str:
        return (f"HostState({self.name}: {self.free_ram_mb} MB free, {self.vcpus_used}/{self.vcpus_total} vCPU used, "
                f"{self.num_instances}/{self.max_instances} VMs, up={self.service_up}, enabled={self.enabled})")


@dataclass(frozen=True)
class HostSpec:
    """One scheduling host to build: its name and hardware (cluster multiplication already applied)."""

    name: str
    cpus: int
    memory_mib: int
    disk_gib: int
    arch: str = "x86_64"


def host_specs(nodes: list[Node], cluster_hosts: int = 1, count: int | None = None,
               hardware: Hardware | None = None) -> list[HostSpec]:
    """The inventory's compute nodes as scheduling hosts, in inventory order.

    cluster_hosts: servers per scheduling host (ESX clusters). count: how many hosts the cloud has
    (None: as many as the inventory's compute nodes); fewer keeps the first `count`, more adds
    `compute<i>` hosts (names not taken yet) copying the last compute node's hardware.
    hardware: give every host this hardware instead of its own."""
    compute = [n for n in nodes if n.role is Role.COMPUTE and not n.deleted]
    specs = [HostSpec(n.name, n.hardware.cpus, n.hardware.memory_mib, n.hardware.disk_gib, n.hardware.arch)
             for n in compute]
    if hardware is not None:
        specs = [HostSpec(s.name, hardware.cpus, hardware.memory_mib, hardware.disk_gib, s.arch) for s in specs]
    if count is not None:
        if count <= len(specs):
            specs = specs[:count]
        else:
            hw = hardware or (compute[-1].hardware if compute else None)
            if hw is None:
                raise ValueError("the inventory has no compute node to copy: give capacity.host_hardware")
            taken = {s.name for s in specs} | {n.name for n in nodes}
            i = 0
            while len(specs) < count:
                name = f"compute{i}"
                i += 1
                if name in taken:
                    continue
                taken.add(name)
                specs.append(HostSpec(name, hw.cpus, hw.memory_mib, hw.disk_gib, getattr(hw, "arch", "x86_64")))
    if cluster_hosts != 1:
        specs = [HostSpec(s.name, s.cpus * cluster_hosts, s.memory_mib * cluster_hosts, s.disk_gib * cluster_hosts,
                          s.arch) for s in specs]
    return specs
