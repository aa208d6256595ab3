"""The default forgetting rate is the one solved from the published half-life of unused knowledge."""

from __future__ import annotations

import math

import pytest

from ecosim.core.mechanisms.forgetting import HALF_LIFE_WEEKS, half_life, rate_for_half_life, survival
from ecosim.scenario.schema import param_info


def test_survival_is_the_rules_product_of_weekly_hazards():
    # rate 0.1, exponent 1: kept after week k is prod (1 - 0.1 / (1 + j)), j < k
    s = survival(0.1, 1.0, 3)
    assert s.tolist() == pytest.approx([1.0, 0.9, 0.9 * 0.95, 0.9 * 0.95 * (1 - 0.1 / 3)])
    # exponent 0: a constant hazard, so the half-life is log 0.5 / log(1 - rate), to a week's interpolation
    assert half_life(0.05, 0.0) == pytest.approx(math.log(0.5) / math.log(0.95), abs=0.02)


def test_the_default_rate_gives_the_published_half_life():
    exponent = param_info("forgetting.exponent").default
    rate = rate_for_half_life(HALF_LIFE_WEEKS, exponent)
    assert half_life(rate, exponent) == pytest.approx(HALF_LIFE_WEEKS, abs=1e-3)
    # the schema rounds the solved rate to four decimals
    assert param_info("forgetting.rate").default == pytest.approx(rate, abs=5e-5)
    assert half_life(2 * rate, exponent) < HALF_LIFE_WEEKS / 2  # a faster rate, a much shorter half-life
