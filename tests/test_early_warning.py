"""Early warning: the verdict week by week over the forecast's draws, and the first week below the ghost-town line."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_calibrate import FIT, observed, small  # noqa: F401  (the fixtures of the small calibration)

import ecosim.calibrate.engine as engine
from ecosim.calibrate.early_warning import early_warning, rules_for_draws
from ecosim.calibrate.simulator import run_series
from ecosim.cli import main
from ecosim.core.metrics import verdict
from ecosim.experiment.intervals import wilson_interval
from ecosim.scenario.loader import load_scenario, scenario_to_dict
from ecosim.scenario.schema import Verdict

#: The rule of the synthetic futures, set here so that their answers are known.
RULE = SimpleNamespace(verdict=Verdict(ghost_town_below=0.10, thriving_at=0.40, window_weeks=4, max_drop=0.05))
LAUNCH = 3  # model weeks 1 and 2 come before the launch
HORIZON = 20  # weeks since launch
WEEKS = np.arange(1, HORIZON + 1)  # weeks since launch


def _future(since_launch: np.ndarray) -> np.ndarray:
    """A future's weekly active share for every model week: nobody before the launch, then ``since_launch``."""
    return np.concatenate([np.zeros(LAUNCH - 1), since_launch])


def _falling(cross: int) -> np.ndarray:
    """A share falling by 2 points a week that is first below the line (0.10) at week ``cross``: 0.11, then 0.09."""
    return _future(np.maximum(0.09 + 0.02 * (cross - WEEKS), 0.0))


#: Three futures that fall below the line at weeks 5, 9 and 13 and stay below it; two that stay at 50% (thriving);
#: one at 30% but for a dip to 5% at week 6 (below the line once, then back: struggling); two at 20% (struggling).
CROSS = (5, 9, 13)
FUTURES = [
    *(_falling(c) for c in CROSS),
    _future(np.full(HORIZON, 0.5)),
    _future(np.full(HORIZON, 0.5)),
    _future(np.where(WEEKS == 6, 0.05, 0.3)),
    _future(np.full(HORIZON, 0.2)),
    _future(np.full(HORIZON, 0.2)),
]


def test_wilson_interval_matches_the_textbook_values():
    # 5 of 10 at 95%: 0.2366 to 0.7634 (Newcombe 1998, Table I); 0 of n and n of n touch 0 and 1
    assert wilson_interval(5, 10, 0.95) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    z2 = 1.6448536269514722**2
    assert wilson_interval(0, 10) == pytest.approx((0.0, z2 / (10 + z2)))
    assert wilson_interval(10, 10) == pytest.approx((10 / (10 + z2), 1.0))
    assert wilson_interval(3, 8)[0] < 3 / 8 < wilson_interval(3, 8)[1]


