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


def _figure(width: float = 7.0, height: float = 4.0, *, right: float = 0.97) -> Figure:
    # fixed margins: a layout engine would cost more than the rest of the figure
    fig = style.figure(width, height, dpi=100, constrained=False)
    fig.subplots_adjust(left=0.09, right=right, bottom=0.12, top=0.91)
    return fig


def engagement(ts: pd.DataFrame, name: str, ghost: float, thriving: float) -> Figure:
    """Weekly active and contributor shares against the ghost-town band and the thriving line."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(ts["week"], ts["active_share"], color=style.ACTIVE, lw=2, label="weekly active (visited)")
    ax.plot(ts["week"], ts["contributor_share"], color=style.CONTRIBUTOR, lw=2, label="contributors (posted)")
    style.ghost_band(ax, ghost)
    style.thriving_line(ax, thriving)
    ax.set_ylim(0, 1)
    ax.set_xlim(ts["week"].min(), ts["week"].max())
    ax.set_xlabel("week")
    ax.set_ylabel("share of learners")
    ax.set_title(f"{name}: who comes to the platform")
    ax.legend(loc="upper right", fontsize=style.LEGEND_SIZE, frameon=False)
    return fig


def knowledge(ts: pd.DataFrame, name: str) -> Figure:
    """Mean individual knowledge, capability on the organisation's topics and the code's knowledge, by week."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(ts["week"], ts["mean_knowledge"], lw=2, color=style.ACTIVE, label="mean individual knowledge")
    ax.plot(ts["week"], ts["org_capability"], lw=2, color=style.GOOD, label="capability on the organisation's topics")
    ax.plot(ts["week"], ts["org_code_knowledge"], lw=2, ls="--", color=style.FACILITATOR, label="organisational code")
    ax.set_ylim(0, 1)
    ax.set_xlim(ts["week"].min(), ts["week"].max())
    ax.set_xlabel("week")
    ax.set_ylabel("share of practice dimensions right")
    ax.set_title(f"{name}: what the organisation learns")
    ax.legend(loc="lower right", fontsize=style.LEGEND_SIZE, frameon=False)
    return fig


def content(ts: pd.DataFrame, name: str) -> Figure:
    """Live posts (decaying) by week, with the posts written each week by learners and by facilitators."""
    fig = _figure(right=0.90)
    ax = fig.add_subplot()
    ax.fill_between(ts["week"], ts["content_stock"], color=style.BAND, label="live posts (decaying)")
    ax.set_xlabel("week")
    ax.set_ylabel("live posts")
    ax.set_xlim(ts["week"].min(), ts["week"].max())
    ax2 = ax.twinx()
    ax2.step(ts["week"], ts["posts"], where="mid", color=style.CONTRIBUTOR, lw=1.5, label="posts by learners")
    ax2.step(
        ts["week"], ts["seeded_posts"], where="mid", color=style.FACILITATOR, lw=1.5, label="posts by facilitators"
    )
    ax2.set_ylim(bottom=0)
    ax2.set_ylabel("posts this week")
    ax.set_title(f"{name}: content on the platform")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper right", fontsize=style.LEGEND_SIZE, frameon=False)
    return fig


def network_data(model: EcosystemModel, max_learners: int = 2000) -> dict:
    """What the network figure draws, as plain arrays (computed without Matplotlib)."""
    from ecosim.layout import organisation_layout, sample_rows

    ties = model.ties
    rows = sample_rows(ties, max_learners, np.random.default_rng(0))
    pos = organisation_layout(ties)
    keep = np.zeros(ties.n, dtype=bool)
    keep[rows] = True
    segments = []
    if not ties.complete:
        for i, j in (ties.base_edges(), ties.brokered_edges()):
            sel = keep[i] & keep[j]
            segments.append(np.stack([pos[i[sel]], pos[j[sel]]], axis=1))
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
    }


def network(data: dict) -> Figure:
    """The network at the end, coloured by engagement and sized by knowledge."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    fig = _figure(6.5, 6.5)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.06, top=0.94)
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.axis("off")
    for segs, colour, alpha in zip(data["segments"], (style.TIE, style.FACILITATOR), (0.15, 0.25), strict=False):
        if len(segs):
            ax.add_collection(LineCollection(segs, colors=colour, linewidths=0.3, alpha=alpha))
    xy = data["xy"]
    colours = np.array(style.ENGAGEMENT_COLOURS)[data["engagement"]]
    size = 4 + 40 * data["knowledge"] * (600 / max(len(xy), 600))
    ax.scatter(xy[:, 0], xy[:, 1], s=size, c=colours, linewidths=0)
    handles = [
        Line2D([], [], ls="", marker="o", color=c, label=lab)
        for c, lab in zip(style.ENGAGEMENT_COLOURS, ("inactive", "visited", "posted"), strict=True)
    ]
    handles.append(Line2D([], [], color=style.FACILITATOR, label="tie brokered by a facilitator"))
    ax.legend(
        handles=handles,
        loc="lower center",
        ncol=4,
        fontsize=style.LEGEND_SIZE,
        frameon=False,
        bbox_to_anchor=(0.5, -0.05),
    )
    shown = (
        "" if data["shown"] == data["n"] else f" ({data['shown']:,} of {data['n']:,} learners: whole stores sampled)"
    )
    ax.set_title(f"{data['name']}: week {data['week']}, size = knowledge{shown}", fontsize=style.TITLE_SIZE)
    ax.autoscale_view()
    return fig


def payload(ts: pd.DataFrame, model: EcosystemModel) -> dict:
    """Everything the figures need, as plain data that can be sent to another process."""
    v = model.params.verdict
    return {
        "name": model.params.name,
        "ghost": v.ghost_town_below,
        "thriving": v.thriving_at,
        "columns": {c: ts[c].to_numpy() for c in ts.columns},
        "network": network_data(model),
    }


def render(out: Path, data: dict) -> list[str]:
    """Write the four PNG figures into ``out``; returns their file names."""
    # the columns as NumPy arrays are all the figures read (ts[name], .min(), .max()): no pandas
    # needed, which keeps its import out of the figure process
    ts = data["columns"]
    name = data["name"]
    style.save(engagement(ts, name, data["ghost"], data["thriving"]), out / "engagement.png")
    style.save(knowledge(ts, name), out / "knowledge.png")
    style.save(content(ts, name), out / "content.png")
    style.save(network(data["network"]), out / "network.png")
    return list(FIGURE_FILES)
