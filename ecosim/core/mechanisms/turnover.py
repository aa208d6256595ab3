"""Turnover: leavers are replaced by newcomers with no knowledge, no habit and fresh goals.

A turnover rate is separations per year per head, so with constant headcount each learner leaves in
a given week with probability ``annual_rate / 52`` (60% a year in frontline retail: NRF / BLS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.core.network import ASSOCIATE, HEAD_OFFICE
from ecosim.core.rng import bernoulli_indices
from ecosim.core.state import draw_beliefs, draw_goals

if TYPE_CHECKING:
    from ecosim.core.model import EcosystemModel


def step(m: EcosystemModel) -> None:
    """One week of turnover: tenure grows, and each leaver's row goes to a newcomer."""
    s = m.state
    s.tenure += 1
    weekly = min(1.0, m.params.turnover.annual_rate / 52.0)
    leavers = bernoulli_indices(m.rng, s.n, weekly)
    m.week_stats["leavers"] = leavers.size
    if leavers.size:
        m.record_departures(leavers)
        populate(m, leavers, newcomers=True)


def populate(m: EcosystemModel, rows: np.ndarray, *, newcomers: bool) -> None:
    """Put new people into ``rows``: draw their goals, device, posting volume, threshold and beliefs.

    Store, region and role belong to the position and are kept.
    """
    params = m.params
    s = m.state
    rng = m.rng
    k = rows.size
    s.person[rows] = m.next_person_ids(k)
    role = s.role[rows]
    bonus = np.where(role == ASSOCIATE, 0.0, params.goals.manager_alignment_bonus)
    alignment = np.clip(rng.normal(params.goals.mean_alignment + bonus, params.goals.alignment_sd), 0.0, 1.0)
    s.alignment[rows] = alignment
    s.goals[rows] = draw_goals(rng, m.org_goals, alignment)
    # head office works at desks; everyone in the field may have only a phone
    s.mobile[rows] = (role != HEAD_OFFICE) & (rng.random(k) < params.organisation.mobile_only_share)
    eco = params.engagement.ecosystem
    s.propensity[rows] = rng.normal(0.0, eco.propensity_sd, k) if eco.propensity_sd > 0 else 0.0
    s.post_propensity[rows] = rng.normal(0.0, eco.post_propensity_sd, k) if eco.post_propensity_sd > 0 else 0.0
    sigma = eco.posting_volume_spread
    s.volume[rows] = rng.lognormal(0.0, sigma, k) if sigma > 0 else 1.0
    s.engagement[rows] = 0
    s.habit[rows] = 0.0
    s.post_habit[rows] = 0.0
    s.pull[rows] = 0.0
    s.reply_pull[rows] = 0.0
    s.posts[rows] = 0
    s.recent_posts[rows] = 0.0
    s.ever_active[rows] = False
    s.tenure[rows] = 0
    thr = params.engagement.threshold
    if thr.counts is not None:
        s.threshold[rows] = np.asarray(thr.counts, dtype=np.float64)[rows]
    elif thr.phi_sd > 0:
        s.threshold[rows] = np.clip(rng.normal(thr.phi, thr.phi_sd, k), 0.0, 1.0)
    else:
        s.threshold[rows] = thr.phi
    learn = params.learning
    correct, wrong = (
        (learn.newcomer_correct, learn.newcomer_wrong) if newcomers else (learn.initial_correct, learn.initial_wrong)
    )
    s.beliefs[rows] = draw_beliefs(rng, k, s.beliefs.shape[1], m.reality, correct, wrong)
    s.belief_week[rows] = max(m.week, 1)  # set up before week 1: age 0 in week 1
    if newcomers:
        m.ties.drop_ties_of(rows)
        m.replace_agents(rows)
