"""Independent truth: blocking of a slot-limited cloud under Poisson demand is Erlang B.

With one flavor that only the instance limit binds (RAM, cores and disk ample) the cloud is an
M/G/c/c loss system with c = hosts x max_instances_per_host, whose blocking probability is
Erlang B(c, A), A = arrival rate x mean lifetime, whatever the lifetime distribution beyond its
mean (docs/domain.md s9). The formula is computed here by the stable recurrence, not by the model.

Each case: 8 replications from fixed seeds, the cloud starting empty, the first 10 mean
lifetimes discarded, ~15,000 requests measured each; the model's mean blocking must be within
the replications' 99% t-interval of Erlang B(c, A), and that interval must be tight enough to
exclude Erlang B for c - 1 and c + 1 slots (the test can tell a wrong capacity apart).
"""
import math
import statistics

import pytest

from novatest_helpers import capacity_scenario, erlang_b, run_capacity

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

HOSTS, SLOTS = 2, 10
C = HOSTS * SLOTS
MEAN_S = 3600.0
REPLICATIONS = 8
T_995_DF7 = 3.4995  # Student t, 0.995 quantile, 7 degrees of freedom (tables)

LIFETIMES = {
    "exponential": {"dist": "exponential", "mean": MEAN_S},
    # lognormal with mean MEAN_S: median = mean / e^(sigma^2 / 2)
    "lognormal": {"dist": "lognormal", "median": MEAN_S / math.exp(0.5), "sigma": 1.0},
    # heavy-tailed, finite mean (shape > 1): scale = mean (shape - 1) / shape
    "pareto": {"dist": "pareto", "shape": 2.5, "scale": MEAN_S * 1.5 / 2.5},
}


def test_the_recurrence_agrees_with_the_closed_form():
    for c, a in [(1, 0.5), (5, 3.0), (20, 18.0)]:
        closed = (a**c / math.factorial(c)) / sum(a**k / math.factorial(k) for k in range(c + 1))
        assert erlang_b(c, a) == pytest.approx(closed, rel=1e-12)


def blocking_replications(lifetime: dict, load: float) -> list[float]:
    rate_per_hour = load / (MEAN_S / 3600.0)
    duration_s = 15000 / rate_per_hour * 3600.0
    out = []
    for seed in range(REPLICATIONS):
        sc = capacity_scenario(
            compute=HOSTS, nova={"max_instances_per_host": SLOTS},
            tenants=[{"name": "erlang", "rate_per_hour": rate_per_hour, "lifetime_s": lifetime,
                      "flavors": {"m1.tiny": 1}}],
            capacity={"warmup_s": 10 * MEAN_S, "duration_s": duration_s})
        result = run_capacity(sc, seed=1000 + seed)
        assert result.summary["capacity"]["requests"]["reasons"].keys() <= {
            "No valid host was found: NumInstancesFilter returned 0 hosts"}
        out.append(result.metrics["blocking_probability"])
    return out


@pytest.mark.parametrize("dist,load", [("exponential", 14.0), ("exponential", 18.0), ("exponential", 24.0),
                                       ("lognormal", 14.0), ("lognormal", 24.0), ("pareto", 18.0)])
def test_blocking_matches_erlang_b_for_any_lifetime_distribution(dist, load):
    values = blocking_replications(LIFETIMES[dist], load)
    mean = statistics.fmean(values)
    half = T_995_DF7 * statistics.stdev(values) / math.sqrt(len(values))
    low, high = mean - half, mean + half
    truth = erlang_b(C, load)
    assert low <= truth <= high, f"Erlang B({C}, {load}) = {truth:.4f} outside [{low:.4f}, {high:.4f}]"
    assert not low <= erlang_b(C - 1, load) <= high
    assert not low <= erlang_b(C + 1, load) <= high
