"""The scenario's `workload:` section: who asks for VMs, how often, for how long, of which flavor.

Rules:
- A tenant's boot requests are a Poisson process whose rate at simulated time t is
      rate_per_hour x (1 + growth_per_month) ** month(t) x daily(t) x weekly(t)
  where month(t) = start_month + (t - warmup_s) / month_s (the measurement window starts at
  `start_month`; the warm-up runs on the same curve just before it), daily(t) =
  1 + amplitude x cos(2 pi (hour - peak_hour) / 24) and weekly(t) is the day's factor of `weekly`
  (Monday first) divided by their mean. Both cycles average 1, so `rate_per_hour` is the mean rate
  over a week at month 0. Simulated time 0 is a Monday, 00:00.
- Each request draws its flavor from `flavors` (weights, normalised) and its lifetime from
  `lifetime_s` (any Distribution: exponential, lognormal, pareto for heavy tails...).
- `start: steady` fills the cloud at time 0 with the VMs an infinite cloud would hold in steady
  state at that rate (Poisson count, remaining lifetimes from the equilibrium distribution),
  so long-lived VMs need no year of warm-up; `start: empty` begins with no VM.
- Traces (`traces:`) replay recorded requests exactly (twin/cloud/workload/trace.py).
- Every number is finite. What a workload costs to simulate is its number of boot requests,
  `expected_requests` (the rate integrated over the run, plus a steady start's VMs), which
  the capacity kind holds to MAX_REQUESTS (twin/cloud/capacity/run.py) before a run starts. Actions are at most one
  a minute per VM (MAX_ACTIONS_PER_DAY).
"""
from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from twin.scenario.base import SectionModel

from twin.scenario.distributions import Distribution, fixed

#: 365.25 / 12 days: the month of `growth_per_month`.
MONTH_S = 365.25 / 12 * 86400
#: Actions per VM and day: once a minute is already far beyond any tenant's habits.
MAX_ACTIONS_PER_DAY = 1440.0




class Daily(SectionModel):
    amplitude: float = Field(0.0, ge=0, le=1, description="0: flat; 1: the rate touches 0 at the trough")
    peak_hour: float = Field(14.0, ge=0, lt=24)


class Actions(SectionModel):
    """What a tenant does to its running VMs, as rates per VM and day (0: never)."""

    resize_per_day: float = Field(0.0, ge=0, le=MAX_ACTIONS_PER_DAY)
    suspend_per_day: float = Field(0.0, ge=0, le=MAX_ACTIONS_PER_DAY)
    suspend_for_s: Distribution = fixed(3600.0)
    snapshot_per_day: float = Field(0.0, ge=0, le=MAX_ACTIONS_PER_DAY)

    @property
    def any(self) -> bool:
        return self.resize_per_day > 0 or self.suspend_per_day > 0 or self.snapshot_per_day > 0


class Tenant(SectionModel):
    name: str = Field(min_length=1)
    rate_per_hour: float = Field(gt=0, description="boot requests per hour, weekly mean, at month 0")
    growth_per_month: float = Field(0.0, gt=-1, description="compound growth of the rate per month")
    daily: Daily = Daily()
    weekly: list[float] = Field(default_factory=lambda: [1.0] * 7, description="Monday..Sunday factors")
    lifetime_s: Distribution
    flavors: dict[str, float] = Field(min_length=1, description="flavor name -> weight")
    availability_zone: str | None = None
    server_group: Literal["anti-affinity", "affinity"] | None = None
    image_properties: dict[str, str] = Field(default_factory=dict)
    actions: Actions = Actions()

    def expected_requests(self, start_month: float, month_s: float, warmup_s: float, span_s: float,
                          steady: bool) -> float:
        """Boot requests expected over a run of `span_s` seconds whose measurement starts at
        `warmup_s` (month `start_month`): the weekly-mean rate integrated over its growth (the
        daily and weekly cycles average 1), plus the VMs a steady start boots at time 0."""
        rate_s = self.rate_per_hour / 3600.0
        log_growth = math.log1p(self.growth_per_month) / month_s  # per second
        log_rate0 = math.log(rate_s) + math.log1p(self.growth_per_month) * (start_month - warmup_s / month_s)
        if log_growth == 0:
            arrivals = rate_s * span_s
        else:  # integral of rate0 * exp(g t) over [0, span]; in logs, so a wild growth gives inf, not an error
            arrivals = math.exp(min(log_rate0 + _log_expm1_ratio(log_growth, span_s), 700.0))
        initial = math.exp(min(log_rate0, 700.0)) * self.lifetime_s.mean if steady else 0.0
        total = arrivals + (initial if math.isfinite(initial) else 0.0)
        return math.inf if math.isnan(total) else total

    @field_validator("weekly")
    @classmethod
    def _week(cls, w):
        if len(w) != 7:
            raise ValueError(f"give 7 daily factors, Monday first (got {len(w)})")
        if any(x < 0 for x in w) or sum(w) <= 0:
            raise ValueError("factors must be >= 0 and not all 0")
        return w

    @field_validator("flavors")
    @classmethod
    def _weights(cls, mix):
        bad = [name for name, w in mix.items() if not w > 0]
        if bad:
            raise ValueError(f"weights must be > 0 ({', '.join(bad)})")
        return mix


def _log_expm1_ratio(g: float, span: float) -> float:
    """log((exp(g span) - 1) / g) for g != 0, without overflow."""
    x = g * span
    if x > 30:
        return x - math.log(g)
    if x < -30:  # the integral tends to 1 / |g|
        return -math.log(-g)
    return math.log(math.expm1(x) / g)


class Trace(SectionModel):
    """A recorded workload: CSV or Parquet with columns submit_s, lifetime_s, flavor (or vcpus,
    memory_mb, disk_gb) and optionally tenant (see trace.py)."""

    file: str = Field(min_length=1, description="relative to the scenario file")
    format: Literal["auto", "csv", "parquet"] = "auto"
    offset_s: float = Field(0.0, ge=0, description="added to every submit time")
    _resolved: object = PrivateAttr(default=None)  # set by the capacity checks: (path, parsed rows)


class Workload(SectionModel):
    start: Literal["steady", "empty"] = "steady"
    start_month: float = Field(0.0, ge=0, description="the month of growth at which measurement starts")
    month_s: float = Field(MONTH_S, ge=1, description="seconds in a month of growth (at least 1)")
    tenants: list[Tenant] = Field(default_factory=list)
    traces: list[Trace] = Field(default_factory=list)

    def expected_requests(self, warmup_s: float, duration_s: float) -> float:
        """Boot requests the tenants are expected to make over warmup_s + duration_s (traces not
        counted: their rows are a file's, already read)."""
        return sum(t.expected_requests(self.start_month, self.month_s, warmup_s, warmup_s + duration_s,
                                       self.start == "steady") for t in self.tenants)

    @model_validator(mode="after")
    def _unique(self):
        names = [t.name for t in self.tenants]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"tenant name(s) {', '.join(dup)} used twice")
        return self
