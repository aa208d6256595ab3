"""What to measure next: the expected value of partial perfect information of each unknown.

An unknown is what differs between futures and could be measured before committing: a deep
uncertainty of the plan file, or a parameter of a calibration's posterior. If the unknown ``θ``
were known exactly before choosing, one would pick the best plan for that value; on average that
gains (Raiffa & Schlaifer 1961; the expected value of partial perfect information, EVPPI)

    EVPPI(θ) = E_θ[ max_p E(y_p | θ) ] - max_p E(y_p)

over the compared plans ``p``, in the objective's own unit. ``E(y_p | θ)`` is estimated by
regressing each plan's outcome over the futures on ``θ`` (a cubic polynomial in ``θ``; the
regression method of Strong, Oakley & Brennan 2014, which needs no nested simulation). With it
comes how often knowing ``θ`` would change the recommended plan: the share of futures whose
best plan, given their ``θ``, is not the one recommended. The Monte Carlo error of both is the
standard deviation of a bootstrap over the futures (Efron & Tibshirani 1993).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: The degree of the polynomial in the unknown that each plan's outcome is regressed on.
DEGREE = 3
#: Bootstrap resamples of the futures for the Monte Carlo error.
BOOTSTRAP = 200


def _fitted(theta: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each plan's outcome (rows of ``y``) regressed on ``theta``: the fitted values, plans x futures."""
    spread = theta.std()
    if not np.isfinite(spread) or spread == 0:
        return np.repeat(y.mean(axis=1, keepdims=True), y.shape[1], axis=1)
    z = (theta - theta.mean()) / spread
    degree = min(DEGREE, len(np.unique(z)) - 1)
    basis = np.vander(z, degree + 1)
    coef, *_ = np.linalg.lstsq(basis, y.T, rcond=None)
    return (basis @ coef).T


def evppi(theta: np.ndarray, y: np.ndarray, recommended: int) -> tuple[float, float]:
    """``(EVPPI, share of futures whose best plan given theta is not the recommended one)``."""
    fit = _fitted(np.asarray(theta, dtype=float), np.asarray(y, dtype=float))
    gain = float(fit.max(axis=0).mean() - fit.mean(axis=1).max())
    changed = float(np.mean(fit.argmax(axis=0) != recommended))
    return max(gain, 0.0), changed


def value_of_information(
    unknowns: Mapping[str, np.ndarray],
    y: np.ndarray,
    *,
    recommended: int = 0,
    bootstrap: int = BOOTSTRAP,
    seed: int = 0,
) -> pd.DataFrame:
    """The EVPPI of each unknown and how often it would change the plan, with their bootstrap errors.

    Args:
        unknowns: each unknown's value in each future (the futures of ``y``'s columns).
        y: the compared plans' outcomes, plans x futures, in the objective's unit.
        recommended: the row of ``y`` that is the recommended plan.
        bootstrap: resamples of the futures for the Monte Carlo error.
        seed: the bootstrap's seed.

    Rows are sorted by EVPPI, the most valuable unknown first.
    """
    y = np.asarray(y, dtype=float)
    n = y.shape[1]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(bootstrap, n))
    rows = []
    for name, theta in unknowns.items():
        theta = np.asarray(theta, dtype=float)
        value, changed = evppi(theta, y, recommended)
        boot = np.array([evppi(theta[i], y[:, i], recommended) for i in draws])
        rows.append(
            {
                "unknown": name,
                "evppi": value,
                "evppi_error": float(boot[:, 0].std(ddof=1)),
                "changes_plan": changed,
                "changes_plan_error": float(boot[:, 1].std(ddof=1)),
            }
        )
    frame = pd.DataFrame(rows, columns=["unknown", "evppi", "evppi_error", "changes_plan", "changes_plan_error"])
    return frame.sort_values("evppi", ascending=False, kind="stable").reset_index(drop=True)
