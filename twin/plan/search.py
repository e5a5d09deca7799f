"""`twin plan capacity`: the fewest compute hosts that keep blocking under a target, month by month.

Rules:
- The criterion for (month m, n hosts): the `percentile`-th percentile, across `replications`
  replications (numpy's linear interpolation), of the blocking probability of a capacity run of
  the scenario at month m's demand (`workload.start_month: m`) on n hosts of the candidate
  hardware with `survive` of them failed for the whole run (`capacity.hosts_down`, the largest
  first): n hosts survive `survive` host failures when the other n - survive meet the target.
- Candidates: "current" (the scenario's own hosts; more copy the last compute node) and each of
  `capacity.plan.hardware` (every host of that hardware).
- The search: a lower bound per month from mean demand (each tenant's rate at mid-window x mean
  lifetime x its flavor mix, against one host's schedulable RAM, vCPUs, disk and slots; blocking
  <= target needs capacity >= (1 - target) x mean demand), plus `survive`. First one batch of
  replications over every month and every host count from the smallest lower bound to the
  largest lower bound + 1 (and the current cloud's size); then, for any month none of those
  satisfy, batches of larger counts (doubling) until one does or `max_hosts` is passed. A month's
  answer is the smallest evaluated count at or above its lower bound that meets the target.
- The current cloud (its own hosts, `survive` of them down) is evaluated at every month; it runs
  out in the first month that misses the target.
- An answer beyond the limits profile's `max_compute` is reported as such ("more than 30 compute
  hosts under kvm-30x40"), never capped.
- Replications run on the sweep runner (batch.py), locally or on Dask; the same seeds at every
  point (common random numbers).
- Each month that needs more hosts than the cloud has by then gets its deployment lead time and
  the latest start of its `add_nodes` (leadtime.py).
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twin.cloud.capacity.config import HostHardware
from twin.errors import InputError, TwinError, UsageError
from twin.inventory import get_profile
from twin.plan.batch import run_points
from twin.plan.leadtime import AddTimes, LeadTime, lead_times

MONTH_KEY, HOSTS_KEY, DOWN_KEY, HARDWARE_KEY = ("workload.start_month", "capacity.compute_hosts",
                                                "capacity.hosts_down", "capacity.host_hardware")
MAX_GRID_POINTS = 240


class PlanError(TwinError):
    """The plan cannot be made as asked."""


class PlanUsageError(PlanError, UsageError):
    """An option of `twin plan capacity` is out of range or names nothing (exit 2, as for a sweep)."""


@dataclass
class PlanOptions:
    target_blocking: float | None = None
    percentile: float | None = None
    survive: int | None = None
    months: int | None = None
    replications: int | None = None
    hardware: str | None = None  # a candidate's name, "current", or "all" (default: current)
    workers: int = 1
    scheduler: str | None = None
    seed: int | None = None
    progress: bool = False


@dataclass
class Point:
    """The replications of one (candidate, month, hosts)."""

    hardware: str
    month: int
    hosts: int
    blocking: list[float]
    p_blocking: float
    mean_blocking: float
    util_ram: float
    util_cores: float
    util_slots: float
    vms_mean: float
    quota_rejection: float

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class MonthPlan:
    month: int
    demand_vms: float
    lower_bound: int
    hosts: int | None  # None: more than max_hosts
    point: Point | None
    exceeds_profile: bool


@dataclass
class PlanResult:
    scenario: str
    profile: str
    max_compute: int
    target: float
    percentile: float
    survive: int
    replications: int
    months: int
    current_hosts: int
    current: list[Point | None]
    runs_out_month: int | None
    candidates: dict[str, list[MonthPlan]]
    hardware: dict[str, dict | None]
    points: list[Point] = field(default_factory=list)
    max_hosts: int = 0
    wall_s: float = 0.0
    runs: int = 0
    quota_warning: bool = False
    month_s: float = 0.0
    lead_times: dict[str, list[LeadTime]] = field(default_factory=dict)  # by candidate (leadtime.py)


class Planner:
    def __init__(self, scenario_path, options: PlanOptions, echo=None):
        from twin.runs import expect_kind, load_scenario, resolve_inventory

        self.path = Path(scenario_path).resolve()
        self.loaded = load_scenario(self.path)
        sc = self.loaded.scenario
        expect_kind(self.loaded, "capacity", "twin plan capacity (see scenarios/capacity-reference.yaml)")
        self.inventory, self.warnings = resolve_inventory(self.loaded)
        self.sc = sc
        cfg = sc.capacity.plan
        o = options
        self.target = cfg.target_blocking if o.target_blocking is None else o.target_blocking
        self.percentile = cfg.percentile if o.percentile is None else o.percentile
        self.survive = cfg.survive if o.survive is None else o.survive
        self.months = cfg.months if o.months is None else o.months
        self.replications = cfg.replications if o.replications is None else o.replications
        self.max_hosts = cfg.max_hosts
        self.options = o
        self.echo = echo or (lambda text: None)
        _check(self)
        self.profile = get_profile(sc.limits_profile)
        names = {h.name: h for h in cfg.hardware}
        choice = o.hardware or "current"
        if choice == "all":
            self.candidates = {"current": None, **{n: HostHardware(cpus=h.cpus, memory_mib=h.memory_mib,
                                                                   disk_gib=h.disk_gib) for n, h in names.items()}}
        elif choice == "current":
            self.candidates = {"current": None}
        elif choice in names:
            h = names[choice]
            self.candidates = {choice: HostHardware(cpus=h.cpus, memory_mib=h.memory_mib, disk_gib=h.disk_gib)}
        else:
            known = ", ".join(["current", "all", *names]) if names else "current, all"
            raise PlanUsageError(f"--hardware: no candidate named '{choice}' in capacity.plan.hardware (candidates: {known})")
        from twin.cloud.capacity.run import build_hosts

        self.current_hosts = len(build_hosts(sc, self.inventory))
        self.points: dict[tuple[str, int, int], Point] = {}
        self.runs = 0

    # --- demand and bounds ----------------------------------------------------------------------
    def _host_capacity(self, hardware) -> np.ndarray:
        from twin.cloud.capacity.run import build_hosts

        sc = self.sc.model_copy(deep=True)
        if hardware is not None:
            sc.capacity.host_hardware = hardware
        sc.capacity.compute_hosts = max(self.current_hosts, 1) + (1 if hardware is None else 0)
        h = build_hosts(sc, self.inventory)[-1]  # an added host (current) or any (candidate)
        return np.array([h.schedulable_ram_mb, h.vcpus_limit, h.local_gb * h.disk_allocation_ratio, h.max_instances])

    def demand(self, month: int) -> tuple[float, np.ndarray]:
        """Mean VMs and mean (MB, vCPUs, GB, instances) running at month `month`, mid-window."""
        from twin.cloud.capacity.run import catalogue_for

        cat = catalogue_for(self.sc)
        wl, cap = self.sc.workload, self.sc.capacity
        mid = month + cap.duration_s / 2 / wl.month_s
        vms, need = 0.0, np.zeros(4)
        for t in wl.tenants:
            n = t.rate_per_hour / 3600 * (1 + t.growth_per_month) ** mid * t.lifetime_s.mean
            total = sum(t.flavors.values())
            for name, w in t.flavors.items():
                f = cat[name]
                need += n * w / total * np.array([f.memory_mb, f.vcpus, f.disk_gb, 1.0])
            vms += n
        return vms, need

    def lower_bound(self, month: int, capacity: np.ndarray) -> int:
        _, need = self.demand(month)
        hosts = max((need[i] / capacity[i] for i in range(4) if capacity[i] > 0), default=0.0)
        return max(self.survive + 1, math.ceil((1 - self.target) * hosts - 1e-9) + self.survive)

    # --- evaluation -----------------------------------------------------------------------------
    def evaluate(self, name: str, hardware, months: list[int], hosts: list[int] | None) -> None:
        axes = {MONTH_KEY: list(months)}
        if hosts is not None:
            axes[HOSTS_KEY] = list(hosts)
        axes[DOWN_KEY] = [self.survive]
        if hardware is not None:
            axes[HARDWARE_KEY] = [hardware.model_dump()]
        o = self.options
        table = run_points(self.path, axes, self.replications, workers=o.workers, scheduler=o.scheduler, seed=o.seed,
                           progress=echo_enabled(self.echo))
        self.runs += len(table)
        for key, g in table.groupby([MONTH_KEY, HOSTS_KEY] if hosts is not None else [MONTH_KEY]):
            m, n = (key[0], int(key[1])) if hosts is not None else (key[0], self.current_hosts)
            b = g["blocking_probability"].to_numpy(float)
            b = np.where(np.isnan(b), 0.0, b)  # no request in the window: nothing blocked
            self.points[(name, int(m), n)] = Point(
                name, int(m), n, [round(float(x), 6) for x in b], float(np.percentile(b, self.percentile)),
                float(b.mean()), _mean(g, "util_ram_mean"), _mean(g, "util_cores_mean"), _mean(g, "util_slots_mean"),
                _mean(g, "vms_mean"), _mean(g, "quota_rejection_probability"))

    def passes(self, name: str, month: int, hosts: int) -> bool | None:
        p = self.points.get((name, month, hosts))
        return None if p is None else p.p_blocking <= self.target

    # --- the search -----------------------------------------------------------------------------
    def run(self) -> PlanResult:
        t0 = time.perf_counter()
        months = list(range(self.months + 1))
        plans: dict[str, list[MonthPlan]] = {}
        for name, hw in self.candidates.items():
            capacity = self._host_capacity(hw)
            lb = {m: self.lower_bound(m, capacity) for m in months}
            lo = min(lb.values())
            hi = max(lb.values()) + 1
            grid = list(range(lo, hi + 1))
            if hw is None and self.current_hosts not in grid and self.survive < self.current_hosts:
                if self.current_hosts < lo:
                    grid = list(range(self.current_hosts, hi + 1))
                elif self.current_hosts <= hi + 3:
                    grid = list(range(lo, self.current_hosts + 1))
            grid = [n for n in grid if n <= self.max_hosts]
            if grid and len(grid) * len(months) <= MAX_GRID_POINTS:
                self.echo(f"{name}: {len(months)} months x {grid[0]}..{grid[-1]} hosts, "
                          f"{self.replications} replications each")
                self.evaluate(name, hw, months, grid)
            answers: dict[int, int | None] = {}
            for m in months:
                answers[m] = self._search_month(name, hw, m, lb[m], answers.get(m - 1))
                self.echo(f"{name}: month {m}: " + (f"{answers[m]} hosts" if answers[m] is not None
                                                    else f"more than {self.max_hosts} hosts"))
            plans[name] = []
            for m in months:
                vms, _ = self.demand(m)
                n = answers[m]
                plans[name].append(MonthPlan(m, vms, lb[m], n, self.points.get((name, m, n)) if n else None,
                                             n is None or n > self.profile.max_compute))
        current = self._current(months)
        adds = AddTimes(self.sc, self.inventory.active, self.replications, self.percentile,
                        self.sc.seed if self.options.seed is None else self.options.seed, self.echo)
        month_s = self.sc.workload.month_s
        leads = {name: lead_times(plan, self.current_hosts if self.candidates[name] is None else 0, month_s, adds)
                 for name, plan in plans.items()}
        runs_out = next((m for m, p in zip(months, current) if p is None or p.p_blocking > self.target), None)
        quota = any(p.quota_rejection > 0 for p in self.points.values())
        return PlanResult(
            self.sc.name, self.profile.name, self.profile.max_compute, self.target, self.percentile, self.survive,
            self.replications, self.months, self.current_hosts, current, runs_out, plans,
            {n: (hw.model_dump() if hw is not None else None) for n, hw in self.candidates.items()},
            sorted(self.points.values(), key=lambda p: (p.hardware, p.month, p.hosts)), self.max_hosts,
            time.perf_counter() - t0, self.runs, quota, month_s, leads)

    def _search_month(self, name, hw, month: int, lb: int, previous: int | None) -> int | None:
        start = max(lb, previous or 0) if self.sc.workload.tenants and all(
            t.growth_per_month >= 0 for t in self.sc.workload.tenants) else lb
        n = start
        width = max(2, self.options.workers)
        while n <= self.max_hosts:
            verdict = self.passes(name, month, n)
            if verdict is None:  # not evaluated yet: a batch from here (doubling each time)
                self.evaluate(name, hw, [month], list(range(n, min(n + width, self.max_hosts + 1))))
                width *= 2
                continue
            if verdict:
                return n
            n += 1
        return None

    def _current(self, months: list[int]) -> list[Point | None]:
        if self.survive >= self.current_hosts:
            return [None for _ in months]  # every host down: it cannot survive that many failures
        if "current" in self.candidates:
            have = [self.points.get(("current", m, self.current_hosts)) for m in months]
            if all(p is not None for p in have):
                return have
        self.echo(f"current cloud: {self.current_hosts} hosts, {len(months)} months")
        self.evaluate("now", None, months, None)
        return [self.points.get(("now", m, self.current_hosts)) for m in months]


def _mean(g, column: str) -> float:
    if column not in g:
        return math.nan
    x = g[column].to_numpy(float)
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else math.nan


def _check(p: Planner) -> None:
    def bad(option, message):
        raise PlanUsageError(f"{option}: {message}")

    if not 0 < p.target < 1:
        bad("--target-blocking", f"must be between 0 and 1 (a probability), not {p.target}")
    if not 0 < p.percentile <= 100:
        bad("--percentile", f"must be in (0, 100], not {p.percentile}")
    if p.survive < 0:
        bad("--survive", f"must be >= 0, not {p.survive}")
    if p.months < 0:
        bad("--months", f"must be >= 0, not {p.months}")
    if p.replications < 2:
        bad("--replications", f"needs at least 2 replications for a percentile, not {p.replications}")
    if p.options.workers < 1:
        bad("--workers", f"must be at least 1, not {p.options.workers}")


def plan_capacity(scenario_path, options: PlanOptions | None = None, echo=None) -> PlanResult:
    """Make the plan (see module docstring). Raises PlanError, InputError (the scenario), SweepError."""
    return Planner(scenario_path, options or PlanOptions(), echo).run()


def progress_echo(enabled: bool):
    if not enabled:
        return None
    return _echo


def _echo(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


def echo_enabled(echo) -> bool:
    """Progress is shown (month lines, and each batch's bar on a terminal) when the echo prints."""
    return echo is _echo


__all__ = ["InputError", "PlanError", "PlanOptions", "PlanResult", "plan_capacity"]
