"""Per-tenant boot requests: a non-homogeneous Poisson process drawn by thinning, a day at a time.

Rules:
- The rate is the one in config.py's docstring. Arrivals are drawn a day (`BLOCK_S`) at a time:
  candidates from a homogeneous Poisson process at the day's upper bound of the rate (growth at
  the day's end, both cycles at their peaks), each kept with probability rate(t) / bound (Lewis
  and Shedler's thinning: exact for any bounded rate). A constant rate keeps every candidate.
- A tenant's arrival times, flavors and lifetimes come from its own random stream
  ("workload", tenant), drawn before any of them is booted: what the cloud does with a request
  never changes the requests that follow (common random numbers across cloud sizes).
- Actions on running VMs (resize, suspend/resume, snapshot) draw from ("workload", tenant,
  "actions"): each VM's next action comes after an exponential time at the summed rate.
"""
from __future__ import annotations

import math

import numpy as np

from twin.cloud.workload.sampling import residual_array, sample_array

BLOCK_S = 86400.0
WEEK_S = 7 * 86400.0


class RateProfile:
    """rate(t) in requests per second (see config.py); vectorised over numpy arrays of t."""

    def __init__(self, tenant, warmup_s: float, start_month: float, month_s: float):
        self.base = tenant.rate_per_hour / 3600.0
        self.log_growth = math.log1p(tenant.growth_per_month) / month_s  # per second
        self.t0_s = start_month * month_s - warmup_s  # growth clock at simulated time 0
        week = np.asarray(tenant.weekly, dtype=float)
        self.week = week / week.mean()
        self.amplitude = tenant.daily.amplitude
        self.peak_s = tenant.daily.peak_hour * 3600.0
        self.constant = self.log_growth == 0 and self.amplitude == 0 and bool(np.all(self.week == self.week[0]))

    def growth(self, t):
        return np.exp(self.log_growth * (self.t0_s + np.asarray(t, dtype=float)))

    def rate(self, t):
        t = np.asarray(t, dtype=float)
        r = self.base * self.growth(t)
        if self.amplitude:
            r = r * (1.0 + self.amplitude * np.cos(2 * math.pi * ((t - self.peak_s) % 86400.0) / 86400.0))
        day = (np.floor(t / 86400.0).astype(np.int64)) % 7
        return r * self.week[day]

    def mean_rate(self, t: float) -> float:
        """The rate averaged over both cycles at time t (growth only)."""
        return float(self.base * self.growth(t))

    def bound(self, start: float, end: float) -> float:
        """An upper bound of rate(t) over [start, end)."""
        g = self.growth(end if self.log_growth > 0 else start)
        return float(self.base * g * (1.0 + self.amplitude) * self.week.max())


def arrival_times(profile: RateProfile, rng: np.random.Generator, start: float, end: float) -> np.ndarray:
    """Arrival times in [start, end), sorted."""
    lam = profile.bound(start, end)
    if lam <= 0 or end <= start:
        return np.zeros(0)
    span = end - start
    expected = lam * span
    k = int(expected + 6 * math.sqrt(expected) + 16)
    times = start + np.cumsum(rng.exponential(1.0 / lam, k))
    while times[-1] < end:  # rare: draw more until past the end
        more = times[-1] + np.cumsum(rng.exponential(1.0 / lam, k))
        times = np.concatenate([times, more])
    times = times[times < end]
    if profile.constant:
        return times
    keep = rng.random(len(times)) * lam < profile.rate(times)
    return times[keep]


class TenantDemand:
    """One tenant's requests as arrays, a block at a time: times, flavor numbers, lifetimes."""

    def __init__(self, tenant, profile: RateProfile, flavor_numbers: list[int], rng: np.random.Generator):
        self.tenant = tenant
        self.profile = profile
        self.rng = rng
        weights = np.array(list(tenant.flavors.values()), dtype=float)
        self.p = weights / weights.sum()
        self.flavor_numbers = np.array(flavor_numbers, dtype=np.int64)

    def block(self, start: float, end: float):
        times = arrival_times(self.profile, self.rng, start, end)
        n = len(times)
        flavors = self.flavor_numbers[self.rng.choice(len(self.p), size=n, p=self.p)] if n else np.zeros(0, np.int64)
        lifetimes = sample_array(self.tenant.lifetime_s, self.rng, n)
        return times, flavors, lifetimes

    def steady(self, at: float):
        """The VMs running at time `at` in steady state on an unlimited cloud: (flavors, remaining lifetimes)."""
        mean_vms = self.profile.mean_rate(at) * self.tenant.lifetime_s.mean
        n = int(self.rng.poisson(mean_vms))
        flavors = self.flavor_numbers[self.rng.choice(len(self.p), size=n, p=self.p)] if n else np.zeros(0, np.int64)
        return flavors, residual_array(self.tenant.lifetime_s, self.rng, n)


class TenantProcess:
    """Boots a tenant's requests on the cloud as they arrive, and acts on its running VMs."""

    def __init__(self, world, cloud, tenant_number: int, demand: TenantDemand, specs: dict, end_s: float):
        self.world = world
        self.cloud = cloud
        self.number = tenant_number
        self.demand = demand
        self.specs = specs  # flavor number -> RequestSpec
        self.end_s = end_s
        actions = demand.tenant.actions
        self.actions = actions if actions.any else None
        if self.actions is not None:
            self.action_rng = world.rng("workload", demand.tenant.name, "actions")
            per_s = [actions.resize_per_day / 86400, actions.suspend_per_day / 86400, actions.snapshot_per_day / 86400]
            self.action_rate = sum(per_s)
            self.action_p = np.array(per_s) / self.action_rate
            self.mix = list(specs)

    def prefill(self, flavors, lifetimes) -> None:
        boot, specs, n = self.cloud.boot, self.specs, self.number
        for f, life in zip(flavors.tolist(), lifetimes.tolist()):
            vm = boot(n, specs[f], life)
            if vm is not None and self.actions is not None:
                self._next_action(vm)

    def run(self):
        env = self.world.env
        timeout = self.world.timeout
        boot, specs, n = self.cloud.boot, self.specs, self.number
        acting = self.actions is not None
        start = env.now
        while start < self.end_s:
            end = min(start + BLOCK_S, self.end_s)
            times, flavors, lifetimes = self.demand.block(start, end)
            for t, f, life in zip(times.tolist(), flavors.tolist(), lifetimes.tolist()):
                delay = t - env.now
                yield timeout(delay if delay > 0 else 0.0)
                vm = boot(n, specs[f], life)
                if acting and vm is not None:
                    self._next_action(vm)
            start = end

    # --- actions on running VMs ---------------------------------------------------------------
    def _next_action(self, vm) -> None:
        delay = float(self.action_rng.exponential(1.0 / self.action_rate))
        self.world.timeout(delay, vm).callbacks.append(self._act)

    def _act(self, event) -> None:
        vm = event.value
        if not vm.alive:
            return
        cloud = self.cloud
        kind = int(self.action_rng.choice(3, p=self.action_p))
        if kind == 0:
            others = [f for f in self.mix if f != vm.flavor.index]
            if others:
                cloud.resize(vm, cloud.catalogue.flavors[others[int(self.action_rng.integers(len(others)))]])
        elif kind == 1:
            if cloud.suspend(vm):
                for_s = self.actions.suspend_for_s.sample(self.action_rng)
                self.world.timeout(for_s, vm).callbacks.append(lambda ev: cloud.resume(ev.value))
        else:
            cloud.snapshot(vm)
        if vm.alive:
            self._next_action(vm)
