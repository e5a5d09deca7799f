"""Interval functions against published values and closed forms (no scipy in the loop)."""
import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.sweep import t_interval, t_quantile, wilson_interval
from twin.sweep.stats import estimate, t_cdf

# Student t quantiles, from printed tables (to the digits printed there)
KNOWN_T = [
    (0.975, 1, 12.706204736), (0.975, 2, 4.302652730), (0.975, 4, 2.776445105), (0.975, 9, 2.262157163),
    (0.975, 29, 2.045229642), (0.975, 30, 2.042272456), (0.975, 100, 1.983971519), (0.95, 5, 2.015048373),
    (0.995, 10, 3.169272673), (0.9, 3, 1.637744354),
]


@pytest.mark.parametrize("p, df, expected", KNOWN_T)
def test_t_quantile_matches_printed_tables(p, df, expected):
    assert t_quantile(p, df) == pytest.approx(expected, abs=2e-9)
    assert t_quantile(1 - p, df) == pytest.approx(-expected, abs=2e-9)


def test_the_figures_the_brief_names():
    assert round(t_quantile(0.975, 4), 3) == 2.776
    assert round(t_quantile(0.975, 29), 3) == 2.045


@pytest.mark.parametrize("p", [0.55, 0.8, 0.9, 0.975, 0.995, 0.9999])
def test_t_quantile_against_closed_forms(p):
    assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-12)
    assert t_quantile(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-12)
    alpha = 4 * p * (1 - p)  # df = 4 (Hill / Shaw's closed form)
    q = math.cos(math.acos(math.sqrt(alpha)) / 3) / math.sqrt(alpha)
    assert t_quantile(p, 4) == pytest.approx(2 * math.sqrt(q - 1), rel=1e-10)


def _abramowitz_stegun_cdf(t: float, nu: int) -> float:
    """P(T <= t) for integer nu by the finite sums of Abramowitz & Stegun 26.7.3-4 (no beta function)."""
    theta = math.atan(t / math.sqrt(nu))
    s, c = math.sin(theta), math.cos(theta)
    term = total = 1.0
    if nu % 2 == 0:
        for k in range(1, nu // 2):
            term *= (2 * k - 1) / (2 * k) * c * c
            total += term
        a = s * total
    else:
        total = 1.0 if nu > 1 else 0.0
        for k in range(1, (nu - 1) // 2):
            term *= (2 * k) / (2 * k + 1) * c * c
            total += term
        a = 2 / math.pi * (theta + s * c * total)
    return (1 + a) / 2


@settings(max_examples=200, deadline=None)
@given(p=st.floats(0.5005, 0.9995), df=st.integers(1, 300))
def test_t_quantile_inverts_an_independent_cdf(p, df):
    q = t_quantile(p, df)
    assert _abramowitz_stegun_cdf(q, df) == pytest.approx(p, abs=1e-12)
    assert t_cdf(q, df) == pytest.approx(p, abs=1e-13)


def test_t_quantile_tends_to_the_normal_one():
    z = statistics.NormalDist().inv_cdf(0.975)
    assert t_quantile(0.975, 1e6) == pytest.approx(z, abs=1e-5)
    assert t_quantile(0.975, 1000) > t_quantile(0.975, 1e6) > z


def test_t_interval_by_hand():
    # mean 3, sd sqrt(2.5), n 5: 3 -/+ 2.7764451 * 1.5811388 / sqrt(5) = 3 -/+ 1.963243
    low, high = t_interval([1, 2, 3, 4, 5])
    assert (low, high) == pytest.approx((1.036757, 4.963243), abs=1e-6)
    low90, high90 = t_interval([1, 2, 3, 4, 5], confidence=0.90)
    assert low < low90 < 3 < high90 < high


def test_t_interval_degenerate_cases():
    assert all(math.isnan(x) for x in t_interval([]))
    assert all(math.isnan(x) for x in t_interval([4.2]))  # n = 1: no interval
    assert t_interval([7.0, 7.0, 7.0]) == (7.0, 7.0)  # no spread: zero width at the mean
    assert t_interval([1, 2, float("nan"), 3, 4, 5, None]) == t_interval([1, 2, 3, 4, 5])  # NaN ignored
    with pytest.raises(ValueError):
        t_interval([1, 2], confidence=1.0)


# Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (Wilson score, no correction)
NEWCOMBE = [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)]


@pytest.mark.parametrize("x, n, low, high", NEWCOMBE)
def test_wilson_matches_newcombe(x, n, low, high):
    assert wilson_interval(x, n) == pytest.approx((low, high), abs=5e-5)


def test_wilson_textbook_example_and_edges():
    assert wilson_interval(8, 10) == pytest.approx((0.490, 0.943), abs=5e-4)
    low, high = wilson_interval(10, 10)  # all successes: upper bound exactly 1, lower n/(n+z^2)
    z2 = statistics.NormalDist().inv_cdf(0.975) ** 2
    assert high == 1.0 and low == pytest.approx(10 / (10 + z2), rel=1e-12)
    assert wilson_interval(0, 10)[0] == 0.0
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    for bad in ((11, 10), (-1, 10)):
        with pytest.raises(ValueError):
            wilson_interval(*bad)


def test_estimate_shape():
    e = estimate([1.0, 1.0, 0.0, 1.0], "proportion")
    assert set(e) == {"mean", "sd", "n", "ci_low", "ci_high", "interval"}
    assert e["n"] == 4 and e["mean"] == 0.75 and (e["ci_low"], e["ci_high"]) == wilson_interval(3, 4)
    one = estimate([5.0], "duration")
    assert one["mean"] == 5.0 and math.isnan(one["sd"]) and math.isnan(one["ci_low"]) and one["interval"] == "none"
