"""The seed mechanisms each do what docs/model.md says, on small cases that show it directly."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from conftest import SCENARIOS

from ecosim.api import simulate
from ecosim.core.mechanisms import forgetting
from ecosim.core.state import CONSUMER, CONTRIBUTOR, INACTIVE
from ecosim.experiment.model import EcosystemModel
from ecosim.scenario import load_scenario


def _karate(tmp_path):
    g = nx.karate_club_graph()
    rows = "\n".join(f"{a},{b}" for a, b in g.edges())
    (tmp_path / "karate.csv").write_text("source,target\n" + rows + "\n")
    path = tmp_path / "karate.yaml"
    path.write_text(
        "extends: " + str(SCENARIOS / "retail_high_alignment.yaml") + "\n"
        "name: karate\nnetwork:\n  kind: edgelist\n  path: karate.csv\n"
    )
    return path


def test_facilitators_sized_for_a_chain_cannot_flood_a_small_network(tmp_path):
    """Zachary's karate club (34 people, 78 ties) with the retail chain's three facilitators.

    Introductions are capped per learner (max_brokered_ties, once a week each), so the brokered ties
    stay within what 34 people can hold, however many hours the facilitators have.
    """
    sc = load_scenario(_karate(tmp_path))
    cap = sc.facilitation.max_brokered_ties
    for seed in range(1, 6):
        r = simulate(sc, seed=seed, keep_model=True)
        ties = r.model.ties
        assert ties.n == 34 and ties.n_base_ties == 78
        brokered = ties.degree - ties.base_degree
        assert brokered.max() <= cap
        assert ties.n_brokered_ties <= 34 * cap // 2
        weekly = r.timeseries["introductions"].to_numpy()
        assert (weekly <= 34 // 2).all()  # each learner introduced at most once a week


def test_no_introductions_when_the_cap_is_zero():
    sc = load_scenario(SCENARIOS / "retail.yaml", {"facilitation.max_brokered_ties": 0, "weeks": 10})
    r = simulate(sc, seed=3)
    assert r.timeseries["introductions"].sum() == 0 and r.timeseries["brokered_ties"].iloc[-1] == 0


def test_event_attendees_visit_in_the_week_of_the_event():
    sc = load_scenario(SCENARIOS / "retail_low_alignment.yaml", {"weeks": 12})
    m = EcosystemModel(sc, seed=5)
    seen = 0
    while m.week < sc.weeks:
        m.step()
        if m.last_week.attendees.size:
            seen += m.last_week.attendees.size
            assert (m.state.engagement[m.last_week.attendees] > INACTIVE).all()
    assert seen > 0


def test_a_reply_draws_people_back_to_visit():
    """Reply pull is part of the visit's log-odds: with a huge pull everyone replied to visits."""
    sc = load_scenario(SCENARIOS / "retail.yaml", {"weeks": 3})
    m = EcosystemModel(sc, seed=2)
    m.step()
    m.state.reply_pull[:50] = 50.0
    m.step()
    assert (m.state.engagement[:50] > INACTIVE).all()


def test_posting_habit_protects_between_posts():
    """keep_share: posting this week or by habit protects; visiting protects less; neither, nothing."""
    sc = load_scenario(
        SCENARIOS / "retail.yaml", {"forgetting.posting_protection": 0.5, "forgetting.visiting_protection": 0.2}
    )
    m = EcosystemModel(sc, seed=1)
    s = m.state
    s.engagement[:4] = [CONTRIBUTOR, INACTIVE, CONSUMER, INACTIVE]
    s.post_habit[:4] = [0.0, 0.8, 0.0, 0.0]
    s.habit[:4] = [0.0, 0.0, 0.0, 0.5]
    keep = forgetting.keep_share(m.engine)[:4]
    np.testing.assert_allclose(keep, [0.5, 0.6, 0.8, 0.9], rtol=1e-6)


