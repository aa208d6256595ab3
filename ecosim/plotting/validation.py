"""Figures of the validation suite (Matplotlib's object API, written atomically)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ecosim.plotting import style

_figure = style.figure


def bass_complete(data: dict[str, Any]):
    """Bass on a complete graph: each (p, q) against the closed form; one step a week against its scheme."""
    panels = data["panels"]
    fig = _figure(4.2 * (len(panels) + 1), 3.8)
    axes = fig.subplots(1, len(panels) + 1, sharey=True)
    for ax, d in zip(axes, panels, strict=False):
        t = np.arange(d["mean"].size)
        tt = np.linspace(0, t[-1], 400)
        from ecosim.validation.analytic import bass_F

        ax.plot(tt, bass_F(tt, d["p"], d["q"]), color=style.REFERENCE, lw=2, label="Bass closed form")
        ax.fill_between(t, d["mean"] - 1.96 * d["se"], d["mean"] + 1.96 * d["se"], color=style.BAND, lw=0)
        ax.plot(t, d["mean"], "o", ms=3, color=style.SIMULATED, label=f"ecosim, {d['steps']} sub-steps a week")
        ax.plot(t, d["weekly_scheme"], ":", color=style.MUTED, lw=1.2, label="one step a week (exact scheme)")
        ax.set_title(f"p = {d['p']:g}, q = {d['q']:g}", fontsize=style.TITLE_SIZE)
        ax.set_xlabel("week")
        ax.set_xlim(0, 25)
    axes[0].set_ylabel("adopted share F(t)")
    axes[0].legend(fontsize=style.SMALL_SIZE, frameon=False, loc="lower right")
    w = data["weekly"]
    ax = axes[-1]
    t = np.arange(w["mean"].size)
    ax.plot(t, w["scheme"], color=style.MUTED, lw=2, label="exact weekly scheme")
    ax.plot(t, w["mean"], "o", ms=3, color=style.SIMULATED, label="ecosim, one step a week")
    from ecosim.validation.analytic import bass_F

    p, q = panels[0]["p"], panels[0]["q"]
    ax.plot(t, bass_F(t, p, q), color=style.REFERENCE, lw=1, ls="--", label="Bass closed form")
    ax.set_title(f"one step a week: lags Bass by up to {w['gap']:.2f}", fontsize=style.TITLE_SIZE)
    ax.set_xlabel("week")
    ax.set_xlim(0, 25)
    ax.legend(fontsize=style.SMALL_SIZE, frameon=False, loc="lower right")
    fig.suptitle("Bass (1969) on a complete graph of 10,000 (95% band of the mean)", fontsize=style.SUPTITLE_SIZE)
    return fig


def bass_networks(data: dict[str, Any]):
    """Bass p=0.03, q=0.38 on each network, between the two-node and complete bounds; the circle's closed form."""
    fig = _figure(7.5, 4.5)
    ax = fig.add_subplot()
    t = data["t"]
    tt = np.linspace(0, t[-1], 400)
    from ecosim.validation import analytic

    ax.fill_between(t, data["lower"], data["upper"], color=style.NEUTRAL_FILL, lw=0, label="between the bounds")
    ax.plot(
        tt, analytic.bass_F(tt, 0.03, 0.38), color=style.REFERENCE, lw=2, label="Bass (complete graph): upper bound"
    )
    ax.plot(
        tt, analytic.two_node_F(tt, 0.03, 0.38), color=style.FACILITATOR, lw=2, label="two-node network: lower bound"
    )
    ax.plot(tt, analytic.ring_F(tt, 0.03, 0.38), color=style.GOOD, lw=2, ls="--", label="circle closed form")
    markers = "osd^v"
    for (name, mean), mk in zip(data["curves"].items(), markers, strict=False):
        ax.plot(t, mean, mk, ms=3.5, mfc="none", label=name)
    ax.set_xlim(0, 30)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("week")
    ax.set_ylabel("adopted share")
    ax.set_title(f"Bass p=0.03, q=0.38 on networks ({data['steps']} sub-steps a week)", fontsize=style.TITLE_SIZE)
    ax.legend(fontsize=style.SMALL_SIZE, frameon=False, loc="lower right")
    return fig


def granovetter(data: dict[str, Any]):
    """Adopters by week in Granovetter's two riots (uniform thresholds, and one threshold moved)."""
    fig = _figure(6.5, 3.8)
    ax = fig.add_subplot()
    for (label, series), colour in zip(data.items(), (style.SIMULATED, style.REFERENCE), strict=False):
        ax.step(np.arange(1, len(series) + 1), series, where="post", color=colour, lw=2, label=label)
    ax.set_xlabel("week")
    ax.set_ylabel("adopters (of 100)")
    ax.set_title("Granovetter (1978): one threshold decides the riot", fontsize=style.TITLE_SIZE)
    ax.legend(fontsize=style.LEGEND_SIZE, frameon=False)
    return fig


