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

from ecosim.figures import ENGAGEMENT_COLOURS, _figure
from ecosim.io import write_with

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ecosim.ensemble import Ensemble

ENSEMBLE_FIGURES = ("engagement.png", "knowledge.png", "network.png")
ACTIVE = "#1f3b73"
CONTRIBUTOR = ENGAGEMENT_COLOURS[2]
GOOD = "#3a7d44"
FACILITATOR = "#7b3294"
MUTED = "#555555"


def banded(ax: Axes, weeks: np.ndarray, median: np.ndarray, low: np.ndarray, high: np.ndarray, colour: str, label: str):
    """A median line with its 90% band in the same colour."""
    ax.fill_between(weeks, low, high, color=colour, alpha=0.18, lw=0)
    ax.plot(weeks, median, color=colour, lw=2, label=f"{label}: median, 90% of runs shaded")


def intervention_marks(ax: Axes, ens: Ensemble) -> None:
    """Dashed lines where the representative run applied interventions; ticks where any run did."""
    applied = ens.series["interventions"]
    weeks = ens.series["week"][0]
    if not applied.any():
        return
    share = (applied > 0).mean(axis=0)
    for week, s in zip(weeks[share > 0], share[share > 0], strict=True):
        ax.plot([week, week], [0.965, 1.0], color=FACILITATOR, lw=1 + 3 * s, solid_capstyle="butt")
    mine = weeks[applied[ens.representative] > 0]
    for k, week in enumerate(mine):
        ax.axvline(
            week, color=FACILITATOR, ls=":", lw=1.2, label="intervention (representative run)" if k == 0 else None
        )


def engagement(ens: Ensemble) -> Figure:
    """Weekly active and contributor shares over the runs, the representative run, ghost-town band, thriving line."""
    v = ens.scenario.verdict
    weeks = ens.series["week"][0]
    rep = ens.representative
    fig = _figure()
    ax = fig.add_subplot()
    banded(ax, weeks, *ens.band("active_share"), ACTIVE, "weekly active")
    banded(ax, weeks, *ens.band("contributor_share"), CONTRIBUTOR, "contributors")
    ax.plot(
        weeks,
        ens.series["active_share"][rep],
        color=ACTIVE,
        lw=0.9,
        ls="--",
        label=f"seed {ens.seeds[rep]} (representative run)",
    )
    ax.plot(weeks, ens.series["contributor_share"][rep], color=CONTRIBUTOR, lw=0.9, ls="--")
    ax.axhspan(
        0, v.ghost_town_below, color="#f1c9c9", alpha=0.5, lw=0, label=f"ghost town (< {v.ghost_town_below:.0%})"
    )
    ax.axhline(v.thriving_at, color=GOOD, ls="--", lw=1, label=f"thriving ({v.thriving_at:.0%}+)")
    intervention_marks(ax, ens)
    ax.set_ylim(0, 1)
    ax.set_xlim(weeks.min(), weeks.max())
    ax.set_xlabel("week")
    ax.set_ylabel("share of learners")
    ax.set_title(f"{ens.scenario.name}: who comes ({ens.verdict_text()})", fontsize=9)
    ax.legend(loc="upper right", fontsize=7, frameon=False)
    return fig


def knowledge(ens: Ensemble) -> Figure:
    """Mean knowledge, capability on the organisation's topics and the organisational code over the runs."""
    weeks = ens.series["week"][0]
    rep = ens.representative
    fig = _figure()
    ax = fig.add_subplot()
    for column, colour, label in (
        ("mean_knowledge", ACTIVE, "mean individual knowledge"),
        ("org_capability", GOOD, "capability on the organisation's topics"),
        ("org_code_knowledge", FACILITATOR, "organisational code"),
    ):
        banded(ax, weeks, *ens.band(column), colour, label)
        ax.plot(weeks, ens.series[column][rep], color=colour, lw=0.9, ls="--")
    ax.plot([], [], color=MUTED, lw=0.9, ls="--", label=f"seed {ens.seeds[rep]} (representative run)")
    intervention_marks(ax, ens)
    ax.set_ylim(0, 1)
    ax.set_xlim(weeks.min(), weeks.max())
    ax.set_xlabel("week")
    ax.set_ylabel("share of practice dimensions right")
    ax.set_title(f"{ens.scenario.name}: what the organisation learns ({len(ens.seeds)} runs)")
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return fig


