"""Distribution samples agree with their stated means (large-sample check against the formula)."""
import numpy as np
import pytest
from pydantic import TypeAdapter

from twin.scenario.distributions import Distribution

ADAPTER = TypeAdapter(Distribution)


@pytest.mark.parametrize("spec,mean", [
    (5, 5.0),
    ({"dist": "uniform", "low": 2, "high": 4}, 3.0),
    ({"dist": "normal", "mean": 50, "sd": 5}, 50.0),
    ({"dist": "lognormal", "median": 10, "sigma": 0.5}, 10 * np.exp(0.125)),
    ({"dist": "exponential", "mean": 7}, 7.0),
    ({"dist": "weibull", "shape": 1.5, "scale": 100}, 100 * 0.9027452929509336),  # Gamma(1 + 1/1.5)
    ({"dist": "pareto", "shape": 3, "scale": 2}, 3.0),
])
def test_sample_mean_matches_the_analytic_mean(spec, mean):
    d = ADAPTER.validate_python(spec)
    assert d.mean == pytest.approx(mean, rel=1e-9)
    rng = np.random.default_rng(0)
    samples = np.array([d.sample(rng) for _ in range(40000)])
    assert samples.min() >= 0
    assert samples.mean() == pytest.approx(mean, rel=0.03)


@pytest.mark.parametrize("spec", [
    {"dist": "weibull", "shape": 0, "scale": 1}, {"dist": "pareto", "shape": 1, "scale": -1},
    {"dist": "uniform", "low": 3, "high": 1}, {"dist": "lognormal", "median": 0, "sigma": 1},
    {"dist": "exponential", "mean": -1}, {"dist": "gamma", "k": 1}, True,
])
def test_impossible_parameters_are_rejected(spec):
    with pytest.raises(ValueError):
        ADAPTER.validate_python(spec)


@pytest.mark.parametrize("spec,numpy_draw", [
    ({"dist": "uniform", "low": 2, "high": 4}, lambda rng: rng.uniform(2, 4)),
    ({"dist": "normal", "mean": 50, "sd": 5}, lambda rng: max(0.0, rng.normal(50, 5))),
    ({"dist": "lognormal", "median": 10, "sigma": 0.5}, lambda rng: rng.lognormal(np.log(10), 0.5)),
    ({"dist": "exponential", "mean": 7}, lambda rng: rng.exponential(7)),
])
def test_samples_are_numpys_own_draws_from_the_same_stream(spec, numpy_draw):
    """The samplers call numpy's cheapest methods (standard_normal, random...) on the hot path;
    the numbers are those of numpy's named distributions, so a seed keeps its meaning."""
    d = ADAPTER.validate_python(spec)
    ours, theirs = np.random.default_rng(11), np.random.default_rng(11)
    got = [d.sample(ours) for _ in range(2000)]
    want = [float(numpy_draw(theirs)) for _ in range(2000)]
    assert got == pytest.approx(want, rel=1e-12, abs=0)
    if spec["dist"] != "lognormal":  # numpy's lognormal is exp(mu + sigma z): equal within rounding
        assert got == want
