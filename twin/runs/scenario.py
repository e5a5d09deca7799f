"""The whole scenario: what every scenario has (twin/scenario/schema.py) plus each run kind's
sections, composed from the registry; and `load_scenario`, which validates a file against it.

Rules:
- A section read by several kinds is one model class (declared by one kind, reused by the
  others); `run:` takes the registry's names, the first the default; `twin schema` prints the
  whole model's JSON Schema (`Scenario`, every kind's sections).
- A file is validated against the common sections, its own kind's sections and those of any
  other kind whose keys it holds (`scenario_model`): exactly what the whole model would accept
  or refuse, with the same errors, but the section models of kinds it does not use are not
  imported (a deployment does not build the VSA's, Swift's or Nova's models: about 0.1 s of a
  `twin run`). A key no kind knows brings in every kind, so its error names the closest key of
  the whole model. A section that is not composed in is read with its default
  (`ComposedScenario.__getattr__`), as the whole model would give it.
- Lower packages never import this module: they receive the scenario.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, create_model

from twin.runs.registry import DEFAULT, KINDS
from twin.scenario.loader import LoadedScenario
from twin.scenario.loader import load_scenario as _load
from twin.scenario.schema import ScenarioBase


class ComposedScenario(ScenarioBase):
    """The base of every composed Scenario model: a section of a kind the model was not composed
    with is read as the whole model would give it, its default (built on each read; a caller that
    changes a section must hold a scenario that was composed with it)."""

    def __getattr__(self, name: str):
        for k in KINDS.values():
            section = k.sections().get(name)
            if section is not None:
                return section[1].get_default(call_default_factory=True)
        return super().__getattr__(name)


@cache
def _composed(kinds: tuple[str, ...]) -> type[ComposedScenario]:
    """The Scenario model with the common sections and the sections of `kinds` (registry order)."""
    sections: dict[str, tuple] = {}
    for name in kinds:
        k = KINDS[name]
        for key, (model, default) in k.sections().items():
            if key in sections and sections[key][0] is not model:
                raise TypeError(f"run kind {k.name}: section '{key}' differs from another kind's")
            sections.setdefault(key, (model, default))
    run_help = "; ".join(f"{k.name}: {k.help}" for k in KINDS.values())
    run = (Literal[tuple(KINDS)], Field(DEFAULT, description=run_help))
    model = create_model("Scenario", __base__=ComposedScenario, __module__=__name__, run=run, **sections)
    if kinds != tuple(KINDS):  # a name pickle can find again (module __getattr__ below)
        model.__qualname__ = _PART + _SEPARATOR.join(kinds)
    return model


_PART, _SEPARATOR = "Scenario_", "__"  # "Scenario_deploy__operations": the model of those kinds


@cache
def _common_keys() -> frozenset:
    return frozenset(k for name, f in ScenarioBase.model_fields.items() for k in (name, f.alias) if k) | {"run"}


def scenario_model(data: dict | None = None) -> type[ComposedScenario]:
    """The model to validate the scenario mapping `data` with (rules above); the whole model for
    None."""
    if data is None:
        return _composed(tuple(KINDS))
    run = data.get("run", DEFAULT)
    own = [run] if isinstance(run, str) and run in KINDS else []  # a bad `run:` is the model's to refuse
    uncovered = set(data) - _common_keys()
    chosen: set[str] = set()
    for name in own + [n for n in KINDS if n not in own]:
        if chosen and not uncovered:
            break
        chosen.add(name)
        uncovered -= set(KINDS[name].sections())
    return _composed(tuple(n for n in KINDS if n in chosen))


def __getattr__(name: str):
    if name == "Scenario":  # the whole model, composed on first use (rules above)
        return _composed(tuple(KINDS))
    kinds = tuple(name.removeprefix(_PART).split(_SEPARATOR)) if name.startswith(_PART) else ()
    if kinds and all(k in KINDS for k in kinds):  # a part of it, as pickle names it (`_composed`)
        return _composed(tuple(k for k in KINDS if k in kinds))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_scenario(path: str | Path, timing_profile: str | Path | None = None) -> LoadedScenario:
    """Load and validate a scenario file (and a timing profile over it), every problem located."""
    return _load(path, timing_profile, model=scenario_model)
