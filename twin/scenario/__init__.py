"""Scenario files: the shared sections (schema.py), distributions, and the loader with located
errors. The whole scenario, with every run kind's sections, is composed in twin/runs/scenario.py."""
from twin.scenario.loader import LoadedScenario
from twin.scenario.schema import ScenarioBase

__all__ = ["LoadedScenario", "ScenarioBase"]
