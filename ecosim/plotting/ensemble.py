"""Figures of an ensemble: the weekly median and 90% band over the runs, one representative run in full.

Interventions are marked where they were applied: a dashed line at each week the representative run
changed its levers, and ticks along the top where other runs did (a condition may fire in different
weeks on different seeds).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ecosim.plotting import style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ecosim.ensemble import Ensemble

ENSEMBLE_FIGURES = ("engagement.png", "knowledge.png", "network.png")
#: Opacity of a 90% band, in the colour of its median line.
BAND_ALPHA = 0.18


def _figure(width: float = 7.0, height: float = 4.4) -> Figure:
    return style.figure(width, height, dpi=100)


def _percent(ax: Axes) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def banded(ax: Axes, weeks: np.ndarray, median: np.ndarray, low: np.ndarray, high: np.ndarray, colour: str, label: str):
    """A median line with its 90% band in the same colour."""
    ax.fill_between(weeks, low, high, color=colour, alpha=BAND_ALPHA, lw=0)
    ax.plot(weeks, median, color=colour, lw=2, label=f"{label}: median, 90% of runs shaded")


def intervention_marks(ax: Axes, ens: Ensemble) -> None:
    """Dashed lines where the representative run applied interventions; ticks where any run did."""
    applied = ens.series["interventions"]
    weeks = ens.series["week"][0]
    if not applied.any():
        return
    share = (applied > 0).mean(axis=0)
    for week, s in zip(weeks[share > 0], share[share > 0], strict=True):
        ax.plot([week, week], [0.965, 1.0], color=style.FACILITATOR, lw=1 + 3 * s, solid_capstyle="butt")
    mine = weeks[applied[ens.representative] > 0]
    for k, week in enumerate(mine):
        ax.axvline(
            week, color=style.FACILITATOR, ls=":", lw=1.2, label="intervention (representative run)" if k == 0 else None
        )


def engagement(ens: Ensemble) -> Figure:
    """Weekly active and contributor shares over the runs, the representative run, ghost-town band, thriving line."""
    v = ens.scenario.verdict
    weeks = ens.series["week"][0]
    rep = ens.representative
    fig = _figure()
    ax = fig.add_subplot()
    banded(ax, weeks, *ens.band("active_share"), style.ACTIVE, "visited this week")
    banded(ax, weeks, *ens.band("contributor_share"), style.CONTRIBUTOR, "posted this week")
    ax.plot(
        weeks,
        ens.series["active_share"][rep],
        color=style.ACTIVE,
        lw=0.9,
        ls="--",
        label=f"seed {ens.seeds[rep]} (representative run)",
    )
    ax.plot(weeks, ens.series["contributor_share"][rep], color=style.CONTRIBUTOR, lw=0.9, ls="--")
    style.ghost_band(ax, v.ghost_town_below)
    style.thriving_line(ax, v.thriving_at)
    intervention_marks(ax, ens)
    ax.set_ylim(0, 1)
    _percent(ax)
    ax.set_xlim(weeks.min(), weeks.max())
    ax.set_xlabel("week")
    ax.set_ylabel("share of learners")
    common = ens.verdicts.most_common(1)[0][0]
    lines = style.verdict_note(ax, f"Verdict: {ens.verdict_text()}", common)
    ax.set_title(
        f"{ens.scenario.name}: who comes to the platform ({len(ens.seeds)} runs)",
        fontsize=style.SUPTITLE_SIZE,
        pad=6 + 12 * lines,
    )
    ax.legend(loc="upper right", fontsize=style.LEGEND_SIZE, frameon=False)
    return fig


def knowledge(ens: Ensemble) -> Figure:
    """Mean knowledge, capability on the organisation's topics and the organisational code over the runs."""
    weeks = ens.series["week"][0]
    rep = ens.representative
    fig = _figure()
    ax = fig.add_subplot()
    # the two measures of what people know differ only by the weight of each topic: when their
    # medians stay within two points, one band says it (as in the single run's figure)
    close = bool(np.nanmax(np.abs(ens.band("mean_knowledge")[0] - ens.band("org_capability")[0]), initial=0) < 0.02)
    series = [("mean_knowledge", style.ACTIVE, "what people know, on average")]
    if close:
        series[0] = (*series[0][:2], "what people know (on the organisation's topics: within 2 points)")
    else:
        series.append(("org_capability", style.GOOD, "what people know of the organisation's topics"))
    series.append(("org_code_knowledge", style.FACILITATOR, "the organisation's playbook"))
    for column, colour, label in series:
        banded(ax, weeks, *ens.band(column), colour, label)
        ax.plot(weeks, ens.series[column][rep], color=colour, lw=0.9, ls="--")
    ax.plot([], [], color=style.MUTED, lw=0.9, ls="--", label=f"seed {ens.seeds[rep]} (representative run)")
    intervention_marks(ax, ens)
    ax.set_ylim(0, 1)
    _percent(ax)
    ax.set_xlim(weeks.min(), weeks.max())
    ax.set_xlabel("week")
    ax.set_ylabel("share of good practice known")
    ax.set_title(
        f"{ens.scenario.name}: what the organisation learns ({len(ens.seeds)} runs)", fontsize=style.SUPTITLE_SIZE
    )
    ax.legend(loc="lower right", fontsize=style.LEGEND_SIZE, frameon=False)
    return fig


save = style.save


