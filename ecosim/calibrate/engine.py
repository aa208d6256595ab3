"""Calibration: fit scenario parameters to observed weekly numbers with pyabc's ABC-SMC, then forecast.

The steps:

1. The scenario is read; ``weeks`` is cut to the last observed week (later weeks cannot change the
   fit, so inference never simulates them) and, with ``population``, the organisation is shrunk.
2. pyabc's ABC-SMC runs one generation at a time on a :class:`~ecosim.calibrate.sampler.SeededSampler`,
   storing every generation in ``history.db`` (SQLite), so an interrupted calibration resumes from its
   last finished generation and gives the same posterior as one that was never interrupted.
3. ``draws`` parameter sets are drawn from the weighted posterior; each is simulated to the scenario's
   horizon with its own seed (the forecast and the posterior predictive check), and again with each
   what-if lever set, with the same parameters and seeds (common random numbers).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecosim.calibrate.check import Check, predictive_check
from ecosim.calibrate.observed import Observed, read_observed
from ecosim.calibrate.sampler import SeededSampler, starmap
from ecosim.calibrate.simulator import (
    OUTCOMES,
    SERIES,
    RelativeDistance,
    SeriesModel,
    run_series,
    set_params,
    shrink_population,
)
from ecosim.calibrate.spec import Prior, resolve_priors
from ecosim.errors import InputError
from ecosim.io import write_json
from ecosim.sweep.executors import Executor, make_executor

#: What a calibration's worker processes import once, in the fork server, rather than once per batch.
WORKER_MODULES = ("pyabc", "ecosim.calibrate.sampler", "ecosim.calibrate.simulator")

#: Default number of ABC-SMC generations when neither generations nor a budget is given.
DEFAULT_GENERATIONS = 8
#: A generation stops (and the calibration ends) if fewer than this share of its simulations is accepted.
MIN_ACCEPTANCE = 0.005
#: Percentiles of the bands in the forecast and the posterior predictive check.
BAND_PERCENTILES = (5, 25, 50, 75, 95)
HISTORY_DB = "history.db"
#: What a calibration in a folder was started with; a resumed calibration must match it.
SETTINGS = "calibration_settings.json"


@dataclass
class Generation:
    """One finished ABC-SMC generation, for the progress display."""

    t: int
    epsilon: float
    acceptance: float
    simulations: int
    total_simulations: int
    seconds: float


@dataclass
class CalibrationResult:
    """What a calibration produced: the posterior, the forecast and the what-ifs as pandas frames."""

    scenario_name: str
    fitted: list[str]
    priors: dict[str, Prior]
    seed: int
    posterior: pd.DataFrame  # one row per particle: each fitted parameter and its weight
    summary: dict[str, Any]  # per parameter: median, 50% and 90% intervals; effective sample size
    generations: pd.DataFrame  # t, epsilon, acceptance, simulations
    observed: pd.DataFrame  # week, statistic, value
    draws: pd.DataFrame  # the posterior draws used for forecasts: draw, seed and each parameter
    forecast: pd.DataFrame  # week, statistic, p5, p25, p50, p75, p95 (posterior predictive bands)
    verdicts: dict[str, float]  # probability of each verdict at the end
    outcomes: pd.DataFrame  # draw, scenario ("as is" or a what-if), each outcome and the verdict
    what_ifs: pd.DataFrame  # what-if, outcome, median change, 5% and 95% of the change, P(better)
    what_if_verdicts: pd.DataFrame  # what-if, verdict, probability
    weeks_observed: int
    weeks_forecast: int
    learners: int
    notes: list[str] = field(default_factory=list)
    check: Check | None = None  # the shape check (posterior predictive), when forecasts were simulated
    timings: dict[str, float] = field(default_factory=dict)
    ghost_town_below: float = 0.10  # the scenario's verdict thresholds, for the figures
    thriving_at: float = 0.40

    @property
    def observed_weeks(self) -> str:
        """The weeks fitted to, in words: '11 observed weeks (weeks 1 to 12; week 7 missing)'."""
        return observed_weeks_text(self.observed["week"])

    @property
    def correlation(self) -> pd.DataFrame:
        """The weighted correlation of the fitted parameters in the posterior."""
        return weighted_corr(self.posterior[self.fitted], self.posterior["weight"].to_numpy())


def observed_weeks_text(weeks: Iterable[int]) -> str:
    """How many weeks hold observed numbers, over which span, and which are missing, in words."""
    have = sorted({int(w) for w in weeks})
    if not have:
        return "no observed weeks"
    first, last = have[0], have[-1]
    missing = sorted(set(range(first, last + 1)) - set(have))
    text = f"{len(have)} observed week{'s' if len(have) != 1 else ''}"
    if len(have) > 1 or missing:
        text += f" (weeks {first} to {last}"
        if missing:
            shown = ", ".join(map(str, missing)) if len(missing) <= 3 else f"{len(missing)} weeks"
            text += f"; {'week ' if len(missing) == 1 else 'weeks ' if len(missing) <= 3 else ''}{shown} missing"
        text += ")"
    else:
        text += f" (week {first})"
    return text


def calibrate(
    scenario: str | os.PathLike[str],
    observed: str | os.PathLike[str] | Observed,
    fit: Mapping[str, Prior | Mapping[str, Any] | None] | Iterable[str],
    *,
    seed: int | None = None,
    overrides: Iterable[str] | Mapping[str, Any] = (),
    population: int | None = None,
    particles: int = 200,
    generations: int | None = None,
    budget: int | None = None,
    distance: str = "relative",
    executor: str | Executor = "sequential",
    workers: int = 2,
    scheduler: str | None = None,
    what_if: Iterable[str] = (),
    draws: int = 100,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: Callable[[Generation], None] | None = None,
) -> CalibrationResult:
    """Fit ``fit`` parameters of ``scenario`` to ``observed`` weekly numbers; forecast and compare what-ifs.

    Args:
        scenario: the scenario file; its ``weeks`` is the forecast horizon.
        observed: the observed-data CSV file (or an already read :class:`Observed`).
        fit: parameter names (``NAME``, ``NAME=LOW:HIGH``, ``NAME=log:LOW:HIGH`` as with ``--fit``), or a
            mapping of names to priors (``{"low": .., "high": .., "prior": ..}``).
        seed: the calibration's seed (default: the scenario's).
        overrides: ``--set`` style changes to the scenario.
        population: learners simulated (about); default the scenario's own organisation.
        particles: accepted particles per generation.
        generations: ABC-SMC generations (default 8 unless ``budget`` is given).
        budget: stop after the generation in which the total simulations reach this number.
        distance: ``relative`` or ``adaptive`` (see :mod:`ecosim.calibrate.spec`).
        executor: ``sequential``, ``processes`` or ``dask`` (or an :class:`Executor`).
        workers: worker processes for ``processes`` and a local Dask cluster.
        scheduler: address of a running Dask scheduler.
        what_if: ``key=value`` levers, each compared with the scenario as it is.
        draws: posterior draws simulated for the forecast and each what-if (0: no forecast).
        out: folder for ``history.db`` (default: a temporary folder, removed afterwards).
        resume: continue the calibration stored in ``out``.
        progress: called after each generation.
    """
    from ecosim.scenario.loader import load_scenario, parse_override, scenario_to_dict

    started = time.perf_counter()
    logging.getLogger("ABC").setLevel(logging.WARNING)
    priors = resolve_priors(_as_priors(fit), source="--fit")
    if generations is not None and budget is not None:
        raise InputError("give --generations or --budget, not both", file="--budget", value=budget)
    if generations is None and budget is None:
        generations = DEFAULT_GENERATIONS
    if distance not in ("relative", "adaptive"):
        raise InputError("unknown distance", file="--distance", value=distance, allowed="relative or adaptive")
    base = load_scenario(scenario, overrides, seed=seed)
    seed = int(base.seed)
    obs = observed if isinstance(observed, Observed) else read_observed(observed)
    notes = list(obs.notes)
    launch = base.platform.launch_week
    last_model_week = launch - 1 + obs.last_week
    if last_model_week > base.weeks:
        raise InputError(
            f"observed weeks go beyond the scenario's {base.weeks} weeks",
            file=obs.file,
            key="week",
            value=obs.last_week,
            allowed=f"weeks 1-{base.weeks - launch + 1} (week 1 is the launch week, model week {launch})",
        )
    levers = [parse_override(text, source="--what-if") for text in what_if]
    for key, value in levers:  # check each lever against the schema now, not after the calibration
        load_scenario(scenario, [*_override_list(overrides), f"{key}={_yaml_value(value)}"], seed=seed)
    data = scenario_to_dict(base)
    learners = launch_learners(data)
    if population is not None:
        data = shrink_population(data, int(population), learners, file=str(scenario))
        sim_learners = launch_learners(data)
        notes.append(
            f"inference and forecasts simulate {sim_learners:,} learners instead of {learners:,} (--population)"
        )
    else:
        sim_learners = learners
    if obs.needs_headcount():
        notes.append(f"counts without a headcount are divided by the scenario's {learners:,} learners")
    obs.check_shares(headcount=learners)
    stats = obs.statistics(headcount=learners)
    infer_data = set_params(data, {"weeks": last_model_week})
    rows = {stat: (weeks + launch - 2).astype(int) for stat, (weeks, _) in stats.items()}
    x0 = {stat: values for stat, (_, values) in stats.items()}
    model = SeriesModel(infer_data, rows)

    import pyabc

    prior = pyabc.Distribution(
        **{
            name: (
                pyabc.RV("uniform", p.low, p.high - p.low)
                if p.prior == "uniform"
                else pyabc.RV("loguniform", p.low, p.high)
            )
            for name, p in priors.items()
        }
    )
    scales = {stat: max(float(np.mean(np.abs(v))), 1e-3) for stat, v in x0.items()}

    def make_distance() -> Any:
        return RelativeDistance(scales) if distance == "relative" else pyabc.AdaptivePNormDistance(p=2)

    tmp = None
    if out is None:
        if resume:
            raise InputError(
                "--resume needs the folder of the calibration to continue", file="--out", allowed="--out DIR"
            )
        tmp = tempfile.TemporaryDirectory(prefix="ecosim-calibrate-")
        folder = Path(tmp.name)
    else:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / HISTORY_DB
    own_executor = not isinstance(executor, Executor)
    ex = (
        make_executor(executor, workers=workers, scheduler=scheduler, preload=WORKER_MODULES)
        if own_executor
        else executor
    )
    try:
        sampler = SeededSampler(seed, ex)
        db = f"sqlite:///{db_path}"

        def engine() -> Any:
            return pyabc.ABCSMC(model, prior, make_distance(), population_size=particles, sampler=sampler)

        settings = {
            "scenario": data,
            "observed": {k: [w.tolist(), v.tolist()] for k, (w, v) in stats.items()},
            "priors": {k: p.model_dump() for k, p in priors.items()},
            "distance": distance,
            "particles": particles,
            "seed": seed,
        }
        settings_path = folder / SETTINGS
        if resume:
            check_history(db_path)
            _check_same(settings_path, settings)
        else:
            db_path.unlink(missing_ok=True)
            write_json(settings_path, settings)
            engine().new(db, x0)
        t_infer = time.perf_counter()
        while True:
            # each generation starts from the stored history, exactly as a resumed calibration does
            abc = engine()
            history = abc.load(db, 1)
            done = history.max_t + 1
            total = int(history.total_nr_simulations)
            if generations is not None and done >= generations:
                break
            if budget is not None and total >= budget:
                break
            g0 = time.perf_counter()
            history = abc.run(max_nr_populations=1, min_acceptance_rate=MIN_ACCEPTANCE)
            if history.max_t + 1 == done:
                notes.append(
                    f"stopped after {done} generations: fewer than {MIN_ACCEPTANCE:.1%} of the simulations "
                    "were accepted"
                )
                break
            pops = history.get_all_populations()
            row = pops[pops["t"] == history.max_t].iloc[0]
            n_sim = int(row["samples"])
            gen = Generation(
                t=int(history.max_t),
                epsilon=float(row["epsilon"]),
                acceptance=particles / n_sim if n_sim else float("nan"),
                simulations=n_sim,
                total_simulations=int(history.total_nr_simulations),
                seconds=time.perf_counter() - g0,
            )
            if progress is not None:
                progress(gen)
        infer_seconds = time.perf_counter() - t_infer
        history = abc.history
        if history.max_t < 0:
            raise InputError("the calibration finished no generation", file=str(db_path))
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        posterior = frame[list(priors)].reset_index(drop=True).astype(float)
        posterior["weight"] = np.asarray(weights, dtype=float)
        total_sims = int(history.total_nr_simulations)
        pops = history.get_all_populations()
        pops = pops[pops["t"] >= 0]
        gens = pd.DataFrame(
            {
                "generation": pops["t"].astype(int).to_numpy(),
                "epsilon": pops["epsilon"].astype(float).to_numpy(),
                "simulations": pops["samples"].astype(int).to_numpy(),
                "acceptance": particles / pops["samples"].astype(float).to_numpy(),
            }
        )
        summary = posterior_summary(posterior, list(priors))
        t_fc = time.perf_counter()
        if draws > 0:
            fc = forecast(data, posterior, list(priors), levers, draws=draws, seed=seed, executor=ex, launch=launch)
        else:  # inference only (recovery studies)
            fc = {
                "draws": pd.DataFrame(),
                "bands": pd.DataFrame(),
                "verdicts": {},
                "outcomes": pd.DataFrame(),
                "what_ifs": pd.DataFrame(),
                "what_if_verdicts": pd.DataFrame(),
            }
        forecast_seconds = time.perf_counter() - t_fc
    finally:
        if own_executor:
            ex.close()
        if tmp is not None:
            tmp.cleanup()
    check = predictive_check(stats, fc["series"], launch=launch) if fc.get("series") else None
    observed_frame = pd.concat(
        [pd.DataFrame({"week": w, "statistic": stat, "value": v}) for stat, (w, v) in stats.items()], ignore_index=True
    )
    return CalibrationResult(
        scenario_name=base.name,
        fitted=list(priors),
        priors=priors,
        seed=seed,
        posterior=posterior,
        summary=summary,
        generations=gens,
        observed=observed_frame,
        draws=fc["draws"],
        forecast=fc["bands"],
        verdicts=fc["verdicts"],
        outcomes=fc["outcomes"],
        what_ifs=fc["what_ifs"],
        what_if_verdicts=fc["what_if_verdicts"],
        weeks_observed=obs.last_week,
        weeks_forecast=int(base.weeks - launch + 1),
        learners=sim_learners,
        ghost_town_below=base.verdict.ghost_town_below,
        thriving_at=base.verdict.thriving_at,
        notes=notes,
        check=check,
        timings={
            "inference_seconds": infer_seconds,
            "forecast_seconds": forecast_seconds,
            "total_seconds": time.perf_counter() - started,
            "simulations": float(total_sims),
        },
    )


#: The tables of a calibration history (pyabc's database), each with the columns read from it.
HISTORY_TABLES = {
    "abc_smc": ("id",),
    "populations": ("id", "abc_smc_id", "t", "epsilon"),
    "models": ("id", "population_id"),
    "particles": ("id", "model_id", "w"),
    "parameters": ("id", "particle_id", "name", "value"),
    "samples": ("id", "particle_id", "distance"),
    "summary_statistics": ("id", "sample_id", "name", "value"),
}
#: The first bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"


def check_history(path: str | os.PathLike[str]) -> None:
    """Refuse to resume from ``path`` unless it is a calibration history that can be continued.

    The file is only read (opened read-only and immutable, so not even a journal is written), and
    never followed if it is a symbolic link. Raises InputError naming the file and what is wrong.
    """
    import sqlite3
    import stat as stat_

    db = Path(path)
    file = str(db)
    allowed = "--force to start afresh (the history is lost), or another folder (--out DIR)"

    def refuse(problem: str) -> InputError:
        return InputError(f"cannot resume: {problem}", file=file, allowed=allowed)

    try:
        info = db.lstat()
    except FileNotFoundError:
        raise InputError(
            "nothing to resume: no calibration history in the folder",
            file=file,
            allowed="--out DIR of an earlier calibration",
        ) from None
    except OSError as exc:
        raise refuse(f"the calibration history cannot be read ({exc.strerror})") from None
    if stat_.S_ISLNK(info.st_mode):
        raise refuse("the calibration history is a symbolic link, not the file a calibration wrote")
    if not stat_.S_ISREG(info.st_mode):
        raise refuse("the calibration history is not a file")
    if info.st_size == 0:
        raise refuse("the calibration history is empty")
    try:
        with db.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise refuse(f"the calibration history cannot be read ({exc.strerror})") from None
    if head != SQLITE_HEADER:
        raise refuse("the calibration history is not an SQLite database")
    try:
        uri = "file:" + urllib.parse.quote(str(db.resolve())) + "?mode=ro&immutable=1"
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise refuse(f"the calibration history cannot be opened ({exc})") from None
    try:
        if conn.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise refuse("the calibration history is damaged (SQLite's integrity check fails)")
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [t for t in HISTORY_TABLES if t not in tables]
        if missing:
            raise refuse(f"not a calibration history: no table {missing[0]}")
        for table, columns in HISTORY_TABLES.items():
            have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            lacking = [c for c in columns if c not in have]
            if lacking:
                raise refuse(f"not a calibration history: table {table} has no column {lacking[0]}")
        if conn.execute("SELECT COUNT(*) FROM abc_smc").fetchone()[0] != 1:
            raise refuse("the calibration history does not hold exactly one calibration")
        empty = conn.execute(
            "SELECT MIN(p.t) FROM populations p WHERE NOT EXISTS "
            "(SELECT 1 FROM models m JOIN particles x ON x.model_id = m.id WHERE m.population_id = p.id)"
        ).fetchone()[0]
        if empty is not None:
            which = "its start (the observed data)" if int(empty) < 0 else f"generation {int(empty) + 1}"
            raise refuse(f"the calibration history has no particles in {which}")
        if conn.execute("SELECT COUNT(*) FROM populations").fetchone()[0] == 0:
            raise refuse("the calibration history holds no generation")
    except sqlite3.Error as exc:
        raise refuse(f"the calibration history is damaged ({exc})") from None
    finally:
        conn.close()


def _check_same(path: Path, settings: dict[str, Any]) -> None:
    """Refuse to resume a calibration started with other settings (scenario, data, priors, distance, seed)."""
    import json

    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(
            "cannot resume: the calibration's settings are missing or unreadable", file=str(path)
        ) from None
    now = json.loads(json.dumps(settings))
    for key in now:
        if stored.get(key) != now[key]:
            raise InputError(
                f"cannot resume: the {key} differs from the calibration stored in this folder",
                file=str(path),
                key=key,
                allowed="the same scenario, observed data, fitted parameters, distance, particles and seed, "
                "or a new --out folder",
            )


def _as_priors(fit: Any) -> dict[str, Prior]:
    if isinstance(fit, Mapping):
        return {str(k): v if isinstance(v, Prior) else Prior.model_validate(dict(v or {})) for k, v in fit.items()}
    from ecosim.calibrate.spec import parse_fit_flags

    return parse_fit_flags([str(name) for name in fit])


def _override_list(overrides: Iterable[str] | Mapping[str, Any]) -> list[str]:
    if isinstance(overrides, Mapping):
        return [f"{k}={_yaml_value(v)}" for k, v in overrides.items()]
    return list(overrides)


def _yaml_value(value: Any) -> str:
    import json

    return json.dumps(value)


def launch_learners(data: dict[str, Any]) -> int:
    """The learners at launch in scenario ``data`` (its network is built once, for one week)."""
    return int(run_series(set_params(data, {"weeks": 1}), {}, int(data.get("seed", 1)))["learners"])


def weighted_quantile(values: np.ndarray, weights: np.ndarray, qs: Iterable[float]) -> np.ndarray:
    """Quantiles of weighted samples (the inverse of the weighted empirical distribution, interpolated)."""
    order = np.argsort(values)
    v = np.asarray(values, dtype=float)[order]
    w = np.asarray(weights, dtype=float)[order]
    cw = np.cumsum(w) - 0.5 * w
    cw /= w.sum()
    return np.interp(np.asarray(list(qs), dtype=float), cw, v)


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of importance weights."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w * w).sum())


def weighted_corr(frame: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """Weighted Pearson correlation of the columns of ``frame``."""
    x = frame.to_numpy(dtype=float)
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    cov = np.cov(x, rowvar=False, aweights=w)
    cov = np.atleast_2d(cov)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    return pd.DataFrame(corr, index=frame.columns, columns=frame.columns)


def posterior_summary(posterior: pd.DataFrame, names: list[str]) -> dict[str, Any]:
    """Each parameter's median with 50% and 90% credible intervals, and the effective sample size."""
    w = posterior["weight"].to_numpy()
    out: dict[str, Any] = {"effective_sample_size": effective_sample_size(w), "particles": len(posterior)}
    params = {}
    for name in names:
        q = weighted_quantile(posterior[name].to_numpy(), w, (0.05, 0.25, 0.5, 0.75, 0.95))
        params[name] = {
            "median": float(q[2]),
            "interval_50": [float(q[1]), float(q[3])],
            "interval_90": [float(q[0]), float(q[4])],
            "mean": float(np.average(posterior[name], weights=w)),
        }
    out["parameters"] = params
    return out


