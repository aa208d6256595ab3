"""The results of a run: the terminal summary and the results folder."""

from __future__ import annotations

import datetime as _dt
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.core.metrics import verdict_words
from ecosim.core.outcomes import REPORTED, shown_rows
from ecosim.errors import InputError
from ecosim.io import write_json, write_with
from ecosim.scenario.loader import input_files, scenario_hash, scenario_to_dict

if TYPE_CHECKING:
    from ecosim.api import RunResult
    from ecosim.ensemble import Ensemble
    from ecosim.plotting.process import DrawingProcess

RESULT_FILES = ("timeseries.parquet", "timeseries.csv", "summary.json", "manifest.json")

_ROWS = shown_rows(tuple(k for k in REPORTED if k != "top10pct_post_share"))


def versions(*extra: str) -> dict[str, str]:
    """Versions of Python, ecosim and the packages that decide a run's results (and ``extra`` ones), for manifests."""
    from ecosim import __version__

    out = {"python": platform.python_version(), "ecosim": __version__}
    for pkg in ("mesa", "numpy", "scipy", "pandas", "pyarrow", "networkx", *extra):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def single_run_costs(result: RunResult) -> dict[str, float | None]:
    """What one run cost and bought (:func:`ecosim.ensemble.run_costs`) and its cost per active learner-week.

    Empty when the scenario prices none of its levers (no ``costs:``), as for an ensemble.
    """
    from ecosim.ensemble import has_costs, run_costs

    if not has_costs(result.scenario):
        return {}
    parts: dict[str, float | None] = dict(run_costs(result.scenario.costs, result.columns))
    weeks = parts["active_learner_weeks"]
    parts["cost_per_active_learner_week"] = parts["total_cost"] / weeks if weeks else None
    return parts


def cost_spreads(ens: Ensemble) -> list[tuple[str, str, dict[str, float]]]:
    """(label, kind, median and 90% interval over the runs) of the total cost and the cost per active learner-week.

    Empty when the scenario prices none of its levers. The cost per active learner-week is each run's
    own (its total cost over its active learner-weeks), so a run in which nobody came has none.
    """
    from ecosim.ensemble import has_costs

    if not has_costs(ens.scenario):
        return []
    rows = []
    for key, label, kind in cost_rows(ens.scenario):
        if key == "cost_per_active_learner_week":
            cost, weeks = ens.values("total_cost"), ens.values("active_learner_weeks")
            spread = _quantiles(np.divide(cost, weeks, out=np.full_like(cost, np.nan), where=weeks > 0))
        else:
            spread = ens.spread(key)
        rows.append((label, kind, spread))
    return rows


def summary_text(result: RunResult) -> str:
    """A plain-text table of the summary (and the costs, when the scenario prices its levers) and a one-line verdict."""
    s = result.summary
    sc = result.scenario
    lines = [
        f"ecosim: {sc.name} (seed {result.seed}, {sc.weeks} weeks, {result.timeseries['learners'].iloc[-1]:,} learners)"
    ]
    width = max(len(label) for _, label, _ in _ROWS)
    for key, label, kind in _ROWS:
        value = s.get(key)
        if value is None:
            shown = "-"
        elif kind == "pct":
            shown = f"{value:6.1%}"
        else:
            shown = f"{int(value):>6,}"
        lines.append(f"  {label:<{width}}  {shown}")
    costs = single_run_costs(result)
    rows = cost_rows(sc) if costs else []
    width = max([width] + [len(label) for _, label, _ in rows])
    for key, label, kind in rows:
        lines.append(f"  {label:<{width}}  {_shown(costs[key], kind):>6}")
    lines.append("")
    lines.append(f"Verdict: {verdict_words(s['verdict'], s.get('final_contributor_share'))}")
    return "\n".join(lines)


def prepare_folder(out: Path, *, force: bool) -> None:
    """Refuse a non-empty results folder unless ``force``."""
    if out.exists() and not out.is_dir():
        raise InputError("the results path exists and is not a folder", file=str(out), allowed="a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError(
            "the results folder is not empty",
            file=str(out),
            allowed="a new or empty folder (--out DIR), or --force to overwrite the results in it",
        )


