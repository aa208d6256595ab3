"""Analysing a sweep's results: statistics per design point, phase diagrams, sensitivity indices.

- ``points.csv``: for each design point and metric, the number of finished runs, mean, standard
  deviation and the 95% confidence interval of the mean (Student's t over the replicates).
- ``verdicts.csv``: for each design point, the share of runs with each verdict.
- Grid designs: with two or more swept parameters, ``phase_diagram.png`` (mean of the metric over
  the first two, or ``x`` and ``y``, averaged over any others) with the tipping boundary where the
  mean crosses the ghost-town threshold, ``tipping_points.csv`` (for each value of ``y``, the value
  of ``x`` where that happens) and ``lines.png`` (the metric against ``x``, one line per value of
  ``y``, with 95% bands); with one, ``lines.png`` only.
- Latin hypercubes: ``scatter.png``, the metric against each parameter.
- Sobol' designs: ``sobol_indices.csv`` (first-order and total indices with 95% confidence
  intervals, SALib) and ``sobol_<metric>.png``.
- Morris designs: ``morris_indices.csv`` (mu, mu*, its 95% confidence interval, sigma) and
  ``morris_<metric>.png``.

The sensitivity indices use the mean over the replicates of each design point (replicates average
out the model's own noise, which would otherwise inflate the indices of every parameter).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.core.outcomes import VERDICTS
from ecosim.errors import InputError
from ecosim.io import write_with
from ecosim.sweep.storage import ANALYSIS, MANIFEST, read_design, read_runs
from ecosim.sweep.worker import TEXT_METRICS

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

DEFAULT_METRIC = "final_active_share"


@dataclass
class Analysis:
    """What :func:`analyze` wrote and found."""

    folder: Path
    files: list[str] = field(default_factory=list)
    runs_ok: int = 0
    runs_failed: int = 0
    tipping: pd.DataFrame | None = None
    indices: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def load_manifest(folder: str | Path) -> dict[str, Any]:
    """The sweep's manifest.json from ``folder``; an InputError when it is missing or unreadable."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise InputError(
            "no sweep results here (manifest.json is missing)",
            file=str(folder),
            allowed="a folder written by 'python -m ecosim sweep'",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the sweep's manifest: {exc}", file=str(path)) from None
    if not isinstance(data, dict) or data.get("kind") != "ecosim sweep":
        raise InputError(
            "no sweep results here (manifest.json is not a sweep's)",
            file=str(folder),
            allowed="a folder written by 'python -m ecosim sweep'",
        )
    return data


def analyze(
    folder: str | Path,
    *,
    out: str | Path | None = None,
    metrics: list[str] | None = None,
    x: str | None = None,
    y: str | None = None,
    figures: bool = True,
) -> Analysis:
    """Analyse the sweep in ``folder``; writes tables and figures into ``out`` (default ``folder/analysis``).

    Args:
        folder: the sweep's folder (its manifest and runs).
        out: where to write the tables and figures (default ``folder/analysis``).
        metrics: metrics for the figures and sensitivity indices (default: final_active_share);
            the per-point table always has every metric of the sweep.
        x: the phase diagram's x parameter (grid designs; default the first swept).
        y: the phase diagram's y parameter (grid designs; default the second swept).
        figures: whether to draw the figures as well as write the tables.
    """
    from ecosim.outputs import open_output

    folder = Path(folder)
    manifest = load_manifest(folder)
    out = Path(out) if out is not None else folder / ANALYSIS
    # the tables and figures replace those of an earlier analysis once all are written
    with open_output(out, "analysis", replace=True, alongside=True) as target:
        result = _analyze(folder, manifest, target.dir, metrics=metrics, x=x, y=y, figures=figures)
    result.folder = out
    return result


