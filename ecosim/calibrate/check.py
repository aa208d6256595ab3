"""A posterior predictive check that can fail: does the fitted model make curves of the observed shape?

Weekly bands say whether each observed week lies within what the posterior simulates; a model can
pass them week by week and still draw the wrong curve (a steady level where the data rise, a peak
in the wrong place). This check compares the *shape* of each observed series with the same shape
statistics of the series simulated from the posterior, over the same weeks:

- ``level``: the mean over the observed weeks;
- ``trend``: the least-squares slope per week over the observed weeks;
- ``peak_week``: the share of the observed span at which the series peaks (0 first week, 1 last);
- ``end_to_peak``: the mean of the last third of the weeks over the peak (1: still at its peak);
- ``roughness``: the mean absolute change from one observed week to the next.

The check is one test, so that it can fail with the hundred or so draws a calibration simulates:
the observed shape statistics, all series together, are a point; the simulated ones a cloud. Its
statistic is the Mahalanobis distance of a point from the cloud's mean (covariance of the cloud);
each point, observed or simulated, is measured from the mean and covariance of all the others, and
the tail probability is the observed point's rank among them, ``(k + 1) / (n + 1)`` with ``k``
simulated points at least as far out (Davison & Hinkley 1997, section 4.2): exact, because under a
right model the observed series is one more draw, exchangeable with the simulated ones. The check fails when it is below
0.05: a correctly specified model fails it in about 5% of calibrations. Each statistic's own
two-sided tail probability, ``2 min(P(S >= s), P(S <= s))``, names what a failing model misses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: The shape statistics, in the order reported, with their plain words.
SHAPES = {
    "level": "its level",
    "trend": "its trend",
    "peak_week": "when it peaks",
    "end_to_peak": "how far it falls from its peak",
    "roughness": "how much it moves week to week",
}
#: The family-wise level of the check.
LEVEL = 0.05


def shape(weeks: np.ndarray, values: np.ndarray) -> dict[str, float]:
    """The shape statistics of one series observed at ``weeks`` (missing weeks are simply not there)."""
    w = np.asarray(weeks, dtype=float)
    v = np.asarray(values, dtype=float)
    keep = np.isfinite(v)
    w, v = w[keep], v[keep]
    out = dict.fromkeys(SHAPES, np.nan)
    if v.size == 0:
        return out
    out["level"] = float(v.mean())
    if v.size >= 2 and np.ptp(w) > 0:
        out["trend"] = float(np.polyfit(w, v, 1)[0])
        out["peak_week"] = float((w[int(np.argmax(v))] - w[0]) / (w[-1] - w[0]))
        out["roughness"] = float(np.mean(np.abs(np.diff(v))))
    peak = float(v.max())
    tail = v[-max(1, v.size // 3) :]
    out["end_to_peak"] = float(tail.mean() / peak) if peak > 0 else np.nan
    return out


@dataclass
class Check:
    """The check's table (one row per series and shape statistic) and its outcome."""

    table: pd.DataFrame  # statistic, shape, observed, p5, p50, p95, tail_probability
    tail_probability: float  # of the observed shape as a whole (NaN when it could not be judged)
    threshold: float = LEVEL

    @property
    def failed(self) -> pd.DataFrame:
        """What a failing model misses most: the statistics with the smallest tail probabilities."""
        if self.passed:
            return self.table.iloc[:0]
        t = self.table.sort_values("tail_probability")
        return t[t["tail_probability"] <= max(float(t["tail_probability"].iloc[0]), 0.05)].head(3)

    @property
    def passed(self) -> bool:
        """False only when the shape as a whole is improbable under the posterior (below the threshold)."""
        return not (self.tail_probability < self.threshold)

    def sentence(self, words: Mapping[str, str] | None = None) -> str:
        """The outcome in a sentence, naming what the model cannot reproduce."""
        words = words or {}
        if self.table.empty or not np.isfinite(self.tail_probability):
            return "The shape check could not be run (too few observed weeks or simulated series)."
        if self.passed:
            return (
                f"The fitted model draws curves of the observed shape (tail probability "
                f"{self.tail_probability:.2f}; the check fails below {self.threshold:.2f})."
            )
        parts = [
            f"{words.get(r.statistic, r.statistic)}, {SHAPES[r.shape]} (observed {r.observed:.3g}, simulated "
            f"90% range {r.p5:.3g} to {r.p95:.3g}, tail probability {r.tail_probability:.3f})"
            for r in self.failed.itertuples()
        ]
        return (
            f"Warning: the fitted model does not reproduce the shape of the observed weeks (tail probability "
            f"{self.tail_probability:.3f}, below {self.threshold:.2f}); it misses most "
            + "; ".join(parts)
            + ". Its forecasts rest on a model that misses what the data show; check the scenario "
            "(organisation, network, launch) before trusting them."
        )


