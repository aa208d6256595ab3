"""The search for the plan that does best within a budget, and how sure it is.

A *plan* is a value for each decision lever (:mod:`ecosim.plan.spec`). A *future* is one run's
world: its seed, the weights' posterior draw of that seed (``weights: posterior``), a draw from a
calibration's posterior (``--posterior``), and a value of each deep uncertainty. Future ``k`` is
the same for every plan (common random numbers), so plans are compared on the same futures.

The search has three stages:

1. **Search.** SciPy's differential evolution (Storn & Price 1997) over the decisions, each
   candidate judged on the first ``seeds`` futures. Differential evolution needs no gradient,
   handles whole-number levers (``integrality``), judges a whole generation at once (so the
   batched engine runs it in one go), and is deterministic for its seed, which makes the search
   resumable: every run's outcome is kept in ``evaluations.jsonl`` as it is made, and a resumed
   search replays the stored outcomes and reaches exactly the same plans. A plan whose mean cost
   exceeds the budget scores below every plan within it, by how far it exceeds it; a plan that
   costs more than :data:`COST_MARGIN` beyond the budget in the first future is judged on that one
   future alone, so that the search spends its runs near and within the budget.
2. **Enough seeds.** The best :data:`TOP` plans are judged again on twice as many futures, and
   again, until the order of the best three is the same twice in a row (the best first, the same
   three) or ``max_seeds`` is reached: the ranking is then stable at that number of seeds.
3. **Confirmation.** The ranked plans and the scenario as written are judged on ``confirm``
   futures that the search never saw (from future :data:`CONFIRM_OFFSET` on). Their numbers and
   90% intervals are what the plan reports: picking the best of many on the same futures flatters
   it (the winner's curse), fresh futures do not.

Robustness over the confirmation futures follows Rhodium's definitions (Hadka et al. 2015): the
*regret* of a plan in a future is how far it falls short of the best of the compared plans in that
future (Savage 1951; Rhodium's ``Regret`` of type 2, deviation from the best), reported as its mean
and 90th percentile; its *satisficing* share is the share of futures in which it thrives within the
budget (Starr's domain criterion, Rhodium's ``Satisficing``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.errors import InputError
from ecosim.experiment.intervals import mean_interval, wilson_interval
from ecosim.plan.spec import PlanSpec, Range

if TYPE_CHECKING:
    import pandas as pd

    from ecosim.scenario.schema import Scenario

#: What a plan can aim for: the chance of thriving, active learner-weeks, capability gained, net value.
OBJECTIVES = ("thriving", "learner_weeks", "capability", "net_value")
#: The level of every interval a plan reports.
LEVEL = 0.90
#: Confirmation futures start here, far beyond any the search uses.
CONFIRM_OFFSET = 1_000_000
#: Plans taken from the search into the rounds of more seeds and into the confirmation.
TOP = 5
#: How much the mean final active share counts beside the chance of thriving (it breaks ties of the chance).
TIE_BREAK = 0.1
#: What spending the whole budget costs a thriving run's score (5 points of the chance of thriving):
#: between plans that thrive about as often, the cheaper ranks first, and the search is drawn to the
#: cheapest plan that works rather than to the one that spends the budget (it outweighs the tie-break,
#: half a point of the score per 5 points of final active share). It is under one future's worth
#: (8 points) on the 12 futures of the search, so the search never gives up a thriving future to save
#: money; on the 96 of the last round the whole budget is worth about five thriving futures.
#: A run that does not thrive pays nothing: plans that do not yet work are ranked by how close they
#: come (the tie-break), which is what leads the search to plans that do. Only the chance of thriving
#: has it: the other objectives have no line between working and not (and net value counts the cost).
COST_WEIGHT = 0.05
#: Below every plan within the budget: a plan over the budget scores this, less how far over it is.
OVER_BUDGET = -1000.0
#: A plan whose cost in the first future exceeds the budget by more than this share is judged on that future
#: alone: a plan's cost varies by a few percent between futures (staff turnover), never by a quarter.
COST_MARGIN = 0.25
#: The outcomes kept of each run.
RECORD = (
    "thriving",
    "ghost_town",
    "final_active_share",
    "mean_active_share",
    "active_learner_weeks",
    "capability",
    "cost",
    "net_value",
)
#: The journal of every run's outcome.
EVALUATIONS = "evaluations.jsonl"


# ------------------------------------------------------------------------------------------------
# Futures
# ------------------------------------------------------------------------------------------------


@dataclass
class Futures:
    """The futures plans are judged in: future ``k`` has seed ``scenario.seed + k`` and its own draws."""

    scenario: Scenario
    uncertain: tuple[Range, ...] = ()
    posterior: pd.DataFrame | None = None

    def seed(self, k: int) -> int:
        """The seed of future ``k``."""
        return int(self.scenario.seed) + int(k)

    def overrides(self, k: int) -> dict[str, Any]:
        """The values future ``k`` draws: a calibration's posterior draw, then each deep uncertainty.

        Drawn from the future's seed alone, so that future ``k`` is the same whatever else is run.
        """
        if self.posterior is None and not self.uncertain:
            return {}
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed(k), 0xF07E])))
        out: dict[str, Any] = {}
        if self.posterior is not None:
            w = self.posterior["weight"].to_numpy(dtype=float)
            i = int(np.searchsorted(np.cumsum(w / w.sum()), rng.random(), side="right"))
            row = self.posterior.iloc[min(i, len(self.posterior) - 1)]
            out.update({c: _plain(row[c]) for c in self.posterior.columns if c != "weight"})
        for r in self.uncertain:
            out[r.path] = r.value(r.low + rng.random() * (r.high - r.low))
        return out


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds."""
    return value.item() if hasattr(value, "item") else value


