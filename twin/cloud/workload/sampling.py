"""Many draws at once from the scenario's Distribution union, and from its equilibrium residual.

Rules:
- `sample_array(dist, rng, n)` draws n values with the same law as `dist.sample(rng)` (same
  formulas, numpy-vectorised): fixed, uniform, normal (clipped at 0), lognormal (median, sigma),
  exponential (mean), weibull (shape, scale), pareto (shape, scale: scale x (1 + Lomax)).
- `residual_array(dist, rng, n)`: the remaining lifetime of a VM found running in a stationary
  M/G/infinity system: U x S*, where S* has the length-biased law x f(x) / E[S] and U is uniform.
  Closed forms: lognormal -> lognormal(median e^(sigma^2), sigma); pareto(a, m) -> pareto(a-1, m);
  weibull(k, l) -> l G^(1/k), G ~ Gamma(1 + 1/k); uniform -> sqrt(a^2 + U (b^2 - a^2));
  exponential -> itself (memoryless); fixed -> itself. A normal is resampled by weight x from
  draws of its own (approximate). It needs a finite mean (pareto shape > 1): `steady_problem`.
"""
from __future__ import annotations

import math

import numpy as np


def sample_array(dist, rng: np.random.Generator, n: int) -> np.ndarray:
    kind = dist.dist
    if kind == "fixed":
        return np.full(n, float(dist.value))
    if kind == "uniform":
        return rng.uniform(dist.low, dist.high, n)
    if kind == "normal":
        return np.maximum(0.0, rng.normal(dist.mean_, dist.sd, n))
    if kind == "lognormal":
        return dist.median * np.exp(dist.sigma * rng.standard_normal(n))
    if kind == "exponential":
        return rng.exponential(dist.mean_, n)
    if kind == "weibull":
        return dist.scale * rng.weibull(dist.shape, n)
    if kind == "pareto":
        return dist.scale * (1.0 + rng.pareto(dist.shape, n))
    raise ValueError(f"unknown distribution kind {kind!r}")


def steady_problem(dist) -> str | None:
    """Why `residual_array` cannot draw from `dist` (None: it can)."""
    mean = dist.mean
    if not math.isfinite(mean):
        return "a steady start needs a finite mean lifetime (pareto: shape > 1); use start: empty"
    if mean <= 0:
        return "a steady start needs a positive mean lifetime"
    return None


def residual_array(dist, rng: np.random.Generator, n: int) -> np.ndarray:
    kind = dist.dist
    u = rng.random(n)
    if kind == "fixed":
        length = np.full(n, float(dist.value))
    elif kind == "uniform":
        a, b = dist.low, dist.high
        length = np.sqrt(a * a + rng.random(n) * (b * b - a * a))
    elif kind == "exponential":
        return rng.exponential(dist.mean_, n)
    elif kind == "lognormal":
        length = dist.median * np.exp(dist.sigma**2 + dist.sigma * rng.standard_normal(n))
    elif kind == "weibull":
        length = dist.scale * rng.gamma(1.0 + 1.0 / dist.shape, 1.0, n) ** (1.0 / dist.shape)
    elif kind == "pareto":
        if dist.shape <= 1:
            raise ValueError(steady_problem(dist))
        length = dist.scale * (1.0 + rng.pareto(dist.shape - 1.0, n))
    elif kind == "normal":
        pool = sample_array(dist, rng, max(1000, 8 * n))
        total = pool.sum()
        if total <= 0:
            return np.zeros(n)
        length = rng.choice(pool, size=n, p=pool / total)
    else:
        raise ValueError(f"unknown distribution kind {kind!r}")
    return u * length
