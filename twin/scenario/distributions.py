"""Timing distributions for scenario parameters.

Rules: a scenario may give a bare number (a fixed value) or a mapping with `dist:` naming one of
the kinds below; parameters are validated (finite, positive scales, low <= high) so that a run never
samples an impossible value. Samples are clipped at 0: no duration is negative.
"""
from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Fixed(_Dist):
    dist: Literal["fixed"] = "fixed"
    value: float = Field(ge=0)

    def sample(self, rng: np.random.Generator) -> float:
        return self.value

    @property
    def mean(self) -> float:
        return self.value


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _order(self):
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self

    def sample(self, rng):
        return self.low + (self.high - self.low) * rng.random()  # numpy's uniform(low, high), without its broadcasting

    @property
    def mean(self):
        return (self.low + self.high) / 2


class Normal(_Dist):
    """Normal, truncated at zero by clipping (use for durations whose sd << mean)."""

    dist: Literal["normal"]
    mean_: float = Field(alias="mean", ge=0)
    sd: float = Field(ge=0)

    def sample(self, rng):
        return max(0.0, self.mean_ + self.sd * rng.standard_normal())  # numpy's normal(mean, sd), likewise

    @property
    def mean(self):
        return self.mean_


class LogNormal(_Dist):
    """Lognormal given by its median and the sigma of the underlying normal."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(ge=0, le=5)

    def sample(self, rng):
        return self.median * math.exp(self.sigma * rng.standard_normal())

    @property
    def mean(self):
        return self.median * math.exp(self.sigma**2 / 2)


class Exponential(_Dist):
    dist: Literal["exponential"]
    mean_: float = Field(alias="mean", gt=0)

    def sample(self, rng):
        return self.mean_ * rng.standard_exponential()  # numpy's exponential(mean), likewise

    @property
    def mean(self):
        return self.mean_


class Weibull(_Dist):
    """Weibull with shape k and scale lambda (k < 1: infant mortality, k > 1: wear-out)."""

    dist: Literal["weibull"]
    shape: float = Field(gt=0)
    scale: float = Field(gt=0)

    def sample(self, rng):
        return float(self.scale * rng.weibull(self.shape))

    @property
    def mean(self):
        return self.scale * math.gamma(1 + 1 / self.shape)


class Pareto(_Dist):
    """Pareto (Lomax-free, classic): minimum `scale`, tail index `shape` (heavy-tailed lifetimes;
    the mean is finite only for shape > 1)."""

    dist: Literal["pareto"]
    shape: float = Field(gt=0)
    scale: float = Field(gt=0)

    def sample(self, rng):
        return float(self.scale * (1.0 + rng.pareto(self.shape)))

    @property
    def mean(self):
        return self.scale * self.shape / (self.shape - 1) if self.shape > 1 else math.inf


def _number_is_fixed(value):
    if isinstance(value, bool):
        return value  # let validation reject it
    if isinstance(value, (int, float)):
        return {"dist": "fixed", "value": value}
    return value


Distribution = Annotated[
    Annotated[Union[Fixed, Uniform, Normal, LogNormal, Exponential, Weibull, Pareto], Field(discriminator="dist")],
    BeforeValidator(_number_is_fixed),  # outermost: a bare number becomes {dist: fixed} first
]


def fixed(value: float) -> Fixed:
    return Fixed(value=value)


def lognormal(median: float, sigma: float) -> LogNormal:
    return LogNormal(dist="lognormal", median=median, sigma=sigma)


def uniform(low: float, high: float) -> Uniform:
    return Uniform(dist="uniform", low=low, high=high)
