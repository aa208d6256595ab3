"""A scenario over many seeds: the runs, their spread, the verdicts and a representative run.

One seed is one possible year of the organisation; a scenario near a tipping point can be a ghost
town on one seed and struggling on the next. An ensemble runs the same scenario on seeds
``seed, seed + 1, ..., seed + n - 1`` (the scenario's own seed first) through
:func:`ecosim.api.simulate`, so every run is the run ``--seed`` would give. Runs execute in
parallel: by default in processes forked from this one once the model is imported (on Linux; where
forking is not available, one after another), or on any executor of the sweeps (``processes``,
``sequential``, ``dask``). The results do not depend on how they were executed.
"""

from __future__ import annotations

import math
import multiprocessing
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.api import simulate
from ecosim.core.metrics import COLUMNS, SUMMARY_KEYS, VERDICT_TEXT, VERDICT_WORDS
from ecosim.core.outcomes import COSTS, SUMMARY, VERDICTS
from ecosim.experiment import DEFAULT_SEEDS
from ecosim.sweep.executors import available_cores, can_fork

if TYPE_CHECKING:
    import pandas as pd

    from ecosim.scenario.schema import Costs, Scenario

#: Share of runs inside the interval reported around the median (from the 5th to the 95th percentile).
INTERVAL = 0.90
#: The level of the Monte Carlo intervals of the verdict shares (``--precision`` is their half-width).
MC_LEVEL = 0.95
#: The most seeds ``--precision`` adds before it stops, whether or not the precision is reached.
MAX_PRECISION_SEEDS = 10_000
#: Summary values that are not numbers.
TEXT_KEYS = frozenset(o.name for o in SUMMARY if o.shown == "word")
#: Per-run outcomes added to the model's summary: what the run cost and what it bought.
COST_KEYS = tuple(o.name for o in COSTS if o.name != "cost_per_active_learner_week")


def default_seeds(scenario: Scenario, n: int = DEFAULT_SEEDS) -> list[int]:
    """``n`` seeds starting at the scenario's own: ``seed, seed + 1, ...``."""
    return [scenario.seed + k for k in range(n)]


def run_costs(costs: Costs, columns: dict[str, np.ndarray]) -> dict[str, float]:
    """What one run cost, from its weekly table, and the active learner-weeks it bought.

    Facilitator hours and formal training hours are the weekly table's own; events cost
    ``costs.event`` each on top of their hours; the licence is paid for every learner in every week
    from launch, at ``licence_per_learner_month`` for each 52/12 weeks.
    """
    open_weeks = np.asarray(columns["platform_open"]) > 0
    learners = np.asarray(columns["learners"], dtype=np.float64)
    parts = {
        "active_learner_weeks": float(np.sum(np.asarray(columns["active_share"]) * learners)),
        "facilitator_cost": costs.facilitator_hour * float(np.sum(columns["facilitator_hours"])),
        "event_cost": costs.event * float(np.sum(columns["events"])),
        "licence_cost": costs.licence_per_learner_month * float(np.sum(learners[open_weeks])) * 12.0 / 52.0,
        "training_cost": costs.training_hour * float(np.sum(columns["training_hours"])),
    }
    parts["total_cost"] = (
        parts["facilitator_cost"] + parts["event_cost"] + parts["licence_cost"] + parts["training_cost"]
    )
    capability = np.asarray(columns["org_capability"], dtype=np.float64)
    parts["capability_points_gained"] = 100.0 * float(capability[-1] - capability[0]) if capability.size else 0.0
    parts["value"] = (
        costs.value_per_active_learner_week * parts["active_learner_weeks"]
        + costs.value_per_capability_point * parts["capability_points_gained"]
    )
    parts["net_value"] = parts["value"] - parts["total_cost"]
    # no cost, no return: None (null in JSON; NaN in tables), so that equal runs compare equal
    parts["return_on_cost"] = parts["net_value"] / parts["total_cost"] if parts["total_cost"] > 0 else None
    return parts


#: The parts of the total cost (outcomes of :mod:`ecosim.core.outcomes`), each with the ``costs`` price it is of.
COST_PARTS = (
    ("facilitator_cost", "facilitator_hour"),
    ("event_cost", "event"),
    ("licence_cost", "licence_per_learner_month"),
    ("training_cost", "training_hour"),
)


def has_value(scenario: Scenario) -> bool:
    """Whether the scenario prices what the options buy (so net value and return can be told)."""
    c = scenario.costs
    return c.value_per_active_learner_week > 0 or c.value_per_capability_point > 0


def has_costs(scenario: Scenario) -> bool:
    """Whether the scenario prices any lever."""
    return any(value > 0 for value in scenario.costs.model_dump().values())


