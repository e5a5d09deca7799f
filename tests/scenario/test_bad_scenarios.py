"""Scenario input that used to be accepted, misplaced or ruinous (issue 13 items 12, 15 and the
"did you mean" convention): each is refused by the loader with one located problem."""
import math

import numpy as np
import pytest

from twin.errors import InputError, TwinError, UnreadableError
from twin.kernel.rng import MAX_SEED, Streams, check_seed
from twin.runs import load_scenario, resolve_inventory
from twin.cloud.capacity.run import MAX_REQUESTS
from twin.runs import Scenario

BASE = "name: t\ninventory: {generate: {compute: 1}}\n"
CAPACITY = ("name: t\nrun: capacity\ninventory: {generate: {compute: 1}}\nworkload:\n  start: empty\n  tenants:\n"
            "    - name: a\n      rate_per_hour: RATE\n      lifetime_s: 3600\n      flavors: {m1.small: 1}\n")


def write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def refused(path, error=InputError):
    """Every problem a run refuses before it starts: the file, then the inventory and the kind's checks."""
    with pytest.raises(error) as e:
        resolve_inventory(load_scenario(path))
    return [(p.line, p.field, p.message) for p in e.value.problems]


@pytest.mark.parametrize("text, line, field", [
    ("timing:\n  post_s: .inf\n", 4, "timing.post_s"),
    ("timing:\n  post_s: .nan\n", 4, "timing.post_s"),
    ("timing:\n  dhcp_s: {dist: uniform, low: 1, high: .inf}\n", 4, "timing.dhcp_s.high"),
    ("timing:\n  os_boot_s: {dist: lognormal, median: .inf, sigma: 0.1}\n", 4, "timing.os_boot_s.median"),
    ("timing:\n  heat_stack_timeout_s: .inf\n", 4, "timing.heat_stack_timeout_s"),
    ("network:\n  nic_gbps: .inf\n", 4, "network.nic_gbps"),
    ("faults:\n  - {kind: node_crash, node: compute0, at_s: .inf}\n", 4, "faults[0].at_s"),
    ("capacity:\n  duration_s: .inf\n", 4, "capacity.duration_s"),
    ("nova:\n  ram_allocation_ratio: .inf\n", 4, "nova.ram_allocation_ratio"),
])
def test_every_number_is_finite(tmp_path, text, line, field):
    [(at, where, message)] = refused(write(tmp_path, BASE + text))
    assert at == line and where.startswith(field) and "finite" in message


def test_a_duplicate_key_is_refused_at_its_second_line(tmp_path):
    p = write(tmp_path, BASE + "timing:\n  post_s: 60\n  dhcp_s: 2\n  post_s: 90\n")
    assert refused(p) == [(6, "timing.post_s", "key given twice (first at line 4); YAML would keep only the last")]


def test_a_duplicate_top_level_key_and_one_in_a_list_item(tmp_path):
    assert refused(write(tmp_path, BASE + "name: u\n"))[0][:2] == (3, "name")
    p = write(tmp_path, BASE + "faults:\n  - kind: node_crash\n    node: compute0\n    kind: power_loss\n")
    assert refused(p)[0][:2] == (6, "faults[0].kind")


