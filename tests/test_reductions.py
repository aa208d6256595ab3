"""Reductions: with everything else switched off, ecosim's mechanisms are the classic models.

The statistical tests use fixed seeds and tolerances derived from their sample sizes (confidence
intervals) against closed forms or published values; the heavy ones are marked ``slow`` (CI still
runs them). The full suite of reproductions is ``python -m ecosim validate`` (docs/validation.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecosim.core.mechanisms import learning
from ecosim.core.model import EcosystemModel
from ecosim.scenario.loader import load_scenario

VALIDATION = Path(__file__).resolve().parents[1] / "scenarios" / "validation"


def march_model(**overrides) -> EcosystemModel:
    sc = load_scenario(VALIDATION / "march.yaml", {f"learning.{k}": v for k, v in overrides.items()}
                       | {"network.learners": 2})
    return EcosystemModel(sc, seed=3)


# ---- March's rules, as his program ran them ---------------------------------------------------


def test_code_learns_only_from_people_who_outperform_it():
    """Someone right on 10 dimensions and wrong on 20 does not outperform a neutral code."""
    m = march_model(code_learning=1.0)
    m.reality[:] = 1
    m.code[:] = 0
    m.state.beliefs[:] = -1
    m.state.beliefs[:, :10] = 1  # 10 right, 20 wrong: more right beliefs than the code, worse actions
    assert np.array_equal(learning.learn_code(m), np.zeros(30, np.int8))

    m.state.beliefs[:] = 1
    m.state.beliefs[:, :10] = -1  # 20 right, 10 wrong: outperforms the code, which follows (p2 = 1)
    assert np.array_equal(learning.learn_code(m), m.state.beliefs[0])


def test_people_without_a_belief_guess_and_can_outperform_the_code_by_luck():
    m = march_model(code_learning=1.0)
    m.reality[:] = 1
    m.code[:] = 0
    m.state.beliefs[:] = 0  # no beliefs at all: their actions are coin flips
    took = [np.count_nonzero(learning.learn_code(m)) for _ in range(200)]
    assert 0 < np.mean([t > 0 for t in took]) < 1


def test_socialisation_moves_a_belief_one_step_toward_the_code():
    m = march_model(socialisation=1.0, code_learning=0.0)
    m.code[:] = 1
    m.state.beliefs[:] = -1
    learning.step(m)
    assert np.all(m.state.beliefs == 0)
    learning.step(m)
    assert np.all(m.state.beliefs == 1)
