"""Figures of a run, drawn with Matplotlib's object API (no pyplot, no global state)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ecosim.plotting import style

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from ecosim.core.model import EcosystemModel

FIGURE_FILES = ("engagement.png", "knowledge.png", "content.png", "network.png")


def _figure(width: float = 7.0, height: float = 4.0) -> Figure:
    # the layout engine keeps every label inside the canvas (tests check it)
    return style.figure(width, height, dpi=100)


def _weeks(ax, ts) -> None:
    ax.set_xlim(ts["week"].min(), ts["week"].max())
    ax.set_xlabel("week")


def engagement(
    ts: pd.DataFrame,
    name: str,
    ghost: float,
    thriving: float,
    verdict: str | None = None,
    verdict_key: str | None = None,
) -> Figure:
    """Weekly active and contributor shares against the ghost-town band and the thriving line, with the verdict."""
    from matplotlib.ticker import PercentFormatter

    fig = _figure(7.0, 4.4)
    ax = fig.add_subplot()
    ax.plot(ts["week"], ts["active_share"], color=style.ACTIVE, lw=2, label="visited this week")
    ax.plot(ts["week"], ts["contributor_share"], color=style.CONTRIBUTOR, lw=2, label="posted this week")
    style.ghost_band(ax, ghost)
    style.thriving_line(ax, thriving)
    if "interventions" in ts:  # the weeks in which the scenario's interventions were applied
        applied = np.asarray(ts["week"])[np.asarray(ts["interventions"]) > 0]
        for k, week in enumerate(applied):
            ax.axvline(week, color=style.FACILITATOR, ls=":", lw=1.2, label="intervention" if k == 0 else None)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    _weeks(ax, ts)
    ax.set_ylabel("share of learners")
    lines = style.verdict_note(ax, verdict, verdict_key) if verdict else 0
    ax.set_title(f"{name}: who comes to the platform", fontsize=style.SUPTITLE_SIZE, pad=6 + 12 * lines)
    ax.legend(loc="upper right", fontsize=style.LEGEND_SIZE, frameon=False)
    return fig


def band(
    ax, weeks: np.ndarray, runs: np.ndarray, colour: str, label: str, *, low: float = 10, high: float = 90
) -> None:
    """The median of ``runs`` (a row per run, a column per week) as a line, percentiles ``low``-``high`` as a band."""
    lo, mid, hi = np.percentile(np.asarray(runs, dtype=float), [low, 50, high], axis=0)
    ax.fill_between(weeks, lo, hi, color=colour, alpha=0.15, lw=0)
    ax.plot(weeks, mid, color=colour, lw=2, label=label)


def scenarios(series: dict[str, tuple[np.ndarray, str]], ghost: float, thriving: float, title: str) -> Figure:
    """Weekly active share of several scenarios over many seeds: per scenario, the median and the 10-90% band.

    ``series`` maps each scenario's label to (runs, colour), runs with one row per seed.
    """
    from matplotlib.ticker import PercentFormatter

    fig = _figure(8.0, 4.5)
    ax = fig.add_subplot()
    for label, (runs, colour) in series.items():
        band(ax, np.arange(1, np.shape(runs)[1] + 1), runs, colour, label)
    style.ghost_band(ax, ghost)
    style.thriving_line(ax, thriving, style.MUTED)  # green is a scenario's colour here
    weeks = max(np.shape(runs)[1] for runs, _ in series.values())
    ax.set_xlim(1, weeks)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("week after launch")
    ax.set_ylabel("weekly active share")
    ax.set_title(style.wrap(title, 90), fontsize=style.SUPTITLE_SIZE)
    ax.legend(loc="upper right", fontsize=style.LEGEND_SIZE, frameon=False)
    return fig


def knowledge(ts: pd.DataFrame, name: str) -> Figure:
    """What people know of good practice, on average and on the organisation's topics, and the organisation's code."""
    from matplotlib.ticker import PercentFormatter

    fig = _figure()
    ax = fig.add_subplot()
    person = np.asarray(ts["mean_knowledge"], dtype=float)
    topics = np.asarray(ts["org_capability"], dtype=float)
    # the two measures of what people know differ only by the weight of each topic; when they
    # stay within two points, one line says it and the legend says the other agrees
    close = bool(np.nanmax(np.abs(person - topics), initial=0.0) < 0.02)
    label = "what people know, on average" + (
        " (on the organisation's topics: the same, within 2 points)" if close else ""
    )
    ax.plot(ts["week"], person, lw=2, color=style.ACTIVE, label=label)
    if not close:
        ax.plot(ts["week"], topics, lw=2, color=style.GOOD, label="what people know of the organisation's topics")
    ax.plot(
        ts["week"],
        ts["org_code_knowledge"],
        lw=2,
        ls="--",
        color=style.FACILITATOR,
        label="the organisation's playbook",
    )
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    _weeks(ax, ts)
    ax.set_ylabel("share of good practices known")
    ax.set_title(f"{name}: what the organisation learns", fontsize=style.SUPTITLE_SIZE)
    ax.legend(loc="lower right", fontsize=style.LEGEND_SIZE, frameon=False)
    return fig


def content(ts: pd.DataFrame, name: str) -> Figure:
    """Live posts (decaying) above, the posts written each week by learners and by facilitators below; each from 0."""
    fig = _figure(7.0, 5.0)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1.2, 1])
    top.fill_between(ts["week"], ts["content_stock"], color=style.BAND, lw=0, label="live posts (older posts fade)")
    top.set_ylim(bottom=0)
    top.set_ylabel("live posts")
    top.legend(loc="upper left", fontsize=style.LEGEND_SIZE, frameon=False)
    bottom.step(ts["week"], ts["posts"], where="mid", color=style.CONTRIBUTOR, lw=1.5, label="by learners")
    bottom.step(ts["week"], ts["seeded_posts"], where="mid", color=style.FACILITATOR, lw=1.5, label="by facilitators")
    bottom.set_ylim(bottom=0)
    bottom.set_ylabel("posts written\nthis week")
    bottom.legend(loc="upper right", fontsize=style.LEGEND_SIZE, frameon=False, ncol=2)
    _weeks(bottom, ts)
    top.set_title(f"{name}: content on the platform", fontsize=style.SUPTITLE_SIZE)
    for ax in (top, bottom):
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True, min_n_ticks=2))
    return fig


def network_data(model: EcosystemModel, max_learners: int = 2000) -> dict:
    """What the network figure draws, as plain arrays (computed without Matplotlib)."""
    from ecosim.core.network import HEAD_OFFICE
    from ecosim.layout import organisation_layout, sample_rows
    from ecosim.words import words

    w = words(model.params)
    ties = model.ties
    rows = sample_rows(ties, max_learners, np.random.default_rng(0))
    pos = organisation_layout(ties)
    keep = np.zeros(ties.n, dtype=bool)
    keep[rows] = True
    segments = []
    brokered = 0
    if not ties.complete:
        for k, (i, j) in enumerate((ties.base_edges(), ties.brokered_edges())):
            sel = keep[i] & keep[j]
            segments.append(np.stack([pos[i[sel]], pos[j[sel]]], axis=1))
            if k == 1:
                brokered = int(i.size)
    # where to name the parts of the organisation: each region at its drawn members' centre,
    # pushed outward; head office at its centre
    places = []
    region, store = ties.region[rows], ties.store[rows]
    regions = np.unique(region[(region >= 0) & (store >= 0)])
    if regions.size > 1:
        for r in regions:
            members = (region == r) & (store >= 0)
            centre = pos[rows[members]].mean(axis=0)
            stores = np.unique(store[members]).size
            places.append((f"{w.site} {r + 1}\n{stores} {w.unit if stores == 1 else w.units}", centre))
    office = ties.role[rows] == HEAD_OFFICE
    if office.any():
        places.append((w.hub, pos[rows[office]].mean(axis=0)))
    s = model.state
    return {
        "name": model.params.name,
        "week": model.week,
        "n": ties.n,
        "shown": rows.size,
        "xy": pos[rows],
        "engagement": s.engagement[rows].copy(),
        "knowledge": np.count_nonzero(s.beliefs[rows] == model.reality, axis=1) / s.beliefs.shape[1],
        "segments": segments,
        "brokered": brokered,
        "places": places,
        "hub": w.hub,
        "units": w.units,
    }


def network(data: dict) -> Figure:
    """The network at the end: who works with whom, coloured by engagement, sized by knowledge, parts named."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    fig = _figure(6.5, 7.0)
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.axis("off")
    # ordinary ties faint grey; brokered ties fainter still in purple, so they do not hide the
    # structure (the legend counts them)
    for segs, colour, alpha in zip(data["segments"], (style.TIE, style.FACILITATOR), (0.15, 0.06), strict=False):
        if len(segs):
            ax.add_collection(LineCollection(segs, colors=colour, linewidths=0.3, alpha=alpha))
    xy = data["xy"]
    colours = np.array(style.ENGAGEMENT_COLOURS)[data["engagement"]]
    # marker area shrinks with the number drawn so a big organisation stays readable, and grows
    # (up to six times) so a small one is not lost on the canvas
    size = (4 + 40 * data["knowledge"]) * float(np.clip(600 / max(len(xy), 1), 0.6, 6.0))
    ax.scatter(xy[:, 0], xy[:, 1], s=size, c=colours, linewidths=0)
    reach = float(np.linalg.norm(xy, axis=1).max()) if len(xy) else 1.0
    for text, (x, y) in data.get("places", []):
        hub = text == data.get("hub", "head office")
        if hub:  # just below its cluster
            where = (x, y - 0.26 * reach)
        else:  # outside the ring of regions, in the region's direction
            where = tuple(np.array([x, y]) / max(float(np.hypot(x, y)), 1e-9) * 1.1 * reach)
        ax.annotate(
            text,
            where,
            ha="center",
            va="center",
            fontsize=style.LABEL_SIZE,
            color=style.INK,
            fontweight="bold" if hub else "normal",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    handles = [
        Line2D([], [], ls="", marker="o", color=c, label=lab)
        for c, lab in zip(style.ENGAGEMENT_COLOURS, ("did not visit", "visited", "posted"), strict=True)
    ]
    handles.append(Line2D([], [], color=style.TIE, label="colleagues"))
    brokered = data.get("brokered", 0)
    handles.append(Line2D([], [], color=style.FACILITATOR, label=f"{brokered:,} introductions by facilitators"))
    ax.legend(
        handles=handles,
        loc="upper center",
        ncol=3,
        fontsize=style.LEGEND_SIZE,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    shown = (
        ""
        if data["shown"] == data["n"]
        else f"\n{data['shown']:,} of {data['n']:,} learners: whole {data.get('units', 'stores')} sampled"
    )
    ax.set_title(
        f"{data['name']}: who works with whom, week {data['week']}\ndot size: what each person knows{shown}",
        fontsize=style.TITLE_SIZE,
    )
    ax.autoscale_view()
    ax.margins(0.12)
    return fig


def payload(ts: pd.DataFrame, model: EcosystemModel, summary: dict | None = None) -> dict:
    """Everything the figures need, as plain data that can be sent to another process."""
    from ecosim.core.metrics import verdict_words

    v = model.params.verdict
    key = summary.get("verdict") if summary else None
    return {
        "name": model.params.name,
        "ghost": v.ghost_town_below,
        "thriving": v.thriving_at,
        "verdict_key": key,
        "verdict": None if key is None else "Verdict: " + verdict_words(key, summary.get("final_contributor_share")),
        "columns": {c: ts[c].to_numpy() for c in ts.columns},
        "network": network_data(model),
    }


def render(out: Path, data: dict) -> list[str]:
    """Write the four PNG figures into ``out``, each drawn in its own process where it can; returns their names."""
    from ecosim.plotting.process import in_processes

    # the columns as NumPy arrays are all the figures read (ts[name], .min(), .max()): no pandas
    # needed, which keeps its import out of the drawing process
    ts = data["columns"]
    name = data["name"]
    in_processes(
        [
            lambda: style.save(
                engagement(ts, name, data["ghost"], data["thriving"], data.get("verdict"), data.get("verdict_key")),
                out / "engagement.png",
            )
        ],
        [lambda: style.save(knowledge(ts, name), out / "knowledge.png")],
        [lambda: style.save(content(ts, name), out / "content.png")],
        [lambda: style.save(network(data["network"]), out / "network.png")],
    )
    return list(FIGURE_FILES)
