"""Make the README's figure: the four retail scenarios over seeds 1-20.

    python docs/make_figures.py            # writes docs/img/scenarios.png

Each line is the median weekly active share over 20 seeds, the band spans the 10th to 90th
percentile.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ecosim.api import simulate
from ecosim.io import write_with
from ecosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "retail_high_alignment": ("high alignment (0.85)", "#3a7d44"),
    "retail": ("retail, alignment 0.5", "#1f3b73"),
    "retail_facilitated": ("low alignment, heavy facilitation", "#7b3294"),
    "retail_low_alignment": ("low alignment (0.2)", "#c0392b"),
}


def main() -> None:
    """Draw docs/img/scenarios.png: each scenario's weekly active share, median and 10-90% band over 20 seeds."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), dpi=100)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.12, top=0.9)
    ax = fig.add_subplot()
    for name, (label, colour) in SCENARIOS.items():
        series = np.array(
            [
                simulate(load_scenario(ROOT / "scenarios" / f"{name}.yaml", seed=seed)).timeseries["active_share"]
                for seed in range(1, 21)
            ]
        )
        weeks = np.arange(1, series.shape[1] + 1)
        lo, mid, hi = np.percentile(series, [10, 50, 90], axis=0)
        ax.fill_between(weeks, lo, hi, color=colour, alpha=0.15, lw=0)
        ax.plot(weeks, mid, color=colour, lw=2, label=label)
    ax.axhspan(0, 0.10, color="#f1c9c9", alpha=0.5, lw=0, label="ghost town (< 10%)")
    ax.axhline(0.40, color="#555", ls="--", lw=1, label="thriving (40%+)")
    ax.set_xlim(1, 52)
    ax.set_ylim(0, 1)
    ax.set_xlabel("week after launch")
    ax.set_ylabel("weekly active share")
    ax.set_title("Will they come? Weekly active share, median and 10-90% band over 20 seeds")
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    FigureCanvasAgg(fig)
    out = ROOT / "docs" / "img" / "scenarios.png"
    write_with(out, lambda tmp: fig.savefig(tmp, format="png"))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
