"""A calibration's results folder: posterior, forecast, what-ifs, figures, a plain-words report, a manifest.

Every file is written under a temporary name and renamed (:mod:`ecosim.io`), so an interrupted write
never leaves a half-written file.
"""

from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.calibrate.check import SHAPES
from ecosim.core.metrics import VERDICT_WORDS
from ecosim.core.outcomes import label as outcome_words
from ecosim.io import write_json, write_text, write_with
from ecosim.plotting import style as st

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ecosim.calibrate.engine import CalibrationResult

FIGURES = ("posterior.png", "pairs.png", "ppc.png", "forecast.png", "what_ifs.png")


def write_calibration(out: Path, result: CalibrationResult, *, command: list[str] | None = None) -> list[str]:
    """Write every output of ``result`` into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    files = []

    def frame(name: str, df) -> None:
        write_with(out / f"{name}.parquet", lambda tmp: df.to_parquet(tmp, index=False))
        write_with(out / f"{name}.csv", lambda tmp: df.to_csv(tmp, index=False, float_format="%.6g"))
        files.extend([f"{name}.parquet", f"{name}.csv"])

    write_with(out / "posterior.parquet", lambda tmp: result.posterior.to_parquet(tmp, index=False))
    files.append("posterior.parquet")
    write_json(out / "posterior.json", posterior_json(result))
    files.append("posterior.json")
    frame("forecast", result.forecast)
    frame("outcomes", result.outcomes)
    frame("what_ifs", result.what_ifs)
    frame("generations", result.generations)
    shape = None
    if result.check is not None:
        frame("shape_check", result.check.table)
        shape = {"passed": result.check.passed, "tail_probability": result.check.tail_probability}
    write_json(
        out / "forecast.json",
        {"verdict_probabilities": result.verdicts, "what_if_verdicts": _wv(result), "shape_check": shape},
    )
    files.append("forecast.json")
    for name, fig in (
        ("posterior.png", posterior_figure(result)),
        ("pairs.png", pairs_figure(result.posterior, result.fitted, result.priors, result.scenario_name)),
        ("ppc.png", ppc_figure(result)),
        ("forecast.png", forecast_figure(result)),
        ("what_ifs.png", what_if_figure(result)),
    ):
        if fig is not None:
            _save(fig, out / name)
            files.append(name)
    write_text(out / "calibration.md", report_markdown(result))
    files.append("calibration.md")
    write_json(out / "manifest.json", manifest(result, files, command))
    return files


def _wv(result: CalibrationResult) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for row in result.what_if_verdicts.itertuples():
        out.setdefault(row.what_if, {})[row.verdict] = row.probability
    return out


def posterior_json(result: CalibrationResult) -> dict[str, Any]:
    """posterior.json: each parameter's median, 50% and 90% credible intervals, prior; the effective sample size."""
    params = {}
    for name in result.fitted:
        p = result.priors[name]
        params[name] = {**result.summary["parameters"][name], "prior": {"kind": p.prior, "low": p.low, "high": p.high}}
    corr = result.correlation
    return {
        "scenario": result.scenario_name,
        "seed": result.seed,
        "parameters": params,
        "effective_sample_size": result.summary["effective_sample_size"],
        "particles": result.summary["particles"],
        "generations": int(len(result.generations)),
        "final_epsilon": float(result.generations["epsilon"].iloc[-1]),
        "simulations": int(result.timings.get("simulations", 0)),
        "correlation": {a: {b: float(corr.at[a, b]) for b in result.fitted} for a in result.fitted},
        "weeks_observed": result.weeks_observed,
    }


def manifest(result: CalibrationResult, files: list[str], command: list[str] | None) -> dict[str, Any]:
    """manifest.json: what was fitted, the seed, the command, the time taken, the versions and the files."""
    from ecosim.report import versions

    v = versions("pyabc")
    return {
        "scenario_name": result.scenario_name,
        "seed": result.seed,
        "fitted": result.fitted,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": command if command is not None else sys.argv,
        "timings_seconds": {k: round(float(x), 3) for k, x in result.timings.items()},
        "learners_simulated": result.learners,
        "notes": result.notes,
        "versions": v,
        "files": files,
    }


# ------------------------------------------------------------------------------------------------
# Figures
# ------------------------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Figure:
    return st.figure(width, height)


def _save(fig: Figure, path: Path) -> None:
    st.save(fig, path)


