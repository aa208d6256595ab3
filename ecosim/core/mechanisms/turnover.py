"""Turnover: leavers are replaced by newcomers with no knowledge, no habit and fresh goals.

A turnover rate is separations per year per head, so with constant headcount each learner leaves in
a given week with probability ``annual_rate / 52`` (60% a year in frontline retail: NRF / BLS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.core.network import ASSOCIATE, HEAD_OFFICE
from ecosim.core.rng import bernoulli_groups

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week


def step(e: Engine, week: Week) -> None:
    """One week of turnover: tenure grows, and each leaver's row goes to a newcomer."""
    s = e.state
    s.tenure += 1
    layout = e.layout
    weekly = np.minimum(1.0, e.levers("turnover.annual_rate") / 52.0)
    leavers, ptr = bernoulli_groups(e.rngs, layout.sizes, weekly)
    counts = np.diff(ptr)
    week.leavers += counts
    if leavers.size:
        rows = leavers + np.repeat(layout.offsets[:-1], counts)
        e.record_departures(rows)
        populate(e, rows, newcomers=True)


def populate(e: Engine, rows: np.ndarray, *, newcomers: bool) -> None:
    """Put new people into ``rows`` (sorted): draw their goals, device, posting volume, threshold and beliefs.

    Store, region and role belong to the position and are kept. Each replicate's people are drawn
    from its own stream, in the order a replicate alone draws them; the arithmetic on the draws is
    done for all replicates at once.
    """
    s = e.state
    layout = e.layout
    lv = e.levers
    dims = s.beliefs.shape[1]
    topics = s.goals.shape[1]
    k_all = rows.size
    rep = layout.rep[rows]
    role = s.role[rows]
    mean = np.where(role == ASSOCIATE, 0.0, lv("goals.manager_alignment_bonus")[rep])
    mean += lv("goals.mean_alignment")[rep]
    if newcomers:
        correct, wrong = lv("learning.newcomer_correct"), lv("learning.newcomer_wrong")
    else:
        correct, wrong = lv("learning.initial_correct"), lv("learning.initial_wrong")
    alignment = np.empty(k_all)
    z = np.empty((k_all, topics))
    along = np.empty(k_all)
    u_mobile = np.empty(k_all)
    propensity = np.zeros(k_all, dtype=np.float32)
    post_propensity = np.zeros(k_all, dtype=np.float32)
    volume = np.ones(k_all, dtype=np.float32)
    thresholds = np.empty(k_all)
    u_beliefs = np.full((k_all, dims), np.inf, dtype=np.float32)
    bounds = layout.bounds(rows)
    for r in np.flatnonzero(np.diff(bounds)).tolist():
        a, b = int(bounds[r]), int(bounds[r + 1])
        k = b - a
        params = e.params[r]
        rng = e.rngs[r]
        s.person[rows[a:b]] = e.next_person_ids(r, k)
        alignment[a:b] = rng.normal(mean[a:b], params.goals.alignment_sd)
        z[a:b] = rng.standard_normal((k, topics))
        along[a:b] = z[a:b] @ e.org_goals[r]
        u_mobile[a:b] = rng.random(k)
        eco = params.engagement.ecosystem
        if eco.propensity_sd > 0:
            propensity[a:b] = rng.normal(0.0, eco.propensity_sd, k)
        if eco.post_propensity_sd > 0:
            post_propensity[a:b] = rng.normal(0.0, eco.post_propensity_sd, k)
        if eco.posting_volume_spread > 0:
            volume[a:b] = rng.lognormal(0.0, eco.posting_volume_spread, k)
        thr = params.engagement.threshold
        if thr.counts is not None:
            thresholds[a:b] = np.asarray(thr.counts, dtype=np.float64)[rows[a:b] - layout.offsets[r]]
        elif thr.phi_sd > 0:
            thresholds[a:b] = np.clip(rng.normal(thr.phi, thr.phi_sd, k), 0.0, 1.0)
        else:
            thresholds[a:b] = thr.phi
        if correct[r] + wrong[r] > 0:
            u_beliefs[a:b] = rng.random((k, dims), dtype=np.float32)
    np.clip(alignment, 0.0, 1.0, out=alignment)
    s.alignment[rows] = alignment
    s.goals[rows] = goals_from(z, along, e.org_goals[rep], alignment)
    # head office works at desks; everyone in the field may have only a phone
    s.mobile[rows] = (role != HEAD_OFFICE) & (u_mobile < lv("organisation.mobile_only_share")[rep])
    s.propensity[rows] = propensity
    s.post_propensity[rows] = post_propensity
    s.volume[rows] = volume
    s.threshold[rows] = thresholds
    s.beliefs[rows] = beliefs_from(
        u_beliefs, e.reality[rep], correct.astype(np.float32)[rep], (correct + wrong).astype(np.float32)[rep]
    )
    s.engagement[rows] = 0
    s.habit[rows] = 0.0
    s.post_habit[rows] = 0.0
    s.pull[rows] = 0.0
    s.reply_pull[rows] = 0.0
    s.posts[rows] = 0
    s.recent_posts[rows] = 0.0
    s.seen_active[rows] = 0.0
    s.seen_posting[rows] = 0.0
    s.ever_active[rows] = False
    s.tenure[rows] = 0
    s.belief_week[rows] = max(e.week, 1)  # set up before week 1: age 0 in week 1
    if newcomers:
        e.ties.drop_ties_of(rows)
        if e.on_replace is not None:
            e.on_replace(rows)


def goals_from(z: np.ndarray, along: np.ndarray, org: np.ndarray, alignment: np.ndarray) -> np.ndarray:
    """Unit goal vectors at cosine ``alignment`` with each row's ``org`` goals, from normal draws ``z``.

    ``along`` is ``z @ org`` row by row. The part of ``z`` orthogonal to the organisation's goals,
    made a unit vector, is the personal direction (see :func:`ecosim.core.state.draw_goals`).
    """
    z -= along[:, None] * org
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    z /= norms
    a = alignment[:, None]
    return (a * org + np.sqrt(np.clip(1 - a * a, 0, 1)) * z).astype(np.float32)


def beliefs_from(u: np.ndarray, reality: np.ndarray, correct: np.ndarray, correct_or_wrong: np.ndarray) -> np.ndarray:
    """Beliefs from uniform draws ``u`` (rows, dims): right below ``correct``, wrong below ``correct_or_wrong``."""
    out = np.zeros(u.shape, np.int8)
    right = u < correct[:, None]
    bad = ~right & (u < correct_or_wrong[:, None])
    out[right] = reality[right]
    out[bad] = -reality[bad]
    return out