def _analyze(
    folder: Path,
    manifest: dict[str, Any],
    out: Path,
    *,
    metrics: list[str] | None,
    x: str | None,
    y: str | None,
    figures: bool,
) -> Analysis:
    """:func:`analyze`, writing into ``out`` (a staging folder)."""
    import pandas as pd

    result = Analysis(out)

    all_metrics = list(manifest.get("metrics", []))
    numeric = [m for m in all_metrics if m not in TEXT_METRICS]
    chosen = metrics or ([DEFAULT_METRIC] if DEFAULT_METRIC in numeric else numeric[:1])
    for m in chosen:
        if m not in numeric:
            raise InputError(
                "this metric is not a numeric metric of the sweep",
                file="--metric",
                value=m,
                allowed="one of " + ", ".join(numeric),
            )
    try:
        design = read_design(folder)
        params = list(manifest["design"]["parameters"])
        runs = read_runs(folder, columns=["point", *all_metrics]).to_pandas()
    except (OSError, ValueError, KeyError, TypeError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise InputError(
            f"cannot read the sweep's results ({type(exc).__name__}: {str(exc)[:200]})",
            file=str(folder),
            allowed="a sweep folder written by 'python -m ecosim sweep' ('--resume' rewrites runs.parquet)",
        ) from None
    result.runs_ok = int((runs["status"] == "ok").sum())
    result.runs_failed = int((runs["status"] != "ok").sum())
    ok = runs[runs["status"] == "ok"]
    if ok.empty:
        raise InputError(
            "the sweep has no finished runs to analyse",
            file=str(folder),
            allowed="a sweep with finished runs ('ecosim sweep --resume' to finish it)",
        )
    values = design[["point", *params]]

    # ---- per-point statistics -------------------------------------------------------------
    stats = point_stats(ok, numeric)
    failed = runs[runs["status"] != "ok"].groupby("point").size().rename("failed")
    table = values.merge(stats, on="point", how="right")
    table = table.merge(failed, on="point", how="left").fillna({"failed": 0})
    table["failed"] = table["failed"].astype(int)
    _write_csv(out / "points.csv", table, result)
    if "verdict" in all_metrics:
        shares = pd.crosstab(ok["point"], ok["verdict"], normalize="index")
        for v in VERDICTS:
            if v not in shares:
                shares[v] = 0.0
        shares = shares[list(VERDICTS)].add_suffix("_share").reset_index()
        _write_csv(out / "verdicts.csv", values.merge(shares, on="point", how="right"), result)

    method = manifest["design"]["method"]
    base = manifest.get("base_scenario", {})
    ghost = float(base.get("verdict", {}).get("ghost_town_below", 0.10))
    thriving = float(base.get("verdict", {}).get("thriving_at", 0.40))
    name = manifest.get("name", folder.name)

    if method == "grid":
        swept = [p for p in params if design[p].nunique() > 1]
        for label, p in (("--x", x), ("--y", y)):
            if p is not None and p not in swept:
                raise InputError(
                    "not a swept parameter of this sweep",
                    file=label,
                    value=p,
                    allowed="one of " + (", ".join(swept) or "(none: nothing was varied)"),
                )
        if x is not None and y is not None and x == y:
            raise InputError("--x and --y must differ", file="--y", value=y)
        order = [p for p in (x, y) if p is not None] + [p for p in swept if p not in (x, y)]
        if len(order) >= 2:
            px, py = order[0], order[1]
            metric = chosen[0]
            grid = cell_stats(ok.merge(values, on="point"), px, py, metric)
            tipping = tipping_points(grid, px, py, ghost)
            result.tipping = tipping
            _write_csv(out / "tipping_points.csv", tipping, result)
            warning = boundary_warning(grid, tipping, ghost)
            if warning:
                log.info("%s", warning)  # the command line prints it as a warning
                result.warnings.append(warning)
            if len(order) > 2:
                result.notes.append(f"averaged over {', '.join(order[2:])}")
            if figures:
                from ecosim.plotting import sweep as plots

                _save(
                    out / "phase_diagram.png",
                    plots.phase_diagram(grid, px, py, metric, ghost, thriving, name, order[2:]),
                    result,
                )
                cells = ok.merge(values, on="point")
                _save(out / "lines.png", plots.lines(grid, px, py, metric, ghost, name, runs=cells), result)
        elif len(order) == 1 and figures:
            from ecosim.plotting import sweep as plots

            cells = ok.merge(values, on="point")
            grid = cell_stats(cells, order[0], None, chosen[0])
            _save(out / "lines.png", plots.lines(grid, order[0], None, chosen[0], ghost, name, runs=cells), result)
    elif method == "lhs":
        if figures:
            from ecosim.plotting import sweep as plots

            _save(
                out / "scatter.png", plots.scatter(ok.merge(values, on="point"), params, chosen[0], ghost, name), result
            )
    elif method in ("sobol", "morris"):
        frames = []
        for metric in chosen:
            frames.append(sensitivity(manifest, design, stats, metric))
        indices = pd.concat(frames, ignore_index=True)
        result.indices = indices
        _write_csv(out / f"{method}_indices.csv", indices, result)
        if figures:
            from ecosim.plotting import sweep as plots

            for metric in chosen:
                sub = indices[indices["metric"] == metric]
                per_point = int(stats.loc[stats["metric"] == metric, "n"].min())
                draw = plots.sobol if method == "sobol" else plots.morris
                fig = draw(sub, metric, name, runs_per_point=per_point)
                _save(out / f"{method}_{metric}.png", fig, result)
    from ecosim.plotting.html import analysis_report

    result.files.append(analysis_report(result, manifest))
    return result


def point_stats(ok: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Long table: point, metric, n, mean, sd, ci_low, ci_high (95% t-interval of the mean)."""
    import pandas as pd

    frames = []
    grouped = ok.groupby("point")
    for m in metrics:
        g = grouped[m].agg(n="count", mean="mean", sd="std").reset_index()
        lo, hi = t_interval(g["mean"].to_numpy(), g["sd"].to_numpy(), g["n"].to_numpy())
        g["ci_low"], g["ci_high"] = lo, hi
        g.insert(1, "metric", m)
        frames.append(g)
    return pd.concat(frames, ignore_index=True)


def t_interval(mean: np.ndarray, sd: np.ndarray, n: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Student's t confidence interval of a mean from n observations (NaN where n < 2)."""
    from scipy.stats import t

    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(n >= 2, t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)), np.nan)
        half = q * np.asarray(sd, dtype=np.float64) / np.sqrt(n)
    return mean - half, mean + half


