"""The model and its mechanisms, against exact or analytic expectations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TINY, write

from ecosim.core import metrics
from ecosim.core.agents import Facilitator, Learner
from ecosim.experiment.model import EcosystemModel
from ecosim.scenario import load_scenario
from ecosim.scenario.schema import Scenario

# The knowledge layer alone: no platform within the run, no social learning, no code.
QUIET = {
    "platform.launch_week": 1000,
    "facilitation.facilitators": 0,
    "turnover.annual_rate": 0.0,
    "learning.social": 0.0,
    "learning.socialisation": 0.0,
    "learning.code_learning": 0.0,
    "learning.experiential": 0.0,
}


def model(path, overrides=None, seed=1) -> EcosystemModel:
    return EcosystemModel(load_scenario(path, overrides or {}, seed=seed))


# ---- random draws ----------------------------------------------------------------------------


@pytest.mark.parametrize("p", [3e-11, 0.002, 0.05, 0.3])
def test_bernoulli_draws_are_exact_bernoulli_trials(p):
    from ecosim.core.draws import Draws, Site

    n, reps = 200_000, 200
    idx, ptr = Draws(list(range(reps))).bernoulli(Site.VISIT, np.full(reps, n), np.full(reps, p))
    counts = np.diff(ptr)
    mean, sd = n * p, np.sqrt(n * p * (1 - p))
    assert abs(counts.mean() - mean) < 4 * sd / np.sqrt(reps) + 1e-9
    idx, _ = Draws([5]).bernoulli(Site.VISIT, np.array([n]), np.array([max(p, 0.01)]))
    assert (np.diff(idx) > 0).all() and idx.min() >= 0 and idx.max() < n
    # uniform over positions: chi-square over 10 bins, p > 0.001
    hist = np.bincount(idx * 10 // n, minlength=10)
    expected = idx.size / 10
    assert ((hist - expected) ** 2 / expected).sum() < 27.9


# ---- people ----------------------------------------------------------------------------------


def test_goals_have_exactly_the_drawn_alignment(tiny):
    m = model(tiny)
    s = m.state
    cos = s.goals @ m.org_goals / np.linalg.norm(s.goals, axis=1)
    np.testing.assert_allclose(cos, s.alignment, atol=1e-5)
    assert (s.alignment >= 0).all() and (s.alignment <= 1).all()


def test_turnover_rate_and_agents(tiny):
    rate, weeks = 13.0, 40  # 25% a week: enough leavers to tell the rate from a 30% error
    m = model(tiny, {"turnover.annual_rate": rate, "weeks": weeks})
    n = m.state.n
    first = m.learners[0]
    m.run()
    leavers = int(m.timeseries()["leavers"].sum())
    p = rate / 52
    expected, sd = n * weeks * p, np.sqrt(n * weeks * p * (1 - p))
    assert abs(leavers - expected) < 4 * sd
    assert m.people_so_far == n + leavers
    learners = m.agents_by_type[Learner]
    assert len(learners) == n and len(m.agents_by_type[Facilitator]) == 3
    assert sorted(a.row for a in learners) == list(range(n))
    if not first.employed:
        with pytest.raises(LookupError):
            first.engagement  # noqa: B018


def test_learner_agents_read_their_rows(tiny):
    m = model(tiny, {"weeks": 3})
    m.run()
    for agent in list(m.agents_by_type[Learner])[:20]:
        r = agent.row
        assert agent.knowledge == pytest.approx(np.mean(m.state.beliefs[r] == m.reality))
        assert agent.engagement in ("inactive", "consumer", "contributor")
        assert agent.alignment == pytest.approx(float(m.state.alignment[r]))
    posters = m.agents_by_type[Learner].select(lambda a: a.posts > 0)
    assert len(posters) == int((m.state.posts > 0).sum())


# ---- learning and forgetting -----------------------------------------------------------------


def test_experiential_learning_follows_its_closed_form(tiny):
    p, weeks = 0.05, 10
    m = model(
        tiny,
        {
            **QUIET,
            "learning.experiential": p,
            "learning.initial_correct": 0.0,
            "learning.initial_wrong": 0.0,
            "forgetting.enabled": False,
            "weeks": weeks,
        },
    )
    m.run()
    cells = m.state.beliefs.size
    measured = m.timeseries()["mean_knowledge"].to_numpy()
    expected = 1 - (1 - p) ** np.arange(1, weeks + 1)
    sd = np.sqrt(expected * (1 - expected) / cells)
    assert (np.abs(measured - expected) < 4 * sd + 1e-12).all()


@pytest.mark.parametrize("exponent", [0.0, 0.5])
def test_forgetting_follows_its_power_law(tiny, exponent):
    rate, weeks = 0.2, 8
    m = model(
        tiny,
        {
            **QUIET,
            "learning.initial_correct": 1.0,
            "learning.initial_wrong": 0.0,
            "forgetting.rate": rate,
            "forgetting.exponent": exponent,
            "weeks": weeks,
        },
    )
    m.run()
    cells = m.state.beliefs.size
    measured = m.timeseries()["mean_knowledge"].to_numpy()
    hazard = rate / (1 + np.arange(weeks)) ** exponent
    expected = np.cumprod(1 - hazard)
    sd = np.sqrt(expected * (1 - expected) / cells)
    assert (np.abs(measured - expected) < 4 * sd).all()


def test_content_decays_with_its_half_life(tiny):
    m = model(
        tiny,
        {
            "facilitation.facilitators": 0,
            "engagement.ecosystem.post_intercept": -20,
            "content.half_life_weeks": 4,
            "weeks": 8,
            "platform.launch_content": 2.0,
        },
    )
    m.run()
    stock = m.timeseries()["content_stock"].to_numpy()
    assert stock[3] == pytest.approx(2.0 * m.state.n * 0.5, rel=1e-9)
    assert stock[7] == pytest.approx(2.0 * m.state.n * 0.25, rel=1e-9)


# ---- engagement and metrics ------------------------------------------------------------------


def test_shares_are_consistent(tiny):
    m = model(tiny, {"weeks": 10, "goals.mean_alignment": 0.9, "turnover.annual_rate": 5.2})
    m.run()
    ts = m.timeseries()
    np.testing.assert_allclose(ts["active_share"], ts["consumer_share"] + ts["contributor_share"])
    assert ts["active_share"].between(0, 1).all()
    assert (m.state.habit >= 0).all() and (m.state.habit <= 1).all()
    # everyone who ever posted, leavers included, is counted once: the first-time posters of each week add up
    people = m.state.n + ts["leavers"].cumsum()
    assert ts["leavers"].sum() > 0 and ts["new_posters"].sum() > 0
    np.testing.assert_allclose(ts["ever_posted_share"] * people, ts["new_posters"].cumsum(), rtol=1e-12)
    assert np.isin(m.state.beliefs, (-1, 0, 1)).all()


def test_no_platform_no_engagement(tiny):
    m = model(tiny, {"platform.launch_week": 50, "weeks": 5})
    m.run()
    ts = m.timeseries()
    assert (ts["active_share"] == 0).all() and (ts["platform_open"] == 0).all()
    assert m.summary()["verdict"] == "not_launched"


def test_same_seed_identical_different_seed_differs(tiny):
    runs = [model(tiny, {"weeks": 8}, seed=s) for s in (3, 3, 4)]
    for m in runs:
        m.run()
    pd.testing.assert_frame_equal(runs[0].timeseries(), runs[1].timeseries(), check_exact=True)
    assert (runs[0].state.beliefs == runs[1].state.beliefs).all()
    assert not runs[0].timeseries().equals(runs[2].timeseries())


def test_top_share():
    assert metrics.top_share(np.array([97.0] + [1.0] * 99 + [0.0] * 0), 0.01) == pytest.approx(0.97 / 1.96)
    assert metrics.top_share(np.ones(10), 0.1) == pytest.approx(0.1)
    assert np.isnan(metrics.top_share(np.zeros(0), 0.01))


@pytest.mark.parametrize(
    "series, verdict",
    [
        ([0.5, 0.3, 0.05], "ghost_town"),
        ([0.6] * 12, "thriving"),
        (list(np.linspace(0.9, 0.45, 12)), "struggling"),  # high but falling
        ([0.2] * 12, "struggling"),
    ],
)
def test_verdicts(series, verdict):
    sc = Scenario(name="x")
    assert metrics.verdict(np.array(series), True, sc) == verdict


def test_a_hundred_thousand_learners_complete(tmp_path):
    path = write(
        tmp_path / "big.yaml",
        TINY.replace("stores: 3", "stores: 6600")
        .replace("regions: 1", "regions: 40")
        .replace("staff_per_store: 6", "staff_per_store: 15")
        .replace("weeks: 6", "weeks: 52"),
    )
    m = model(path)
    assert 95_000 < m.state.n < 105_000
    m.run()
    assert len(m.timeseries()) == 52 and m.summary()["verdict"] in metrics.VERDICT_TEXT


@pytest.mark.parametrize("alignment", [0.1, 0.9])
def test_event_attendance_scales_with_alignment(tiny, alignment):
    """Each learner comes to an event with probability event_attendance * (0.5 + alignment)."""
    p0, weeks = 0.2, 30
    m = model(
        tiny,
        {
            "facilitation.facilitators": 1,
            "facilitation.event_every_weeks": 1,
            "facilitation.event_attendance": p0,
            "goals.mean_alignment": alignment,
            "goals.alignment_sd": 0.0,
            "goals.manager_alignment_bonus": 0.0,
            "turnover.annual_rate": 0.0,
            "weeks": weeks,
        },
    )
    m.run()
    ts = m.timeseries()
    assert (ts["events"] == 1).all()
    trials = m.state.n * weeks
    p = p0 * (0.5 + alignment)
    assert abs(ts["event_attendees"].sum() - trials * p) < 4 * np.sqrt(trials * p * (1 - p))
