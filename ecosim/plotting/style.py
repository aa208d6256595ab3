"""ecosim's one drawing style: colours, font sizes, figure sizes, the ghost-town band and the thriving line.

Every figure ecosim draws (a run's, a sweep's, the validation suite's and the browser page's)
takes its colours and sizes from here, so a colour means the same thing everywhere: navy is
the share who visited, orange the share who posted (and the reference in validation figures),
purple the facilitators and what they do, green the thriving line, pale red the ghost town.

Figures are drawn with Matplotlib's object API on Agg canvases: no pyplot, no global state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecosim.io import write_with

if TYPE_CHECKING:
    from pathlib import Path

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Learners who did not come, who visited, and who posted this week (the network's colours).
ENGAGEMENT_COLOURS = ("#c9ccd1", "#4c8bd6", "#e8590c")
#: Weekly active share; the simulated series in validation figures.
ACTIVE = "#1f3b73"
#: Contributors (who posted); the reference curve in validation figures.
CONTRIBUTOR = ENGAGEMENT_COLOURS[2]
REFERENCE = CONTRIBUTOR
SIMULATED = ACTIVE
#: Facilitators, the ties they broker and the posts they write.
FACILITATOR = "#7b3294"
#: Capability, the thriving line and other "good" marks.
GOOD = "#3a7d44"
#: A second blue, for fills (live posts) and the middle of three series.
SECOND = ENGAGEMENT_COLOURS[1]
#: Confidence bands and light fills.
BAND = "#9ec5e8"
#: The ghost-town band (under the ghost-town threshold).
GHOST_BAND = "#f1c9c9"
GHOST_ALPHA = 0.5
#: The ghost-town boundary drawn as a line over a colour map (the band's pale red would vanish).
GHOST_LINE = "#c0392b"
#: The thriving line, on white and over a colour map (orange shows at both ends of viridis).
THRIVING = GOOD
THRIVING_ON_MAP = "#ff9f1c"
#: The network's ordinary ties.
TIE = "#8a8f98"
#: Text and axes on the page; grid lines; secondary reference lines; neutral fills.
INK = "#33383f"
GRID = "#e6e8eb"
MUTED = "#555555"
NEUTRAL_FILL = "#eeeeee"
WINDOW_FILL = "#f3e3c6"
#: Three series in order (low, middle, high).
TRIO = (SECOND, GOOD, CONTRIBUTOR)
#: The colour map of phase diagrams, and the one for families of lines.
SEQUENTIAL_MAP = "viridis"
FAMILY_MAP = "plasma"

#: Font sizes in points: titles, axis labels, legends and ticks, small notes.
TITLE_SIZE = 10
SUPTITLE_SIZE = 11
LABEL_SIZE = 9
LEGEND_SIZE = 8
SMALL_SIZE = 7
#: The browser page's pictures are shown smaller than drawn, so their text is larger.
PAGE_LABEL_SIZE = 12
PAGE_TICK_SIZE = 11
#: Resolution of the PNG figures written to disk.
DPI = 110


def figure(width: float, height: float, *, dpi: int = DPI, constrained: bool = True) -> Figure:
    """A Matplotlib figure in inches; laid out by the constrained layout engine unless told otherwise."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=dpi, layout="constrained" if constrained else None)


def save(fig: Figure, path: Path) -> None:
    """Write ``fig`` as a PNG under a temporary name, then rename it (light compression: quicker, about as small)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    write_with(path, lambda tmp: fig.savefig(tmp, format="png", pil_kwargs={"compress_level": 1}))


def ghost_label(ghost: float) -> str:
    """The legend's words for the ghost-town band."""
    return f"ghost town (< {ghost:.0%})"


def thriving_label(thriving: float) -> str:
    """The legend's words for the thriving line."""
    return f"thriving ({thriving:.0%}+)"


def ghost_band(ax: Axes, ghost: float) -> None:
    """Shade the ghost town, from 0 to the threshold, with its legend entry."""
    ax.axhspan(0, ghost, color=GHOST_BAND, alpha=GHOST_ALPHA, lw=0, label=ghost_label(ghost))


def thriving_line(ax: Axes, thriving: float, colour: str = THRIVING) -> None:
    """Draw the thriving line, with its legend entry (``colour`` when green is taken by a series)."""
    ax.axhline(thriving, color=colour, ls="--", lw=1, label=thriving_label(thriving))


#: Colours of the verdict's words, by verdict.
VERDICT_COLOURS = {"ghost_town": GHOST_LINE, "struggling": "#a65000", "thriving": GOOD, "not_launched": MUTED}


def verdict_note(ax: Axes, text: str, key: str | None = None, width: int = 100) -> int:
    """Write the verdict (or an ensemble's verdicts) above ``ax``, wrapped; returns its number of lines.

    Give the title a ``pad`` of at least ``6 + 12 * lines`` points to keep it clear of the note.
    """
    import textwrap

    lines = textwrap.wrap(text, width) or [""]
    ax.text(
        0.0,
        1.02,
        "\n".join(lines),
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize=LABEL_SIZE,
        color=VERDICT_COLOURS.get(key or "", INK),
    )
    return len(lines)


def wrap(text: str, width: int = 72) -> str:
    """``text`` broken into lines of at most ``width`` characters, so a long title stays on the canvas."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text
