"""The whole scenario: what every scenario has (twin/scenario/schema.py) plus each run kind's
sections, composed from the registry; and `load_scenario`, which validates a file against it.

Rules: a section read by several kinds is one model class (declared by one kind, reused by the
others); `run:` takes the registry's names, the first the default; `twin schema` prints this
model's JSON Schema. Lower packages never import this module: they receive the scenario.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, create_model

from twin.runs.registry import DEFAULT, KINDS
from twin.scenario.loader import LoadedScenario
from twin.scenario.loader import load_scenario as _load
from twin.scenario.schema import ScenarioBase


def _compose():
    sections: dict[str, tuple] = {}
    for k in KINDS.values():
        for key, (model, default) in k.sections.items():
            if key in sections and sections[key][0] is not model:
                raise TypeError(f"run kind {k.name}: section '{key}' differs from another kind's")
            sections.setdefault(key, (model, default))
    run_help = "; ".join(f"{k.name}: {k.help}" for k in KINDS.values())
    run = (Literal[tuple(KINDS)], Field(DEFAULT, description=run_help))
    return create_model("Scenario", __base__=ScenarioBase, __module__=__name__, run=run, **sections)


Scenario = _compose()


def load_scenario(path: str | Path, timing_profile: str | Path | None = None) -> LoadedScenario:
    """Load and validate a scenario file (and a timing profile over it), every problem located."""
    return _load(path, timing_profile, model=Scenario)