def posterior_figure(result: CalibrationResult) -> Figure:
    """Each fitted parameter's posterior (weighted histogram) against its prior, with the 90% interval."""
    k = len(result.fitted)
    fig = _figure(3.4 * k, 3.0)
    w = result.posterior["weight"].to_numpy()
    for i, name in enumerate(result.fitted):
        ax = fig.add_subplot(1, k, i + 1)
        p = result.priors[name]
        x = result.posterior[name].to_numpy()
        log = p.prior == "loguniform"
        bins = np.geomspace(p.low, p.high, 31) if log else np.linspace(p.low, p.high, 31)
        ax.hist(x, bins=bins, weights=w, density=True, color=st.SECOND, alpha=0.8, label="posterior")
        grid = np.geomspace(p.low, p.high, 200) if log else np.linspace(p.low, p.high, 200)
        dens = 1 / (grid * np.log(p.high / p.low)) if log else np.full_like(grid, 1 / (p.high - p.low))
        ax.plot(grid, dens, color=st.TIE, ls="--", label="prior")
        lo, hi = result.summary["parameters"][name]["interval_90"]
        ax.axvspan(lo, hi, color=st.SECOND, alpha=0.12, lw=0, label="90% interval")
        ax.axvline(result.summary["parameters"][name]["median"], color=st.ACTIVE, lw=1.5, label="median")
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(name)
        ax.set_yticks([])
        if i == 0:
            ax.legend(fontsize=st.SMALL_SIZE, frameon=False)
    fig.suptitle(f"{result.scenario_name}: what the observed weeks say about each parameter", fontsize=st.TITLE_SIZE)
    return fig


def pairs_figure(posterior, names: list[str], priors: dict, title: str) -> Figure | None:
    """Every pair of fitted parameters: the particles, sized by weight, over the prior box (identifiability)."""
    from ecosim.calibrate.engine import weighted_corr

    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    if not pairs:
        return None
    fig = _figure(max(4.6, 3.4 * len(pairs)), 3.4)
    w = posterior["weight"].to_numpy()
    size = 6 + 60 * w / w.max()
    for i, (a, b) in enumerate(pairs):
        ax = fig.add_subplot(1, len(pairs), i + 1)
        ax.scatter(posterior[a], posterior[b], s=size, color=st.SECOND, alpha=0.6, linewidths=0)
        r = weighted_corr(posterior[[a, b]], w).iat[0, 1]
        for name, setter in ((a, ax.set_xlim), (b, ax.set_ylim)):
            p = priors[name]
            setter(p.low, p.high)
        if priors[a].prior == "loguniform":
            ax.set_xscale("log")
        if priors[b].prior == "loguniform":
            ax.set_yscale("log")
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        ax.set_title(f"posterior correlation {r:+.2f}", fontsize=st.LABEL_SIZE)
    fig.suptitle(f"{title}: parameter pairs that fit the observed weeks", fontsize=st.TITLE_SIZE)
    return fig


def _bands(ax, bands, stat: str, colour: str, label: str) -> None:
    b = bands[bands["statistic"] == stat]
    ax.fill_between(b["week"], b["p5"], b["p95"], color=colour, alpha=0.18, lw=0, label=f"{label}: 90% band")
    ax.fill_between(b["week"], b["p25"], b["p75"], color=colour, alpha=0.35, lw=0, label=f"{label}: 50% band")
    ax.plot(b["week"], b["p50"], color=colour, lw=1.5, label=f"{label}: median")


def ppc_figure(result: CalibrationResult) -> Figure:
    """Posterior predictive check: observed points over bands of series simulated from the posterior."""
    stats = list(dict.fromkeys(result.observed["statistic"]))
    fig = _figure(4.0 * len(stats), 3.2)
    last = result.weeks_observed
    for i, stat in enumerate(stats):
        ax = fig.add_subplot(1, len(stats), i + 1)
        bands = result.forecast[result.forecast["week"] <= last]
        _bands(ax, bands, stat, st.SECOND, "simulated")
        obs = result.observed[result.observed["statistic"] == stat]
        ax.plot(obs["week"], obs["value"], "o", color=st.CONTRIBUTOR, ms=4, label="observed")
        ax.set_xlabel("week since launch")
        ax.set_ylabel(outcome_words(stat))
        ax.set_ylim(bottom=0)
        if i == 0:
            ax.legend(fontsize=st.SMALL_SIZE, frameon=False)
    fig.suptitle(f"{result.scenario_name}: observed weeks against the fitted model", fontsize=st.TITLE_SIZE)
    return fig