def render_ensemble(out: Path, ens: Ensemble, *, also: Callable[[], None] | None = None) -> list[str]:
    """Write the ensemble's figures into ``out``; returns their file names.

    Where the machine has two cores and can fork, each figure after the first is drawn by a process
    forked from this one (Matplotlib is loaded already) while this one draws the first. ``also()``,
    if given, runs here meanwhile (writing the tables, say).
    """
    from ecosim.plotting.process import in_processes
    from ecosim.plotting.run import network

    jobs = [lambda: save(engagement(ens), out / "engagement.png"), lambda: save(knowledge(ens), out / "knowledge.png")]
    files = ["engagement.png", "knowledge.png"]
    if ens.network is not None:
        jobs.append(lambda: save(network(ens.network), out / "network.png"))
        files.append("network.png")
    side = [also] if also is not None else []
    in_processes([jobs[0], *side], *([job] for job in jobs[1:]))
    return files


#: Colours of the scenarios of a comparison, the baseline first.
SCENARIO_COLOURS = (style.MUTED, style.ACTIVE, style.CONTRIBUTOR, style.GOOD, style.FACILITATOR, style.SECOND)


def _colour(k: int) -> str:
    return SCENARIO_COLOURS[k % len(SCENARIO_COLOURS)]


def comparison_active(result) -> Figure:
    """The weekly active share of every scenario, median and 90% band, overlaid."""
    first = result.ensembles[0]
    v = first.scenario.verdict
    fig = _figure()
    ax = fig.add_subplot()
    for k, (name, ens) in enumerate(zip(result.names, result.ensembles, strict=True)):
        weeks = ens.series["week"][0]
        banded(ax, weeks, *ens.band("active_share"), _colour(k), name)
        applied = (ens.series["interventions"] > 0).mean(axis=0)
        for week, s in zip(weeks[applied > 0], applied[applied > 0], strict=True):
            ax.plot([week, week], [0.965, 1.0], color=_colour(k), lw=1 + 3 * s, solid_capstyle="butt")
    style.ghost_band(ax, v.ghost_town_below)
    style.thriving_line(ax, v.thriving_at)
    ax.set_ylim(0, 1)
    _percent(ax)
    ax.set_xlim(1, first.scenario.weeks)
    ax.set_xlabel("week (ticks at the top: interventions, thicker where more runs applied one)")
    ax.set_ylabel("weekly active share")
    runs = len(first.seeds)
    ax.set_title(
        f"Weekly active share over {runs} {'shared ' if result.paired else ''}seeds", fontsize=style.SUPTITLE_SIZE
    )
    ax.legend(loc="upper right", fontsize=style.LEGEND_SIZE, frameon=False)
    return fig


def comparison_differences(result) -> Figure:
    """Each scenario minus the first: weekly active share by week and the outcomes at the end, with 95% intervals."""
    from scipy import stats

    from ecosim.comparison import CONFIDENCE, OUTCOMES

    fig = _figure(11.0, 4.4)
    ax = fig.add_subplot(1, 2, 1)
    base = result.ensembles[0]
    weeks = base.series["week"][0]
    for k, (name, ens) in enumerate(zip(result.names, result.ensembles, strict=True)):
        if k == 0:
            continue
        if result.paired:
            d = ens.series["active_share"] - base.series["active_share"]
            mean = d.mean(axis=0)
            sem = d.std(axis=0, ddof=1) / np.sqrt(d.shape[0]) if d.shape[0] > 1 else np.zeros_like(mean)
        else:
            a, b = ens.series["active_share"], base.series["active_share"]
            mean = a.mean(axis=0) - b.mean(axis=0)
            sem = np.sqrt(a.var(axis=0, ddof=1) / a.shape[0] + b.var(axis=0, ddof=1) / b.shape[0])
        half = stats.t.ppf(0.5 + CONFIDENCE / 2, max(1, d.shape[0] - 1) if result.paired else max(1, a.shape[0] - 1))
        ax.fill_between(weeks, 100 * (mean - half * sem), 100 * (mean + half * sem), color=_colour(k), alpha=0.2, lw=0)
        ax.plot(weeks, 100 * mean, color=_colour(k), lw=2, label=name)
    ax.axhline(0, color=style.MUTED, lw=0.8)
    ax.set_xlim(weeks.min(), weeks.max())
    ax.set_xlabel("week")
    ax.set_ylabel("difference in weekly active share (points)")
    ax.set_title(f"Difference by week, mean and {CONFIDENCE:.0%} interval", fontsize=style.TITLE_SIZE)
    ax.legend(loc="best", fontsize=style.LEGEND_SIZE, frameon=False)

    ax = fig.add_subplot(1, 2, 2)
    o = result.outcomes
    shown = [(key, label) for key, label, kind, _ in OUTCOMES if kind == "points"]
    n = len(result.names) - 1
    for k, name in enumerate(result.names[1:], start=1):
        rows = o[o["scenario"] == name].set_index("outcome")
        y = np.arange(len(shown)) + (k - (n + 1) / 2) * 0.8 / max(n, 1)
        mean = np.array([100 * rows.loc[key, "difference"] for key, _ in shown])
        low = np.array([100 * rows.loc[key, "difference_low95"] for key, _ in shown])
        high = np.array([100 * rows.loc[key, "difference_high95"] for key, _ in shown])
        ax.errorbar(mean, y, xerr=[mean - low, high - mean], fmt="o", ms=4, color=_colour(k), capsize=2, label=name)
    ax.axvline(0, color=style.MUTED, lw=0.8)
    ax.set_yticks(np.arange(len(shown)), [label for _, label in shown], fontsize=style.SMALL_SIZE)
    ax.invert_yaxis()
    ax.set_xlabel(f"difference (points), {CONFIDENCE:.0%} interval")
    ax.set_title("At the end of the run", fontsize=style.TITLE_SIZE)
    return fig


def render_comparison(out: Path, result) -> list[str]:
    """Write a comparison's figures into ``out``; returns their file names."""
    save(comparison_active(result), out / "active_share.png")
    save(comparison_differences(result), out / "differences.png")
    return ["active_share.png", "differences.png"]
