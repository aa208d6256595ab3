"""The one pure entry point: scenario + seed -> result.

The CLI, sweeps, the browser app and the tests all run the model through :func:`simulate`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ecosim.scenario.schema import Scenario

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ecosim.core.model import EcosystemModel


@dataclass
class RunResult:
    """What one run produced.

    Attributes:
        scenario: the scenario as run.
        seed: the run's seed.
        columns: the weekly metrics, one NumPy array per column (see :data:`ecosim.core.metrics.COLUMNS`).
        summary: the end-of-run summary and verdict.
        model: the finished model, when asked for.
    """

    scenario: Scenario
    seed: int
    columns: dict[str, np.ndarray] = field(repr=False)
    summary: dict[str, Any]
    model: EcosystemModel | None = field(default=None, repr=False)

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        """The weekly metrics as a DataFrame, one row per simulated week (made when first asked for)."""
        import pandas as pd

        return pd.DataFrame(self.columns)


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
        overrides: ``dotted.path=value`` strings or a mapping, applied to the scenario and validated.
        keep_model: keep the finished :class:`EcosystemModel` on the result.
        progress: called with the week number after each week.

    Same scenario and seed give identical results.
    """
    from ecosim.core.model import EcosystemModel

    model = EcosystemModel(scenario, seed=seed, overrides=overrides)
    model.run(progress)
    summary = model.summary()
    read = model.interventions.scenario  # as read: interventions may have changed model.params since
    if read.interventions:
        summary["interventions"] = [applied.as_dict() for applied in model.interventions.applied]
    return RunResult(
        scenario=read,
        seed=model.seed,
        columns=model.timeseries_columns(),
        summary=summary,
        model=model if keep_model else None,
    )
