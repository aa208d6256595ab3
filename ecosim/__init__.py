"""ecosim: will people come? An agent-based simulator of learning-ecosystem adoption.

Importing ``ecosim`` is cheap: Mesa, pandas and the model are imported when first used.

    >>> import ecosim
    >>> result = ecosim.simulate("scenarios/retail.yaml", seed=3)   # doctest: +SKIP
    >>> result.summary["verdict"]                                   # doctest: +SKIP
"""

from __future__ import annotations

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
    "EcosystemModel": "ecosim.core.model",
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
    from ecosim.core.model import EcosystemModel
    from ecosim.errors import InputError
    from ecosim.scenario.errors import ScenarioError
    from ecosim.scenario.loader import load_scenario
    from ecosim.scenario.schema import Scenario


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        value = module if name == "calibrate" else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ecosim' has no attribute {name!r}")
