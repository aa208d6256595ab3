"""The calibration's shape check: a test of the curve as a whole that passes a right model and fails a wrong one."""

from __future__ import annotations

import numpy as np

from ecosim.calibrate.check import LEVEL, predictive_check, shape, tail_probability


def _series(rng, n, weeks, kind):
    t = np.arange(1, weeks + 1, dtype=float)
    out = []
    for _ in range(n):
        if kind == "decline":  # a launch peak that fades: the model's curve
            base = 0.1 + 0.3 * np.exp(-t / 8)
        else:  # a steady rise: not a curve the model draws
            base = 0.1 + 0.3 * t / weeks
        out.append({"week": t, "active_share": base + rng.normal(0, 0.02, weeks)})
    return out


def test_shape_statistics_of_a_known_curve():
    s = shape(np.array([1, 2, 3, 4]), np.array([0.1, 0.4, 0.3, 0.2]))
    assert np.isclose(s["level"], 0.25)
    assert np.isclose(s["peak_week"], 1 / 3)
    assert np.isclose(s["end_to_peak"], 0.2 / 0.4)
    assert np.isclose(s["roughness"], (0.3 + 0.1 + 0.1) / 3)


def test_tail_probability_counts_as_davison_and_hinkley():
    sim = np.arange(99, dtype=float)
    assert tail_probability(1000.0, sim) == 2 / 100
    assert tail_probability(49.0, sim) == 1.0


def test_a_right_model_passes_about_as_often_as_the_level_says():
    """Data drawn from the simulated curve itself: the check fails in about 5% of cases, not more."""
    rng = np.random.default_rng(7)
    fails, trials = 0, 200
    for _ in range(trials):
        sims = _series(rng, 100, 20, "decline")
        data = _series(rng, 1, 20, "decline")[0]
        check = predictive_check({"active_share": (data["week"], data["active_share"])}, sims)
        fails += not check.passed
    # binomial(200, 0.05): mean 10, sd 3.1; a check that fails a right model too often shows here
    assert fails <= 10 + 3 * np.sqrt(trials * LEVEL * (1 - LEVEL))


def test_a_wrong_model_fails_and_is_named():
    rng = np.random.default_rng(8)
    sims = _series(rng, 100, 20, "decline")
    data = _series(rng, 1, 20, "rise")[0]
    check = predictive_check({"active_share": (data["week"], data["active_share"])}, sims)
    assert not check.passed
    assert check.tail_probability < LEVEL
    text = check.sentence({"active_share": "weekly active share"})
    assert text.startswith("Warning") and "weekly active share" in text