def read_posterior(folder: str | os.PathLike[str], scenario: Scenario) -> pd.DataFrame:
    """A calibration's posterior (``posterior.parquet`` in its results folder), checked against the scenario."""
    import pandas as pd

    from ecosim.scenario.loader import check_param_path
    from ecosim.scenario.schema import get_value

    path = Path(folder) / "posterior.parquet"
    if not path.is_file():
        raise InputError(
            "no calibration posterior here", file=str(path), key="--posterior", allowed="a folder written by calibrate"
        )
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 (any unreadable file is the same problem for the user)
        raise InputError(f"cannot read the posterior: {exc}", file=str(path), key="--posterior") from None
    if "weight" not in frame.columns or len(frame) == 0 or len(frame.columns) < 2:
        raise InputError("not a calibration posterior", file=str(path), allowed="parameter columns and a weight column")
    w = frame["weight"].to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InputError("the posterior's weights are not positive numbers", file=str(path), key="weight")
    for name in frame.columns:
        if name == "weight":
            continue
        check_param_path(name, source=str(path))
        get_value(scenario, name)
    return frame


# ------------------------------------------------------------------------------------------------
# Running plans in futures, with every outcome kept
# ------------------------------------------------------------------------------------------------


def plan_key(plan: Mapping[str, Any]) -> str:
    """A plan as text: its levers in order with their values (the key of its runs in the journal)."""
    return json.dumps(dict(sorted(plan.items())), separators=(",", ":"))


def record(result: Any) -> dict[str, float]:
    """What a plan is judged on, from one run."""
    from ecosim.ensemble import run_costs

    parts = run_costs(result.scenario.costs, result.columns)
    verdict = result.summary["verdict"]
    learner_weeks = float(np.sum(result.columns["learners"]))
    return {
        "thriving": float(verdict == "thriving"),
        "ghost_town": float(verdict == "ghost_town"),
        "final_active_share": float(result.summary["final_active_share"]),
        "mean_active_share": parts["active_learner_weeks"] / learner_weeks if learner_weeks > 0 else 0.0,
        "active_learner_weeks": parts["active_learner_weeks"],
        "capability": parts["capability_points_gained"],
        "cost": parts["total_cost"],
        "net_value": parts["net_value"],
    }


def run_chunk(scenarios: list[Scenario]) -> list[dict[str, float]]:
    """Run scenarios in the batched engine and keep what plans are judged on (picklable for executors)."""
    from ecosim.experiment.runs import run_many

    return [record(r) for r in run_many(scenarios)]