def cell_stats(runs: pd.DataFrame, x: str, y: str | None, metric: str) -> pd.DataFrame:
    """Mean, sd, n and 95% interval of ``metric`` over all runs with each (x, y), other parameters pooled."""
    keys = [x] if y is None else [x, y]
    g = runs.groupby(keys)[metric].agg(n="count", mean="mean", sd="std").reset_index()
    g["ci_low"], g["ci_high"] = t_interval(g["mean"].to_numpy(), g["sd"].to_numpy(), g["n"].to_numpy())
    return g.sort_values(keys).reset_index(drop=True)


def tipping_points(grid: pd.DataFrame, x: str, y: str, threshold: float) -> pd.DataFrame:
    """For each value of ``y``: where along ``x`` the mean leaves the ghost town, and what the intervals say.

    Columns:
        ``{x}_at_threshold``: where the mean first rises through ``threshold`` (linear interpolation
            between neighbouring values of ``x``; the lowest ``x`` when the mean is never below it;
            NaN when it never reaches it); with the reading ``crosses``, its first rise between
            ``{x}_low`` and ``{x}_high``, so that it never lies outside what the intervals say.
        ``threshold``.
        ``where``: the means alone: ``below`` (under the threshold over the whole range), ``above``
            (at or over it over the whole range), ``crosses`` (under it, then at or over it from the
            crossing on) or ``recrosses`` (back under it after the crossing).
        ``reading``: what the 95% intervals of the means (``ci_low``, ``ci_high``; a cell without
            one, as with a single run, counts as undecided) allow one to say: ``below`` or ``above``
            over the whole range, ``crosses`` (every cell wholly under the threshold comes before
            every cell wholly over it, and there are both), else ``cannot_tell``.
        ``{x}_low``, ``{x}_high``: with ``crosses``, the last value of ``x`` wholly under the
            threshold and the first wholly over it: the boundary lies between them.
        ``undecided``: how many cells' intervals straddle the threshold (or are missing).
        ``statement``: the reading in words, every part of which follows from the intervals.
    """
    import pandas as pd

    rows = []
    for yv, sub in grid.groupby(y, sort=True):
        sub = sub.sort_values(x)
        xs = sub[x].to_numpy(dtype=np.float64)
        ms = sub["mean"].to_numpy(dtype=np.float64)
        lo = sub["ci_low"].to_numpy(dtype=np.float64) if "ci_low" in sub else np.full(ms.size, np.nan)
        hi = sub["ci_high"].to_numpy(dtype=np.float64) if "ci_high" in sub else np.full(ms.size, np.nan)
        crossing, where = _mean_crossing(xs, ms, threshold)
        status = np.where(hi < threshold, "B", np.where(lo >= threshold, "A", "U"))
        reading, low, high = _reading(xs, status)
        if reading == "crosses":  # where the mean rises through the threshold inside the bracket
            inside = (xs >= low) & (xs <= high)
            crossing = _mean_crossing(xs[inside], ms[inside], threshold)[0]
        rows.append(
            {
                y: yv,
                f"{x}_at_threshold": crossing,
                "threshold": threshold,
                "where": where,
                "reading": reading,
                f"{x}_low": low,
                f"{x}_high": high,
                "undecided": int(np.count_nonzero(status == "U")),
                "statement": _statement(xs, status, reading, crossing, low, high),
            }
        )
    return pd.DataFrame(rows)