def save(fig: Figure, path: Path) -> None:
    """Write ``fig`` as a PNG under a temporary name, then rename it (light compression: quicker, as small)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    write_with(path, lambda tmp: fig.savefig(tmp, format="png", pil_kwargs={"compress_level": 1}))


def render_ensemble(out: Path, ens: Ensemble, *, also: Callable[[], None] | None = None) -> list[str]:
    """Write the ensemble's figures into ``out``; returns their file names.

    The figures are drawn by two processes where the machine has two cores and can fork: this one
    and one forked from it (Matplotlib is loaded already), which draws the knowledge and network
    figures. ``also()``, if given, runs here meanwhile (writing the tables, say).
    """
    from ecosim.figures import network

    jobs = [lambda: save(engagement(ens), out / "engagement.png"), lambda: save(knowledge(ens), out / "knowledge.png")]
    files = ["engagement.png", "knowledge.png"]
    if ens.network is not None:
        jobs.append(lambda: save(network(ens.network), out / "network.png"))
        files.append("network.png")
    side = [also] if also is not None else []
    in_two_processes(jobs[:1] + side, jobs[1:])
    return files


def in_two_processes(here: list[Callable[[], None]], there: list[Callable[[], None]]) -> None:
    """Run ``here`` in this process and ``there`` in a child forked from it, at the same time.

    Without fork or a second core, everything runs here. A failure in the child raises here, with
    the child's traceback.
    """
    import multiprocessing as mp

    from ecosim.ensemble import available_cores, can_fork

    if not there or available_cores() < 2 or not can_fork():
        for job in here + there:
            job()
        return
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(there, send), name="ecosim-figures", daemon=True)
    child.start()
    send.close()
    try:
        for job in here:
            job()
    finally:
        failure = receive.recv() if receive.poll(600) else "the drawing process gave no answer"
        child.join()
        receive.close()
    if failure:
        raise RuntimeError(f"drawing the figures failed: {failure}")


def _child(jobs: list[Callable[[], None]], send) -> None:
    import traceback

    try:
        for job in jobs:
            job()
    except BaseException:  # reported to the parent, which raises it
        send.send(traceback.format_exc())
    else:
        send.send("")
    finally:
        send.close()


#: Colours of the scenarios of a comparison, the baseline first.
SCENARIO_COLOURS = ("#555555", "#1f3b73", "#e8590c", "#3a7d44", "#7b3294", "#b8860b", "#17becf", "#8c564b")


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
    ax.axhspan(
        0, v.ghost_town_below, color="#f1c9c9", alpha=0.5, lw=0, label=f"ghost town (< {v.ghost_town_below:.0%})"
    )
    ax.axhline(v.thriving_at, color=GOOD, ls="--", lw=1, label=f"thriving ({v.thriving_at:.0%}+)")
    ax.set_ylim(0, 1)
    ax.set_xlim(1, first.scenario.weeks)
    ax.set_xlabel("week (ticks at the top: interventions applied, thicker where more runs applied one)")
    ax.set_ylabel("weekly active share")
    runs = len(first.seeds)
    ax.set_title(f"Weekly active share over {runs} {'shared ' if result.paired else ''}seeds", fontsize=10)
    ax.legend(loc="upper right", fontsize=7, frameon=False)
    return fig


def comparison_differences(result) -> Figure:
    """Each scenario minus the first: weekly active share by week and the outcomes at the end, with 95% intervals."""
    from scipy import stats

    from ecosim.comparison import CONFIDENCE, OUTCOMES

    fig = _figure(10.0, 4.2)
    ax = fig.add_axes((0.07, 0.13, 0.38, 0.77))
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
    ax.axhline(0, color=MUTED, lw=0.8)
    ax.set_xlim(weeks.min(), weeks.max())
    ax.set_xlabel("week")
    ax.set_ylabel("difference in weekly active share (points)")
    ax.set_title(f"Difference by week, mean and {CONFIDENCE:.0%} interval", fontsize=9)
    ax.legend(loc="best", fontsize=7, frameon=False)

    ax = fig.add_axes((0.72, 0.13, 0.26, 0.77))
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
    ax.axvline(0, color=MUTED, lw=0.8)
    ax.set_yticks(np.arange(len(shown)), [label for _, label in shown], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(f"difference (points), {CONFIDENCE:.0%} interval")
    ax.set_title("At the end of the run", fontsize=9)
    return fig


def render_comparison(out: Path, result) -> list[str]:
    """Write a comparison's figures into ``out``; returns their file names."""
    save(comparison_active(result), out / "active_share.png")
    save(comparison_differences(result), out / "differences.png")
    return ["active_share.png", "differences.png"]
