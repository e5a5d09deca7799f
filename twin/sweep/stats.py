"""Confidence intervals for a sweep's summary, one that fits each metric's kind and stays in its range.

Rules: every metric has a kind (METRIC_KINDS, a name-pattern table with a default; `metric_kind`
is the one place that reads it): a *proportion* of trials (each replication 0 or 1: Wilson score
interval), a *fraction* of time or of events within a replication (availability, a blocking
probability: values in [0, 1]), a *duration* (seconds, >= 0), a *count* (>= 0), or a *real*
number (no range). Non-proportions get the Student-t interval of the mean, intersected with the
kind's range: the true mean lies in that range, so the intersection covers it exactly when the
t-interval does (same coverage, never a bound outside the range). A non-proportion whose values
are all equal is "constant" (no interval: a zero-width one would claim certainty). A value out of
its kind's range is an error (`out_of_range` says which), not something to average.
Numerics: exact, dependency-free numerics (no scipy): the t quantile inverts the Student-t CDF,
written through the regularized incomplete beta function (a continued fraction, evaluated with
the modified Lentz method), by bisection to machine precision; the normal quantile is the
standard library's `statistics.NormalDist`. Degenerate inputs give NaN bounds, never an
exception: fewer than 2 values have no t-interval, 0 trials have no Wilson interval.
Bad arguments (a confidence outside (0, 1), successes outside 0..n) raise ValueError.
"""
from __future__ import annotations

import math
from fnmatch import fnmatchcase
from functools import lru_cache
from statistics import NormalDist, fmean, stdev

NAN = float("nan")
INF = float("inf")

#: A metric's kind by its name: the first matching pattern (fnmatch, case-sensitive) wins; a name
#: no pattern matches is DEFAULT_KIND. Run kinds with new metrics add their names here.
METRIC_KINDS: tuple[tuple[str, str], ...] = (
    ("success", "proportion"),                     # a deployment succeeded (1) or not (0)
    ("request_success", "fraction"),               # requests answered / requests, within a run
    ("evacuation_success", "fraction"),            # VMs evacuated / (evacuated + lost)
    ("availability_*", "fraction"),                # time up / time
    ("*_fraction", "fraction"),
    ("*_probability", "fraction"),
    ("blocking_*", "fraction"),                    # per-flavor blocking probability
    ("util_*", "fraction"),                        # usage / capacity, time-weighted
    ("*_s", "duration"),
    ("attempts", "count"), ("nodes_active", "count"), ("nodes_failed", "count"),
    ("outages", "count"), ("vip_moves", "count"), ("failures", "count"),
    ("requests", "count"), ("request_errors", "count"), ("blocked", "count"),
    ("vms_evacuated", "count"), ("vms_lost", "count"), ("vms_mean", "count"),
    ("hosts", "count"), ("hosts_up", "count"), ("headroom_min_*", "count"),
    ("lost_any", "proportion"),                    # a durability run lost some partition (1) or not (0)
    ("partitions_lost", "count"), ("disk_failures", "count"),
    ("first_loss_year", "duration"),               # in years (NaN: no loss in the run)
)
DEFAULT_KIND = "real"

#: Each kind's range (inclusive) and interval method.
KINDS: dict[str, tuple[float, float, str]] = {
    "proportion": (0.0, 1.0, "wilson"),
    "fraction": (0.0, 1.0, "t"),
    "duration": (0.0, INF, "t"),
    "count": (0.0, INF, "t"),
    "real": (-INF, INF, "t"),
}


def metric_kind(name: str) -> str:
    """The kind of the metric `name`: proportion, fraction, duration, count or real."""
    return next((kind for pattern, kind in METRIC_KINDS if fnmatchcase(name, pattern)), DEFAULT_KIND)


def out_of_range(kind: str, value: float) -> str | None:
    """Why `value` cannot be a value of a metric of `kind` (None: it can). NaN (undefined) can."""
    low, high, method = KINDS[kind]
    if math.isnan(value):
        return None
    if method == "wilson" and value not in (0.0, 1.0):
        return f"{value!r} is not 0 or 1 (a {kind})"
    if not low <= value <= high:
        return f"{value!r} is outside [{low:g}, {high:g}] (a {kind})"
    return None


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), not {confidence!r}")


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (DLMF 8.17.22), by the modified Lentz method."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((a + m2 - 1.0) * (a + m2)),
                    -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= c * d
        if abs(c * d - 1.0) < 1e-16:
            return h
    return h  # pragma: no cover - converges long before for the parameters used here