def _mean_crossing(xs: np.ndarray, ms: np.ndarray, threshold: float) -> tuple[float, str]:
    """Where the mean first rises through ``threshold``, and how the means lie about it."""
    over = ms >= threshold
    if not ms.size or not over.any():
        return math.nan, "below"
    if over.all():
        return float(xs[0]), "above"
    i = int(np.argmax(over))  # the first cell at or over the threshold
    if i == 0:  # over at first, then under: the first rise comes later
        rises = np.flatnonzero(~over[:-1] & over[1:])
        if not rises.size:
            return float(xs[0]), "recrosses"
        i = int(rises[0]) + 1
    frac = (threshold - ms[i - 1]) / (ms[i] - ms[i - 1])
    crossing = float(xs[i - 1] + frac * (xs[i] - xs[i - 1]))
    return crossing, "crosses" if over[i:].all() and not over[:i].any() else "recrosses"


def _reading(xs: np.ndarray, status: np.ndarray) -> tuple[str, float, float]:
    """``below``, ``above``, ``crosses`` (with the bracket) or ``cannot_tell``, from each cell's B / A / U."""
    if status.size and (status == "A").all():
        return "above", math.nan, math.nan
    if status.size and (status == "B").all():
        return "below", math.nan, math.nan
    below, above = np.flatnonzero(status == "B"), np.flatnonzero(status == "A")
    if below.size and above.size and below.max() < above.min():
        return "crosses", float(xs[below.max()]), float(xs[above.min()])
    return "cannot_tell", math.nan, math.nan


def _statement(xs, status, reading: str, crossing: float, low: float, high: float) -> str:
    """The reading in words: what the intervals say, and 'cannot tell' where they straddle the threshold."""
    if reading == "above":
        return "above the threshold over the whole range"
    if reading == "below":
        return "stays a ghost town over the whole range"
    if reading == "crosses":
        text = f"leaves the ghost town between {low:g} and {high:g}"
        return text + (f" (the mean crosses at {crossing:.3g})" if math.isfinite(crossing) else "")
    words = {"B": "a ghost town", "A": "above the threshold", "U": "cannot tell"}
    parts = []
    start = 0
    for i in range(1, len(status) + 1):
        if i == len(status) or status[i] != status[start]:
            span = f"{xs[start]:g}" if i - 1 == start else f"{xs[start]:g} to {xs[i - 1]:g}"
            parts.append(f"{words[status[start]]} at {span}")
            start = i
    if (status == "U").all():
        return "cannot tell: every interval straddles the threshold"
    return "cannot tell where it leaves the ghost town: " + ", ".join(parts)