class Journal:
    """Every run's outcome, by plan and future, in a JSON-lines file appended to as the runs finish.

    A line torn by a kill is dropped (and cut from the file) when the journal is opened again.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.done: dict[tuple[str, int], dict[str, float]] = {}
        if path is not None and path.is_file():
            self._load(path)

    def _load(self, path: Path) -> None:
        data = path.read_bytes()
        good = data.rfind(b"\n") + 1
        for line in data[:good].splitlines():
            item = json.loads(line)
            self.done[(item["plan"], int(item["future"]))] = item["outcome"]
        if good < len(data):
            with open(path, "r+b") as fh:
                fh.truncate(good)

    def add(self, items: list[tuple[str, int, dict[str, float]]]) -> None:
        """Keep outcomes, and append them to the file (flushed to disk)."""
        lines = []
        for key, k, outcome in items:
            self.done[(key, k)] = outcome
            lines.append(json.dumps({"plan": key, "future": k, "outcome": outcome}, separators=(",", ":")))
        if self.path is not None and lines:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
                fh.flush()
                os.fsync(fh.fileno())


@dataclass
class Runner:
    """Runs plans in futures, each (plan, future) once: through the batched engine, here or on an executor."""

    scenario: Scenario
    futures: Futures
    journal: Journal
    executor: str | None = None
    workers: int | None = None
    scheduler: str | None = None
    file: str = "<scenario>"
    runs: int = 0
    replayed: int = 0
    _scenarios: dict[str, Any] = field(default_factory=dict)

    def scenario_for(self, plan: Mapping[str, Any], k: int) -> Scenario:
        """The scenario of ``plan`` in future ``k`` (validated as a scenario file is)."""
        from ecosim.scenario.loader import apply_overrides, scenario_to_dict, validate

        drawn = self.futures.overrides(k)
        key = plan_key({**drawn, **plan})
        sc = self._scenarios.get(key)
        if sc is None:
            if "_data" not in self._scenarios:
                self._scenarios["_data"] = scenario_to_dict(self.scenario)
            data = apply_overrides(self._scenarios["_data"], {**drawn, **plan}, source="plan")
            sc = validate(data, file=self.file)
            if len(self._scenarios) < 20_000:
                self._scenarios[key] = sc
        return sc.model_copy(update={"seed": self.futures.seed(k)})

    def outcomes(self, plans: Sequence[Mapping[str, Any]], futures: Sequence[int]) -> list[list[dict[str, float]]]:
        """Each plan's outcomes in each future (run when not yet in the journal)."""
        keys = [plan_key(p) for p in plans]
        todo = list(
            dict.fromkeys((key, int(k)) for key in keys for k in futures if (key, int(k)) not in self.journal.done)
        )
        self.replayed += len(keys) * len(futures) - len(todo)
        if todo:
            by_key = dict(zip(keys, plans, strict=True))
            scenarios = [self.scenario_for(by_key[key], k) for key, k in todo]
            results = self._run(scenarios)
            self.journal.add([(key, k, out) for (key, k), out in zip(todo, results, strict=True)])
            self.runs += len(todo)
        return [[self.journal.done[(key, int(k))] for k in futures] for key in keys]

    def _run(self, scenarios: list[Scenario]) -> list[dict[str, float]]:
        if self.executor is None:
            return run_chunk(scenarios)
        from ecosim.sweep.executors import make_executor

        with make_executor(self.executor, workers=self.workers, scheduler=self.scheduler) as ex:
            parts = max(1, 2 * ex.workers)
            size = max(1, math.ceil(len(scenarios) / parts))
            chunks = [scenarios[i : i + size] for i in range(0, len(scenarios), size)]
            return [out for chunk in ex.map(run_chunk, chunks, ordered=True) for out in chunk]


# ------------------------------------------------------------------------------------------------
# Judging plans
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """A plan judged over a set of futures."""

    plan: dict[str, Any]
    runs: int
    thriving: float
    thriving_interval: tuple[float, float]
    ghost_town: float
    final_active_share: float
    learner_weeks: tuple[float, float, float]
    capability: tuple[float, float, float]
    cost: tuple[float, float, float]
    net_value: tuple[float, float, float]
    within_budget: float
    value: float
    score: float

    def row(self) -> dict[str, Any]:
        """The plan and its numbers as one table row."""
        return {
            **self.plan,
            "runs": self.runs,
            "thriving": self.thriving,
            "thriving_low": self.thriving_interval[0],
            "thriving_high": self.thriving_interval[1],
            "ghost_town": self.ghost_town,
            "final_active_share": self.final_active_share,
            "learner_weeks": self.learner_weeks[0],
            "learner_weeks_low": self.learner_weeks[1],
            "learner_weeks_high": self.learner_weeks[2],
            "capability_points": self.capability[0],
            "capability_low": self.capability[1],
            "capability_high": self.capability[2],
            "cost": self.cost[0],
            "net_value": self.net_value[0],
            "net_value_low": self.net_value[1],
            "net_value_high": self.net_value[2],
            "within_budget": self.within_budget,
            "value": self.value,
            "score": self.score,
        }


