"""A scenario file is validated against the model composed for it (twin/runs/scenario.py
`scenario_model`: the common sections, its kind's and those of any kind whose keys it holds),
which must accept and refuse exactly what the whole model does, with the same errors, and read
every section it was not composed with as the whole model's default."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from twin.runs import KINDS, Scenario
from twin.runs.scenario import load_scenario, scenario_model
from twin.scenario.loader import load_scenario as load_with

REPO = Path(__file__).resolve().parents[2]
SECTION_KEYS = sorted({key for k in KINDS.values() for key in k.sections()})


def _errors(model, data):
    try:
        model.model_validate(data)
    except ValidationError as e:
        return sorted((tuple(map(str, err["loc"])), err["type"]) for err in e.errors())
    return []


@pytest.mark.parametrize("path", sorted((REPO / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_scenario_reads_as_the_whole_model_reads_it(path):
    composed = load_scenario(path).scenario
    whole = load_with(path, model=lambda mapping: Scenario).scenario
    assert set(type(composed).model_fields) <= set(Scenario.model_fields)
    for key in Scenario.model_fields:  # composed or not, every section reads the same
        assert getattr(composed, key) == getattr(whole, key), key


@pytest.mark.parametrize("name", ["helion-max", "ha-year", "swift-durability"])
def test_a_loaded_scenario_pickles_and_comes_back_equal(name):
    """As before the composition: a scenario may cross a process boundary."""
    scenario = load_scenario(REPO / "scenarios" / f"{name}.yaml").scenario
    back = pickle.loads(pickle.dumps(scenario))
    assert type(back) is type(scenario) and back == scenario
    whole = Scenario.model_validate({"name": "x", "inventory": {"generate": {"compute": 1}}})
    assert pickle.loads(pickle.dumps(whole)) == whole


def test_a_deployment_is_composed_without_the_other_kinds_sections():
    model = scenario_model({"name": "x", "inventory": {"generate": {"compute": 1}}})
    assert set(KINDS["deploy"].sections()) <= set(model.model_fields)
    assert not {"storage", "nova", "workload", "durability", "ha"} & set(model.model_fields)
    # a key of another kind brings that kind's sections in, with their own checks
    assert "storage" in scenario_model({"name": "x", "storage": {}}).model_fields


def test_an_unknown_key_is_judged_by_the_whole_model():
    assert scenario_model({"name": "x", "stroage": {}}) is Scenario


section_value = st.sampled_from([{}, {"no_such_key": 1}, 5, None, []])
mappings = st.fixed_dictionaries(
    {"name": st.sampled_from(["x", ""]), "inventory": st.sampled_from([{"generate": {"compute": 2}}, {}])},
    optional={"run": st.sampled_from([*KINDS, "no-such-kind", [], {"deploy": 1}, 3]), "seed": st.sampled_from([1, -1]),
              "nosuchsection": st.just({}), **{key: section_value for key in SECTION_KEYS}})


@settings(max_examples=300, deadline=None)
@given(mappings)
def test_the_composed_model_refuses_exactly_what_the_whole_model_refuses(data):
    assert _errors(scenario_model(data), data) == _errors(Scenario, data)
