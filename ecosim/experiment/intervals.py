"""Monte Carlo intervals of what an experiment reports: shares of runs and means over runs."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np


def wilson_interval(k: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """The Wilson score interval of a share of ``k`` in ``n`` at ``level`` (0.90: a 90% interval).

    Unlike the plain normal interval it stays between 0 and 1 and is not empty when ``k`` is 0 or ``n``
    (Wilson 1927; Brown, Cai & DasGupta 2001 recommend it for small ``n``).
    """
    if n <= 0:
        return float("nan"), float("nan")
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = k / n
    z2n = z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * np.sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n)
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    if k == 0:
        low = 0.0
    if k == n:
        high = 1.0
    return float(low), float(high)


def mean_interval(x: np.ndarray, level: float = 0.90) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of ``x`` and its normal interval at ``level`` (its standard error times z)."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(np.mean(x))
    se = float(np.std(x, ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")
    z = NormalDist().inv_cdf(0.5 + level / 2)
    return mean, mean - z * se, mean + z * se
