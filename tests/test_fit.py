"""The fit of the defaults (python -m ecosim.validation.fit) and its record, docs/fit.json."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from ecosim.scenario.schema import param_info
from ecosim.validation import fit

RECORD = json.loads((ROOT / "docs" / "fit.json").read_text())


def test_the_shipped_defaults_are_the_fitted_values():
    for name, entry in RECORD["parameters"].items():
        assert param_info(name).default == pytest.approx(entry["fitted"]), name
    assert param_info("forgetting.rate").default == pytest.approx(RECORD["forgetting"]["fitted_rate"])


def test_forgetting_rate_gives_the_half_life():
    rate = fit.forgetting_rate_for_half_life(fit.HALF_LIFE_WEEKS, 0.5)
    assert fit.half_life(rate, 0.5) == pytest.approx(fit.HALF_LIFE_WEEKS, abs=1e-3)
    assert rate == pytest.approx(RECORD["forgetting"]["fitted_rate"], abs=1e-4)
    assert fit.half_life(2 * rate, 0.5) < fit.HALF_LIFE_WEEKS / 2  # a faster rate, a much shorter half-life


@pytest.mark.slow
@pytest.mark.parametrize("point", ["start", "fitted"])
def test_the_fit_objective_reproduces_its_record(point):
    """At the start and at the fitted weights, the engine shows what the record says, to four decimals."""
    if point == "start":
        values = {**fit.START, **fit.STAGE1_FIXED}
    else:
        values = {name: entry["fitted"] for name, entry in RECORD["parameters"].items()}
        values["forgetting.rate"] = RECORD["forgetting"]["fitted_rate"]
    estimates = fit.measure(values)
    recorded = [t[point] for t in RECORD["targets"]]
    assert estimates == pytest.approx(recorded, abs=1e-4)
