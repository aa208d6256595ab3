"""ecosim: will people come? An agent-based simulator of learning-ecosystem adoption.

Importing ``ecosim`` is cheap: Mesa, pandas and the model are imported when first used.

    >>> import ecosim
    >>> result = ecosim.simulate("scenarios/retail.yaml", seed=3)   # doctest: +SKIP
    >>> result.summary["verdict"]                                   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "EcosystemModel",
    "InputError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "compare",
    "load_scenario",
    "simulate",
    "__version__",
    "calibrate",
]

_LAZY = {
    "calibrate": "ecosim.calibrate",
    "EcosystemModel": "ecosim.experiment.model",
    "simulate": "ecosim.api",
    "RunResult": "ecosim.api",
    "Scenario": "ecosim.scenario.schema",
    "InputError": "ecosim.errors",
    "ScenarioError": "ecosim.scenario.errors",
    "load_scenario": "ecosim.scenario.loader",
    "compare": "ecosim.comparison",
}

if TYPE_CHECKING:
    from ecosim.api import RunResult, simulate
    from ecosim.comparison import compare
    from ecosim.errors import InputError
    from ecosim.experiment.model import EcosystemModel
    from ecosim.scenario.errors import ScenarioError
    from ecosim.scenario.loader import load_scenario
    from ecosim.scenario.schema import Scenario


def lazy_exports(package: str, homes: dict[str, str]) -> Callable[[str], Any]:
    """A package's ``__getattr__``: each name in ``homes`` is imported from its module when first asked for."""

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(homes[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__


__getattr__ = lazy_exports(__name__, _LAZY)