def write_results(
    out: Path,
    result: RunResult,
    *,
    command: list[str] | None = None,
    elapsed: float | None = None,
    figures: bool = True,
    drawer: DrawingProcess | None = None,
) -> list[str]:
    """Write one run's results folder; each file is written under a temporary name, then renamed.

    With a ``drawer`` (:mod:`ecosim.plotting.process`) the figures are drawn there while the tables
    are written here.
    """
    out.mkdir(parents=True, exist_ok=True)
    ts = result.timeseries
    draw = figures and result.model is not None
    if draw:
        from ecosim.plotting import run as fig

        data = fig.payload(ts, result.model, result.summary)
        if drawer is not None:
            drawer.submit(fig.render, out, data)
    write_with(out / "timeseries.parquet", lambda tmp: ts.to_parquet(tmp, index=False, compression="zstd"))
    write_with(out / "timeseries.csv", lambda tmp: ts.to_csv(tmp, index=False, float_format="%.6g"))
    costs = single_run_costs(result)  # the keys of an ensemble's runs, and the cost per active learner-week
    write_json(out / "summary.json", {"scenario": result.scenario.name, "seed": result.seed, **result.summary, **costs})
    files = list(RESULT_FILES)
    if draw:
        files += drawer.result() if drawer is not None else fig.render(out, data)
    from ecosim.plotting.html import run_report

    files.append(run_report(out, result, files, versions()))
    write_json(out / "manifest.json", manifest(result, files, command=command, elapsed=elapsed))
    return files


def manifest(
    result: RunResult, files: list[str], *, command: list[str] | None = None, elapsed: float | None = None
) -> dict[str, Any]:
    """A run's manifest.json: the scenario and its hash, seed, command, time taken, versions and files written."""
    return {
        "scenario_name": result.scenario.name,
        "scenario_sha256": scenario_hash(result.scenario),
        "input_files": input_files(result.scenario),
        "seed": result.seed,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": command if command is not None else sys.argv,
        "elapsed_seconds": None if elapsed is None else round(elapsed, 3),
        "versions": versions(),
        "files": files,
        "scenario": scenario_to_dict(result.scenario),
    }


# --------------------------------------------------------------------------------------------
# An ensemble: many seeds of one scenario
# --------------------------------------------------------------------------------------------

ENSEMBLE_FILES = ("runs.parquet", "runs.csv", "timeseries.parquet", "timeseries.csv", "summary.json", "manifest.json")

_COST_ROWS = shown_rows(("total_cost", "cost_per_active_learner_week"))


def cost_rows(scenario) -> list[tuple[str, str, str]]:
    """The cost rows a summary shows, as ``(key, label, kind)``.

    The total, its priced parts (a part whose price the scenario inherits from another file marked
    so), the cost per active learner-week, and, when the scenario prices what the options buy, the
    value bought, the net value and the return on cost.
    """
    from ecosim.ensemble import COST_PARTS, has_value

    inherited = getattr(scenario, "_inherited_costs", {}) or {}
    rows = [_COST_ROWS[0]]
    for (key, label, kind), (_, price) in zip(shown_rows(tuple(k for k, _ in COST_PARTS)), COST_PARTS, strict=True):
        if getattr(scenario.costs, price) > 0:
            mark = f" (inherited from {inherited[price]})" if price in inherited else ""
            rows.append((key, f"  {label}{mark}", kind))
    rows.append(_COST_ROWS[1])
    if has_value(scenario):
        rows += list(shown_rows(("value", "net_value", "return_on_cost")))
    return rows


def _shown(value: float | None, kind: str) -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "money":
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"
    return f"{value:,.0f}"


