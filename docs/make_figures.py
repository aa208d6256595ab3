"""Make the README's figure: the four retail scenarios over seeds 1-20.

    python docs/make_figures.py            # writes docs/img/scenarios.png

Each line is the median weekly active share over 20 seeds, the band spans the 10th to 90th
percentile.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ecosim.api import simulate
from ecosim.plotting import style
from ecosim.plotting.run import scenarios
from ecosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "retail_high_alignment": ("high alignment (0.85)", style.GOOD),
    "retail": ("retail, alignment 0.5", style.ACTIVE),
    "retail_facilitated": ("low alignment, heavy facilitation", style.FACILITATOR),
    "retail_low_alignment": ("low alignment (0.2)", style.GHOST_LINE),
}


def main() -> None:
    """Draw docs/img/scenarios.png: each scenario's weekly active share, median and 10-90% band over 20 seeds."""
    series = {}
    for name, (label, colour) in SCENARIOS.items():
        runs = [
            simulate(load_scenario(ROOT / "scenarios" / f"{name}.yaml", seed=seed)).timeseries["active_share"]
            for seed in range(1, 21)
        ]
        series[label] = (np.array(runs), colour)
    verdict = load_scenario(ROOT / "scenarios" / "retail.yaml").verdict
    fig = scenarios(
        series,
        verdict.ghost_town_below,
        verdict.thriving_at,
        "Will they come? Weekly active share, median and 10-90% band over 20 seeds",
    )
    out = ROOT / "docs" / "img" / "scenarios.png"
    style.save(fig, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
