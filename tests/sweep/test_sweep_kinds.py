"""Issue 13, defect 5: each metric's kind decides its interval, and the interval stays in range.

Independent truth: the kind of each metric named in docs/sweep.md; Wilson and Student-t from
test_sweep_stats (checked against published tables); the range of a kind (availability in [0, 1],
seconds and counts >= 0). Real runs: an operations year and a capacity month, replicated."""
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.sweep import metric_kind, run_sweep, t_interval, wilson_interval
from twin.sweep.parts import metric_problem
from twin.sweep.stats import KINDS, estimate

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("name, kind", [
    ("success", "proportion"),
    ("availability_overall", "fraction"), ("availability_glance", "fraction"), ("request_success", "fraction"),
    ("stranded_ram_fraction", "fraction"), ("blocking_probability", "fraction"), ("blocking_m1.small", "fraction"),
    ("evacuation_success", "fraction"), ("util_ram_mean", "fraction"),
    ("makespan_s", "duration"), ("downtime_s", "duration"), ("outage_max_s", "duration"),
    ("vip_takeover_s", "duration"),
    ("attempts", "count"), ("nodes_failed", "count"), ("blocked", "count"), ("outages", "count"),
    ("vms_lost", "count"), ("headroom_min_m1.large", "count"),
    ("some_new_metric", "real"),
])
def test_every_metric_has_its_kind(name, kind):
    assert metric_kind(name) == kind


def test_a_time_fraction_of_ones_is_constant_not_a_wilson_interval():
    e = estimate([1.0, 1.0, 1.0, 1.0], metric_kind("availability_glance"))
    assert e["interval"] == "constant" and e["mean"] == 1.0
    assert math.isnan(e["ci_low"]) and math.isnan(e["ci_high"])  # not [0.510, 1]


@pytest.mark.parametrize("name", ["downtime_s", "outage_max_s", "blocked", "vms_lost"])
def test_zero_durations_and_counts_are_constant(name):
    e = estimate([0.0, 0.0, 0.0, 0.0], metric_kind(name))
    assert e["interval"] == "constant" and e["mean"] == 0.0 and math.isnan(e["ci_high"])


def test_a_count_of_zeros_and_ones_gets_a_t_interval_not_wilson():
    values = [0.0, 1.0, 0.0, 0.0]
    e = estimate(values, metric_kind("blocked"))
    low, high = t_interval(values)
    assert e["interval"] == "t" and (e["ci_low"], e["ci_high"]) == (0.0, high) and low < 0
    assert (e["ci_low"], e["ci_high"]) != wilson_interval(1, 4)


def test_a_proportion_of_all_successes_keeps_its_wilson_interval():
    e = estimate([1.0] * 30, "proportion")
    assert e["interval"] == "wilson" and (e["ci_low"], e["ci_high"]) == wilson_interval(30, 30)


def test_the_t_interval_is_cut_to_the_kind_s_range():
    near_one = [0.99999, 1.0, 1.0, 1.0]
    assert t_interval(near_one)[1] > 1  # the figure the issue reports: upper 1.00001
    e = estimate(near_one, "fraction")
    assert e["ci_high"] == 1.0 and e["ci_low"] == t_interval(near_one)[0]
    near_zero = [0.0, 0.0, 0.000476, 0.0]
    assert t_interval(near_zero)[0] < 0  # stranded_ram_fraction lower -0.000119
    e = estimate(near_zero, metric_kind("stranded_ram_fraction"))
    assert e["ci_low"] == 0.0 and e["ci_high"] == t_interval(near_zero)[1]


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["fraction", "duration", "count"]),
       values=st.lists(st.floats(0, 1, allow_nan=False), min_size=2, max_size=20))
def test_intervals_stay_in_range_and_are_the_t_interval_cut_to_it(kind, values):
    low_bound, high_bound, _ = KINDS[kind]
    e = estimate(values, kind)
    if len(set(values)) == 1:
        assert e["interval"] == "constant"
        return
    low, high = t_interval(values)
    assert e["interval"] == "t"
    assert (e["ci_low"], e["ci_high"]) == (max(low, low_bound), min(high, high_bound))
    assert low_bound <= e["ci_low"] <= e["mean"] <= e["ci_high"] <= high_bound


def test_values_out_of_their_kind_s_range_are_refused():
    with pytest.raises(ValueError, match="not 0 or 1"):
        estimate([1.0, 0.5], "proportion")
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        estimate([0.5, 1.2], "fraction")
    assert metric_problem("success", 0.5) and metric_problem("downtime_s", -1.0) and metric_problem("blocked", -2.0)
    assert metric_problem("availability_nova", 1.00001) and metric_problem("success", "1")
    assert metric_problem("success", 1.0) is None and metric_problem("vip_takeover_s", math.nan) is None
    assert metric_problem("some_new_metric", -5.0) is None


def test_infinite_values_have_no_interval():
    e = estimate([math.inf, 5.0, 6.0], "duration")
    assert e["mean"] == math.inf and e["interval"] == "none" and math.isnan(e["ci_low"])
    assert all(math.isnan(x) for x in t_interval([math.inf, 1.0, 2.0]))


def _check_ranges(summary):
    for point in summary["points"]:
        for name, m in point["metrics"].items():
            low_bound, high_bound, method = KINDS[summary["kinds"][name]]
            assert summary["kinds"][name] == metric_kind(name) and summary["intervals"][name] == method
            if m["interval"] in ("t", "wilson"):
                assert low_bound <= m["ci_low"] <= m["ci_high"] <= high_bound, (name, m)
            else:
                assert m["interval"] in ("constant", "none") and math.isnan(m["ci_low"]), (name, m)


@pytest.mark.slow  # > 0.8 s: left out of `make test-fast`
def test_an_operations_year_sweep_has_intervals_in_range():
    """ha-year, 3 replications: availabilities near 1, downtimes with a wide spread."""
    s = run_sweep(SCENARIOS / "ha-year.yaml", 3).summary
    _check_ranges(s)
    m = s["points"][0]["metrics"]
    assert m["availability_overall"]["interval"] == "t" and m["availability_overall"]["ci_high"] <= 1.0
    assert m["downtime_s"]["ci_low"] >= 0.0 and m["outages"]["interval"] in ("t", "constant")


def test_a_capacity_sweep_with_no_blocking_calls_it_constant():
    s = run_sweep(SCENARIOS / "capacity-reference.yaml", 3).summary
    _check_ranges(s)
    m = s["points"][0]["metrics"]
    assert m["blocked"]["mean"] == 0.0 and m["blocked"]["interval"] == "constant"  # not Wilson's [0, 0.56]
    assert m["stranded_ram_fraction"]["ci_low"] >= 0.0
