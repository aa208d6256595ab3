"""Pictures for the browser page: the organisation's network and the weekly curves, as image bytes.

Drawn with Matplotlib's object API on Agg canvases (no pyplot, no Solara). Each picture has two
layers of the same size: the background, with what does not change from week to week (the ties,
the facilitators, the axes, bands and legend), drawn and sent to the browser once; and a
transparent overlay with what does (the learners' colours and sizes, the ties facilitators
brokered, the curves), drawn each week onto a blank copy. The page stacks the two. A week at
10,000 learners draws in tens of milliseconds (``benchmarks/viz_bench.py`` measures it).

Above :data:`MAX_DRAWN` learners the network view draws whole stores sampled to about that many
(:func:`ecosim.layout.sample_rows`); :attr:`NetworkPicture.note` says so in words. Networks
without stores (the generic generators, edge lists without a nodes file) are drawn on a circle.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ecosim.core.network import HEAD_OFFICE
from ecosim.layout import organisation_layout, sample_rows
from ecosim.plotting import style
from ecosim.scenario.levers import nice_ceiling

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ecosim.core.model import EcosystemModel

#: Above this many learners the network view draws a sample of whole stores.
MAX_DRAWN = 2000
#: Facilitators drawn as markers at head office; more are counted, not drawn.
MAX_FACILITATOR_MARKERS = 24

_ENGAGEMENT_RGBA = None


def _engagement_rgba() -> np.ndarray:
    global _ENGAGEMENT_RGBA
    if _ENGAGEMENT_RGBA is None:
        from matplotlib.colors import to_rgba_array

        _ENGAGEMENT_RGBA = to_rgba_array(style.ENGAGEMENT_COLOURS)
    return _ENGAGEMENT_RGBA


#: Format of the network's weekly overlay: lossless WebP at its fastest setting encodes a busy
#: picture faster than PNG and smaller; PNG is faster for the mostly transparent curves and for
#: the backgrounds (measured with benchmarks/viz_bench.py).
NETWORK_OVERLAY_FORMAT = "webp"


def encode(canvas, fmt: str = "png") -> bytes:
    """The canvas's pixels as PNG or lossless WebP bytes, at the fastest settings.

    A weekly picture lives for one week, so speed matters more than size.
    """
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    if fmt == "webp":
        image.save(out, format="WEBP", lossless=True, method=0, quality=0)
    else:
        image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def learner_knowledge(model: EcosystemModel, rows: np.ndarray) -> np.ndarray:
    """Share of practice dimensions each learner in ``rows`` is right about (0-1)."""
    beliefs = model.state.beliefs[rows]
    return np.count_nonzero(beliefs == model.reality, axis=1) / max(beliefs.shape[1], 1)


def _figure(width_px: int, height_px: int, dpi: int) -> tuple[Figure, object]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    return fig, FigureCanvasAgg(fig)


class Layers:
    """Two pictures of the same size and axes: a background drawn once and a transparent overlay redrawn each week.

    The page stacks the overlay on the background, so a week sends (and encodes) only the overlay,
    which is mostly transparent and compresses well.
    """

    def __init__(
        self,
        width_px: int,
        height_px: int,
        dpi: int,
        rect: tuple[float, float, float, float],
        overlay_format: str = "png",
    ) -> None:
        self.overlay_format = overlay_format
        self.fig, self.canvas = _figure(width_px, height_px, dpi)
        self.ax = self.fig.add_axes(rect)
        self.over_fig, self.over_canvas = _figure(width_px, height_px, dpi)
        self.over_fig.patch.set_alpha(0.0)
        self.over = self.over_fig.add_axes(rect)
        self.over.set_axis_off()
        self._background: bytes | None = None
        self._blank = None

    def limits(self, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
        """Set both pictures' axis limits; the background and the blank overlay are redrawn when next needed."""
        for ax in (self.ax, self.over):
            ax.set_xlim(*xlim)
            ax.set_ylim(*ylim)
        self._background = None
        self._blank = None

    @property
    def background(self) -> bytes:
        """The background as PNG bytes (drawn when first asked for, or after :meth:`limits`)."""
        if self._background is None:
            self.canvas.draw()
            self._background = encode(self.canvas, "png")
        return self._background

    def overlay(self, artists) -> bytes:
        """Draw ``artists`` on a transparent picture; bytes in :attr:`overlay_format`.

        The artists are animated children of :attr:`over`, which a full draw skips.
        """
        if self._blank is None:
            self.over_canvas.draw()
            self._blank = self.over_canvas.copy_from_bbox(self.over_fig.bbox)
        self.over_canvas.restore_region(self._blank)
        for art in artists:
            self.over.draw_artist(art)
        return encode(self.over_canvas, self.overlay_format)


