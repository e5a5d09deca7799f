"""`run: capacity`: a workload on the Nova model of the scenario's compute hosts, measured.

Rules:
- The cloud: the inventory's compute nodes as scheduling hosts (resized by capacity.compute_hosts
  / host_hardware; ESX clusters per the limits profile), Nova settings from `nova:`, the NumInstances
  limit from the profile unless `nova.max_instances_per_host` is set.
- Order at time 0: `hosts_down` hosts fail; the steady-start VMs of every tenant are booted in a
  random interleaving (stream "workload", "steady"); then the tenants' arrival processes, trace
  replays, scheduled host failures and maintenance run until warmup_s + duration_s.
- Host failures also come from the scenario's `faults:` when it has any that stop a compute
  node (twin/faults), through the same `host_failed` / `host_recovered` entry points.
- `capacity_problems` checks what the schema alone cannot (flavor and host names, traces, a
  steady start's finite mean, the profile's limits) and is run before the run (twin/runs/capacity.py), so a
  bad scenario is refused, located, before anything runs.
- The summary and metrics come from the run's logs (metrics.py); the event table is built only
  when asked for (`RunResult.events`, built by `CapacityRun.events`), since sweeps and plans never need it.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from twin.cloud.capacity.faults import ignored_faults, wire_host_faults
from twin.cloud.capacity.metrics import CapacityData, derive, flat_metrics
from twin.cloud.nova.cloud import NovaCloud, NovaSettings
from twin.cloud.nova.filters import resolve as resolve_filters
from twin.cloud.nova.flavors import M1_FLAVORS, Catalogue, Flavor
from twin.cloud.nova.hosts import HostState, host_specs
from twin.cloud.nova.quotas import QuotaBook
from twin.cloud.nova.request import RequestSpec, ServerGroup
from twin.cloud.nova.weighers import WEIGHERS
from twin.cloud.workload.arrivals import RateProfile, TenantDemand, TenantProcess
from twin.cloud.workload.sampling import steady_problem
from twin.cloud.workload.trace import read_trace
from twin.errors import InputError, Problem
from twin.inventory import get_profile
from twin.inventory.model import Hardware, Role
from twin.kernel.sim import make_sim_world
from twin.record.events import COLUMNS, RunMark
from twin.record.recorder import Recorder
from twin.record.result import RunResult


# --- checks -------------------------------------------------------------------------------------
def catalogue_for(sc) -> Catalogue:
    cat = Catalogue(M1_FLAVORS)
    for f in sc.nova.flavors:
        cat.add(Flavor(f.name, f.vcpus, f.memory_mb, f.root_gb, f.ephemeral_gb, f.swap_mb,
                       tuple(sorted(f.extra_specs.items()))))
    return cat


def capacity_problems(sc, inventory, resolve=lambda p: Path(p)) -> tuple[list, list]:
    """(errors, warnings) as (location tuple, message) pairs; `resolve` turns a path written in
    the scenario into a real one. Parses each trace (its problems raise InputError at once, naming
    the trace file) and keeps it on the scenario for the run."""
    errors, warnings = [], []
    cat = catalogue_for(sc)
    names = set(cat.names())
    profile = get_profile(sc.limits_profile)
    compute = [n for n in inventory.active if n.role is Role.COMPUTE]
    cap = sc.capacity
    n_hosts = cap.compute_hosts if cap.compute_hosts is not None else len(compute)
    if n_hosts == 0:
        errors.append((("inventory",), "the inventory has no compute node (role OvercloudCompute) to run VMs on"))
    if not compute and cap.compute_hosts and cap.host_hardware is None:
        errors.append((("capacity", "host_hardware"), "needed: the inventory has no compute node to copy"))
    if n_hosts > profile.max_compute:
        warnings.append((("capacity", "compute_hosts") if cap.compute_hosts else ("inventory",),
                         f"{n_hosts} compute hosts: more than {profile.max_compute} compute hosts under "
                         f"{profile.name} (a supported cloud has at most {profile.max_compute})"))
    if cap.hosts_down >= max(n_hosts, 1):
        errors.append((("capacity", "hosts_down"), f"{cap.hosts_down} hosts down leaves none of {n_hosts} up"))
    host_names = _host_names(sc, inventory)
    for section in ("host_failures", "maintenance"):
        for i, o in enumerate(getattr(cap, section)):
            if o.host not in host_names:
                errors.append((("capacity", section, i, "host"), _no_host(o.host, host_names)))
    for zone, hosts in sc.nova.availability_zones.items():
        for j, h in enumerate(hosts):
            if h not in host_names:
                errors.append((("nova", "availability_zones", zone, j), _no_host(h, host_names)))
    for h in sc.nova.host_capabilities:
        if h not in host_names:
            errors.append((("nova", "host_capabilities", h), _no_host(h, host_names)))
    quota_tenants = set(sc.nova.quotas.tenants)
    tenant_names = {t.name for t in sc.workload.tenants}
    for i, t in enumerate(sc.workload.tenants):
        for f in t.flavors:
            if f not in names:
                errors.append((("workload", "tenants", i, "flavors", f),
                               f"unknown flavor '{f}' (flavors: {', '.join(sorted(names))})"))
        if sc.workload.start == "steady":
            why = steady_problem(t.lifetime_s)
            if why:
                errors.append((("workload", "tenants", i, "lifetime_s"), why))
        if t.availability_zone is not None:
            zones = set(sc.nova.availability_zones) | {sc.nova.default_availability_zone}
            if t.availability_zone not in zones:
                errors.append((("workload", "tenants", i, "availability_zone"),
                               f"no availability zone '{t.availability_zone}' (zones: {', '.join(sorted(zones))})"))
    for i, tr in enumerate(sc.workload.traces):
        if tr._resolved is None:
            path = resolve(tr.file)
            rows = read_trace(path, names, tr.format)  # InputError naming the trace file, line and column
            tr._resolved = (str(path), rows)
        tenant_names |= set(tr._resolved[1].tenants())
    for i, why in ignored_faults(sc, inventory, host_names):
        warnings.append((("faults", i, "kind"), why))
    if not sc.workload.tenants and not sc.workload.traces:
        warnings.append((("workload",), "no tenants and no traces: nothing will ask for a VM"))
    for t in sorted(quota_tenants - tenant_names):
        warnings.append((("nova", "quotas", "tenants", t), f"no tenant '{t}' in the workload"))
    return errors, warnings


def _no_host(name, names) -> str:
    shown = sorted(names)
    return f"no compute host named '{name}' (hosts: {', '.join(shown[:8])}{'...' if len(shown) > 8 else ''})"


def _host_names(sc, inventory) -> set[str]:
    try:
        return {s.name for s in _specs(sc, inventory)}
    except ValueError:
        return set()


def _cluster_hosts(sc, profile) -> int:
    if not profile.compute_host_is_cluster:
        return 1
    return sc.nova.cluster_hosts or profile.cluster_hosts


def _specs(sc, inventory):
    profile = get_profile(sc.limits_profile)
    hw = sc.capacity.host_hardware
    hardware = Hardware(hw.cpus, hw.memory_mib, hw.disk_gib) if hw is not None else None
    return host_specs(inventory.active, _cluster_hosts(sc, profile), sc.capacity.compute_hosts, hardware)


def raise_problems(errors: list, source: str = "<scenario>") -> None:
    if errors:
        raise InputError([Problem(source, 0, _dotted(loc), msg) for loc, msg in errors])


def _dotted(loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- building the cloud -------------------------------------------------------------------------
def build_hosts(sc, inventory) -> list[HostState]:
    nova = sc.nova
    profile = get_profile(sc.limits_profile)
    cluster = _cluster_hosts(sc, profile)
    max_instances = nova.max_instances_per_host or profile.vms_per_scheduling_host(cluster)
    zone_of = {h: z for z, hosts in nova.availability_zones.items() for h in hosts}
    hypervisor = "VMware vCenter Server" if profile.compute_host_is_cluster else "QEMU"
    return [HostState(s.name, i, s.memory_mib, s.cpus, s.disk_gib, max_instances=max_instances,
                      ram_allocation_ratio=nova.ram_allocation_ratio, cpu_allocation_ratio=nova.cpu_allocation_ratio,
                      disk_allocation_ratio=nova.disk_allocation_ratio,
                      reserved_host_memory_mb=nova.reserved_host_memory_mb,
                      reserved_host_disk_mb=nova.reserved_host_disk_mb,
                      availability_zone=zone_of.get(s.name, nova.default_availability_zone),
                      capabilities=nova.host_capabilities.get(s.name), arch=s.arch, hypervisor_type=hypervisor)
            for i, s in enumerate(_specs(sc, inventory))]


class CapacityRun:
    """One capacity run being built and run in a world (see module docstring)."""

    def __init__(self, world, sc, inventory):
        errors, _ = capacity_problems(sc, inventory)  # traces already read are not read again
        raise_problems(errors)
        self.world = world
        self.sc = sc
        self.inventory = inventory
        nova, wl, cap = sc.nova, sc.workload, sc.capacity
        self.catalogue = catalogue_for(sc)
        traces = [tr._resolved[1] for tr in wl.traces]
        tenants = [t.name for t in wl.tenants]
        for rows in traces:
            tenants += [t for t in rows.tenants() if t not in tenants]
        self.tenants = tenants
        hosts = build_hosts(sc, inventory)
        quotas = QuotaBook(tenants, nova.quotas.default.as_tuple(),
                           {t: q.as_tuple() for t, q in nova.quotas.tenants.items()})
        settings = NovaSettings(scheduler_max_attempts=nova.scheduler_max_attempts,
                                build_failure_probability=nova.build_failure_probability,
                                evacuate_on_host_failure=nova.evacuate_on_host_failure,
                                evacuate_after_s=nova.evacuate_after_s, live_migration_s=nova.live_migration_s,
                                snapshot_fraction=nova.snapshot_fraction)
        self.cloud = NovaCloud(world, hosts, self.catalogue, resolve_filters(nova.scheduler_default_filters),
                               [WEIGHERS[w](nova) for w in nova.scheduler_weight_classes], tenants=tenants,
                               quotas=quotas, settings=settings, host_subset_size=nova.scheduler_host_subset_size)
        self.end_s = cap.warmup_s + cap.duration_s
        self.traces = traces
        self.prefill_vms = 0

    def start(self) -> None:
        world, sc, cloud = self.world, self.sc, self.cloud
        wl, cap = sc.workload, sc.capacity
        world.record(RunMark("start"))
        for h in sorted(cloud.hosts, key=lambda h: (-h.schedulable_ram_mb, -h.index))[:cap.hosts_down]:
            cloud.host_failed(h.name, "capacity.hosts_down")
        processes, steady = [], []
        for k, t in enumerate(wl.tenants):
            number = cloud.tenant_index[t.name]
            group = ServerGroup(f"{t.name}-group", t.server_group) if t.server_group else None
            flavor_numbers = [self.catalogue[f].index for f in t.flavors]
            specs = {self.catalogue[f].index: RequestSpec(self.catalogue[f], t.name, t.availability_zone, group,
                                                          t.image_properties) for f in t.flavors}
            profile = RateProfile(t, cap.warmup_s, wl.start_month, wl.month_s)
            demand = TenantDemand(t, profile, flavor_numbers, world.rng("workload", t.name))
            proc = TenantProcess(world, cloud, number, demand, specs, self.end_s)
            if wl.start == "steady":
                flavors, lives = demand.steady(0.0)
                steady += [(proc, f, life) for f, life in zip(flavors.tolist(), lives.tolist())]
            processes.append(proc)
        if steady:
            order = world.rng("workload", "steady").permutation(len(steady))
            for i in order.tolist():
                proc, f, life = steady[i]
                proc.prefill(np.array([f]), np.array([life]))
        self.prefill_vms = len(cloud.log.vm_tenant)
        for proc in processes:
            world.process(proc.run())
        for k, rows in enumerate(self.traces):
            world.process(self._replay(rows, wl.traces[k].offset_s))
        for o in cap.host_failures:
            world.process(self._outage(o))
        for o in cap.maintenance:
            world.process(self._maintenance(o))
        self._wire_faults()

    def _replay(self, rows, offset_s: float):
        cloud, cat, env = self.cloud, self.catalogue, self.world.env
        specs: dict = {}
        for i in rows.order():
            f = rows.flavor[i]
            flavor = cat[f] if isinstance(f, str) else cat.sized(*f)
            tenant = rows.tenant[i]
            spec = specs.get((flavor.index, tenant))
            if spec is None:
                spec = specs[(flavor.index, tenant)] = RequestSpec(flavor, tenant)
            at = rows.submit_s[i] + offset_s
            if at >= self.end_s:
                return
            if at > env.now:
                yield self.world.timeout(at - env.now)
            cloud.boot(cloud.tenant_index[tenant], spec, rows.lifetime_s[i])

    def _outage(self, o):
        if o.at_s > 0:
            yield self.world.timeout(o.at_s)
        self.cloud.host_failed(o.host, "capacity.host_failures")
        if o.for_s is not None:
            yield self.world.timeout(o.for_s)
            self.cloud.host_recovered(o.host, "capacity.host_failures")

    def _maintenance(self, o):
        if o.at_s > 0:
            yield self.world.timeout(o.at_s)
        yield self.world.process(self.cloud.maintain(o.host, o.for_s))

    def _wire_faults(self) -> None:
        """Faults from the scenario's `faults:` list that stop compute nodes (see module docstring)."""
        wire_host_faults(self.world, self.sc, self.cloud, self.inventory)

    def run(self) -> None:
        self.world.run(until=self.end_s)
        self.world.record(RunMark("end", "done"))

    def summary(self, seed: int, backend: str = "sim") -> dict:
        frame = self.world.recorder.frame()
        host_events = frame[frame["kind"] == "host"]
        cap = self.sc.capacity
        data = CapacityData(self.cloud, host_events, cap.warmup_s, cap.duration_s, cap.sample_interval_s,
                            self.prefill_vms)
        derived = derive(data)
        profile = get_profile(self.sc.limits_profile)
        hosts = self.cloud.hosts
        cloud = {
            "profile": profile.name, "hosts": len(hosts), "hosts_down": cap.hosts_down,
            "max_compute": profile.max_compute, "within_profile": len(hosts) <= profile.max_compute,
            "max_instances_per_host": hosts[0].max_instances if hosts else 0,
            "cluster_hosts": _cluster_hosts(self.sc, profile),
            "host_table": data.host_table,
        }
        summary = {
            "scenario": self.sc.name, "run": "capacity", "backend": backend, "seed": seed,
            "capacity": {
                "cloud": cloud,
                "flavors": [{"name": f.name, "vcpus": f.vcpus, "memory_mb": f.memory_mb, "disk_gb": f.disk_gb}
                            for f in self.catalogue],
                "tenants": self.tenants,
                "prefill_vms": self.prefill_vms,
                **derived,
            },
            "counts": {"vm_rows": len(self.cloud.log), "events": len(self.cloud.log) + len(frame)},
        }
        summary["metrics"] = flat_metrics(summary)
        return summary

    def events(self):
        import pandas as pd

        vm = self.cloud.log.frame(self.tenants, self.catalogue.names(), [h.name for h in self.cloud.hosts])
        other = self.world.recorder.frame().drop(columns=["seq"])
        both = pd.concat([other, vm], ignore_index=True)
        both = both.iloc[np.argsort(both["time_s"].to_numpy(), kind="stable")].reset_index(drop=True)
        both.insert(0, "seq", np.arange(len(both), dtype=np.int64))
        both = both.astype({"seq": "int64", "time_s": "float64", "value": "float64"})
        for col in ("kind", "subject", "name", "detail", "cause"):
            both[col] = both[col].astype("string")
        return both[list(COLUMNS)]


