"""Vectorised draws and equilibrium residuals against the distributions' analytic moments."""
import math

import numpy as np
import pytest

from twin.cloud.workload.sampling import residual_array, sample_array, steady_problem
from twin.scenario.distributions import Exponential, Fixed, LogNormal, Normal, Pareto, Uniform, Weibull

N = 400_000
DISTS = {
    "fixed": (Fixed(value=5.0), 25.0),
    "uniform": (Uniform(dist="uniform", low=1.0, high=9.0), (1 + 9 + 81) / 3),
    "exponential": (Exponential(dist="exponential", mean=4.0), 2 * 16.0),
    "lognormal": (LogNormal(dist="lognormal", median=2.0, sigma=0.7), math.exp(2 * math.log(2.0) + 2 * 0.49)),
    "weibull": (Weibull(dist="weibull", shape=1.5, scale=3.0), 9.0 * math.gamma(1 + 2 / 1.5)),
    "pareto": (Pareto(dist="pareto", shape=3.5, scale=2.0), 3.5 * 4.0 / 1.5),
    "normal": (Normal(dist="normal", mean=10.0, sd=2.0), 104.0),
}


@pytest.mark.parametrize("kind", DISTS)
def test_many_draws_have_the_distributions_mean(kind):
    dist, second_moment = DISTS[kind]
    x = sample_array(dist, np.random.default_rng(1), N)
    sd = math.sqrt(max(second_moment - dist.mean**2, 0.0))
    assert abs(x.mean() - dist.mean) <= 5 * sd / math.sqrt(N) + 1e-12
    assert (x >= 0).all()


@pytest.mark.parametrize("kind", DISTS)
def test_a_running_vms_remaining_lifetime_has_the_equilibrium_mean(kind):
    # renewal theory: E[residual] = E[S^2] / (2 E[S])
    dist, second_moment = DISTS[kind]
    x = residual_array(dist, np.random.default_rng(2), N)
    want = second_moment / (2 * dist.mean)
    assert x.mean() == pytest.approx(want, rel=0.02)


def test_a_steady_start_needs_a_finite_mean():
    assert steady_problem(Pareto(dist="pareto", shape=0.9, scale=1.0))
    assert steady_problem(Pareto(dist="pareto", shape=1.5, scale=1.0)) is None
