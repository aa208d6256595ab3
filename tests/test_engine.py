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
from ecosim.core.rng import run_rng
from ecosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "validation").glob("*.yaml"))


def batch(scenarios):
    e = Engine(scenarios, [run_rng(s.seed) for s in scenarios])
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
        Engine([a, b], [run_rng(1), run_rng(2)])


@pytest.mark.parametrize("visibility", [0.1, 1.0])
def test_the_batched_code_learning_is_the_reference_rule_replicate_by_replicate(visibility):
    """learn_codes (all replicates at once) against learn_code (March's rule, one replicate), same streams."""
    import copy

    from ecosim.core.mechanisms import learning

    sc = load_scenario(
        ROOT / "scenarios" / "validation" / "march.yaml", {"learning.offline_visibility": visibility, "weeks": 5}
    )
    e = batch([sc.model_copy(update={"seed": s}) for s in (1, 2, 3, 4)])
    e.code[1] = 0  # one code neutral, the others as learnt
    e.state.engagement[e.layout.block(2)] = 2  # one replicate where everyone posted
    twins = copy.deepcopy(e.rngs)
    batched = learning.learn_codes(e)
    for r, rng in enumerate(twins):
        b = e.layout.block(r)
        ref = learning.learn_code(e.state.beliefs[b], e.state.engagement[b], e.code[r], e.reality[r], sc.learning, rng)
        np.testing.assert_array_equal(batched[r], ref)
        assert rng.random() == e.rngs[r].random()  # the same draws were made


def test_bernoulli_groups_draws_as_bernoulli_indices_does_group_by_group():
    from ecosim.core.rng import bernoulli_groups, bernoulli_indices, make_rng

    rs = np.random.default_rng(9)
    for _ in range(200):
        k = int(rs.integers(1, 6))
        sizes = rs.integers(0, 3000, k)
        ps = rs.choice([0.0, 1e-12, 1e-4, 0.001, 0.01, 0.2, 0.5, 1.0], k)
        a, b = [make_rng(100 + g) for g in range(k)], [make_rng(100 + g) for g in range(k)]
        out, ptr = bernoulli_groups(a, sizes, ps)
        for g in range(k):
            np.testing.assert_array_equal(out[ptr[g] : ptr[g + 1]], bernoulli_indices(b[g], int(sizes[g]), ps[g]))
            assert a[g].random() == b[g].random()
