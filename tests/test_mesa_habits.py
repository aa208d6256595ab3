"""Mesa users' habits work: keyword construction, ``mesa.batch_run``, a DataCollector, stepping past the end."""

from __future__ import annotations

import multiprocessing
import warnings

import mesa
import numpy as np
import pandas as pd
import pytest

from ecosim.core import metrics
from ecosim.errors import InputError
from ecosim.experiment.model import EcosystemModel
from ecosim.scenario import load_scenario


@pytest.fixture
def start_method():
    """batch_run sets multiprocessing's start method for the whole process: put it back afterwards."""
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def run_of(m: EcosystemModel) -> pd.DataFrame:
    m.run()
    return m.timeseries()


def test_keyword_construction_matches_loading_the_file_with_overrides(tiny):
    loaded = EcosystemModel(load_scenario(tiny, {"goals.mean_alignment": 0.8, "weeks": 4}, seed=5))
    by_path = EcosystemModel(scenario=str(tiny), seed=5, overrides={"goals.mean_alignment": 0.8}, weeks=4)
    by_levers = EcosystemModel(tiny, seed=5, goals__mean_alignment=0.8, **{"weeks": 4})
    by_strings = EcosystemModel(tiny, seed=5, overrides=["goals.mean_alignment=0.8", "weeks=4"])
    on_object = EcosystemModel(load_scenario(tiny), seed=5, goals__mean_alignment=0.8, weeks=4)
    want = run_of(loaded)
    assert len(want) == 4
    for m in (by_path, by_levers, by_strings, on_object):
        assert m.params.goals.mean_alignment == 0.8 and m.seed == m.params.seed == 5
        pd.testing.assert_frame_equal(run_of(m), want)
    assert not run_of(EcosystemModel(tiny, seed=6, goals__mean_alignment=0.8, weeks=4)).equals(want)


def test_named_levers_win_over_overrides_and_bad_ones_are_input_errors(tiny):
    m = EcosystemModel(tiny, overrides={"weeks": 3}, weeks=2)
    assert m.params.weeks == 2
    with pytest.raises(InputError, match="mean_alignmnt"):
        EcosystemModel(tiny, goals__mean_alignmnt=0.3)
    with pytest.raises(InputError, match="goals.mean_alignment"):
        EcosystemModel(load_scenario(tiny), goals__mean_alignment=7)
    with pytest.raises(InputError, match="seed"):
        EcosystemModel(load_scenario(tiny), seed=-1)
    with pytest.raises(TypeError, match="ecosim scenario"):
        EcosystemModel(mesa.experimental.scenarios.Scenario(rng=1))


def test_the_datacollector_holds_the_weekly_metrics(tiny):
    m = EcosystemModel(tiny, seed=2, turnover__annual_rate=5.0)
    m.run()
    collected = m.datacollector.get_model_vars_dataframe()
    assert list(collected.columns) == list(metrics.COLUMNS)
    pd.testing.assert_frame_equal(collected, m.timeseries(), check_dtype=False)
    assert collected["week"].tolist() == list(range(1, m.params.weeks + 1))
    assert collected["leavers"].sum() > 0  # the columns are the weeks' own values, not one week repeated
    assert collected["active_share"].nunique() > 1


def test_step_after_the_last_week_warns_and_simulates_nothing(tiny):
    m = EcosystemModel(tiny, seed=1)
    m.run()
    before = m.timeseries()
    beliefs = m.state.beliefs.copy()
    assert not m.running and m.week == m.params.weeks
    with pytest.warns(RuntimeWarning, match="run has ended") as caught:
        m.step()
    assert caught[0].filename == __file__  # the warning points at the caller, not at Mesa or the model
    assert m.week == m.params.weeks and not m.running
    pd.testing.assert_frame_equal(m.timeseries(), before)
    np.testing.assert_array_equal(m.state.beliefs, beliefs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EcosystemModel(tiny, seed=1).run_model()  # Mesa's own loop stops at the last week, silently


def test_mesa_batch_run_runs_the_model_and_returns_the_weekly_metrics(tiny, start_method):
    results = mesa.batch_run(
        EcosystemModel,
        parameters={"scenario": str(tiny), "goals.mean_alignment": [0.2, 0.9]},
        rng=[1, 2],
        max_steps=100,
        data_collection_period=1,
        display_progress=False,
    )
    table = pd.DataFrame(results)
    weeks = load_scenario(tiny).weeks
    assert len(table) == 2 * 2 * weeks  # two levels, two seeds, every week, and never past the last
    assert set(metrics.COLUMNS) <= set(table.columns)
    for (alignment, seed), runs in table.groupby(["goals.mean_alignment", "seed"]):
        alone = EcosystemModel(tiny, seed=int(seed), goals__mean_alignment=alignment)
        alone.run()
        want = alone.timeseries()
        got = runs.sort_values("Step")[list(metrics.COLUMNS)].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
        assert runs["Step"].tolist() == list(range(1, weeks + 1))
    finals = table[table["Step"] == weeks].groupby("goals.mean_alignment")["mean_alignment"].mean()
    assert finals[0.9] > finals[0.2]