class NetworkPicture:
    """The organisation's network, laid out once; each week recolours and resizes the learners.

    Learners are coloured by this week's engagement (inactive, visited, posted; the colours of
    :data:`ecosim.plotting.style.ENGAGEMENT_COLOURS`) and sized by knowledge (marker area grows with
    the share of practice dimensions a learner is right about). Facilitators have no row in the
    network: they are drawn as stars at head office, and the ties they broker between learners
    as purple lines, bold when new since the previous picture.

    The ties, labels and facilitators are the :attr:`background` (PNG bytes, drawn once); the
    learners and brokered ties are the weekly overlay (:meth:`png`), a transparent picture of
    the same size.

    Args:
        model: the model whose network is drawn; its ties and facilitators must not be replaced
            afterwards (a Reset builds a new model and a new picture).
        max_learners: above this many learners, whole stores are sampled to about this many.
        size_px: width and height of the picture in pixels.
    """

    def __init__(
        self, model: EcosystemModel, *, max_learners: int = MAX_DRAWN, size_px: int = 640, dpi: int = 100
    ) -> None:
        from matplotlib.collections import LineCollection

        ties = model.ties
        self.n = ties.n
        # a fixed generator: the same stores are drawn every week and after every Reset
        self.rows = sample_rows(ties, max_learners, np.random.default_rng(0))
        self.sampled = self.rows.size < ties.n
        self.stores_total = int(np.unique(ties.store[ties.store >= 0]).size)
        drawn_store = ties.store[self.rows]
        self.stores_drawn = int(np.unique(drawn_store[drawn_store >= 0]).size)
        self._index = np.full(ties.n, -1, dtype=np.int64)  # row -> position among drawn learners
        self._index[self.rows] = np.arange(self.rows.size)
        layout = organisation_layout(ties)
        self.pos = layout[self.rows]
        self.facilitators = len(model.facilitators)
        self.fac_pos = _facilitator_positions(layout, ties.role, self.facilitators)
        #: where the facilitators are drawn, in words
        from ecosim.words import words

        #: what the organisation calls its parts
        self.words = words(model.params)
        self.fac_place = f"at {self.words.hub}" if (ties.role == HEAD_OFFICE).any() else "in the middle"

        self.layers = Layers(size_px, size_px, dpi, (0.0, 0.0, 1.0, 1.0), NETWORK_OVERLAY_FORMAT)
        ax = self.layers.ax
        ax.set_axis_off()
        points = np.vstack([self.pos, self.fac_pos]) if self.fac_pos.size else self.pos
        lo, hi = points.min(axis=0), points.max(axis=0)
        centre, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1e-6) * 1.05
        self.layers.limits((centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half))
        self.ties_drawn = 0
        self.complete = ties.complete
        if not ties.complete:
            i, j = ties.base_edges()
            a, b = self._index[i], self._index[j]
            keep = (a >= 0) & (b >= 0)
            segs = np.stack([self.pos[a[keep]], self.pos[b[keep]]], axis=1)
            self.ties_drawn = int(segs.shape[0])
            alpha = float(np.clip(12.0 / np.sqrt(max(self.ties_drawn, 1)), 0.05, 0.35))
            ax.add_collection(LineCollection(segs, colors=style.TIE, linewidths=0.35, alpha=alpha))
        if self.fac_pos.size:
            ax.scatter(
                self.fac_pos[:, 0],
                self.fac_pos[:, 1],
                s=170,
                marker="*",
                c=style.FACILITATOR,
                edgecolors="white",
                linewidths=0.8,
                zorder=4,
            )
        # marker area grows with knowledge; the largest fill about a third of a learner's share
        # of the picture, so a dense store stays readable
        area_pt2 = (size_px / dpi * 72.0) ** 2
        self.max_size = float(np.clip(0.35 * area_pt2 / max(self.rows.size, 1), 5.0, 90.0))
        over = self.layers.over
        # ties brokered before are faint, ties new since the last picture bold
        self.brokered = LineCollection([], colors=style.FACILITATOR, linewidths=0.4, alpha=0.18, animated=True)
        self.brokered_new = LineCollection([], colors=style.FACILITATOR, linewidths=1.0, alpha=0.75, animated=True)
        over.add_collection(self.brokered)
        over.add_collection(self.brokered_new)
        self._seen = np.empty(0, dtype=np.int64)
        self.scatter = over.scatter(self.pos[:, 0], self.pos[:, 1], s=self.max_size, linewidths=0, animated=True)

    @property
    def background(self) -> bytes:
        """The ties and the facilitators, as PNG bytes (the same every week)."""
        return self.layers.background

    @property
    def note(self) -> str:
        """What the picture leaves out, in words ("" when it shows every learner and tie)."""
        notes = []
        if self.sampled and self.stores_total:
            notes.append(
                f"{self.n:,} learners are too many to draw: showing {self.rows.size:,} of them, "
                f"{self.stores_drawn:,} whole {self.words.units} of {self.stores_total:,} sampled at random, "
                + (
                    "with area managers and head office"
                    if self.words.retail
                    else f"with their managers and {self.words.hub}"
                )
                + ". The curves count everyone."
            )
        elif self.sampled:
            notes.append(
                f"{self.n:,} learners are too many to draw: showing {self.rows.size:,} sampled at "
                "random. The curves count everyone."
            )
        if self.complete:
            notes.append("Everyone talks to everyone (a complete network), so ties are not drawn.")
        return " ".join(notes)

    def png(self, model: EcosystemModel) -> bytes:
        """This week's learners and brokered ties: a transparent picture to lay over :attr:`background`.

        The picture is in ``self.layers.overlay_format``.
        """
        rows = self.rows
        self.scatter.set_facecolors(_engagement_rgba()[model.state.engagement[rows]])
        knowledge = learner_knowledge(model, rows)
        self.scatter.set_sizes(self.max_size * (0.15 + 0.85 * knowledge))
        i, j = model.ties.brokered_edges()
        a, b = self._index[i], self._index[j]
        keep = (a >= 0) & (b >= 0)
        a, b = a[keep], b[keep]
        key = np.minimum(a, b) * self.rows.size + np.maximum(a, b)
        new = ~np.isin(key, self._seen)
        self._seen = key
        segs = np.stack([self.pos[a], self.pos[b]], axis=1)
        self.brokered.set_segments(segs[~new])
        self.brokered_new.set_segments(segs[new])
        return self.layers.overlay((self.brokered, self.brokered_new, self.scatter))


