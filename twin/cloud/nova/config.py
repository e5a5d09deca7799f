"""The scenario's `nova:` section: Nova's scheduler and compute settings, flavors and quotas.

Rules: every figure defaults to Juno's (or Helion's) documented value, its source in the comment,
*inferred* where it is our own estimate; unknown keys are errors; names of filters and weighers
are checked against the model's registries.
"""
from __future__ import annotations

from pydantic import Field, field_validator

from twin.scenario.base import SectionModel

from twin.cloud.nova.filters import DEFAULT_FILTERS, FILTERS
from twin.cloud.nova.weighers import WEIGHERS
from twin.scenario.distributions import Distribution, lognormal




class FlavorSpec(SectionModel):
    """A flavor of the cloud besides the built-in m1.* set."""

    name: str = Field(min_length=1)
    vcpus: int = Field(gt=0)
    memory_mb: int = Field(gt=0)
    root_gb: int = Field(0, ge=0)
    ephemeral_gb: int = Field(0, ge=0)
    swap_mb: int = Field(0, ge=0)
    extra_specs: dict[str, str] = Field(default_factory=dict,
                                        description="matched by ComputeCapabilitiesFilter against host capabilities")


class QuotaLimits(SectionModel):
    """Per-project limits; -1 = unlimited (Nova's convention)."""

    instances: int = Field(10, ge=-1)  # Juno quota_instances
    cores: int = Field(20, ge=-1)  # Juno quota_cores
    ram_mb: int = Field(51200, ge=-1)  # Juno quota_ram (50 x 1024)

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.instances, self.cores, self.ram_mb)


class Quotas(SectionModel):
    default: QuotaLimits = QuotaLimits()
    tenants: dict[str, QuotaLimits] = Field(default_factory=dict, description="a project's own limits")


class NovaConfig(SectionModel):
    # allocation ratios and reserves (docs/domain.md s7; Juno nova.conf defaults)
    ram_allocation_ratio: float = Field(1.5, gt=0)
    cpu_allocation_ratio: float = Field(16.0, gt=0)
    disk_allocation_ratio: float = Field(1.0, gt=0)  # Juno: DiskFilter's disk_allocation_ratio
    reserved_host_memory_mb: int = Field(512, ge=0)
    reserved_host_disk_mb: int = Field(0, ge=0)  # Juno default
    max_instances_per_host: int | None = Field(
        None, gt=0, description="NumInstancesFilter limit; default: the limits profile's VMs per host "
        "(40 for KVM, docs/domain.md s1/s7; Nova's own default is 50)")
    # the filter scheduler (docs/domain.md s7)
    scheduler_default_filters: list[str] = Field(
        default_factory=lambda: list(DEFAULT_FILTERS),
        description="Juno's default filters plus CoreFilter, DiskFilter, NumInstancesFilter")
    scheduler_weight_classes: list[str] = Field(default_factory=lambda: ["RAMWeigher"])
    ram_weight_multiplier: float = Field(1.0, description="> 0 spreads VMs (Juno default 1.0), < 0 stacks them")
    scheduler_host_subset_size: int = Field(1, ge=1)  # Juno default
    # Juno default 3; each attempt is a scheduling pass over every host, so at most 100
    scheduler_max_attempts: int = Field(3, ge=1, le=100)
    build_failure_probability: float = Field(0.0, ge=0, le=1)  # *inferred*: no published figure
    default_availability_zone: str = "nova"  # Juno default_availability_zone
    availability_zones: dict[str, list[str]] = Field(default_factory=dict,
                                                     description="zone name -> its hosts (others: the default)")
    host_capabilities: dict[str, dict[str, str]] = Field(default_factory=dict,
                                                         description="host -> capabilities for extra specs")
    cluster_hosts: int | None = Field(None, gt=0, description="servers per scheduling host under a cluster "
                                      "profile (ESX: one vCenter cluster); default: the profile's")
    flavors: list[FlavorSpec] = Field(default_factory=list, description="flavors besides m1.tiny..m1.xlarge")
    quotas: Quotas = Quotas()
    # host failure and operations
    evacuate_on_host_failure: bool = True
    evacuate_after_s: float = Field(300.0, ge=0)  # service_down_time 60 s (Juno) + reaction (*inferred*)
    live_migration_s: Distribution = lognormal(60.0, 0.5)  # *inferred*: a few GB of RAM over 10 GbE
    snapshot_fraction: float = Field(0.5, gt=0, le=1)  # *inferred*: snapshot image size / root disk

    @field_validator("scheduler_default_filters")
    @classmethod
    def _filters(cls, names):
        unknown = [n for n in names if n not in FILTERS]
        if unknown:
            raise ValueError(f"unknown filter(s) {', '.join(unknown)}; known: {', '.join(FILTERS)}")
        if len(set(names)) != len(names):
            raise ValueError("a filter is listed twice")
        return names

    @field_validator("scheduler_weight_classes")
    @classmethod
    def _weighers(cls, names):
        unknown = [n for n in names if n not in WEIGHERS]
        if unknown:
            raise ValueError(f"unknown weigher(s) {', '.join(unknown)}; known: {', '.join(WEIGHERS)}")
        return names

    @field_validator("flavors")
    @classmethod
    def _unique_flavors(cls, flavors):
        from twin.cloud.nova.flavors import M1_FLAVORS

        seen = {f.name for f in M1_FLAVORS}
        for f in flavors:
            if f.name in seen:
                raise ValueError(f"flavor '{f.name}' is defined twice (m1.* are built in)")
            seen.add(f.name)
        return flavors
