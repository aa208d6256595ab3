"""Figures of a sweep's analysis, drawn with Matplotlib's object API (no pyplot, no global state)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.plotting import labels, style

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

# a layout engine (style.figure's default): these figures have colour bars, two-line labels and
# legends below the axes
_figure = style.figure


def _label(path: str) -> str:
    """A parameter's plain name and unit, for an axis."""
    return labels.param(path)


def _short(path: str) -> str:
    """A parameter's plain name."""
    return labels.param(path, unit=False)


_lever = _short


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


_is_share = labels.is_share


def noise_note(n: int, z: np.ndarray | None = None) -> str:
    """What a figure drawn from ``n`` runs per point says about its noise, in words ("" when n >= 2).

    With one run per point the run-to-run noise is not measured. Neighbouring cells then bound it
    from above: the median absolute difference between neighbours holds the noise and the
    parameter's effect together.
    """
    if n >= 2:
        return ""
    text = "1 run per point: the noise between runs is not measured (sweep with replicates: 5 or more)"
    if z is not None:
        z = np.asarray(z, dtype=float)
        steps = [np.abs(np.diff(z, axis=a)).ravel() for a in range(z.ndim) if z.shape[a] > 1]
        steps = np.concatenate(steps) if steps else np.empty(0)
        steps = steps[np.isfinite(steps)]
        if steps.size:
            text += f"; neighbours differ by a median of {np.median(steps):.2g}, noise included"
    return text


def _note(fig: Figure, text: str) -> None:
    """Write a note under the figure's axes (the layout engine makes room for it)."""
    if text:
        import textwrap

        fig.supxlabel("\n".join(textwrap.wrap(text, 110)), fontsize=style.SMALL_SIZE, color=style.GHOST_LINE)


def phase_diagram(
    grid: pd.DataFrame, x: str, y: str, metric: str, ghost: float, thriving: float, name: str, averaged: list[str]
) -> Figure:
    """Heatmap of the mean of ``metric`` over (x, y), with the ghost-town boundary drawn on it.

    Cells are the swept values (evenly drawn whatever their spacing, labelled with the values); the
    boundary is the contour at the ghost-town threshold, interpolated between cell centres.
    """
    xs = sorted(grid[x].unique())
    ys = sorted(grid[y].unique())
    z = np.full((len(ys), len(xs)), np.nan)
    xi = {v: i for i, v in enumerate(xs)}
    yi = {v: i for i, v in enumerate(ys)}
    for xv, yv, m in zip(grid[x], grid[y], grid["mean"]):
        z[yi[yv], xi[xv]] = m
    n = int(grid["n"].min()) if len(grid) else 0

    fig = _figure(7.5, 4.8)
    ax = fig.add_subplot()
    share = _is_share(metric)
    mesh = ax.pcolormesh(
        np.arange(len(xs) + 1) - 0.5,
        np.arange(len(ys) + 1) - 0.5,
        np.ma.masked_invalid(z),
        cmap=style.SEQUENTIAL_MAP,
        vmin=0 if share else None,
        vmax=1 if share else None,
        shading="flat",
    )
    cbar = fig.colorbar(mesh, ax=ax)
    cbar.set_label(f"mean {labels.metric(metric)}")
    if len(xs) * len(ys) <= 200:
        for (r, c), v in np.ndenumerate(z):
            if np.isfinite(v):
                ax.text(
                    c,
                    r,
                    f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=style.SMALL_SIZE,
                    color="white" if (share and v < 0.5) or (not share and v < np.nanmean(z)) else "black",
                )
    handles = []
    if len(xs) >= 2 and len(ys) >= 2 and np.nanmin(z) < ghost < np.nanmax(z):
        from matplotlib.lines import Line2D

        cx, cy = np.meshgrid(np.arange(len(xs)), np.arange(len(ys)))
        ax.contour(cx, cy, np.ma.masked_invalid(z), levels=[ghost], colors=[style.GHOST_LINE], linewidths=2.5)
        handles.append(
            Line2D([], [], color=style.GHOST_LINE, lw=2.5, label=f"tipping boundary: ghost town below {ghost:.0%}")
        )
        if share and np.nanmin(z) < thriving < np.nanmax(z):
            ax.contour(
                cx,
                cy,
                np.ma.masked_invalid(z),
                levels=[thriving],
                colors=[style.THRIVING_ON_MAP],
                linewidths=1.5,
                linestyles="--",
            )
            handles.append(Line2D([], [], color=style.THRIVING_ON_MAP, lw=1.5, ls="--", label=f"{thriving:.0%} active"))
    ax.set_xticks(range(len(xs)), [_fmt(v) for v in xs])
    ax.set_yticks(range(len(ys)), [_fmt(v) for v in ys])
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    title = f"{name}: mean {labels.metric(metric)} ({n} runs per cell"
    title += f", averaged over {', '.join(_short(a) for a in averaged)})" if averaged else ")"
    ax.set_title(style.wrap(title), fontsize=style.TITLE_SIZE)
    if handles:
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.22),
            ncol=2,
            fontsize=style.LEGEND_SIZE,
            frameon=False,
        )
    _note(fig, noise_note(n, z))
    return fig