def _facilitator_positions(pos: np.ndarray, role: np.ndarray, k: int) -> np.ndarray:
    """Where facilitators are drawn: on a small ring around head office (or the centre)."""
    k = min(k, MAX_FACILITATOR_MARKERS)
    if k == 0:
        return np.zeros((0, 2))
    office = pos[role == HEAD_OFFICE]
    if office.size:
        centre = office.mean(axis=0)
        radius = 1.3 * float(np.linalg.norm(office - centre, axis=1).max()) + 0.03
    else:
        centre, radius = np.zeros(2), 0.12
    theta = np.pi / 2 + 2 * np.pi * np.arange(k) / k
    return centre + radius * np.column_stack([np.cos(theta), np.sin(theta)])


@dataclass(frozen=True)
class Series:
    """One curve of a :class:`CurvesPicture`: a column of the weekly time series."""

    column: str
    label: str
    colour: str
    style: str = "-"
    fill: bool = False


class CurvesPicture:
    """Weekly curves on fixed axes.

    The x axis spans the whole run from the start, so the axes, bands and legend are the
    :attr:`background` (drawn once) and only the curves are drawn each week (:meth:`png`, a
    transparent overlay).

    Args:
        title: the picture's title (the page shows it above the picture).
        ylabel: the y axis's label.
        series: the curves.
        weeks: the run's length (the x axis).
        ylim: fixed y limits, or None to grow with the data (the background is redrawn when a
            curve outgrows it).
        percent: label the y axis in percent.
        bands: (low, high, colour, label) horizontal bands; ``lines``: (y, colour, label).
        interventions: mark the weeks in which the scenario's interventions were applied (dotted
            vertical lines, drawn with the curves).
    """

    def __init__(
        self,
        title: str,
        ylabel: str,
        series: Sequence[Series],
        weeks: int,
        *,
        ylim: tuple[float, float] | None = (0.0, 1.0),
        percent: bool = False,
        bands: Sequence[tuple[float, float, str, str]] = (),
        lines: Sequence[tuple[float, str, str]] = (),
        interventions: bool = False,
        width_px: int = 640,
        height_px: int = 400,
        dpi: int = 100,
    ) -> None:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        self.title = title
        self.series = tuple(series)
        self.weeks = max(int(weeks), 1)
        self.fixed_ylim = ylim
        self.layers = Layers(width_px, height_px, dpi, (0.12, 0.13, 0.85, 0.74))
        ax = self.layers.ax
        ax.set_xlabel("week", fontsize=style.PAGE_LABEL_SIZE, color=style.INK)
        ax.set_ylabel(ylabel, fontsize=style.PAGE_LABEL_SIZE, color=style.INK)
        ax.tick_params(labelsize=style.PAGE_TICK_SIZE, colors=style.INK)
        ax.grid(True, color=style.GRID, lw=0.6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if percent:
            from matplotlib.ticker import PercentFormatter

            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        else:
            from matplotlib.ticker import FuncFormatter, MaxNLocator

            # counts: whole-number ticks only, so no two ticks read the same ("1, 1, 1, 0, 0")
            ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True, min_n_ticks=2))
            ax.yaxis.set_major_formatter(FuncFormatter(_count_label))
        handles = []
        for low, high, colour, label in bands:
            ax.axhspan(low, high, color=colour, alpha=0.55, lw=0)
            handles.append(Patch(color=colour, alpha=0.55, label=label))
        for y, colour, label in lines:
            ax.axhline(y, color=colour, ls="--", lw=1.2)
            handles.append(Line2D([], [], color=colour, ls="--", lw=1.2, label=label))
        over = self.layers.over
        self.artists = []
        for k, s in enumerate(self.series):
            if s.fill:
                from matplotlib.collections import PolyCollection

                art = PolyCollection([], facecolors=s.colour, alpha=0.45, edgecolors=s.colour, animated=True)
                over.add_collection(art)
                handles.insert(k, Patch(color=s.colour, alpha=0.45, label=s.label))
            else:
                (art,) = over.plot([], [], s.style, color=s.colour, lw=2.5, animated=True)
                handles.insert(k, Line2D([], [], color=s.colour, ls=s.style, lw=2, label=s.label))
            self.artists.append(art)
        from matplotlib.collections import LineCollection

        self.marks = LineCollection([], colors=style.FACILITATOR, linestyles=":", linewidths=1.5, animated=True)
        over.add_collection(self.marks)
        if interventions:
            handles.append(Line2D([], [], color=style.FACILITATOR, ls=":", lw=1.5, label="intervention"))
        ax.legend(
            handles=handles,
            loc="lower left",
            fontsize=style.PAGE_TICK_SIZE,
            frameon=False,
            ncol=2,
            bbox_to_anchor=(-0.02, 1.0),
            borderaxespad=0.3,
            handlelength=1.6,
            columnspacing=1.2,
        )
        # a growing count axis starts at 10, not 1: before the first week there is nothing to count
        self.top = 10.0 if ylim is None else ylim[1]
        self._limits()

    def _limits(self) -> None:
        ylim = self.fixed_ylim if self.fixed_ylim is not None else (0.0, self.top)
        self.layers.limits((0.0, float(self.weeks)), ylim)

    @property
    def background(self) -> bytes:
        """Axes, bands and legend as PNG bytes (changes only when growing axes grow)."""
        return self.layers.background

    def png(self, columns: dict[str, np.ndarray]) -> bytes:
        """The curves of the weeks so far: a transparent PNG to lay over :attr:`background`.

        ``columns`` holds the model's weekly columns. Call it before reading :attr:`background`,
        which it may redraw.
        """
        week = np.asarray(columns.get("week", ()), dtype=float)
        if self.fixed_ylim is None and week.size:
            peak = max(float(np.nanmax(columns[s.column])) for s in self.series)
            if peak > self.top:
                self.top = nice_ceiling(peak * 1.1)
                self._limits()
        for s, art in zip(self.series, self.artists, strict=True):
            y = np.asarray(columns.get(s.column, ()), dtype=float)
            if s.fill:
                x = np.r_[week[:1], week, week[-1:]]
                art.set_verts([np.column_stack([x, np.r_[0.0, y, 0.0]])] if week.size else [])
            else:
                art.set_data(week, y)
        applied = np.asarray(columns.get("interventions", ()), dtype=float) > 0
        top = self.fixed_ylim[1] if self.fixed_ylim is not None else self.top
        self.marks.set_segments([[(w, 0.0), (w, top)] for w in week[applied[: week.size]]])
        return self.layers.overlay([*self.artists, self.marks])


