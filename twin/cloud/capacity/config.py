"""The scenario's `capacity:` section: the window a capacity run measures, the cloud's size for
this run, host outages, and the settings of `twin plan capacity`.

Rules: a capacity run lasts warmup_s + duration_s of simulated time and measures only the
`duration_s` after the warm-up; times in `host_failures` and `maintenance` count from the run's
start (the warm-up included). `compute_hosts` and `host_hardware` resize the cloud without
editing the inventory (the planner's knobs): without `host_hardware` the hosts are the
inventory's compute nodes (the first `compute_hosts`, or more copying the last one's hardware);
with it, every host has that hardware; `hosts_down` keeps that many hosts failed for the
whole run (the largest first): the "surviving N host failures" condition.
Bounds (each refused up front, with its reason): a run covers at most MAX_HORIZON_S of simulated
time in at most MAX_SAMPLES utilisation steps; the cloud has at most MAX_HOSTS hosts; the
planner looks at most MAX_PLAN_MONTHS months ahead with at most MAX_REPLICATIONS replications.
The workload's request count over the run is estimated before anything runs (twin/scenario/bounds.py).
"""
from __future__ import annotations

from pydantic import Field, model_validator

from twin.scenario.base import SectionModel

#: 10 years: the longest horizon a capacity plan means anything for (hardware is replaced sooner).
MAX_HORIZON_S = 3650 * 86400.0
#: Utilisation steps per run: each is a row per host of the series (10 years of hourly steps fit).
MAX_SAMPLES = 100_000
#: Compute hosts of one run: 100 times the largest supported cloud (100 compute nodes); a host
#: is a scheduler entry, its series and its VMs, so beyond this a run's memory is the machine's.
MAX_HOSTS = 10_000
#: Months of demand growth `twin plan capacity` plans for (10 years, as MAX_HORIZON_S).
MAX_PLAN_MONTHS = 120
#: Replications per planned point: each is a whole capacity run; 1,000 gives a percentile to
#: better than a percent, more only multiplies the cost.
MAX_REPLICATIONS = 1000




class HostHardware(SectionModel):
    cpus: int = Field(gt=0)
    memory_mib: int = Field(gt=0)
    disk_gib: int = Field(gt=0)


class NamedHardware(HostHardware):
    name: str = Field(min_length=1)


class HostOutage(SectionModel):
    """A scheduled host failure or maintenance: from `at_s` for `for_s` (failure: forever without)."""

    host: str = Field(min_length=1)
    at_s: float = Field(0.0, ge=0, le=MAX_HORIZON_S)
    for_s: float | None = Field(None, gt=0)


class PlanConfig(SectionModel):
    """Defaults of `twin plan capacity` (its options override them)."""

    target_blocking: float = Field(0.01, gt=0, lt=1, description="blocking probability to stay under")
    percentile: float = Field(95.0, gt=0, le=100, description="...at this percentile across replications")
    survive: int = Field(0, ge=0, le=MAX_HOSTS, description="host failures the answer must survive")
    months: int = Field(12, ge=0, le=MAX_PLAN_MONTHS, description="months of demand growth to plan for")
    replications: int = Field(10, ge=2, le=MAX_REPLICATIONS)
    hardware: list[NamedHardware] = Field(default_factory=list,
                                          description="candidate compute hardware to size the cloud with")
    max_hosts: int = Field(2000, ge=1, le=MAX_HOSTS, description="stop searching beyond this many hosts")


class CapacityConfig(SectionModel):
    warmup_s: float = Field(3 * 86400.0, ge=0, le=MAX_HORIZON_S, description="simulated time before measuring (*inferred*: "
                            "a few days settles daily cycles after a steady start)")
    duration_s: float = Field(28 * 86400.0, gt=0, le=MAX_HORIZON_S, description="simulated time measured")
    sample_interval_s: float = Field(3600.0, gt=0, description="time step of the utilisation series")
    compute_hosts: int | None = Field(None, ge=1, le=MAX_HOSTS, description="number of compute hosts (default: the inventory's)")
    host_hardware: HostHardware | None = Field(
        None, description="give every compute host this hardware (default: the inventory's; hosts added by "
        "compute_hosts copy the last compute node's)")
    hosts_down: int = Field(0, ge=0, le=MAX_HOSTS, description="hosts failed for the whole run (largest first)")
    host_failures: list[HostOutage] = Field(default_factory=list)
    maintenance: list[HostOutage] = Field(default_factory=list)
    plan: PlanConfig = PlanConfig()

    @model_validator(mode="after")
    def _samples(self):
        steps = (self.warmup_s + self.duration_s) / self.sample_interval_s
        if steps > MAX_SAMPLES:
            raise ValueError(f"sample_interval_s {self.sample_interval_s:g} over warmup_s + duration_s makes "
                             f"{steps:.3g} utilisation steps; at most {MAX_SAMPLES:,} (a longer interval)")
        return self

    @model_validator(mode="after")
    def _maintenance_ends(self):
        for i, m in enumerate(self.maintenance):
            if m.for_s is None:
                raise ValueError(f"maintenance[{i}] needs for_s (how long the host is out)")
        return self