def forecast_figure(result: CalibrationResult) -> Figure:
    """Bands of weekly active share and contributors to the horizon, the observed points and the verdict odds."""
    fig = _figure(7.5, 4.2)
    ax = fig.add_subplot()
    st.ghost_band(ax, result.ghost_town_below)
    st.thriving_line(ax, result.thriving_at)
    _bands(ax, result.forecast, "active_share", st.ACTIVE, "active")
    _bands(ax, result.forecast, "contributor_share", st.CONTRIBUTOR, "contributors")
    for stat, colour in (("active_share", st.ACTIVE), ("contributor_share", st.CONTRIBUTOR)):
        obs = result.observed[result.observed["statistic"] == stat]
        ax.plot(obs["week"], obs["value"], "o", color=colour, ms=3.5, mec="white", mew=0.5)
    ax.axvline(result.weeks_observed + 0.5, color=st.TIE, lw=1, ls=":")
    ax.set_xlabel("week since launch")
    ax.set_ylabel("share of learners")
    ax.set_ylim(0, 1)
    odds = ", ".join(f"{VERDICT_WORDS[k]} {v:.0%}" for k, v in result.verdicts.items())
    ax.set_title(f"{result.scenario_name}: forecast to week {result.weeks_forecast} ({odds})", fontsize=st.TITLE_SIZE)
    ax.legend(fontsize=st.SMALL_SIZE, frameon=False, ncol=2, loc="upper right")
    return fig


def what_if_figure(result: CalibrationResult) -> Figure | None:
    """Each what-if's change in the final active and contributor shares: median and 90% interval."""
    wi = result.what_ifs
    if wi.empty:
        return None
    outcomes = ("final_active_share", "final_contributor_share")
    labels = list(dict.fromkeys(wi["what_if"]))
    fig = _figure(7.5, 1.2 + 0.6 * len(labels) * len(outcomes))
    ax = fig.add_subplot()
    y = 0
    ticks, names = [], []
    for label in labels:
        for k, colour in zip(outcomes, (st.ACTIVE, st.CONTRIBUTOR)):
            row = wi[(wi["what_if"] == label) & (wi["outcome"] == k)].iloc[0]
            ax.plot([row.change_p5, row.change_p95], [y, y], color=colour, lw=2)
            ax.plot(row.change_median, y, "o", color=colour)
            ticks.append(y)
            names.append(f"{label}\n{outcome_words(k)}")
            y -= 1
        y -= 0.5
    ax.axvline(0, color=st.TIE, lw=1)
    ax.set_yticks(ticks, names, fontsize=st.SMALL_SIZE)
    ax.set_xlabel("change against doing nothing (share of learners; median and 90% interval)")
    ax.set_title(f"{result.scenario_name}: what-ifs under the posterior (same draws and seeds)", fontsize=st.TITLE_SIZE)
    return fig