def _count_label(value: float, _pos: object = None) -> str:
    """Axis labels for counts: 2,500, 25k or 1.5M."""
    if abs(value) >= 1_000_000:
        return f"{value / 1e6:g}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:,.0f}k" if value % 1000 == 0 else f"{value / 1000:,.1f}k"
    return f"{value:,.0f}"


def engagement_curves(model: EcosystemModel, **kw) -> CurvesPicture:
    """Weekly active and contributor shares, with the verdict's ghost-town band and thriving line."""
    v = model.params.verdict
    return CurvesPicture(
        "Who comes to the platform",
        "share of learners",
        [
            Series("active_share", "visited this week", style.ACTIVE),
            Series("contributor_share", "posted this week", style.CONTRIBUTOR),
        ],
        model.params.weeks,
        ylim=(0.0, 1.0),
        percent=True,
        bands=[(0.0, v.ghost_town_below, style.GHOST_BAND, style.ghost_label(v.ghost_town_below))],
        lines=[(v.thriving_at, style.THRIVING, style.thriving_label(v.thriving_at))],
        interventions=bool(model.params.interventions),
        **kw,
    )


def knowledge_curves(model: EcosystemModel, **kw) -> CurvesPicture:
    """What people know of good practice on average, and what the organisation's playbook holds."""
    return CurvesPicture(
        "What the organisation learns",
        "good practices known",
        [
            Series("mean_knowledge", "what people know, on average", style.ACTIVE),
            Series("org_code_knowledge", "the organisation's playbook", style.FACILITATOR, "--"),
        ],
        model.params.weeks,
        ylim=(0.0, 1.0),
        percent=True,
        interventions=bool(model.params.interventions),
        **kw,
    )


def content_curves(model: EcosystemModel, **kw) -> CurvesPicture:
    """The live content stock on the platform."""
    return CurvesPicture(
        "Content on the platform",
        "live posts",
        [Series("content_stock", "live posts", style.SECOND, fill=True)],
        model.params.weeks,
        ylim=None,
        **kw,
    )