#: Fewest runs per point for a 95% band on ``lines.png``: with two, Student's t has one degree of
#: freedom (12.7 standard errors each way) and the bands cover the whole plot, saying nothing.
MIN_RUNS_FOR_BAND = 3


def lines(
    grid: pd.DataFrame,
    x: str,
    y: str | None,
    metric: str,
    ghost: float,
    name: str,
    runs: pd.DataFrame | None = None,
) -> Figure:
    """The mean of ``metric`` against ``x``, one line per value of ``y``, with 95% confidence bands.

    A point with fewer than :data:`MIN_RUNS_FOR_BAND` runs gets no band; its runs (from ``runs``,
    when given) are drawn as dots instead, so the spread shows without a band that fills the plot.
    """
    from matplotlib import colormaps

    fig = _figure(7.0, 4.2)
    ax = fig.add_subplot()
    groups = [(None, grid)] if y is None else list(grid.groupby(y, sort=True))
    cmap = colormaps[style.FAMILY_MAP]
    few = banded = False
    for k, (yv, sub) in enumerate(groups):
        sub = sub.sort_values(x)
        colour = style.ACTIVE if y is None else cmap(0.05 + 0.75 * k / max(1, len(groups) - 1))
        label = None if y is None else f"{_short(y)} = {_fmt(yv)}"
        ax.plot(sub[x], sub["mean"], color=colour, lw=2, marker="o", ms=3, label=label)
        enough = sub["n"].to_numpy() >= MIN_RUNS_FOR_BAND
        lo = np.where(enough, sub["ci_low"].to_numpy(dtype=float), np.nan)
        hi = np.where(enough, sub["ci_high"].to_numpy(dtype=float), np.nan)
        if _is_share(metric):
            lo, hi = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
        if np.isfinite(lo).any():
            ax.fill_between(sub[x], lo, hi, where=np.isfinite(lo), color=colour, alpha=0.18, lw=0)
            banded = True
        if not enough.all():
            few = True
            if runs is not None:
                mine = runs if y is None else runs[runs[y] == yv]
                mine = mine[mine[x].isin(sub.loc[~enough, x])]
                ax.scatter(mine[x], mine[metric], s=9, color=colour, alpha=0.6, lw=0)
    if _is_share(metric):
        style.ghost_band(ax, ghost)
        ax.set_ylim(0, 1)
    ax.set_xlabel(_label(x))
    ax.set_ylabel(f"mean {labels.metric(metric)}" + (" (95% band)" if banded else ""))
    ax.set_title(style.wrap(f"{name}: {labels.metric(metric)}"), fontsize=style.TITLE_SIZE)
    ax.legend(fontsize=style.LEGEND_SIZE, frameon=False, loc="upper left")
    n = int(grid["n"].min()) if len(grid) else 0
    note = noise_note(n)
    if few and n >= 2:
        note = (
            f"{n} runs per point: too few for a 95% band (Student's t with {n - 1} degree{'s' if n > 2 else ''} "
            "of freedom spans most of the scale)" + ("; each run is a dot" if runs is not None else "")
        )
    _note(fig, note)
    return fig


def scatter(runs: pd.DataFrame, params: list[str], metric: str, ghost: float, name: str) -> Figure:
    """The metric of every run against each parameter (Latin hypercube designs)."""
    k = len(params)
    cols = min(3, k)
    rows = int(np.ceil(k / cols))
    fig = _figure(3.2 * cols, 2.6 * rows + 0.4)
    for i, p in enumerate(params):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.scatter(runs[p], runs[metric], s=6, alpha=0.5, color=style.ACTIVE, lw=0)
        if _is_share(metric):
            ax.axhline(ghost, color=style.GHOST_LINE, lw=1, ls="--")
            ax.set_ylim(0, 1)
        ax.set_xlabel(_label(p), fontsize=style.LEGEND_SIZE)
        if i % cols == 0:
            ax.set_ylabel(labels.metric(metric), fontsize=style.LEGEND_SIZE)
        ax.tick_params(labelsize=style.SMALL_SIZE)
    fig.suptitle(style.wrap(f"{name}: {labels.metric(metric)} against each parameter"), fontsize=style.TITLE_SIZE)
    return fig