def test_shares_by_week_and_the_first_week_below_the_line_are_exact():
    ew = early_warning(FUTURES, RULE, launch=LAUNCH, line=0.10)
    t = ew.table
    assert t["week"].tolist() == WEEKS.tolist()  # weeks since launch: the two weeks before it are not reported
    n = len(FUTURES)
    ghost = np.array([sum(w >= c for c in CROSS) + (w == 6) for w in WEEKS]) / n
    by_now = np.array([sum(w >= c for c in CROSS) + (w >= 6) for w in WEEKS]) / n
    np.testing.assert_array_equal(t["thriving"], np.full(HORIZON, 2 / n))
    np.testing.assert_array_equal(t["ghost_town"], ghost)
    np.testing.assert_array_equal(t["struggling"], 1 - 2 / n - ghost)
    np.testing.assert_array_equal(t["ghost_town_by_now"], by_now)
    np.testing.assert_allclose(t[["thriving", "struggling", "ghost_town"]].sum(axis=1), 1.0)
    # each share's interval is the Wilson interval of its count
    row = t.set_index("week").loc[13]
    assert (row["ghost_town_low"], row["ghost_town_high"]) == wilson_interval(3, n)
    assert (row["ghost_town_by_now_low"], row["ghost_town_by_now_high"]) == wilson_interval(4, n)
    # the first week below the line: 5, 9, 13 and the dip at 6; never for the other four
    assert ew.first_week.tolist()[:3] == [5.0, 9.0, 13.0] and ew.first_week[5] == 6.0
    assert np.isnan(ew.first_week[[3, 4, 6, 7]]).all()
    assert (ew.crossed, ew.share_crossed, ew.recovered) == (4, 0.5, 1)
    assert ew.week_quantiles() == pytest.approx((5.15, 7.5, 12.4))  # linear percentiles of 5, 6, 9, 13
    assert ew.sentence() == (
        "Early warning: the platform falls below the ghost-town line (a weekly active share of 10%) by week 20 in "
        "50% of futures, first at week 7.5 in the median (90% interval of the week when it happens: 5.2 to 12.4); "
        "at week 20, a ghost town in 38% and thriving in 25%."
    )
    s = ew.summary()
    assert s["share_never_falling_below_the_line"] == 0.5 and s["first_week_below_the_line"]["median"] == 7.5
    assert s["at_the_horizon"] == {"thriving": 0.25, "struggling": 0.375, "ghost_town": 0.375, "ghost_town_by_now": 0.5}


def test_a_thriving_level_that_is_falling_is_struggling_and_the_launch_week_can_be_below_the_line():
    # 50% falling 3 points a week to 30%: above the thriving line (40%) until week 4, but from week 4 its trend
    # over the window (4 weeks) loses 9 points, more than max_drop (5) allows
    falling = _future(np.maximum(0.5 - 0.03 * (WEEKS - 1), 0.3))
    low_start = _future(np.where(WEEKS == 1, 0.05, 0.5))  # below the line in the launch week only
    ew = early_warning([falling, low_start], RULE, launch=LAUNCH)
    t = ew.table.set_index("week")
    assert t.loc[1, "ghost_town"] == 0.5 and t.loc[1, "thriving"] == 0.5
    assert t.loc[3, "thriving"] == 1.0  # both rising over their windows (which start before the launch)
    assert t.loc[4, "thriving"] == 0.5 and t.loc[4, "struggling"] == 0.5  # 41%, but falling: struggling
    assert t.loc[2, "ghost_town"] == 0.0 and t.loc[2, "ghost_town_by_now"] == 0.5
    assert ew.first_week[1] == 1.0 and np.isnan(ew.first_week[0])
    assert ew.sentence() == (  # no line given: none shown; one week for every future that falls: no interval
        "Early warning: the platform falls below the ghost-town line by week 20 in 50% of futures, first at week 1 "
        "in each of them; at week 20, a ghost town in 0% and thriving in 50%."
    )


def test_no_future_below_the_line_says_so():
    ew = early_warning([_future(np.full(HORIZON, 0.5))] * 3, RULE, launch=LAUNCH, line=0.1)
    assert ew.week_quantiles() is None and ew.crossed == 0
    assert ew.sentence() == (
        "Early warning: in none of the 3 futures does the platform fall below the ghost-town line (a weekly active "
        "share of 10%) by week 20; thriving at week 20 in 100%."
    )
    assert ew.table["ghost_town_by_now_high"].iloc[-1] == wilson_interval(0, 3)[1] > 0


def test_a_fitted_ghost_town_line_is_each_draws_own():
    draws = pd.DataFrame({"draw": [0, 1], "verdict.ghost_town_below": [0.25, 0.15]})
    scenario = SimpleNamespace(verdict=RULE.verdict)
    rules = rules_for_draws(scenario, draws)
    assert [r.verdict.ghost_town_below for r in rules] == [0.25, 0.15]
    ew = early_warning([_future(np.full(HORIZON, 0.2))] * 2, rules, launch=LAUNCH)
    assert ew.first_week[0] == 1.0 and np.isnan(ew.first_week[1])
    assert rules_for_draws(scenario, draws.drop(columns="verdict.ghost_town_below")) == [scenario, scenario]


