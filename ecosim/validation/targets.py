"""What the fit of the defaults aims at: every pattern, Centola's experiment and the scenarios' stories at once.

The engagement weights that no study measures are fitted (``tools/fit_defaults.py``) so that one
set of defaults reproduces all the patterns of :mod:`ecosim.validation.patterns` in the scenarios of
their regimes, Centola's clustered-versus-random experiment, and the stories the shipped scenarios
tell (the seed's "build it and no-one comes"). This module says what is measured and how far from
its target each measurement is; ``validate`` scores the same rows with the same bands.

Each row's *miss* is its distance outside its target band in units of a scale: the band itself
where the source gives one, else a stated scale. A row inside its band misses by 0. The fit's loss
is the mean of the squared misses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecosim.validation import patterns as pat
from ecosim.validation.observe import Observation

#: The shipped scenarios the fit runs, and the arm without ties (the network's effect).
FIT_SCENARIOS = (
    "retail",
    "retail_low_alignment",
    "retail_high_alignment",
    "retail_facilitated",
    "retail_launch_push",
)
NO_TIES_ARM = "retail_no_ties"
#: The smallest scale of a miss: a band of 0 (a bound, a direction) is measured in these units.
MIN_SCALE = {"share": 0.02, "slope": 0.05}
#: The least gain of the clustered network over the random one the fit asks of Centola's case: a
#: difference the case's 24 paired runs can tell from none (about two of their standard errors).
CENTOLA_MIN_GAIN = 0.02


@dataclass(frozen=True)
class Story:
    """A scenario's story as a bound on a statistic of its runs."""

    key: str
    text: str
    scenario: str
    statistic: str  # ghost_town, thriving, struggling: the share of runs with that verdict; final: mean final active
    bound: float
    side: str  # at-least or at-most
    scale: float = 0.1


STORIES = (
    Story(
        "low_ghost", "goals far apart: a ghost town in most runs", "retail_low_alignment", "ghost_town", 0.5, "at-least"
    ),
    Story("low_never", "goals far apart: never thriving", "retail_low_alignment", "thriving", 0.05, "at-most"),
    Story("high_thriving", "goals close: thriving", "retail_high_alignment", "thriving", 0.8, "at-least"),
    Story("retail_tipping", "half-aligned goals: mostly struggling", "retail", "struggling", 0.4, "at-least"),
    Story(
        "facilitated",
        "heavy facilitation does not make the unaligned chain thrive",
        "retail_facilitated",
        "thriving",
        0.4,
        "at-most",
    ),
    Story("push_thriving", "acting at launch: thriving", "retail_launch_push", "thriving", 0.8, "at-least"),
)


def _verdict_share(obs: list[Observation], verdict: str) -> float:
    return float(np.mean([o.summary["verdict"] == verdict for o in obs])) if obs else math.nan


def _final(obs: list[Observation]) -> float:
    return float(np.mean([o.summary["final_active_share"] for o in obs])) if obs else math.nan


def rows(obs: Mapping[str, list[Observation]], centola: tuple[np.ndarray, np.ndarray] | None) -> list[dict[str, Any]]:
    """Every fitted row: its key, estimate, target, band, scale and miss."""
    out = []
    for p in pat.PATTERNS:
        for name in p.scenarios:
            if name not in obs:
                continue
            m, se, _ = p.read(obs[name])
            scale = p.band if p.band > 0 else (MIN_SCALE["slope"] if p.key == "abandon" else MIN_SCALE["share"])
            out.append(_row(f"{p.key}@{name}", m, p.target, p.band, p.sense, scale))
    for s in STORIES:
        if s.scenario in obs:
            value = _verdict_share(obs[s.scenario], s.statistic)
            out.append(_row(f"story:{s.key}", value, s.bound, 0.0, s.side, s.scale))
    if NO_TIES_ARM in obs and "retail" in obs:
        drop = _final(obs["retail"]) - _final(obs[NO_TIES_ARM])
        out.append(_row("network:no_ties_drop", drop, 0.05, 0.0, "at-least", 0.02))
    if centola is not None:
        clustered, random = centola
        # the case has its own strength (its people heard of the forum only from contacts): what the
        # defaults decide is the form of exposure, so the fit asks only that clustering spreads farther
        gain = float(np.mean(np.asarray(clustered) - np.asarray(random)))
        out.append(_row("centola:clustered_minus_random", gain, CENTOLA_MIN_GAIN, 0.0, "at-least", 0.02))
    return out


def _row(key: str, estimate: float, target: float, band: float, sense: str, scale: float) -> dict[str, Any]:
    if estimate is None or math.isnan(estimate):
        miss = 3.0  # a quantity the runs cannot measure (nobody posted): far off
    elif sense == "two-sided":
        miss = max(0.0, abs(estimate - target) - band) / scale
    elif sense in ("at-most", "less"):
        miss = max(0.0, estimate - (target + band)) / scale
    else:  # at-least, greater
        miss = max(0.0, (target - band) - estimate) / scale
    return {"key": key, "estimate": estimate, "target": target, "band": band, "sense": sense, "miss": miss}


#: Rows that carry the scenarios' statements (the stories, the network's effect) count this many
#: times in the loss: they are what a user reads, and each stands for a whole scenario's verdicts.
STATEMENT_WEIGHT = 3.0


def row_weight(key: str) -> float:
    """How much a row counts in the loss."""
    return STATEMENT_WEIGHT if key.startswith(("story:", "network:")) else 1.0


#: Beyond this many scales a row's miss counts linearly, not squared (Huber's loss): a row the model
#: cannot meet in one regime (the top 1% in a chain pushed at launch) must not decide all the others.
HUBER = 2.0


def row_loss(miss: float) -> float:
    """A row's part of the loss: its squared miss, linear beyond ``HUBER`` scales (continuous, smooth)."""
    return miss * miss if miss <= HUBER else HUBER * (2 * miss - HUBER)


def loss(table: Sequence[dict[str, Any]]) -> float:
    """The weighted mean of the rows' losses (0 when every row is inside its band)."""
    if not table:
        return math.inf
    w = np.array([row_weight(r["key"]) for r in table])
    return float(np.sum(w * np.array([row_loss(r["miss"]) for r in table])) / w.sum())
