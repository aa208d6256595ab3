"""Reductions: with everything else switched off, ecosim's mechanisms are the classic models.

The statistical tests use fixed seeds and tolerances derived from their sample sizes (confidence
intervals) against closed forms or published values; the heavy ones are marked ``slow`` (CI still
runs them). The full suite of reproductions is ``python -m ecosim validate`` (docs/validation.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecosim.core.engine import Week
from ecosim.core.mechanisms import learning
from ecosim.experiment.model import EcosystemModel
from ecosim.scenario.loader import load_scenario

VALIDATION = Path(__file__).resolve().parents[1] / "scenarios" / "validation"


def march_model(**overrides) -> EcosystemModel:
    sc = load_scenario(
        VALIDATION / "march.yaml", {f"learning.{k}": v for k, v in overrides.items()} | {"network.learners": 2}
    )
    return EcosystemModel(sc, seed=3)


# ---- March's rules, as his program ran them ---------------------------------------------------


def _learn_code(m):
    m.engine.draws.week += 1  # another week's draws each time
    return learning.learn_codes(m.engine)[0]


def test_code_learns_only_from_people_who_outperform_it():
    """Someone right on 10 dimensions and wrong on 20 does not outperform a neutral code."""
    m = march_model(code_learning=1.0)
    m.reality[:] = 1
    m.code[:] = 0
    m.state.beliefs[:] = -1
    m.state.beliefs[:, :10] = 1  # 10 right, 20 wrong: more right beliefs than the code, worse actions
    assert np.array_equal(_learn_code(m), np.zeros(30, np.int8))

    m.state.beliefs[:] = 1
    m.state.beliefs[:, :10] = -1  # 20 right, 10 wrong: outperforms the code, which follows (p2 = 1)
    assert np.array_equal(_learn_code(m), m.state.beliefs[0])


def test_people_without_a_belief_guess_and_can_outperform_the_code_by_luck():
    m = march_model(code_learning=1.0)
    m.reality[:] = 1
    m.code[:] = 0
    m.state.beliefs[:] = 0  # no beliefs at all: their actions are coin flips
    took = [np.count_nonzero(_learn_code(m)) for _ in range(200)]
    assert 0 < np.mean([t > 0 for t in took]) < 1


def test_socialisation_moves_a_belief_one_step_toward_the_code():
    m = march_model(socialisation=1.0, code_learning=0.0)
    m.code[:] = 1
    m.state.beliefs[:] = -1
    learning.step(m.engine, Week.start(m.week, 1))
    assert np.all(m.state.beliefs == 0)
    learning.step(m.engine, Week.start(m.week, 1))
    assert np.all(m.state.beliefs == 1)


# ---- the reductions of the foundation: Bass, Watts, March ------------------------------------------


def _family_t(level: float, df: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(1 - level / 2, df))


@pytest.mark.slow
def test_bass_rule_on_a_complete_graph_follows_the_closed_form_within_0_02():
    """N = 10,000, (p, q) = (0.03, 0.38): the mean of 20 runs stays within 0.02 of Bass's F(t).

    The sub-steps per week come from the scheme's exact error (<= 0.005, see
    ecosim.validation.cases.derive_steps); the tolerance is the 99% interval of the mean, made
    simultaneous over the weeks (Bonferroni), plus that error, and must itself fit within 0.02.
    """
    from ecosim.api import simulate
    from ecosim.validation import analytic
    from ecosim.validation.cases import derive_steps

    p, q, weeks, runs = 0.03, 0.38, 30, 20
    t = np.arange(weeks + 1)
    exact = analytic.bass_F(t, p, q)
    steps, delta = derive_steps(lambda s: float(np.max(np.abs(analytic.bass_scheme(weeks, p, q, s) - exact))))
    sc = load_scenario(VALIDATION / "bass.yaml", {"engagement.bass.steps_per_week": steps, "weeks": weeks})
    curves = np.array(
        [np.r_[0.0, simulate(sc, seed=s).timeseries["active_share"].to_numpy()] for s in range(100, 100 + runs)]
    )
    mean = curves.mean(axis=0)
    se = curves.std(axis=0, ddof=1) / np.sqrt(runs)
    tol = _family_t(0.01 / weeks, runs - 1) * se[1:].max() + delta + 1 / 10_000
    assert tol <= 0.02
    assert np.max(np.abs(mean - exact)) <= tol


def test_bass_rule_with_one_step_a_week_is_its_discrete_scheme_not_the_continuous_curve():
    """One step a week lags Bass's curve by ~0.1: that is the scheme, exactly (derived, not noise)."""
    from ecosim.validation import analytic

    t = np.arange(41)
    gap = np.max(np.abs(analytic.bass_scheme(40, 0.03, 0.38, 1) - analytic.bass_F(t, 0.03, 0.38)))
    assert 0.09 < gap < 0.11
    # first order: doubling the sub-steps halves the error
    e = [np.max(np.abs(analytic.bass_scheme(40, 0.03, 0.38, s) - analytic.bass_F(t, 0.03, 0.38))) for s in (8, 16)]
    assert e[1] == pytest.approx(e[0] / 2, rel=0.1)