@pytest.mark.parametrize(
    ("futures", "launch", "message"),
    [([], 1, "no futures"), ([np.zeros(5), np.zeros(4)], 1, "same weeks"), ([np.zeros(5)], 7, "after the last")],
)
def test_bad_futures_are_refused_in_words(futures, launch, message):
    with pytest.raises(ValueError, match=message):
        early_warning(futures, RULE, launch=launch)


# ------------------------------------------------------------------------------------------------
# End to end: a small calibration
# ------------------------------------------------------------------------------------------------


def test_calibrate_writes_the_verdict_by_week_of_its_own_forecast_draws(small, observed, tmp_path, capsys, monkeypatch):  # noqa: F811
    results = []
    real = engine.calibrate

    def keep(*args, **kwargs):
        results.append(real(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(engine, "calibrate", keep)
    out = tmp_path / "cal"
    argv = ["calibrate", str(small), "--observed", str(observed), "--fit", *FIT, "--particles", "12",
            "--generations", "2", "--draws", "10", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    cap = capsys.readouterr()
    (result,) = results
    lines = cap.out.strip().splitlines()
    assert lines[-1].startswith("Early warning: ") and lines[-1] == result.early_warning.sentence()
    assert lines[-2].startswith("Results: ") and "Traceback" not in cap.err

    table = pd.read_csv(out / "verdict_by_week.csv")
    pd.testing.assert_frame_equal(pd.read_parquet(out / "verdict_by_week.parquet"), result.early_warning.table)
    assert table["week"].tolist() == list(range(1, 21))
    np.testing.assert_allclose(table[["thriving", "struggling", "ghost_town"]].sum(axis=1), 1.0, atol=1e-6)

    # the forecast draws simulated again here, one by one, from their parameters and seeds
    scenario = load_scenario(small)
    data = scenario_to_dict(scenario)
    launch = scenario.platform.launch_week
    verdicts = []
    draws = result.draws
    for i in draws.index:  # seeds read as whole numbers: a row of floats would round them
        params = {name: float(draws.at[i, name]) for name in result.fitted}
        active = run_series(data, params, int(draws.at[i, "seed"]))["series"]["active_share"]
        verdicts.append([verdict(active[: launch - 1 + w], True, scenario) for w in range(1, 21)])
    verdicts = np.array(verdicts)
    assert verdicts.shape == (10, 20)
    for name in ("thriving", "struggling", "ghost_town"):
        np.testing.assert_allclose(table[name], (verdicts == name).mean(axis=0), atol=1e-6)
    ever = np.logical_or.accumulate(verdicts == "ghost_town", axis=1)
    np.testing.assert_allclose(table["ghost_town_by_now"], ever.mean(axis=0), atol=1e-6)
    # the last week is the verdict at the end of the forecast, as the outcomes give it
    assert {k: table[k].iloc[-1] for k in ("thriving", "struggling", "ghost_town")} == pytest.approx(
        {k: result.verdicts.get(k, 0.0) for k in ("thriving", "struggling", "ghost_town")}
    )

    warning = json.loads((out / "forecast.json").read_text())["early_warning"]
    assert warning["draws"] == 10 and warning["share_falling_below_the_line"] == pytest.approx(ever.any(axis=1).mean())
    report = (out / "calibration.md").read_text()
    assert "## Early warning: the verdict week by week" in report and result.early_warning.sentence() in report
    assert "| 6 (last observed) |" in report and "verdict_by_week.csv" in report
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"verdict_by_week.csv", "verdict_by_week.parquet"} <= set(manifest["files"])


def test_without_a_forecast_there_is_no_early_warning(small, observed):  # noqa: F811
    result = engine.calibrate(small, observed, FIT, particles=12, generations=1, draws=0, seed=5)
    assert result.early_warning is None