def simulate_capacity(sc, inventory, seed: int, progress: bool = False) -> RunResult:
    """The RUN_KINDS entry for `run: capacity`."""
    world = make_sim_world(seed, Recorder())
    run = CapacityRun(world, sc, inventory)
    run.start()
    bar = _progress(world, run.end_s) if progress else None
    try:
        run.run()
    finally:
        if bar is not None:
            bar.close()
    summary = run.summary(seed)
    return RunResult(summary, metrics=summary["metrics"], build=run.events)  # the table on first use


def _progress(world, end_s: float):
    """A progress bar over simulated days (ticks on a timer process: no effect on the results)."""
    from tqdm import tqdm

    days = max(1, int(math.ceil(end_s / 86400)))
    bar = tqdm(total=days, unit="day", desc="simulating", disable=None, leave=False)

    def tick():
        for _ in range(days):
            yield world.timeout(min(86400.0, max(0.0, end_s - world.now)))
            bar.update(1)

    world.process(tick())
    return bar


#: Boot requests of one capacity run. Measured on this project's reference workload: about
#: 100,000 requests per CPU second and 100 bytes each, so 10 million is ~2 minutes and ~1 GB.
MAX_REQUESTS = 10_000_000


def request_cost_problems(sc) -> list[tuple[tuple, str]]:
    """(location, message) when the tenants are expected to make more than MAX_REQUESTS boot
    requests (the rate integrated over warmup_s + duration_s with its growth, plus a steady
    start's VMs): such a run would eat the machine, so it is refused with the figure."""
    if not sc.workload.tenants:
        return []
    cap = sc.capacity
    expected = sc.workload.expected_requests(cap.warmup_s, cap.duration_s)
    if expected <= MAX_REQUESTS:
        return []
    busiest = max(range(len(sc.workload.tenants)), key=lambda i: sc.workload.tenants[i].expected_requests(
        sc.workload.start_month, sc.workload.month_s, cap.warmup_s, cap.warmup_s + cap.duration_s,
        sc.workload.start == "steady"))
    figure = f"{expected:.3g}" if expected < 1e300 else "more than 1e300"
    return [(("workload", "tenants", busiest, "rate_per_hour"),
             f"this run is about {figure} boot requests over warmup_s + duration_s "
             f"({cap.warmup_s + cap.duration_s:g} s); at most {MAX_REQUESTS:,} (about 2 minutes and 1 GB): "
             "lower the rates or growth, or shorten the run")]