def sobol(indices: pd.DataFrame, metric: str, name: str, runs_per_point: int = 2) -> Figure:
    """First-order and total Sobol' indices with 95% confidence intervals, largest total first."""
    t = indices.sort_values("ST", ascending=True)
    fig = _figure(7.0, max(3.0, 1.2 + 0.45 * len(t)))
    ax = fig.add_subplot()
    pos = np.arange(len(t))
    ax.barh(pos + 0.2, t["ST"], height=0.4, xerr=t["ST_conf"], color=style.ACTIVE, label="total (ST)", capsize=2)
    ax.barh(pos - 0.2, t["S1"], height=0.4, xerr=t["S1_conf"], color=style.BAND, label="first order (S1)", capsize=2)
    ax.set_yticks(pos, [_lever(p) for p in t["parameter"]])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("share of the variance of " + labels.metric(metric))
    ax.set_title(
        style.wrap(f"{name}: Sobol' indices of {labels.metric(metric)} (95% intervals)", 60), fontsize=style.TITLE_SIZE
    )
    ax.legend(fontsize=style.LEGEND_SIZE, frameon=False, loc="lower right")
    _note(fig, noise_note(runs_per_point))
    return fig


def morris(indices: pd.DataFrame, metric: str, name: str, runs_per_point: int = 2) -> Figure:
    """Morris screening: mu* (mean absolute elementary effect) with its 95% interval, and mu* against sigma."""
    t = indices.sort_values("mu_star", ascending=True)
    fig = _figure(10.0, max(3.8, 1.4 + 0.45 * len(t)))
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.3, 1])
    pos = np.arange(len(t))
    ax.barh(pos, t["mu_star"], xerr=t["mu_star_conf"], color=style.ACTIVE, capsize=2)
    # the ranking numbers the levers (1: the largest effect); the scatter names its points by
    # those numbers, so long names neither overlap nor run off the canvas
    rank = {p: len(t) - k for k, p in enumerate(t["parameter"])}
    ax.set_yticks(pos, [f"{_lever(p)}  {rank[p]}" for p in t["parameter"]])
    ax.set_xlabel(f"mu*: mean |change in {labels.metric(metric)}|\nper whole range of the parameter")
    ax.set_title("lever ranking (Morris mu*, 95% interval)", fontsize=style.TITLE_SIZE)
    ax2.scatter(t["mu_star"], t["sigma"], color=style.CONTRIBUTOR, zorder=3)
    top = float(t["mu_star"].max())
    lim = max(top, float(t["sigma"].max()), 1e-12) * 1.1
    # points closer than a label's size share one label ("1, 2"), so numbers never overlap
    groups: list[tuple[float, float, list[int]]] = []
    small = 0
    for _, r in t.sort_values("mu_star", ascending=False).iterrows():
        if r["mu_star"] < 0.1 * top:  # the small ones crowd the origin; the bar chart names them
            small += 1
            continue
        x, y = float(r["mu_star"]), float(r["sigma"])
        for gx, gy, ranks in groups:
            if abs(x - gx) < 0.12 * lim and abs(y - gy) < 0.06 * lim:
                ranks.append(rank[r["parameter"]])
                break
        else:
            groups.append((x, y, [rank[r["parameter"]]]))
    for gx, gy, ranks in groups:
        ax2.annotate(
            ", ".join(map(str, ranks)), (gx, gy), fontsize=style.LEGEND_SIZE, xytext=(4, 2), textcoords="offset points"
        )
    if small:
        ax2.text(
            0.98,
            0.02,
            f"{small} levers with mu* under 10% of the largest, unnumbered",
            fontsize=style.SMALL_SIZE,
            ha="right",
            va="bottom",
            transform=ax2.transAxes,
            color=style.MUTED,
        )
    ax2.plot([0, lim], [0, lim], color=style.MUTED, lw=0.8, ls=":")
    ax2.set_xlim(0, lim)
    ax2.set_ylim(0, lim)
    ax2.set_xlabel("mu* (points numbered by rank)")
    ax2.set_ylabel("sigma (interactions, non-linearity)")
    ax2.set_title("effects: size against spread", fontsize=style.TITLE_SIZE)
    fig.suptitle(style.wrap(f"{name}: Morris screening of {labels.metric(metric)}", 100), fontsize=style.SUPTITLE_SIZE)
    _note(fig, noise_note(runs_per_point))
    return fig