def tail_probability(observed: float, simulated: np.ndarray) -> float:
    """Two-sided tail probability of ``observed`` among ``simulated`` values (NaN when it cannot be judged)."""
    sim = np.asarray(simulated, dtype=float)
    sim = sim[np.isfinite(sim)]
    if not np.isfinite(observed) or sim.size == 0:
        return np.nan
    n = sim.size
    above = (np.sum(sim >= observed) + 1) / (n + 1)
    below = (np.sum(sim <= observed) + 1) / (n + 1)
    return float(min(1.0, 2 * min(above, below)))


def predictive_check(
    observed: Mapping[str, tuple[np.ndarray, np.ndarray]],
    simulated: Sequence[Mapping[str, np.ndarray]],
    *,
    launch: int = 1,
) -> Check:
    """Compare each observed series' shape with the series simulated from the posterior.

    ``observed`` maps a statistic to (weeks since launch, values); ``simulated`` holds one dict of
    weekly columns per posterior draw (with ``week`` counted from the start of the run).
    """
    rows = []
    seen_all: list[float] = []
    sims_all: list[np.ndarray] = []
    for stat, (weeks, values) in observed.items():
        weeks = np.asarray(weeks, dtype=np.int64)
        if not simulated or stat not in simulated[0]:
            continue
        index = {int(w): i for i, w in enumerate(np.asarray(simulated[0]["week"]) - launch + 1)}
        keep = np.array([int(w) in index for w in weeks], dtype=bool)
        weeks_kept = weeks[keep]
        values_kept = np.asarray(values, dtype=float)[keep]
        if weeks_kept.size == 0:
            continue
        at = np.array([index[int(w)] for w in weeks_kept])
        seen = shape(weeks_kept, values_kept)
        sims = [shape(weeks_kept, np.asarray(s[stat], dtype=float)[at]) for s in simulated]
        for name in SHAPES:
            sim = np.array([s[name] for s in sims])
            if not np.isfinite(seen[name]) or not np.all(np.isfinite(sim)) or np.ptp(sim) == 0:
                continue  # nothing to judge: undefined, or a constant of the model
            p5, p50, p95 = np.percentile(sim, (5, 50, 95))
            rows.append(
                {
                    "statistic": stat,
                    "shape": name,
                    "observed": seen[name],
                    "p5": float(p5),
                    "p50": float(p50),
                    "p95": float(p95),
                    "tail_probability": tail_probability(seen[name], sim),
                }
            )
            seen_all.append(seen[name])
            sims_all.append(sim)
    columns = ["statistic", "shape", "observed", "p5", "p50", "p95", "tail_probability"]
    table = pd.DataFrame(rows, columns=columns)
    overall = np.nan
    if sims_all and len(simulated) >= 20:
        overall = _distance_tail(np.array(seen_all), np.column_stack(sims_all))
    return Check(table, overall)


def _distance_tail(point: np.ndarray, cloud: np.ndarray) -> float:
    """Share of the points at least as far out as ``point``, each measured from all the others.

    The observed point and the simulated ones are pooled and each one's Mahalanobis distance is
    taken from the mean and covariance of the other ``n``: under a right model the observed point is
    one more draw, exchangeable with the simulated, so its rank gives an exact tail probability
    (``(k + 1) / (n + 1)``, ties counted against it).
    """
    pool = np.vstack([point[None, :], cloud])
    scale = cloud.std(axis=0)
    pool = (pool - cloud.mean(axis=0)) / scale
    d = np.empty(pool.shape[0])
    for i in range(pool.shape[0]):
        rest = np.delete(pool, i, axis=0)
        cov = np.atleast_2d(np.cov(rest, rowvar=False))
        cov += 1e-6 * np.eye(cov.shape[0])  # statistics that move together (level and trend) stay invertible
        diff = pool[i] - rest.mean(axis=0)
        d[i] = float(diff @ np.linalg.pinv(cov) @ diff)
    return float(np.sum(d >= d[0]) / pool.shape[0])
