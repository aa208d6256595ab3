"""The batched engine: every replicate of a batch is exactly its single run, whatever the batch.

A batch lays its replicates side by side and draws each replicate's numbers from its own stream,
so a replicate must not notice the batch it is in: the tests compare batches with single runs value
by value (every weekly column, the summary, the interventions applied), for every shipped scenario,
in batches of mixed seeds and mixed parameter values, in either order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecosim.api import simulate
from ecosim.core.engine import Engine, batch_key
from ecosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "validation").glob("*.yaml"))


def batch(scenarios):
    e = Engine(scenarios)
    e.run()
    return e


def assert_same(e: Engine, r: int, single) -> None:
    cols = e.replicate_columns(r)
    assert set(cols) == set(single.columns)
    for name, values in single.columns.items():
        np.testing.assert_array_equal(cols[name], values, err_msg=name)
    summary = e.summary(r)
    if e.read[r].interventions:
        summary["interventions"] = e.applied(r)
    assert summary == single.summary


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_replicate_of_a_batch_is_its_single_run(path):
    """Seeds 1-4 of each shipped scenario in one batch, 26 weeks (the rescue's trigger needs its year)."""
    over = {} if path.stem == "retail_rescue" else {"weeks": min(26, load_scenario(path).weeks)}
    sc = load_scenario(path, over)
    seeds = [1, 2, 3, 4]
    e = batch([sc.model_copy(update={"seed": s}) for s in seeds])
    for r, seed in enumerate(seeds):
        assert_same(e, r, simulate(sc, seed=seed))


def test_interventions_fire_in_different_weeks_within_one_batch():
    """The rescue fires when uptake stalls: in a different week on each seed, and never on some."""
    sc = load_scenario(ROOT / "scenarios" / "retail_rescue.yaml")
    seeds = list(range(1, 9))
    e = batch([sc.model_copy(update={"seed": s}) for s in seeds])
    weeks = [tuple(a["week"] for a in e.applied(r)) for r in range(len(seeds))]
    assert len(set(weeks)) >= 3, weeks  # the test means something only if the weeks differ
    for r in (0, 5):
        assert_same(e, r, simulate(sc, seed=seeds[r]))


def test_replicates_with_different_parameters_share_a_batch_in_any_order():
    """A sweep's points in one batch: each replicate its own alignment, facilitators and friction."""
    base = load_scenario(ROOT / "scenarios" / "retail.yaml", {"weeks": 20})
    points = [
        {"goals.mean_alignment": 0.2, "facilitation.facilitators": 0, "platform.friction": 2.0},
        {"goals.mean_alignment": 0.8, "facilitation.facilitators": 6, "platform.friction": 0.5},
        {"goals.mean_alignment": 0.5, "organisation.stores": 12, "engagement.ecosystem.usefulness": 5.0},
        {"learning.seed_accuracy": 0.5, "forgetting.exponent": 0.8, "learning.offline_visibility": 1.0},
        {"learning.code_learning": 0.0, "forgetting.enabled": False, "learning.newcomer_correct": 0.3},
        {"content.half_life_weeks": 4.0, "engagement.ecosystem.propensity_sd": 0.0, "turnover.annual_rate": 2.0},
    ]
    scenarios = [
        load_scenario(ROOT / "scenarios" / "retail.yaml", {"weeks": 20, **p}, seed=7 + k) for k, p in enumerate(points)
    ]
    assert len({batch_key(s) for s in scenarios}) == 1
    forward, backward = batch(scenarios), batch(scenarios[::-1])
    for r, sc in enumerate(scenarios):
        single = simulate(sc)
        assert_same(forward, r, single)
        assert_same(backward, len(scenarios) - 1 - r, single)
    assert base.weeks == 20


def test_a_batch_of_one_is_the_mesa_model():
    from ecosim.experiment.model import EcosystemModel

    sc = load_scenario(ROOT / "scenarios" / "retail.yaml", {"weeks": 10})
    m = EcosystemModel(sc, seed=3)
    m.run()
    e = batch([sc.model_copy(update={"seed": 3})])
    for name, values in m.timeseries_columns().items():
        np.testing.assert_array_equal(e.replicate_columns(0)[name], values, err_msg=name)


def test_replicates_that_differ_in_shape_are_refused_in_one_batch():
    a = load_scenario(ROOT / "scenarios" / "retail.yaml", {"weeks": 10})
    b = load_scenario(ROOT / "scenarios" / "retail.yaml", {"weeks": 12})
    with pytest.raises(ValueError, match="share weeks"):
        Engine([a, b])


def test_bernoulli_draws_follow_the_binomial_and_do_not_depend_on_the_batch():
    """Counts of selected indices: mean n p and variance n p (1 - p), within 4 standard errors of 2,000 groups."""
    from ecosim.core.draws import Draws, Site

    groups = 2000
    for n, p in ((18_600, 0.0738), (620, 0.01), (620, 0.5), (5, 0.2)):
        d = Draws(list(range(groups)))
        d.week = 3
        idx, ptr = d.bernoulli(Site.FORGET, np.full(groups, n), np.full(groups, p))
        counts = np.diff(ptr)
        mean, var = n * p, n * p * (1 - p)
        assert abs(counts.mean() - mean) < 4 * np.sqrt(var / groups), (n, p)
        # the sample variance's standard error is about var * sqrt(2 / groups) for near-normal counts
        assert abs(counts.var(ddof=1) - var) < 4 * var * np.sqrt(2 / groups) + 0.5, (n, p)
        assert (idx < n).all() and all((np.diff(idx[ptr[k] : ptr[k + 1]]) > 0).all() for k in range(50))
        alone = Draws([7])
        alone.week = 3
        one, _ = alone.bernoulli(Site.FORGET, np.array([n]), np.array([p]))
        np.testing.assert_array_equal(one, idx[ptr[7] : ptr[8]])


def test_geometric_gaps_continue_where_a_chunk_falls_short():
    """A tiny probability over a huge range needs several chunks; every index is still equally likely."""
    from ecosim.core.draws import Draws, Site

    d = Draws(list(range(400)))
    idx, ptr = d.bernoulli(Site.VISIT, np.full(400, 10**7), np.full(400, 2e-6))
    counts = np.diff(ptr)
    assert abs(counts.mean() - 20) < 4 * np.sqrt(20 / 400)
    assert abs(idx.mean() / 10**7 - 0.5) < 4 * np.sqrt(1 / 12 / idx.size)


def test_the_same_person_is_drawn_whatever_the_network():
    """The network has a stream of its own: removing ties leaves every learner's traits as they were."""
    path = ROOT / "scenarios" / "retail.yaml"
    tied = Engine([load_scenario(path, {"weeks": 2})])
    alone = Engine(
        [load_scenario(path, {"weeks": 2, "network.within_store_tie_prob": 0.0, "network.cross_store_ties": 0})]
    )
    assert tied.ties.n_ties > alone.ties.n_ties
    for name in ("alignment", "propensity", "post_propensity", "volume", "mobile"):
        np.testing.assert_array_equal(getattr(tied.state, name), getattr(alone.state, name), err_msg=name)
    np.testing.assert_array_equal(tied.state.goals, alone.state.goals)