def run_value(outcome: Mapping[str, float], objective: str, budget: float) -> float:
    """One run's value for ``objective`` (a plan's value is its mean; see :func:`measure`)."""
    if objective == "thriving":
        return outcome["thriving"] + TIE_BREAK * outcome["final_active_share"]
    if objective == "learner_weeks":
        return outcome["mean_active_share"]
    if objective == "capability":
        return outcome["capability"] / 100.0
    return outcome["net_value"] / budget


def run_thrift(outcome: Mapping[str, float], objective: str, budget: float) -> float:
    """What a run's cost takes off its score: :data:`COST_WEIGHT` times its share of the budget, if it thrives."""
    if objective != "thriving":
        return 0.0
    return COST_WEIGHT * outcome["thriving"] * outcome["cost"] / budget


def run_score(outcome: Mapping[str, float], objective: str, budget: float) -> float:
    """One run's value less its thrift (a plan's score within the budget is the mean of these)."""
    return run_value(outcome, objective, budget) - run_thrift(outcome, objective, budget)


def measure(
    plan: Mapping[str, Any], outcomes: Sequence[Mapping[str, float]], *, budget: float, objective: str
) -> Measured:
    """A plan's numbers over its outcomes, its value and its score (both: higher is better).

    The value is the objective's mean (the chance of thriving plus :data:`TIE_BREAK` times the mean
    final active share; active learner-weeks as a share of every learner every week; capability
    points / 100; net value / budget). The score is the value less the mean thrift (for the chance of
    thriving, :data:`COST_WEIGHT` times each thriving run's cost as a share of the budget); a plan
    whose mean cost exceeds the budget scores :data:`OVER_BUDGET` less its excess as a share of it.
    """
    cols = {name: np.array([o[name] for o in outcomes], dtype=float) for name in RECORD}
    n = len(outcomes)
    thriving = float(cols["thriving"].mean())
    cost = mean_interval(cols["cost"], LEVEL)
    value = float(np.mean([run_value(o, objective, budget) for o in outcomes]))
    thrift = float(np.mean([run_thrift(o, objective, budget) for o in outcomes]))
    score = value - thrift if cost[0] <= budget else OVER_BUDGET - (cost[0] - budget) / budget
    return Measured(
        plan=dict(plan),
        runs=n,
        thriving=thriving,
        thriving_interval=wilson_interval(int(round(cols["thriving"].sum())), n, LEVEL),
        ghost_town=float(cols["ghost_town"].mean()),
        final_active_share=float(cols["final_active_share"].mean()),
        learner_weeks=mean_interval(cols["active_learner_weeks"], LEVEL),
        capability=mean_interval(cols["capability"], LEVEL),
        cost=cost,
        net_value=mean_interval(cols["net_value"], LEVEL),
        within_budget=float(np.mean(cols["cost"] <= budget)),
        value=value,
        score=score,
    )


def robustness(
    names: Sequence[str], outcomes: Sequence[Sequence[Mapping[str, float]]], *, budget: float, objective: str
) -> pd.DataFrame:
    """Regret and satisficing of each plan over the same futures (Rhodium's definitions; the module docstring).

    Regret is measured in the objective's own unit: active learner-weeks for ``thriving`` and
    ``learner_weeks`` (the chance of one future is 0 or 1), capability points, or net value.
    """
    import pandas as pd

    metric = {"capability": "capability", "net_value": "net_value"}.get(objective, "active_learner_weeks")
    y = np.array([[o[metric] for o in outs] for outs in outcomes], dtype=float)  # plans x futures
    regret = y.max(axis=0, keepdims=True) - y
    thrive = np.array([[o["thriving"] for o in outs] for outs in outcomes], dtype=float)
    within = np.array([[o["cost"] <= budget for o in outs] for outs in outcomes], dtype=float)
    satisfied = thrive * within
    return pd.DataFrame(
        {
            "plan": list(names),
            "regret_unit": metric,
            "mean_regret": regret.mean(axis=1),
            "regret_90th_percentile": np.quantile(regret, 0.9, axis=1),
            "largest_regret": regret.max(axis=1),
            "satisficing": satisfied.mean(axis=1),
        }
    )