def ensemble_text(ens: Ensemble) -> str:
    """The ensemble in plain text: each summary value's median and 90% interval over the runs, and the verdicts."""
    sc = ens.scenario
    seeds = ens.seeds
    span = f"seeds {seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[0] + len(seeds))) else "seeds"
    learners = ens.series["learners"][:, -1]
    headcount = f"{int(learners[0]):,}" if learners.min() == learners.max() else f"about {np.median(learners):,.0f}"
    lines = [f"ecosim: {sc.name} ({len(seeds)} runs, {span}; {sc.weeks} weeks, {headcount} learners)"]
    rows = [(label, kind, ens.spread(key)) for key, label, kind in _ROWS] + cost_spreads(ens)
    width = max(len(label) for label, _, _ in rows)
    lines.append(f"  {'':<{width}}  {'median':>8}   90% of runs")
    for label, kind, spread in rows:
        lines.append(
            f"  {label:<{width}}  {_shown(spread['median'], kind):>8}   "
            f"{_shown(spread['low'], kind)} to {_shown(spread['high'], kind)}"
        )
    lines.append("")
    lines.append(f"Verdict: {ens.verdict_text()}")
    if len(ens.verdicts) > 1:
        lines.append("  The seeds disagree: the scenario is near a tipping point, so one run is not conclusive.")
    applied = ens.series["interventions"].sum(axis=1)
    if ens.scenario.interventions:
        lines.append(f"Interventions applied in {int(np.count_nonzero(applied))} of {len(seeds)} runs.")
    lines.append(f"Representative run (figures): seed {seeds[ens.representative]}")
    return "\n".join(lines)


def _quantiles(x: np.ndarray) -> dict[str, float]:
    from ecosim.ensemble import INTERVAL

    x = x[~np.isnan(x)]
    if x.size == 0:
        return {"median": float("nan"), "low": float("nan"), "high": float("nan")}
    low, median, high = np.quantile(x, [(1 - INTERVAL) / 2, 0.5, (1 + INTERVAL) / 2])
    return {"median": float(median), "low": float(low), "high": float(high)}


def write_ensemble(
    out: Path,
    ens: Ensemble,
    *,
    command: list[str] | None = None,
    elapsed: float | None = None,
    figures: bool = True,
    drawer: DrawingProcess | None = None,
) -> list[str]:
    """Write an ensemble's results folder: per-run and weekly tables, summary, manifest and figures.

    With a ``drawer`` (:mod:`ecosim.plotting.process`) the figures are drawn there while the tables
    are written here.
    """
    out.mkdir(parents=True, exist_ok=True)

    def tables() -> None:
        runs = ens.runs_table()
        ts = ens.timeseries_table()
        write_with(out / "runs.parquet", lambda tmp: runs.to_parquet(tmp, index=False, compression="zstd"))
        write_with(out / "runs.csv", lambda tmp: runs.to_csv(tmp, index=False, float_format="%.6g"))
        write_with(out / "timeseries.parquet", lambda tmp: ts.to_parquet(tmp, index=False, compression="zstd"))
        write_with(out / "timeseries.csv", lambda tmp: ts.to_csv(tmp, index=False, float_format="%.6g"))
        per_seed = [{"seed": seed, **s} for seed, s in zip(ens.seeds, ens.summaries, strict=True)]
        write_json(out / "summary.json", {"scenario": ens.scenario.name, "ensemble": ens.summary(), "runs": per_seed})

    files = list(ENSEMBLE_FILES)
    if figures:
        from ecosim.plotting.ensemble import render_ensemble
        from ecosim.plotting.html import prepare as prepare_report

        if drawer is not None:
            drawer.submit(render_ensemble, out, ens)
            tables()
            prepare_report()  # the report is written once the figures are drawn
            files += drawer.result()
        else:
            files += render_ensemble(out, ens, also=tables)  # the tables are written while the figures are drawn
    else:
        tables()
    from ecosim.plotting.html import ensemble_report

    files.append(ensemble_report(out, ens, files, versions()))
    info = {
        "scenario_name": ens.scenario.name,
        "scenario_sha256": scenario_hash(ens.scenario),
        "input_files": input_files(ens.scenario),
        "seeds": ens.seeds,
        "representative_seed": ens.seeds[ens.representative],
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": command if command is not None else sys.argv,
        "elapsed_seconds": None if elapsed is None else round(elapsed, 3),
        "versions": versions(),
        "files": files,
        "scenario": scenario_to_dict(ens.scenario),
    }
    write_json(out / "manifest.json", info)
    return files
