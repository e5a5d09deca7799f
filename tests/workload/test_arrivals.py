"""Arrival processes: thinning reproduces the rate's integral and shape; growth compounds; a
steady start begins in equilibrium; a tenant's requests do not depend on other tenants or the cloud."""
import math

import numpy as np
import pytest

from twin.cloud.workload.arrivals import RateProfile, arrival_times
from twin.cloud.workload.config import MONTH_S, Tenant
from wltest_helpers import BIG, capacity_scenario, run_capacity

DAY, WEEK = 86400.0, 7 * 86400.0


def tenant(**kw):
    base = {"name": "a", "rate_per_hour": 60.0, "lifetime_s": 3600.0, "flavors": {"m1.small": 1.0}}
    return Tenant.model_validate({**base, **kw})


def test_a_flat_rate_gives_the_expected_count():
    p = RateProfile(tenant(), warmup_s=0, start_month=0, month_s=MONTH_S)
    assert p.constant
    times = arrival_times(p, np.random.default_rng(1), 0.0, 10 * DAY)
    expected = 60 * 24 * 10
    assert abs(len(times) - expected) < 4 * math.sqrt(expected)
    assert np.all(np.diff(times) > 0) and times[0] >= 0 and times[-1] < 10 * DAY


def test_daily_and_weekly_cycles_shape_the_arrivals_and_average_to_the_rate():
    weekly = [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
    p = RateProfile(tenant(daily={"amplitude": 0.8, "peak_hour": 15}, weekly=weekly), 0, 0, MONTH_S)
    rng = np.random.default_rng(2)
    times = np.concatenate([arrival_times(p, rng, s, s + DAY) for s in np.arange(0, 20 * WEEK, DAY)])
    total = 60 * 24 * 7 * 20  # the weekly mean rate is rate_per_hour
    assert abs(len(times) - total) < 4 * math.sqrt(total)
    hour = (times % DAY // 3600).astype(int)
    counts = np.bincount(hour, minlength=24)
    # expected share of each hour: integral of 1 + a cos(2 pi (h - 15) / 24) over the hour / 24
    h = np.arange(24)
    share = (1 + 0.8 * (np.sin(2 * np.pi * (h + 1 - 15) / 24) - np.sin(2 * np.pi * (h - 15) / 24)) * 24 / (2 * np.pi)) / 24
    expected = share * len(times)
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))
    assert counts.argmax() in (14, 15)
    day = (times // DAY % 7).astype(int)
    by_day = np.bincount(day, minlength=7)
    norm = np.array(weekly) / np.mean(weekly)
    assert np.all(np.abs(by_day - norm / 7 * len(times)) < 5 * np.sqrt(norm / 7 * len(times)))


def test_growth_compounds_per_month_from_the_start_month():
    t = tenant(growth_per_month=0.25)
    p = RateProfile(t, warmup_s=DAY, start_month=2, month_s=MONTH_S)
    # at simulated time warmup_s the growth clock reads month 2
    assert p.rate(DAY) == pytest.approx(60 / 3600 * 1.25**2)
    assert p.rate(DAY + MONTH_S) == pytest.approx(60 / 3600 * 1.25**3)
    rng = np.random.default_rng(3)
    first = len(arrival_times(p, rng, DAY, DAY + MONTH_S))
    second = len(arrival_times(p, rng, DAY + MONTH_S, DAY + 2 * MONTH_S))
    assert second / first == pytest.approx(1.25, rel=0.03)


def test_the_bound_covers_the_rate():
    p = RateProfile(tenant(growth_per_month=-0.3, daily={"amplitude": 1.0}, weekly=[1, 2, 3, 4, 5, 6, 7]),
                    0, 0, MONTH_S)
    for start in np.arange(0, 30 * DAY, DAY):
        t = np.linspace(start, start + DAY, 500, endpoint=False)
        assert np.all(p.rate(t) <= p.bound(start, start + DAY) * (1 + 1e-12))


def test_a_tenants_requests_are_its_own():
    def requests(extra_tenants):
        tenants = [{"name": "a", "rate_per_hour": 30, "lifetime_s": {"dist": "exponential", "mean": 7200},
                    "flavors": {"m1.small": 1, "m1.large": 1}}] + extra_tenants
        sc = capacity_scenario(compute=1, hardware={"memory_mib": 8192}, tenants=tenants,
                               capacity={"warmup_s": 0, "duration_s": 2 * DAY})
        r = run_capacity(sc, seed=5)
        ev = r.events
        mine = ev[(ev.kind == "vm") & ev.subject.str.startswith("a/") & ev.name.isin(["boot", "blocked"])]
        return list(zip(mine.time_s.round(6), mine.detail))

    alone = requests([])
    crowded = requests([{"name": "b", "rate_per_hour": 100, "lifetime_s": 36000, "flavors": {"m1.xlarge": 1}}])
    assert alone == crowded and len(alone) > 1000


@pytest.mark.slow  # > 0.8 s: left out of `make test-fast`
def test_a_steady_start_needs_no_warm_up():
    # an unlimited cloud: the VM count is M/G/inf's, Poisson(rate x mean lifetime) at every time
    lifetime = {"dist": "lognormal", "median": 20 * 3600.0, "sigma": 1.2}
    mean_s = 20 * 3600.0 * math.exp(1.2**2 / 2)
    tenants = [{"name": "a", "rate_per_hour": 40.0, "lifetime_s": lifetime, "flavors": {"m1.tiny": 1}}]
    expected = 40.0 * mean_s / 3600
    early, late = [], []
    for seed in range(6):
        for start, out in ((0.0, early), (10 * DAY, late)):
            sc = capacity_scenario(compute=1, hardware=BIG, nova={"max_instances_per_host": 10**6},
                                   tenants=tenants, workload={"start": "steady"},
                                   capacity={"warmup_s": start, "duration_s": DAY})
            out.append(run_capacity(sc, seed).metrics["vms_mean"])
    assert np.mean(early) == pytest.approx(expected, rel=0.05)
    assert np.mean(late) == pytest.approx(expected, rel=0.05)
