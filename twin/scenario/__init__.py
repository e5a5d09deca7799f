"""Scenario files: the schema (pydantic), the loader with located errors, and `twin schema`."""
from twin.scenario.loader import LoadedScenario, load_scenario
from twin.scenario.schema import Scenario

__all__ = ["LoadedScenario", "Scenario", "load_scenario"]