def boundary_warning(grid: pd.DataFrame, tipping: pd.DataFrame, threshold: float) -> str | None:
    """A warning when the replicates are too few to place the tipping boundary, with the Monte Carlo error.

    Too few: for some value of ``y`` the intervals cannot tell where the boundary is, or place it
    only within more than one step of ``x`` (cells between the last wholly under the threshold and
    the first wholly over it straddle it). The Monte Carlo error is the standard error of a cell's
    mean (sd / sqrt(n)), the median over the cells whose intervals straddle the threshold.
    """
    unsure = tipping[
        (tipping["reading"] == "cannot_tell") | ((tipping["reading"] == "crosses") & (tipping["undecided"] > 0))
    ]
    if unsure.empty:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        se = grid["sd"].to_numpy(dtype=np.float64) / np.sqrt(grid["n"].to_numpy(dtype=np.float64))
    lo, hi = grid["ci_low"].to_numpy(dtype=np.float64), grid["ci_high"].to_numpy(dtype=np.float64)
    straddle = ~((hi < threshold) | (lo >= threshold))
    errors = se[straddle & np.isfinite(se)]
    n = int(grid["n"].min())
    error = (
        f"the Monte Carlo error of a point's mean near the threshold is {np.median(errors):.3f} (its standard error, "
        f"the median over the {int(straddle.sum())} points whose 95% interval straddles {threshold:g})"
        if errors.size
        else "the run-to-run noise is not measured (a point needs two runs or more for an interval)"
    )
    rows = len(unsure)
    return (
        f"{n} run{'s' if n != 1 else ''} per point {'are' if n != 1 else 'is'} too few to place the tipping boundary "
        f"for {rows} of {len(tipping)} rows: {error}; the error falls as 1 / sqrt(replicates) (sweep with more "
        "--replicates)"
    )


def sensitivity(manifest: dict[str, Any], design: pd.DataFrame, stats: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Sobol' or Morris indices of ``metric`` (the mean over replicates of each design point)."""
    import pandas as pd

    method = manifest["design"]["method"]
    sweep = manifest["sweep"]
    names = list(manifest["design"]["parameters"])
    bounds = {p["path"]: p["bounds"] for p in sweep["parameters"]}
    problem = {"num_vars": len(names), "names": names, "bounds": [bounds[n] for n in names]}
    means = stats[stats["metric"] == metric].set_index("point")["mean"]
    y = means.reindex(design["point"]).to_numpy(dtype=np.float64)
    missing = np.flatnonzero(np.isnan(y))
    if missing.size:
        shown = ", ".join(str(int(p)) for p in missing[:10]) + (" ..." if missing.size > 10 else "")
        raise InputError(
            f"{missing.size} design points have no finished run (points {shown}); sensitivity indices need them all",
            file=str(manifest.get("name")),
            key=metric,
            allowed="a finished sweep ('ecosim sweep --resume' retries failed runs)",
        )
    seed = int(manifest.get("root_seed", 0)) % 2**32
    if np.ptp(y) == 0:
        log.warning("%s is the same at every design point: its sensitivity indices are zero", metric)
    if method == "sobol":
        from SALib.analyze import sobol

        second = bool(sweep["design"].get("second_order", True))
        si = sobol.analyze(problem, y, calc_second_order=second, conf_level=0.95, seed=seed)
        return pd.DataFrame(
            {
                "metric": metric,
                "parameter": names,
                "S1": si["S1"],
                "S1_conf": si["S1_conf"],
                "ST": si["ST"],
                "ST_conf": si["ST_conf"],
            }
        )
    from SALib.analyze import morris

    x = design[[f"sample:{n}" for n in names]].to_numpy(dtype=np.float64)
    si = morris.analyze(problem, x, y, conf_level=0.95, num_levels=int(sweep["design"]["levels"]), seed=seed)
    return pd.DataFrame(
        {
            "metric": metric,
            "parameter": names,
            "mu": np.asarray(si["mu"]),
            "mu_star": np.asarray(si["mu_star"]),
            "mu_star_conf": np.asarray(si["mu_star_conf"]),
            "sigma": np.asarray(si["sigma"]),
        }
    )


def _write_csv(path: Path, table: pd.DataFrame, result: Analysis) -> None:
    write_with(path, lambda tmp: table.to_csv(tmp, index=False, float_format="%.6g"))
    result.files.append(path.name)


def _save(path: Path, fig: Any, result: Analysis) -> None:
    from ecosim.plotting.style import save

    save(fig, path)
    result.files.append(path.name)