@dataclass
class Ensemble:
    """A scenario's runs over several seeds.

    Attributes:
        scenario: the scenario (its ``seed`` is the first seed).
        seeds: the seeds, in order.
        summaries: each run's summary (the model's, with its costs), in seed order.
        series: each weekly column as an array of shape (runs, weeks), in seed order.
        representative: the index of the representative run (see :func:`representative`).
        network: what the network figure draws of the representative run, when asked for.
    """

    scenario: Scenario
    seeds: list[int]
    summaries: list[dict[str, Any]]
    series: dict[str, np.ndarray]
    representative: int
    network: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def verdicts(self) -> Counter[str]:
        """How many runs ended in each verdict."""
        return Counter(s["verdict"] for s in self.summaries)

    def values(self, key: str) -> np.ndarray:
        """One numeric summary value of every run (NaN where a run has none)."""
        return np.array([np.nan if s.get(key) is None else float(s[key]) for s in self.summaries])

    def spread(self, key: str) -> dict[str, float]:
        """Median, mean and the central 90% interval (5th to 95th percentile) of a summary value over the runs."""
        x = self.values(key)
        x = x[~np.isnan(x)]
        if x.size == 0:
            return {"median": math.nan, "mean": math.nan, "low": math.nan, "high": math.nan, "runs": 0}
        low, median, high = np.quantile(x, [(1 - INTERVAL) / 2, 0.5, (1 + INTERVAL) / 2])
        return {
            "median": float(median),
            "mean": float(x.mean()),
            "low": float(low),
            "high": float(high),
            "runs": int(x.size),
        }

    def band(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Weekly median and 90% band (5th and 95th percentiles over the runs) of a weekly column."""
        x = self.series[column]
        quantile = np.nanquantile if np.isnan(x).any() else np.quantile  # the same values; the second is quicker
        low, median, high = quantile(x, [(1 - INTERVAL) / 2, 0.5, (1 + INTERVAL) / 2], axis=0)
        return median, low, high

    def runs_table(self) -> pd.DataFrame:
        """One row per run: the seed and its summary (interventions left out: they are in the weekly table)."""
        import pandas as pd

        rows = [
            {"scenario": self.scenario.name, "seed": seed, **{k: v for k, v in s.items() if k != "interventions"}}
            for seed, s in zip(self.seeds, self.summaries, strict=True)
        ]
        return pd.DataFrame(rows)

    def timeseries_table(self) -> pd.DataFrame:
        """Every run's weekly table, one below the other, with the scenario and seed in front."""
        import pandas as pd

        runs, weeks = self.series["week"].shape
        data: dict[str, Any] = {
            "scenario": np.repeat(self.scenario.name, runs * weeks),
            "seed": np.repeat(np.asarray(self.seeds, dtype=np.int64), weeks),
        }
        data.update({name: values.reshape(-1) for name, values in self.series.items()})
        return pd.DataFrame(data)

    def summary(self) -> dict[str, Any]:
        """The ensemble's summary: the seeds, verdict counts and each value's median, mean and 90% interval."""
        numeric = [k for k in (*SUMMARY_KEYS, *COST_KEYS) if k not in TEXT_KEYS]
        counts = self.verdicts
        return {
            "seeds": list(self.seeds),
            "runs": len(self.seeds),
            "verdicts": {v: counts[v] for v in VERDICTS if counts[v]},
            "representative_seed": self.seeds[self.representative],
            # the Monte Carlo error of the verdict shares: their 95% Wilson intervals over the runs
            "verdict_shares": {
                v: {"share": share, "low": low, "high": high}
                for v, (share, low, high) in self.verdict_intervals().items()
            },
            "verdict_share_level": MC_LEVEL,
            "interval": INTERVAL,
            **{key: self.spread(key) for key in numeric},
        }

    def verdict_text(self) -> str:
        """The verdicts in words: 'Ghost town in 13 of 20 runs (65%), struggling in 7 (35%).'."""
        return verdict_sentence(self.verdicts, len(self.seeds))

    def verdict_intervals(self, level: float = MC_LEVEL) -> dict[str, tuple[float, float, float]]:
        """Each verdict's share of the runs with its Wilson interval: the Monte Carlo error of the share."""
        from ecosim.experiment.intervals import wilson_interval

        n, counts = len(self.seeds), self.verdicts
        return {v: (counts[v] / n, *wilson_interval(counts[v], n, level)) for v in VERDICTS if v != "not_launched"}

    def verdict_precision(self, level: float = MC_LEVEL) -> float:
        """The widest half-width of the verdict shares' intervals: how well the verdict shares are known."""
        return max((high - low) / 2 for _, low, high in self.verdict_intervals(level).values())

    def extended(self, more: Ensemble) -> Ensemble:
        """This ensemble with ``more``'s runs after its own (the same scenario, other seeds).

        The representative run is chosen again over all the runs; what the network figure draws is
        kept when it is still the representative's, else dropped (draw it again with the run of that seed).
        """
        seeds = [*self.seeds, *more.seeds]
        series = {name: np.concatenate([self.series[name], more.series[name]]) for name in self.series}
        summaries = [*self.summaries, *more.summaries]
        rep = representative([s["verdict"] for s in summaries], series["active_share"])
        network = (
            self.network
            if rep == self.representative
            else more.network
            if rep == len(self.seeds) + more.representative
            else None
        )
        return Ensemble(self.scenario, seeds, summaries, series, rep, network=network)


def verdict_sentence(counts: Counter[str] | dict[str, int], runs: int) -> str:
    """'Ghost town in 13 of 20 runs (65%), struggling in 7 (35%).', most frequent first."""
    order = sorted((v for v in VERDICTS if counts.get(v)), key=lambda v: (-counts[v], VERDICTS.index(v)))
    parts = []
    for k, v in enumerate(order):
        n = counts[v]
        share = f"{n / runs:.0%}"
        if k == 0:
            parts.append(f"{VERDICT_WORDS[v].capitalize()} in {n} of {runs} runs ({share})")
        else:
            parts.append(f"{VERDICT_WORDS[v]} in {n} ({share})")
    return ", ".join(parts) + "."


def representative(verdicts: Sequence[str], active: np.ndarray) -> int:
    """The index of the run that stands for the ensemble.

    Of the runs with the most frequent verdict, the one whose weekly active share is closest (least
    squares) to the weekly median of all runs; the first seed on a tie.
    """
    counts = Counter(verdicts)
    top = max(counts.values())
    common = next(v for v in VERDICTS if counts.get(v) == top)
    median = np.median(active, axis=0)
    distance = np.sum((active - median) ** 2, axis=1)
    distance[np.asarray(verdicts) != common] = np.inf
    return int(np.argmin(distance))


# --------------------------------------------------------------------------------------------
# Running the seeds
# --------------------------------------------------------------------------------------------


Outcome = tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any] | None]