def betainc(a: float, b: float, x: float, y: float | None = None) -> float:
    """The regularized incomplete beta function I_x(a, b), for a, b > 0 and 0 <= x <= 1.
    `y` is 1 - x when the caller knows it more exactly than `1 - x` computes it."""
    y = 1.0 - x if y is None else y
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, y) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom."""
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, not {df!r}")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    t2 = t * t
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2))  # both, exactly: near t = 0, 1 - x cancels
    return 1.0 - tail if t > 0 else tail


@lru_cache(maxsize=1024)
def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with `df` degrees of freedom (t(0.975, 4) = 2.776...)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be between 0 and 1 (exclusive), not {p!r}")
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, not {df!r}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if df == 1:  # Cauchy: exact closed form
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    # bracket: the t quantile is above the normal one; double the upper end until it holds p
    lo = NormalDist().inv_cdf(p)
    hi = max(2.0 * lo, 1.0)
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2.0
    for _ in range(200):  # bisection to the last representable digit
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _defined(values) -> list[float]:
    """The values that are not NaN or None, as floats."""
    return [float(v) for v in values if v is not None and not math.isnan(float(v))]


def t_interval(values, confidence: float = 0.95) -> tuple[float, float]:
    """The Student-t confidence interval for the mean of `values` (NaN and None are ignored):
    mean -/+ t(1 - alpha/2, n - 1) * sd / sqrt(n). Fewer than 2 values or an infinite one: (nan, nan);
    all values equal: a zero-width interval at the mean."""
    _check_confidence(confidence)
    xs = _defined(values)
    n = len(xs)
    if n < 2 or not all(math.isfinite(x) for x in xs):
        return (NAN, NAN)
    mean = fmean(xs)
    half = t_quantile(1.0 - (1.0 - confidence) / 2.0, n - 1) * stdev(xs, mean) / math.sqrt(n)
    return (mean - half, mean + half)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for a proportion of `successes` out of `n` trials
    (8 of 10 at 95%: (0.490, 0.943)). n = 0: (nan, nan). Bounds stay within [0, 1]."""
    _check_confidence(confidence)
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return (NAN, NAN)
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    p = successes / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def estimate(values, kind: str, confidence: float = 0.95) -> dict:
    """One metric of `kind` at one sweep point: {"mean", "sd", "n", "ci_low", "ci_high", "interval"}.
    interval: "wilson" (a proportion), "t" (the t-interval within the kind's range), "constant"
    (n >= 2 equal values of a non-proportion: no interval), "none" (fewer than 2 values, or an
    infinite one: no interval). NaN (undefined) where there is no value; NaN values are ignored.
    Raises ValueError for a value outside the kind's range."""
    low_bound, high_bound, method = KINDS[kind]
    xs = _defined(values)
    for x in xs:
        problem = out_of_range(kind, x)
        if problem:
            raise ValueError(problem)
    n = len(xs)
    if not all(math.isfinite(x) for x in xs):  # an infinite value: the mean may be infinite, no spread
        infinite = {x for x in xs if math.isinf(x)}
        mean = infinite.pop() if len(infinite) == 1 else NAN  # +inf and -inf: undefined
        return {"mean": mean, "sd": NAN, "n": n, "ci_low": NAN, "ci_high": NAN, "interval": "none"}
    mean = fmean(xs) if n else NAN
    sd = stdev(xs) if n >= 2 else NAN
    if method == "wilson":
        low, high = wilson_interval(int(round(sum(xs))), n, confidence)
        interval = "wilson"
    elif n >= 2 and len(set(xs)) == 1:
        low, high, interval = NAN, NAN, "constant"
    else:
        low, high = t_interval(xs, confidence)
        interval = "t" if n >= 2 else "none"
        low, high = (max(low, low_bound), min(high, high_bound)) if n >= 2 else (low, high)
    return {"mean": mean, "sd": sd, "n": n, "ci_low": low, "ci_high": high, "interval": interval}