def pareto_front(costs: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Indices of the plans no other plan beats on both cost (lower) and value (higher), by rising cost."""
    order = np.lexsort((-values, costs))
    front, best = [], -np.inf
    for i in order:
        if values[i] > best:
            front.append(int(i))
            best = values[i]
    return np.array(front, dtype=int)


# ------------------------------------------------------------------------------------------------
# The search
# ------------------------------------------------------------------------------------------------


@dataclass
class PlanResult:
    """What ``plan`` found: the candidates, the rounds of more seeds, the confirmed plans and their robustness."""

    scenario: Scenario
    spec: PlanSpec
    budget: float
    objective: str
    seeds: int
    confirm: int
    candidates: pd.DataFrame
    pareto: pd.DataFrame
    rounds: pd.DataFrame
    confirmed: list[Measured]
    as_written: Measured
    robust: pd.DataFrame
    voi: pd.DataFrame | None
    stable: bool
    seeds_used: int
    runs: int
    replayed: int
    generations: int
    notes: list[str] = field(default_factory=list)

    @property
    def best(self) -> Measured | None:
        """The recommended plan: the best of the last round within the budget (None when none is)."""
        return self.confirmed[0] if self.confirmed and self.confirmed[0].score > OVER_BUDGET / 2 else None


def search(
    scenario: Scenario,
    spec: PlanSpec,
    *,
    budget: float,
    objective: str = "thriving",
    seeds: int = 12,
    max_seeds: int = 96,
    confirm: int = 100,
    population: int = 5,
    generations: int = 8,
    seed: int = 1,
    futures: Futures | None = None,
    journal: Journal | None = None,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    file: str = "<scenario>",
    progress: Callable[[str], None] | None = None,
) -> PlanResult:
    """Search the plans of ``spec`` for the best within ``budget`` (the module docstring says how)."""
    import pandas as pd
    from scipy.optimize import differential_evolution

    if objective not in OBJECTIVES:
        raise InputError("unknown objective", file="--objective", value=objective, allowed=", ".join(OBJECTIVES))
    futures = futures or Futures(scenario)
    runner = Runner(scenario, futures, journal or Journal(None), executor, workers, scheduler, file=file)
    say = progress or (lambda text: None)
    names = [r.path for r in spec.decisions]
    search_futures = list(range(seeds))
    seen: dict[str, Measured] = {}
    generation = [0]

    def plans_of(x: np.ndarray) -> list[dict[str, Any]]:
        return [{r.path: r.value(v) for r, v in zip(spec.decisions, col, strict=True)} for col in x.T]

    def judge(plans: list[dict[str, Any]], on: list[int]) -> list[Measured]:
        outs = runner.outcomes(plans, on)
        return [measure(p, o, budget=budget, objective=objective) for p, o in zip(plans, outs)]

    def objective_fn(x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[0] != len(names):
            x = x.T
        plans = plans_of(x)
        # one future first: a plan that costs far more than the budget there is judged on it alone
        measured = judge(plans, search_futures[:1])
        fits = [i for i, m in enumerate(measured) if m.cost[0] <= (1 + COST_MARGIN) * budget]
        for i, m in zip(fits, judge([plans[i] for i in fits], search_futures), strict=True):
            measured[i] = m
        for m in measured:
            seen.setdefault(plan_key(m.plan), m)
        generation[0] += 1
        best = max(seen.values(), key=lambda m: m.score)
        found = (
            f"the best so far within the budget thrives in {best.thriving:.0%}"
            if best.score > OVER_BUDGET / 2
            else "none so far within the budget"
        )
        say(
            f"generation {generation[0]}: {len(plans)} plans ({len(fits)} near the budget) on {seeds} futures; "
            f"{found} ({runner.runs:,} runs, {runner.replayed:,} outcomes from the journal)"
        )
        return -np.array([m.score for m in measured])

    start = np.array([[float(_current(scenario, r)) for r in spec.decisions]])
    bounds = [(r.low, r.high) for r in spec.decisions]
    differential_evolution(
        objective_fn,
        bounds,
        popsize=population,
        maxiter=generations,
        rng=np.random.default_rng(seed),
        polish=False,
        tol=0.0,
        init="latinhypercube",
        x0=np.clip(start[0], [b[0] for b in bounds], [b[1] for b in bounds]),
        integrality=[r.integer for r in spec.decisions],
        vectorized=True,
        updating="deferred",
    )
    candidates = pd.DataFrame([m.row() for m in seen.values()])
    candidates = candidates.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)

    # the rounds of more seeds, until the order of the best three holds
    # the best plans within the budget (the least over it when none is within)
    ranked_all = sorted(seen.values(), key=lambda m: -m.score)
    within = [m for m in ranked_all if m.score > OVER_BUDGET / 2]
    top = [m.plan for m in (within or ranked_all[:1])[:TOP]]
    rounds, previous, stable, n = [], None, False, seeds
    order = _ranked(judge(top, search_futures))
    rounds.append(_round(order, n))
    previous = [plan_key(m.plan) for m in order]
    while n < max_seeds:
        n = min(2 * n, max_seeds)
        order = _ranked(judge(top, list(range(n))))
        rounds.append(_round(order, n))
        now = [plan_key(m.plan) for m in order]
        say(f"{n} futures: the best plan thrives in {order[0].thriving:.0%}")
        if now[0] == previous[0] and set(now[:3]) == set(previous[:3]):
            stable = True
            break
        previous = now
    ranked = [m.plan for m in order]

    # confirmation on futures the search never saw, with the scenario as written beside the plans
    fresh = [CONFIRM_OFFSET + k for k in range(confirm)]
    written = {r.path: _current(scenario, r) for r in spec.decisions}
    outs = runner.outcomes([*ranked, written], fresh)
    confirmed = [measure(p, o, budget=budget, objective=objective) for p, o in zip(ranked, outs)]
    as_written = measure(written, outs[-1], budget=budget, objective=objective)
    labels = [f"plan {i + 1}" for i in range(len(ranked))] + ["as written"]
    robust = robustness(labels, outs, budget=budget, objective=objective)
    voi = _value_of_information(futures, fresh, confirmed, outs, objective=objective, budget=budget, seed=seed)
    say(f"confirmed on {confirm} fresh futures ({runner.runs:,} runs in all)")

    notes = []
    if not stable:
        notes.append(
            f"the order of the best three plans still changed at {n} futures (--max-seeds): "
            "they are close; the confirmation's intervals say how close"
        )
    return PlanResult(
        scenario=scenario,
        spec=spec,
        budget=budget,
        objective=objective,
        seeds=seeds,
        confirm=confirm,
        candidates=candidates,
        pareto=_pareto_of_all(candidates),
        rounds=pd.DataFrame(rounds),
        confirmed=confirmed,
        as_written=as_written,
        robust=robust,
        voi=voi,
        stable=stable,
        seeds_used=n,
        runs=runner.runs,
        replayed=runner.replayed,
        generations=generation[0],
        notes=notes,
    )


def unknown_names(futures: Futures) -> list[str]:
    """What differs between futures and could be measured: a calibration's parameters, the deep uncertainties."""
    names = [c for c in futures.posterior.columns if c != "weight"] if futures.posterior is not None else []
    return [*names, *(r.path for r in futures.uncertain if r.path not in names)]


def _value_of_information(futures, fresh, confirmed, outs, *, objective, budget, seed) -> pd.DataFrame | None:
    """The EVPPI of each unknown over the confirmation futures, among the ranked plans within the budget."""
    from ecosim.plan.value import value_of_information

    names = unknown_names(futures)
    within = [i for i, m in enumerate(confirmed) if m.score > OVER_BUDGET / 2]
    if not names or len(within) < 2:
        return None
    drawn = [futures.overrides(k) for k in fresh]
    unknowns = {name: np.array([float(d[name]) for d in drawn]) for name in names}
    # the score's unit, so that the plan recommended is the one the values rank first
    y = np.array([[run_score(o, objective, budget) for o in outs[i]] for i in within])
    # the plan chosen without knowing any unknown is the best on average over these futures: the
    # recommended plan, unless fresh futures rank a close one above it
    return value_of_information(unknowns, y, recommended=int(np.argmax(y.mean(axis=1))), seed=seed)


def _pareto_of_all(candidates: pd.DataFrame) -> pd.DataFrame:
    """The cost-outcome Pareto front of every plan judged in the search (on the search's futures)."""
    front = pareto_front(candidates["cost"].to_numpy(float), candidates["value"].to_numpy(float))
    return candidates.iloc[front].reset_index(drop=True)


def _ranked(measured: list[Measured]) -> list[Measured]:
    return sorted(measured, key=lambda m: -m.score)


def _round(order: list[Measured], n: int) -> dict[str, Any]:
    return {
        "futures": n,
        **{f"plan_{i + 1}": plan_key(m.plan) for i, m in enumerate(order)},
        **{f"score_{i + 1}": m.score for i, m in enumerate(order)},
    }


def _current(scenario: Scenario, r: Range) -> int | float:
    from ecosim.scenario.schema import get_value

    value = get_value(scenario, r.path)
    return int(value) if r.integer else float(value)