def test_a_non_utf8_scenario_names_the_line_of_the_bad_byte(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_bytes(b"name: t\ninventory: {generate: {compute: 1}}\ndescription: caf\xe9\n")
    [(line, field, message)] = refused(p, UnreadableError)
    assert (line, field) == (3, "file") and "0xe9" in message and "UTF-8" in message


@pytest.mark.parametrize("text, field, suggestion", [
    ("timing:\n  heat_stack_timout_s: 5\n", "timing.heat_stack_timout_s", "heat_stack_timeout_s"),
    ("timing:\n  dhcp_s: {dist: uniform, low: 1, high: 2, hihg: 3}\n", "timing.dhcp_s.hihg", "high"),
    ("faults:\n  - {kind: node_crash, node: compute0, at_ss: 3}\n", "faults[0].at_ss", "at_s"),
    ("capacity:\n  plan: {replicatons: 5}\n", "capacity.plan.replicatons", "replications"),
    ("polcy: helion\n", "polcy", "policy"),
])
def test_an_unknown_key_close_to_a_known_one_is_named(tmp_path, text, field, suggestion):
    [(line, where, message)] = refused(write(tmp_path, BASE + text))
    assert where == field and f"did you mean `{suggestion}`?" in message and line >= 3


def test_an_unknown_key_far_from_any_is_not_given_a_suggestion(tmp_path):
    [(_, _, message)] = refused(write(tmp_path, BASE + "timing:\n  zzzz: 5\n"))
    assert "did you mean" not in message and message.startswith("unknown key")


# --- item 12: sizes and counts with bounds, costs refused with their figure -----------------------
@pytest.mark.parametrize("text, line, field", [
    ("policy: helion\nmax_attempts: 1000000\n", 4, "max_attempts"),
    ("timing:\n  ipmi_call_timeout_s: 1e-9\n  ipmi_retry_timeout_s: 1e12\n", 5, "timing.ipmi_retry_timeout_s"),
    ("capacity:\n  duration_s: 1e15\n", 4, "capacity.duration_s"),
    ("capacity:\n  plan: {months: 100000}\n", 4, "capacity.plan.months"),
    ("capacity:\n  compute_hosts: 10000000\n", 4, "capacity.compute_hosts"),
    ("seed: -1\n", 3, "seed"),
    (f"seed: {2**64}\n", 3, "seed"),
])
def test_sizes_and_counts_are_bounded(tmp_path, text, line, field):
    [(at, where, message)] = refused(write(tmp_path, BASE + text))
    assert (at, where) == (line, field) and ("less than" in message or "greater than" in message)


def test_a_generated_inventory_beyond_every_bound_is_refused_by_the_schema(tmp_path):
    p = write(tmp_path, "name: t\ninventory:\n  generate: {compute: 1000000}\n")
    [(line, field, message)] = refused(p)
    assert (line, field) == (3, "inventory.generate.compute") and "100000" in message


def test_a_generated_inventory_beyond_its_profile_is_refused_before_generating(tmp_path):
    p = write(tmp_path, "name: t\nlimits_profile: commercial-1.1\ninventory:\n  generate:\n    control: 3\n"
                        "    compute: 5000\n")
    [(line, field, message)] = refused(p)
    assert (line, field) == (6, "inventory.generate.compute")
    assert "5,006 nodes in all" in message and "at most 100" in message and "commercial-1.1" in message


def test_too_many_utilisation_steps_are_refused(tmp_path):
    p = write(tmp_path, BASE + "capacity:\n  duration_s: 31536000\n  sample_interval_s: 1\n")
    [(line, field, message)] = refused(p)
    assert (line, field) == (3, "capacity") and "utilisation steps" in message and "100,000" in message


def test_a_capacity_workload_of_a_billion_requests_an_hour_is_refused_with_its_figure(tmp_path):
    p = write(tmp_path, CAPACITY.replace("RATE", "1e9"))
    [(line, field, message)] = refused(p)
    # 1e9 / h over the default 3 + 28 days: 7.44e11 requests
    assert (line, field) == (8, "workload.tenants[0].rate_per_hour")
    assert "about 7.44e+11 boot requests" in message and f"{MAX_REQUESTS:,}" in message


def test_a_wild_growth_is_refused_without_an_overflow(tmp_path):
    p = write(tmp_path, CAPACITY.replace("RATE", "1\n      growth_per_month: 1e6").replace(
        "start: empty", "start: empty\n  start_month: 1000"))
    [(_, field, message)] = refused(p)
    assert field == "workload.tenants[0].rate_per_hour" and "boot requests" in message


def test_a_reasonable_capacity_workload_is_accepted(tmp_path):
    assert load_scenario(write(tmp_path, CAPACITY.replace("RATE", "1000"))).scenario.workload.tenants


def test_expected_requests_is_the_integral_of_the_rate():
    """Checked against a numerical integral of the documented rate curve (growth, warm-up)."""
    sc = Scenario.model_validate({"name": "t", "run": "capacity", "inventory": {"generate": {}},
                                  "workload": {"start": "empty", "start_month": 2.0, "tenants": [
                                      {"name": "a", "rate_per_hour": 36.0, "growth_per_month": 0.25,
                                       "lifetime_s": 100, "flavors": {"m1.small": 1}}]}})
    wl, warmup, duration = sc.workload, 5 * 86400.0, 200 * 86400.0
    t = np.linspace(0, warmup + duration, 200_001)
    rate = 36.0 / 3600 * 1.25 ** (2.0 + (t - warmup) / wl.month_s)
    numeric = float(np.sum((rate[1:] + rate[:-1]) / 2 * np.diff(t)))
    assert math.isclose(wl.expected_requests(warmup, duration), numeric, rel_tol=1e-6)


def test_a_steady_start_counts_its_initial_vms():
    sc = Scenario.model_validate({"name": "t", "run": "capacity", "inventory": {"generate": {}},
                                  "workload": {"start": "steady", "tenants": [
                                      {"name": "a", "rate_per_hour": 3600.0, "lifetime_s": 500.0,
                                       "flavors": {"m1.small": 1}}]}})
    # 1 request/s for 1000 s, plus rate x mean lifetime = 500 VMs at time 0
    assert math.isclose(sc.workload.expected_requests(0.0, 1000.0), 1500.0)


# --- seeds ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 1.5, True, "3"])
def test_check_seed_refuses_what_numpy_would_choke_on(seed):
    with pytest.raises(TwinError, match="seed: must be a whole number from 0 to"):
        check_seed(seed)


def test_streams_of_a_bad_seed_raise_a_twin_error_not_a_numpy_one():
    with pytest.raises(TwinError):
        Streams(-1)
    check_seed(0)
    check_seed(MAX_SEED)
    assert Streams(MAX_SEED).get("x").random() == Streams(MAX_SEED).get("x").random()


def test_aliases_are_walked_once_when_looking_for_duplicate_keys(tmp_path):
    """A "billion laughs" document: nine levels of ten aliases each would be 10^9 nodes to walk."""
    levels = ["a0: &a0 {k: 1}"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    p = write(tmp_path, BASE + "\n".join(levels) + "\n")
    found = refused(p)
    assert [(line, field) for line, field, _ in found] == [(3 + i, f"a{i}") for i in range(10)]
    assert all(message.startswith("unknown key") for _, _, message in found)


@pytest.mark.parametrize("growth, month_s, start_month", [(-0.999999, 1.0, 0.0), (1e300, 1.0, 0.0), (0.0, 1.0, 1e300),
                                                          (-0.5, 1.0, 1e300), (5.0, 1.0, 1e300)])
def test_expected_requests_of_extreme_curves_is_a_number(growth, month_s, start_month):
    sc = Scenario.model_validate({"name": "t", "run": "capacity", "inventory": {"generate": {}},
                                  "workload": {"start": "steady", "month_s": month_s, "start_month": start_month,
                                               "tenants": [{"name": "a", "rate_per_hour": 1.0, "lifetime_s": 10,
                                                            "growth_per_month": growth, "flavors": {"m1.small": 1}}]}})
    value = sc.workload.expected_requests(86400.0, 10 * 365 * 86400.0)
    assert value >= 0 and not math.isnan(value)