@pytest.mark.parametrize("accuracy", [0.0])
def test_seed_accuracy_is_read(accuracy):
    """Facilitators' posts that misstate the code teach less: seed_accuracy changes what people know."""
    over = {"weeks": 30, "facilitation.seeding_share": 1.0, "learning.platform_reads": 5.0}
    exact = [
        simulate(load_scenario(SCENARIOS / "retail_high_alignment.yaml", over), seed=s).summary["mean_knowledge_final"]
        for s in range(1, 6)
    ]
    noisy = [
        simulate(
            load_scenario(SCENARIOS / "retail_high_alignment.yaml", {**over, "learning.seed_accuracy": accuracy}),
            seed=s,
        ).summary["mean_knowledge_final"]
        for s in range(1, 6)
    ]
    diff = np.array(exact) - np.array(noisy)
    assert diff.mean() > 3 * diff.std(ddof=1) / np.sqrt(diff.size), diff


# ---- social exposure, replies and posting volume ---------------------------------------------


def test_exposure_saturates_in_the_number_of_contacts_seen():
    from ecosim.core.mechanisms.engagement import saturating

    x = saturating(np.array([0.0, 1.0, 2.0, 4.0, 100.0], np.float32), np.float32(2.0), np.float32(2.0))
    np.testing.assert_allclose(x, [0.0, 0.2, 0.5, 0.8, 10000 / 10004], rtol=1e-5)
    assert (np.diff(x) > 0).all()


def test_colleagues_pull_people_in_only_through_exposure():
    """With exposure, a chain without ties is emptier than one with them (same people); without, the same."""
    from ecosim.validation.patterns import NO_TIES

    def final(over):
        runs = [simulate(load_scenario(SCENARIOS / "retail.yaml", {"weeks": 20, **over}), seed=s) for s in range(1, 9)]
        return np.array([r.summary["final_active_share"] for r in runs])

    on = {"engagement.ecosystem.exposure": 2.5}
    drop = final(on) - final({**on, **NO_TIES})
    assert drop.mean() > 3 * drop.std(ddof=1) / np.sqrt(drop.size), drop
    off = {"engagement.ecosystem.exposure": 0.0, "engagement.ecosystem.post_exposure": 0.0}
    same = final(off) - final({**off, **NO_TIES})
    assert abs(same.mean()) < 0.01, same  # the network then only carries knowledge, not visits


def test_without_colleagues_or_facilitators_nobody_replies():
    over = {
        "weeks": 12,
        "facilitation.facilitators": 0,
        "engagement.ecosystem.reply_by_contact": 0.0,
        "engagement.ecosystem.reply_by_anyone": 0.0,
    }
    ts = simulate(load_scenario(SCENARIOS / "retail_high_alignment.yaml", over), seed=3).timeseries
    assert ts["new_posters"].sum() > 0 and ts["replies"].sum() == 0 and ts["peer_replies"].sum() == 0


def test_facilitators_answer_no_more_first_posts_than_their_reply_hours_allow():
    """Replies a week <= floor(hours left after events x reply_share / reply_hours), with many first posters."""
    over = {
        "weeks": 6,
        "facilitation.facilitators": 2,
        "facilitation.hours_per_week": 5.0,
        "facilitation.event_every_weeks": 0,
        "facilitation.reply_share": 0.2,
        "facilitation.reply_hours": 0.5,
        "engagement.ecosystem.reply_by_contact": 0.0,
        "engagement.ecosystem.reply_by_anyone": 0.0,
        "engagement.ecosystem.post_intercept": 2.0,  # nearly every visitor posts
    }
    ts = simulate(load_scenario(SCENARIOS / "retail_high_alignment.yaml", over), seed=4).timeseries
    budget = int(2 * 5.0 * 0.2 / 0.5)  # 4 replies a week
    assert ts["new_posters"].iloc[0] > budget
    assert ts["replies"].max() == budget and (ts["replies"] <= budget).all()


def test_no_one_posts_more_than_the_weekly_bound():
    from ecosim.validation.observe import observe

    over = {"weeks": 10, "engagement.ecosystem.posts_per_week": 15.0, "engagement.ecosystem.max_posts_per_week": 7}
    obs = observe([load_scenario(SCENARIOS / "retail_high_alignment.yaml", over, seed=s) for s in (1, 2)])
    assert max(o.max_posts_in_a_week for o in obs) == 7
