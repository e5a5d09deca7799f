"""The scenario loader: located errors, shipped scenarios, and fuzzing (no input crashes it)."""
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.errors import InputError, UnreadableError
from twin.runs import Scenario, load_scenario

pytestmark = pytest.mark.slow  # left out of `make test-fast` (subprocesses, sweeps or many examples)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["helion-reference", "helion-max", "helion-faults"])
def test_shipped_scenarios_load(name):
    loaded = load_scenario(REPO / "scenarios" / f"{name}.yaml")
    assert loaded.scenario.name == name


def write(tmp_path, text):
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


def problems(path):
    with pytest.raises(InputError) as e:
        load_scenario(path)
    return e.value.problems


def test_every_problem_is_reported_with_its_line_and_dotted_field(tmp_path):
    p = write(tmp_path, "name: t\ninventory:\n  generate: {compute: 1}\ntiming:\n  bogus_s: 1\n"
                        "  dhcp_s: {dist: uniform, low: 5, high: 1}\nnetwork:\n  nic_gbps: -1\n")
    found = {(x.line, x.field) for x in problems(p)}
    assert found == {(5, "timing.bogus_s"), (6, "timing.dhcp_s"), (8, "network.nic_gbps")}


def test_a_missing_required_key_points_at_its_parent(tmp_path):
    p = write(tmp_path, "inventory:\n  generate: {}\n")
    [problem] = problems(p)
    assert (problem.line, problem.field, problem.message) == (1, "name", "required key is missing")


def test_inventory_needs_exactly_one_source(tmp_path):
    p = write(tmp_path, "name: t\ninventory:\n  file: a.csv\n  generate: {compute: 1}\n")
    [problem] = problems(p)
    assert problem.line == 2 and problem.field == "inventory" and "exactly one" in problem.message


def test_a_number_is_a_fixed_distribution_and_mappings_are_checked(tmp_path):
    p = write(tmp_path, "name: t\ninventory: {generate: {}}\ntiming:\n  post_s: 5\n  os_boot_s: {dist: exponential, mean: 30}\n")
    t = load_scenario(p).scenario.timing
    assert t.post_s.sample(None) == 5.0 and t.os_boot_s.mean == 30


def test_yaml_syntax_errors_are_unreadable_with_a_line(tmp_path):
    p = write(tmp_path, "name: t\ninventory: [\n")
    with pytest.raises(UnreadableError) as e:
        load_scenario(p)
    assert e.value.problems[0].field == "yaml" and e.value.problems[0].line >= 2


def test_not_a_mapping(tmp_path):
    [problem] = problems(write(tmp_path, "- just\n- a list\n"))
    assert problem.line == 1 and "mapping" in problem.message


def check_rejection(path):
    try:
        load_scenario(path)
    except (InputError, UnreadableError) as e:
        assert e.problems
        for p in e.problems:
            assert p.file == str(path) and isinstance(p.line, int) and p.line >= 0
            assert p.field and p.message and "\n" not in str(p)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_fuzz_arbitrary_text_never_crashes_the_loader(tmp_path, text):
    check_rejection(write(tmp_path, text))


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=12))
values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
                      max_leaves=8)
TIMING_KEYS = sorted(Scenario.model_fields["timing"].annotation.model_fields)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(timing=st.dictionaries(st.sampled_from(TIMING_KEYS + ["nope"]), values | st.fixed_dictionaries(
    {"dist": st.sampled_from(["fixed", "uniform", "normal", "lognormal", "exponential", "zipf"])},
    optional={"value": values, "low": values, "high": values, "median": values, "sigma": values, "mean": values, "sd": values}),
    max_size=4),
       faults=st.lists(st.dictionaries(st.sampled_from(["kind", "node", "from_s", "for_s", "rate_mbps", "x"]), values, max_size=5),
                       max_size=3),
       policy=values)
def test_fuzz_near_valid_scenarios_are_accepted_or_rejected_cleanly(tmp_path, timing, faults, policy):
    doc = {"name": "t", "inventory": {"generate": {"compute": 1}}, "timing": timing, "faults": faults, "policy": policy}
    path = write(tmp_path, yaml.safe_dump(doc))
    check_rejection(path)