def _run_chunk(data: dict[str, Any], jobs: list[tuple[dict[str, Any], int]]) -> list[dict[str, Any]]:
    """Simulate several (parameters, seed) jobs of one scenario; used on the executor's workers."""
    return [run_series(data, params, seed) for params, seed in jobs]


def forecast(
    data: dict[str, Any],
    posterior: pd.DataFrame,
    names: list[str],
    levers: list[tuple[str, Any]],
    *,
    draws: int,
    seed: int,
    executor: Executor,
    launch: int = 1,
) -> dict[str, Any]:
    """Posterior predictive bands to the horizon, verdict probabilities and what-if changes (common random numbers)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xF0CA57]))
    w = posterior["weight"].to_numpy(dtype=float)
    pick = rng.choice(len(posterior), size=draws, replace=True, p=w / w.sum())
    seeds = rng.integers(0, 2**62, size=draws)
    chosen = posterior.iloc[pick][names].reset_index(drop=True)
    draws_frame = chosen.copy()
    draws_frame.insert(0, "seed", seeds)
    draws_frame.insert(0, "draw", np.arange(draws))
    scenarios: list[tuple[str, dict[str, Any]]] = [("as is", {})]
    scenarios += [(f"{k}={v}", {k: v}) for k, v in levers]
    jobs: list[tuple[str, dict[str, Any], int]] = []
    for label, extra in scenarios:
        for i in range(draws):
            jobs.append((label, {**{n: float(chosen.at[i, n]) for n in names}, **extra}, int(seeds[i])))
    chunks = _split(jobs, max(1, 4 * executor.workers))
    results_nested = starmap(executor, _run_chunk, [(data, [(p, s) for _, p, s in chunk]) for chunk in chunks])
    results = [r for part in results_nested for r in part]
    rows = []
    series_by_label: dict[str, list[dict[str, np.ndarray]]] = {label: [] for label, _ in scenarios}
    for (label, _, _s), res in zip(jobs, results):
        series_by_label[label].append(res["series"])
        rows.append(
            {"scenario": label, **{k: res["summary"][k] for k in OUTCOMES}, "verdict": res["summary"]["verdict"]}
        )
    outcomes = pd.DataFrame(rows)
    outcomes.insert(0, "draw", np.tile(np.arange(draws), len(scenarios)))
    base_series = series_by_label["as is"]
    weeks = base_series[0]["week"]
    band_rows = []
    for stat in SERIES:
        arr = np.vstack([s[stat] for s in base_series])
        qs = np.percentile(arr, BAND_PERCENTILES, axis=0)
        for j, week in enumerate(weeks):
            band_rows.append(
                {
                    "week": int(week),
                    "statistic": stat,
                    **{f"p{p}": float(qs[k, j]) for k, p in enumerate(BAND_PERCENTILES)},
                }
            )
    bands = pd.DataFrame(band_rows)
    bands["week"] = bands["week"] - launch + 1  # weeks since launch, as in the observed data
    bands = bands[bands["week"] >= 1].reset_index(drop=True)
    verdict_names = ("thriving", "struggling", "ghost_town", "not_launched")
    base = outcomes[outcomes["scenario"] == "as is"].reset_index(drop=True)
    verdicts = {
        v: float((base["verdict"] == v).mean())
        for v in verdict_names
        if v != "not_launched" or (base["verdict"] == v).any()
    }
    wi_rows, wv_rows = [], []
    for label, _ in scenarios[1:]:
        alt = outcomes[outcomes["scenario"] == label].reset_index(drop=True)
        for k in OUTCOMES:
            delta = alt[k].to_numpy(dtype=float) - base[k].to_numpy(dtype=float)
            lo, med, hi = np.percentile(delta, (5, 50, 95))
            wi_rows.append(
                {
                    "what_if": label,
                    "outcome": k,
                    "as_is_median": float(np.median(base[k])),
                    "what_if_median": float(np.median(alt[k])),
                    "change_median": float(med),
                    "change_p5": float(lo),
                    "change_p95": float(hi),
                    "p_better": float(np.mean(delta > 0)),
                }
            )
        for v in verdict_names:
            if v == "not_launched" and not (alt["verdict"] == v).any():
                continue
            wv_rows.append({"what_if": label, "verdict": v, "probability": float((alt["verdict"] == v).mean())})
    what_ifs = pd.DataFrame(
        wi_rows,
        columns=[
            "what_if",
            "outcome",
            "as_is_median",
            "what_if_median",
            "change_median",
            "change_p5",
            "change_p95",
            "p_better",
        ],
    )
    return {
        "draws": draws_frame,
        "bands": bands,
        "series": base_series,
        "verdicts": verdicts,
        "outcomes": outcomes,
        "what_ifs": what_ifs,
        "what_if_verdicts": pd.DataFrame(wv_rows, columns=["what_if", "verdict", "probability"]),
    }


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    size = max(1, -(-len(items) // parts))
    return [items[i : i + size] for i in range(0, len(items), size)]