def _cascades(z: float, runs: int, seed0: int) -> np.ndarray:
    from ecosim.validation.cases import threshold_cascade

    sc = load_scenario(VALIDATION / "threshold_watts.yaml", {"network.mean_degree": z})
    return np.array([threshold_cascade(sc, seed0 + i)[0] for i in range(runs)])


@pytest.mark.slow
def test_threshold_rule_gives_global_cascades_often_at_z3_and_never_at_z8():
    """Watts (2002), phi = 0.18, Erdos-Renyi N = 10,000, one seed: 40 runs at z = 3 and 60 at z = 8."""
    from ecosim.validation.analytic import cascade_probability
    from ecosim.validation.stats import clopper_pearson

    at3 = _cascades(3.0, 40, 7000) >= 0.01
    lo, hi = clopper_pearson(int(at3.sum()), at3.size, 0.01)
    assert lo > 0.5  # often
    assert lo <= cascade_probability(3.0, 0.18) <= hi  # as often as the extended vulnerable cluster says
    at8 = _cascades(8.0, 60, 8000) >= 0.01
    assert clopper_pearson(int(at8.sum()), at8.size, 0.01)[1] < 0.1  # (almost) never


@pytest.mark.slow
def test_knowledge_layer_alone_reproduces_march_slow_socialisation_beats_fast():
    """March (1991): at p2 = 0.9, p1 = 0.1 reaches higher equilibrium code knowledge than p1 = 0.9."""
    from ecosim.validation.cases import march_run

    runs = 40
    k = {}
    for p1 in (0.1, 0.9):
        sc = load_scenario(VALIDATION / "march.yaml", {"learning.socialisation": p1, "learning.code_learning": 0.9})
        k[p1] = np.array([march_run(sc, 9000 + i, True)[0] for i in range(runs)])
    diff = k[0.1].mean() - k[0.9].mean()
    se = np.sqrt(k[0.1].var(ddof=1) / runs + k[0.9].var(ddof=1) / runs)
    assert diff - _family_t(0.01, runs - 1) * se > 0
    # and near the published equilibria (Workiewicz's 10,000-run recreation: 0.972 and 0.728)
    for p1, ref in ((0.1, 0.9724), (0.9, 0.7284)):
        assert abs(k[p1].mean() - ref) <= _family_t(0.01, runs - 1) * k[p1].std(ddof=1) / np.sqrt(runs)


def test_granovetter_one_threshold_decides_the_riot():
    from ecosim.api import simulate

    uniform = list(range(100))
    moved = [0, 2, *range(2, 100)]
    for counts, joined in ((uniform, 100), (moved, 1)):
        sc = load_scenario(VALIDATION / "threshold_granovetter.yaml", {"engagement.threshold.counts": counts})
        ts = simulate(sc, seed=1).timeseries
        assert round(ts["active_share"].iloc[-1] * 100) == joined