def _one(scenario: Scenario, seed: int, network: bool = False) -> Outcome:
    """One run: its summary, its weekly columns as arrays and, if asked, what the network figure draws."""
    result = simulate(scenario.model_copy(update={"seed": seed}), keep_model=network)
    drawn = None
    if network:
        from ecosim.plotting.run import network_data

        drawn = network_data(result.model)
    return result.summary, result.columns, drawn


def _one_of_shared(seed: int) -> Outcome:
    import gc

    gc.collect()  # the previous run's model: the collector is off during runs (see _start_worker)
    return _one(_SHARED["scenario"], seed, _SHARED["network"])


def _start_worker(parent_pid: int, main_thread: bool) -> None:
    """A forked worker ends with the process that forked it, and collects garbage between runs, not during them.

    Collecting during runs costs a few percent of a run. Ending with the parent
    (:func:`ecosim.children.end_with_parent`) means a killed command leaves no worker behind.
    """
    import gc

    from ecosim.children import end_with_parent

    end_with_parent(parent_pid, main_thread=main_thread)
    gc.disable()


_SHARED: dict[str, Any] = {}


def run_seeds(
    scenario: Scenario,
    seeds: Sequence[int],
    *,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    network: bool = False,
    progress: Callable[[int], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> list[Outcome]:
    """Run ``scenario`` on each seed; returns (summary, weekly columns, network data or None) per seed, in order.

    ``executor`` None forks worker processes from this one once the model is imported, so a worker
    starts in milliseconds with everything loaded; ``processes``, ``sequential`` and ``dask`` use the
    sweeps' executors. ``network`` asks each run for what the network figure draws (the sweeps'
    executors ignore it). ``progress(k)`` is called with the number of runs finished so far;
    ``meanwhile()`` once the runs have been handed to the workers, to do other work while they run.
    """
    seeds = list(seeds)
    if executor is not None:
        return _run_on_executor(scenario, seeds, executor, workers, scheduler, progress, meanwhile)
    workers = min(workers or available_cores(), len(seeds))
    out: list[Any] = [None] * len(seeds)
    if workers <= 1 or not can_fork():
        if meanwhile is not None:
            meanwhile()
        for k, seed in enumerate(seeds):
            out[k] = _one(scenario, seed, network)
            if progress is not None:
                progress(k + 1)
        return out
    import gc
    import os
    from concurrent.futures import ProcessPoolExecutor, as_completed

    import ecosim.core.model  # noqa: F401  (imported once, here, not once per worker)
    from ecosim.children import forked_by_main_thread

    if network:
        import ecosim.layout  # noqa: F401
        import ecosim.plotting.run  # noqa: F401

    # forked after the imports: each worker starts with the model loaded and the scenario in memory;
    # frozen objects are left alone by the workers' garbage collector, so their pages stay shared
    _SHARED.update(scenario=scenario, network=network)
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(os.getpid(), forked_by_main_thread()),
        ) as pool:
            futures = {pool.submit(_one_of_shared, seed): k for k, seed in enumerate(seeds)}
            gc.unfreeze()
            if meanwhile is not None:
                meanwhile()
            for done, future in enumerate(as_completed(futures), start=1):
                out[futures[future]] = future.result()
                if progress is not None:
                    progress(done)
    finally:
        _SHARED.clear()
        gc.unfreeze()
    return out


def _one_task(task: tuple[Scenario, int]) -> Outcome:
    """:func:`_one` for a sweep executor's ``map``: a picklable function of one task."""
    scenario, seed = task
    return _one(scenario, seed)


def _run_on_executor(scenario, seeds, executor, workers, scheduler, progress, meanwhile):
    from ecosim.sweep.executors import make_executor

    out: list[Any] = []
    if meanwhile is not None:
        meanwhile()
    with make_executor(executor, workers=workers, scheduler=scheduler) as ex:
        for outcome in ex.map(_one_task, [(scenario, seed) for seed in seeds], ordered=True):
            out.append(outcome)
            if progress is not None:
                progress(len(out))
    return out


def run_ensemble(
    scenario: Scenario,
    seeds: Sequence[int] | int = DEFAULT_SEEDS,
    *,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    network: bool = False,
    progress: Callable[[int], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> Ensemble:
    """Run ``scenario`` over ``seeds`` (a list, or how many from the scenario's own seed).

    With ``network`` the ensemble keeps what the network figure draws of its representative run
    (every run works it out, which costs about a millisecond; the others are dropped; on a sweep
    executor the representative run is run once more here). The other arguments are those of
    :func:`run_seeds`.
    """
    if isinstance(seeds, int):
        seeds = default_seeds(scenario, seeds)
    seeds = list(seeds)
    if not seeds:
        raise ValueError("an ensemble needs at least one seed")
    results = run_seeds(
        scenario,
        seeds,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
        network=network,
        progress=progress,
        meanwhile=meanwhile,
    )
    summaries = [{**summary, **run_costs(scenario.costs, columns)} for summary, columns, _ in results]
    series = {name: np.stack([columns[name] for _, columns, _ in results]) for name in COLUMNS}
    rep = representative([s["verdict"] for s in summaries], series["active_share"])
    drawn = results[rep][2]
    if network and drawn is None:  # a sweep executor: the same run once more, here
        drawn = _one(scenario, seeds[rep], network=True)[2]
    first = scenario.model_copy(update={"seed": seeds[0]})
    return Ensemble(first, seeds, summaries, series, rep, network=drawn)


def run_to_precision(
    scenario: Scenario,
    precision: float,
    *,
    start: int = DEFAULT_SEEDS,
    cap: int = MAX_PRECISION_SEEDS,
    network: bool = False,
    say: Callable[[str], None] | None = None,
    **kw: Any,
) -> Ensemble:
    """Run ``scenario`` on ``start`` seeds, then as many again, and again, until the verdict shares are known.

    Stops when every verdict share's 95% Wilson interval is at most ``precision`` either side, or at
    ``cap`` seeds. Seeds run in order from the scenario's own, so the runs are those of an ensemble
    of as many seeds. The other arguments are those of :func:`run_ensemble`.
    """
    ens = run_ensemble(scenario, default_seeds(scenario, min(start, cap)), network=network, **kw)
    while ens.verdict_precision() > precision and len(ens.seeds) < cap:
        n = len(ens.seeds)
        more = [scenario.seed + k for k in range(n, min(2 * n, cap))]
        if say is not None:
            known = f"{100 * ens.verdict_precision():.1f}"
            say(f"{n:,} runs: the verdict shares are known to ±{known} points; running {len(more):,} more")
        ens = ens.extended(run_ensemble(scenario, more, network=network, **kw))
        if network and ens.network is None:
            ens.network = _one(scenario, ens.seeds[ens.representative], network=True)[2]
    return ens


def verdict_line(verdict: str) -> str:
    """The plain-words meaning of one verdict."""
    return VERDICT_TEXT[verdict]
