"""The one pure entry point: scenario + seed -> result.

The CLI, sweeps, the browser app and the tests all run the model through :func:`simulate`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecosim.scenario.loader import load_scenario
from ecosim.scenario.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd

    from ecosim.core.model import EcosystemModel


@dataclass
class RunResult:
    """What one run produced."""

    scenario: Scenario
    seed: int
    timeseries: pd.DataFrame
    summary: dict[str, Any]
    model: EcosystemModel | None = field(default=None, repr=False)


def simulate(
    scenario: Scenario | str | os.PathLike[str],
    *,
    seed: int | None = None,
    overrides: Iterable[str] | Mapping[str, Any] = (),
    keep_model: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run one scenario to the end.

    Args:
        scenario: a validated :class:`Scenario` or the path of a scenario file.
        seed: the run's seed (default: the scenario's ``seed``).
        overrides: ``dotted.path=value`` strings or a mapping, applied to a scenario file.
        keep_model: keep the finished :class:`EcosystemModel` on the result.
        progress: called with the week number after each week.

    Same scenario and seed give identical results.
    """
    from ecosim.core.model import EcosystemModel

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides, seed=seed)
    elif overrides:
        raise ValueError("overrides apply to scenario files; pass them to load_scenario for a Scenario object")
    elif seed is not None and seed != scenario.seed:
        scenario = scenario.model_copy(update={"seed": seed})
    model = EcosystemModel(scenario)
    model.run(progress)
    summary = model.summary()
    if scenario.interventions:
        summary["interventions"] = [applied.as_dict() for applied in model.interventions.applied]
    return RunResult(
        scenario=scenario,
        seed=model.seed,
        timeseries=model.timeseries(),
        summary=summary,
        model=model if keep_model else None,
    )
