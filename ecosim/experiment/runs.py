"""The one run path: scenarios in, results out, one run or many at once.

Every command, sweep, calibration, validation case and the browser page runs the model through
this module. :func:`run_batch` steps many scenarios together in one engine (their replicates side
by side, see :mod:`ecosim.core.engine`); :func:`run_many` splits any list of scenarios into such
batches (scenarios that share their shapes, as many as fit the memory budget) and returns the
results in order. A run's result does not depend on the batch it was in: :func:`simulate` of one
scenario is the same run as its place in any batch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ecosim.core.engine import Engine, Observer
    from ecosim.core.model import EcosystemModel
    from ecosim.scenario.schema import Scenario

#: The memory a batch may use unless told otherwise (bytes): enough for hundreds of retail chains.
BATCH_MEMORY = 512_000_000
#: Replicates in one batch at most: beyond this, larger batches buy no more speed.
MAX_BATCH = 500


@dataclass
class RunResult:
    """What one run produced.

    Attributes:
        scenario: the scenario as run (as read: interventions may have changed levers during the run).
        seed: the run's seed.
        columns: the weekly metrics, one NumPy array per column (see :data:`ecosim.core.metrics.COLUMNS`).
        summary: the end-of-run summary and verdict (with the interventions applied, when it has any).
        model: the finished Mesa model, when asked for.
        observed: what an observer of the run's batch says of it (:func:`run_many`), else None.
    """

    scenario: Scenario
    seed: int
    columns: dict[str, np.ndarray] = field(repr=False)
    summary: dict[str, Any]
    model: EcosystemModel | None = field(default=None, repr=False)
    observed: Any = field(default=None, repr=False)

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
        keep_model: keep the finished Mesa model (``EcosystemModel``) on the result.
        progress: called with the week number after each week.

    Same scenario and seed give identical results, alone or in a batch.
    """
    from ecosim.scenario.resolve import resolve_scenario

    sc = resolve_scenario(scenario, seed, overrides)
    if not keep_model:
        return run_batch([sc], progress=progress)[0]
    from ecosim.core.model import EcosystemModel

    model = EcosystemModel(sc)
    model.run(progress)
    return _result(model.engine, 0, model)


def run_batch(
    scenarios: Sequence[Scenario],
    *,
    observers: Sequence[Observer] = (),
    progress: Callable[[int], None] | None = None,
) -> list[RunResult]:
    """Run scenarios that share their shapes (:func:`ecosim.core.engine.batch_key`) in one engine, in order."""
    from ecosim.core.engine import Engine
    from ecosim.scenario.weights import for_run

    engine = Engine([for_run(sc) for sc in scenarios], observers=observers)
    engine.run(progress)
    return [_result(engine, r) for r in range(engine.replicates)]


def run_many(
    scenarios: Sequence[Scenario],
    *,
    observer: Callable[[], Observer] | None = None,
    memory: int | None = None,
) -> list[RunResult]:
    """Run any scenarios, in batches of those that share their shapes, as many as fit ``memory``.

    ``observer()`` makes one observer per batch; each result then carries ``observed``, what the
    batch's observer says of its replicate (``observer.result(r)``). Results come in order.
    """
    scenarios = list(scenarios)
    out: list[RunResult | None] = [None] * len(scenarios)
    for indices in batches(scenarios, memory=memory):
        watch = [observer()] if observer is not None else []
        results = run_batch([scenarios[i] for i in indices], observers=watch)
        for r, (i, result) in enumerate(zip(indices, results)):
            if watch:
                result.observed = watch[0].result(r)
            out[i] = result
    return out  # type: ignore[return-value]


def batches(scenarios: Sequence[Scenario], *, memory: int | None = None) -> Iterator[list[int]]:
    """Indices of ``scenarios`` in batches: same shapes, within the memory budget, at most MAX_BATCH each."""
    from ecosim.core.engine import batch_key

    budget = memory or BATCH_MEMORY
    groups: dict[Any, list[int]] = {}
    for i, sc in enumerate(scenarios):
        groups.setdefault(batch_key(sc), []).append(i)
    for indices in groups.values():
        batch: list[int] = []
        used = 0
        for i in indices:
            need = replicate_bytes(scenarios[i])
            if batch and (used + need > budget or len(batch) >= MAX_BATCH):
                yield batch
                batch, used = [], 0
            batch.append(i)
            used += need
        if batch:
            yield batch


def replicate_bytes(scenario: Scenario) -> int:
    """The memory one replicate of ``scenario`` needs in a batch (the estimate, without the interpreter)."""
    from ecosim.scenario.limits import BASE_BYTES, estimate

    size = estimate(scenario)
    if size is None:  # an edge list: its size is known once read; count it as large
        return BATCH_MEMORY // 8
    return max(1, size.memory - BASE_BYTES)


def _result(engine: Engine, r: int, model: EcosystemModel | None = None) -> RunResult:
    summary = engine.summary(r)
    read = engine.read[r]
    if read.interventions:
        summary["interventions"] = engine.applied(r)
    return RunResult(
        scenario=read, seed=engine.seeds[r], columns=engine.replicate_columns(r), summary=summary, model=model
    )
