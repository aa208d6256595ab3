"""Scenario files: the typed schema and the loader that reads YAML into it.

The names below are imported when first used, so that ``ecosim.scenario.schema`` (which the core
reads its limits from) does not bring in the YAML loader.
"""

from __future__ import annotations

from ecosim import lazy_exports

__all__ = ["Scenario", "ScenarioError", "load_scenario", "scenario_hash", "scenario_to_dict"]

_HOME = {
    "Scenario": "ecosim.scenario.schema",
    "ScenarioError": "ecosim.scenario.errors",
    "load_scenario": "ecosim.scenario.loader",
    "scenario_hash": "ecosim.scenario.loader",
    "scenario_to_dict": "ecosim.scenario.loader",
}

__getattr__ = lazy_exports(__name__, _HOME)