# ------------------------------------------------------------------------------------------------
# The plain-words report
# ------------------------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def report_markdown(result: CalibrationResult) -> str:
    """calibration.md: the fit, the forecast and the what-ifs in plain words, for the strategist."""
    s = result.summary
    lines = [
        f"# Calibration of {result.scenario_name}",
        "",
        f"ecosim fitted {len(result.fitted)} parameter(s) to {result.observed_weeks} with "
        f"approximate Bayesian computation (pyabc ABC-SMC: {len(result.generations)} generations, "
        f"{int(result.timings.get('simulations', 0)):,} simulations, seed {result.seed}), simulating "
        f"{result.learners:,} learners. {len(result.posterior)} weighted particles remain; their effective "
        f"sample size is {s['effective_sample_size']:.0f}.",
        "",
        "## What the observed weeks say",
        "",
        "| parameter | prior | median | 50% interval | 90% interval |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in result.fitted:
        p = result.priors[name]
        q = s["parameters"][name]
        lines.append(
            f"| `{name}` | {p.prior} {p.low:g} to {p.high:g} | {q['median']:.3g} | "
            f"{q['interval_50'][0]:.3g} to {q['interval_50'][1]:.3g} | "
            f"{q['interval_90'][0]:.3g} to {q['interval_90'][1]:.3g} |"
        )
    lines.append("")
    for name in result.fitted:
        p = result.priors[name]
        lo, hi = s["parameters"][name]["interval_90"]
        narrowed = (hi - lo) / (p.high - p.low)
        if p.prior == "loguniform":
            narrowed = np.log(hi / lo) / np.log(p.high / p.low)
        words = (
            "pinned down well"
            if narrowed < 0.35
            else "narrowed somewhat"
            if narrowed < 0.75
            else "hardly narrowed: the data say little about it"
        )
        lines.append(f"- `{name}`: the 90% interval covers {narrowed:.0%} of the prior's range ({words}).")
    if len(result.fitted) > 1:
        corr = result.correlation
        pairs = [
            (a, b, corr.at[a, b])
            for i, a in enumerate(result.fitted)
            for b in result.fitted[i + 1 :]
            if abs(corr.at[a, b]) >= 0.5
        ]
        for a, b, r in pairs:
            direction = "higher" if r > 0 else "lower"
            lines.append(
                f"- `{a}` and `{b}` trade off (posterior correlation {r:+.2f}): a higher `{a}` with a {direction} "
                f"`{b}` fits the weeks about as well, so the data pin down a combination of the two more than either."
            )
    lines += [
        "",
        "![Posterior against prior](posterior.png)",
        "",
        "## Does the fitted model reproduce the observed weeks?",
        "",
        "The points are the observed weeks; the bands are weeks simulated from the posterior (50% and 90%). Points "
        "well outside the 90% band mean the model cannot reproduce that part of the data with these parameters.",
        "",
    ]
    for stat in dict.fromkeys(result.observed["statistic"]):
        obs = result.observed[result.observed["statistic"] == stat]
        b = result.forecast[result.forecast["statistic"] == stat].set_index("week")
        inside = [b.at[w, "p5"] <= v <= b.at[w, "p95"] for w, v in zip(obs["week"], obs["value"]) if w in b.index]
        lines.append(f"- {outcome_words(stat)}: {sum(inside)} of {len(inside)} observed weeks inside the 90% band.")
    if result.check is not None:
        words = {k: outcome_words(k) for k in result.check.table["statistic"]}
        lines += ["", "**The shape of the curves.** " + result.check.sentence(words), ""]
        if not result.check.table.empty:
            lines += [
                "| series | shape | observed | simulated (90% range) | tail probability |",
                "| --- | --- | --- | --- | --- |",
            ]
            for r in result.check.table.itertuples():
                lines.append(
                    f"| {outcome_words(r.statistic)} | {SHAPES[r.shape]} | {r.observed:.3g} | "
                    f"{r.p5:.3g} to {r.p95:.3g} | {r.tail_probability:.2f} |"
                )
            lines += [
                "",
                "The check is one test of all the shapes at once (how far the observed shapes lie from the "
                "simulated ones, against how far the simulated ones lie from each other); it fails when fewer "
                "than 5% of the simulated series are as unusual as the observed. The per-shape tail "
                "probabilities say what a failing model misses.",
            ]
    lines += [
        "",
        "![Posterior predictive check](ppc.png)",
        "",
        f"## Where it is heading: week {result.weeks_forecast}",
        "",
    ]
    fa = result.forecast[(result.forecast["statistic"] == "active_share")].iloc[-1]
    fc = result.forecast[(result.forecast["statistic"] == "contributor_share")].iloc[-1]
    odds = ", ".join(f"{VERDICT_WORDS[k]} {v:.0%}" for k, v in result.verdicts.items())
    lines += [
        f"Over {len(result.draws)} draws from the posterior, each simulated to week {result.weeks_forecast}:",
        "",
        f"- weekly active share at the end: {_pct(fa.p50)} (90% band {_pct(fa.p5)} to {_pct(fa.p95)});",
        f"- contributors at the end: {_pct(fc.p50)} (90% band {_pct(fc.p5)} to {_pct(fc.p95)});",
        f"- the verdict at the end: {odds}.",
        "",
        "![Forecast](forecast.png)",
        "",
    ]
    if not result.what_ifs.empty:
        lines += [
            "## What-ifs",
            "",
            "Each lever is simulated with the same posterior draws and the same seeds as doing nothing (common random "
            "numbers), so the change is the lever's effect, not chance.",
            "",
            "| what-if | outcome | as is | with it | change (median, 90% interval) | chance it helps |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for row in result.what_ifs.itertuples():
            lines.append(
                f"| `{row.what_if}` | {outcome_words(row.outcome)} | {_pct(row.as_is_median)} | "
                f"{_pct(row.what_if_median)} | "
                f"{100 * row.change_median:+.1f} points ({100 * row.change_p5:+.1f} to {100 * row.change_p95:+.1f}) | "
                f"{row.p_better:.0%} |"
            )
        lines.append("")
        for label, odds_map in _wv(result).items():
            text = ", ".join(f"{VERDICT_WORDS[k]} {v:.0%}" for k, v in odds_map.items())
            lines.append(f"- with `{label}`, the verdict at the end: {text}.")
        lines += ["", "![What-ifs](what_ifs.png)", ""]
    if result.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in result.notes] + [""]
    lines += [
        "## How to read this",
        "",
        "The intervals are the model's, given its structure: they are honest about what the observed weeks leave "
        "open, not about what the model leaves out. A short or noisy series leaves wide intervals; "
        "docs/calibration.md explains the method and its checks.",
        "",
    ]
    return "\n".join(lines)
