"""Scenario files: the typed schema and the loader that reads YAML into it."""

from ecosim.scenario.errors import ScenarioError
from ecosim.scenario.loader import load_scenario, scenario_hash, scenario_to_dict
from ecosim.scenario.schema import Scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario", "scenario_hash", "scenario_to_dict"]
