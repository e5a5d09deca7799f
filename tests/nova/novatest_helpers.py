"""Builders shared by the Nova and workload tests: hosts, schedulers, clouds and capacity scenarios."""
from __future__ import annotations

import simpy

from twin.cloud.nova.cloud import NovaCloud, NovaSettings
from twin.cloud.nova.filters import DEFAULT_FILTERS, resolve
from twin.cloud.nova.flavors import Catalogue
from twin.cloud.nova.hosts import HostState
from twin.cloud.nova.scheduler import Scheduler
from twin.cloud.nova.weighers import ram_weigher
from twin.inventory import generate_from_spec
from twin.kernel.rng import Streams
from twin.kernel.sim import SimWorld
from twin.record.recorder import Recorder
from twin.runs import Scenario, simulate

UNLIMITED = {"default": {"instances": -1, "cores": -1, "ram_mb": -1}}


def host(i: int, memory_mb=131072, vcpus=24, local_gb=2048, max_instances=40, **kw) -> HostState:
    return HostState(f"compute{i}", i, memory_mb, vcpus, local_gb, max_instances=max_instances, **kw)


def scheduler(hosts, multiplier=1.0, filters=DEFAULT_FILTERS, subset=1, rng=None, weighers=None) -> Scheduler:
    return Scheduler(hosts, resolve(filters), weighers if weighers is not None else [ram_weigher(multiplier)],
                     subset, rng)


def world(seed: int = 1) -> SimWorld:
    return SimWorld(simpy.Environment(), Streams(seed), Recorder())


def cloud(hosts, seed: int = 1, multiplier=1.0, tenants=("t",), settings=None, quotas=None, filters=DEFAULT_FILTERS):
    w = world(seed)
    return w, NovaCloud(w, hosts, Catalogue(), resolve(filters), [ram_weigher(multiplier)], tenants=list(tenants),
                        settings=settings or NovaSettings(live_migration_s=None), quotas=quotas)


def capacity_scenario(compute=2, tenants=None, nova=None, capacity=None, hardware=None, workload=None, **kw):
    """A `run: capacity` Scenario on a generated inventory (quotas unlimited unless given)."""
    nova = {"quotas": UNLIMITED, **(nova or {})}
    wl = {"start": "empty", "tenants": tenants or [], **(workload or {})}
    hw = {"cpus": 24, "memory_mib": 131072, "disk_gib": 2048, **(hardware or {})}
    return Scenario(name="cap", run="capacity", inventory={"generate": {"compute": compute, "hardware": hw}},
                    nova=nova, workload=wl, capacity=capacity or {}, **kw)


def run_capacity(sc: Scenario, seed: int = 1):
    inventory = generate_from_spec(sc.inventory.generate.model_dump())
    return simulate(sc, inventory, seed)


def erlang_b(c: int, a: float) -> float:
    """Erlang's loss formula by the stable recurrence B_0 = 1, B_k = A B_{k-1} / (k + A B_{k-1})."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b