def watts(data: dict[str, Any]):
    """Frequency and mean size of global cascades by mean degree, against the analytic window and theory."""
    fig = _figure(7.5, 4.5)
    ax = fig.add_subplot()
    lo, hi = data["window"]
    ax.axvspan(lo, hi, color=style.WINDOW_FILL, lw=0, label=f"analytic window {lo:.2f} < z < {hi:.2f}")
    ax.plot(data["theory_z"], data["theory_freq"], color=style.REFERENCE, lw=1.5, label="frequency, theory (N -> inf)")
    ax.plot(data["theory_size_z"], data["theory_size"], color=style.REFERENCE, lw=1.5, ls="--", label="size, theory")
    from ecosim.validation.stats import clopper_pearson

    ci = np.array([clopper_pearson(int(k), int(data["runs"]), 0.05) for k in data["counts"]])
    freq = data["freq"]
    ax.errorbar(
        data["z"],
        freq,
        yerr=[freq - ci[:, 0], ci[:, 1] - freq],
        fmt="o",
        color=style.SIMULATED,
        ms=4,
        capsize=2,
        label=f"frequency of global cascades ({data['runs']} runs each)",
    )
    ok = ~np.isnan(data["size"])
    ax.plot(
        data["z"][ok],
        data["size"][ok],
        "s",
        mfc="none",
        color=style.SIMULATED,
        ms=5,
        label="mean size of global cascades",
    )
    ax.set_xlabel("mean degree z")
    ax.set_ylabel("share")
    ax.set_ylim(-0.02, 1.05)
    ax.set_title(f"Watts (2002): phi = {data['phi']:g}, Erdos-Renyi N = {data['n']:,}", fontsize=style.TITLE_SIZE)
    ax.legend(fontsize=style.SMALL_SIZE, frameon=False, loc="center right")
    return fig


def march(data: dict[str, Any]):
    """March's equilibrium code knowledge by p1 and p2 against the reference, and code knowledge by turnover p3."""
    fig = _figure(10, 4.0)
    a1, a2 = fig.subplots(1, 2)
    colours = dict(zip((0.1, 0.5, 0.9), style.TRIO, strict=True))
    for p2, c in colours.items():
        p1s = [0.1, 0.5, 0.9]
        m = np.array([data["grid"][(p1, p2)][0] for p1 in p1s])
        s = np.array([data["grid"][(p1, p2)][1] for p1 in p1s])
        a1.errorbar(p1s, m, yerr=1.96 * s, fmt="o-", color=c, capsize=3, label=f"ecosim, p2 = {p2:g}")
        a1.plot(
            p1s,
            [data["reference"][(p1, p2)] for p1 in p1s],
            "x--",
            color=c,
            ms=8,
            lw=0.8,
            label=f"March/Workiewicz, p2 = {p2:g}",
        )
    a1.set_xlabel("socialisation rate p1")
    a1.set_ylabel("equilibrium code knowledge")
    a1.set_title("March (1991) Fig. 1", fontsize=style.TITLE_SIZE)
    a1.legend(fontsize=style.SMALL_SIZE, frameon=False)
    p3s = sorted({k[1] for k in data["turnover"]})
    for p1, c in zip(sorted({k[0] for k in data["turnover"]}), style.TRIO, strict=False):
        m = np.array([data["turnover"][(p1, p3)][0] for p3 in p3s])
        s = np.array([data["turnover"][(p1, p3)][1] for p3 in p3s])
        a2.errorbar(p3s, m, yerr=1.96 * s, fmt="o-", color=c, capsize=3, label=f"p1 = {p1:g}")
    a2.set_xlabel("turnover p3 (leaving probability per period)")
    a2.set_ylabel("code knowledge after 100 periods")
    a2.set_title("Turnover, p2 = 0.5", fontsize=style.TITLE_SIZE)
    a2.legend(fontsize=style.LEGEND_SIZE, frameon=False)
    return fig


def participation(data: dict[str, Any]):
    """Share who ever posted and the top 1%'s share of posts, beside van Mierlo (2014)."""
    fig = _figure(6, 3.6)
    ax = fig.add_subplot()
    labels = ["ever posted", "posts by the top 1% of everyone"]
    ours = [np.mean(data["ever"]), np.mean(data["top1"]) if data["top1"] else np.nan]
    ref = [0.25, 0.747]
    x = np.arange(2)
    ax.bar(x - 0.18, ours, 0.36, color=style.SIMULATED, label="ecosim, scenarios/retail_high_alignment.yaml")
    ax.bar(x + 0.18, ref, 0.36, color=style.REFERENCE, label="van Mierlo 2014 (<25%; 74.7%)")
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1)
    ax.set_title("Participation inequality", fontsize=style.TITLE_SIZE)
    ax.legend(fontsize=style.LEGEND_SIZE, frameon=False)
    return fig


DRAW = {
    "bass_complete": bass_complete,
    "bass_networks": bass_networks,
    "granovetter": granovetter,
    "watts": watts,
    "march": march,
    "patterns": participation,
}


def write(out: Path, name: str, data: dict[str, Any]) -> str | None:
    """Draw the figure of case ``name`` into ``out``/<name>.png; returns the file name."""
    if name not in DRAW or not data or "missing" in data:
        return None
    fig = DRAW[name](data)
    style.save(fig, out / f"{name}.png")
    return f"{name}.png"
