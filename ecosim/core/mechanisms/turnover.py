"""Turnover: leavers are replaced by newcomers with no knowledge, no habit and fresh goals.

A turnover rate is separations per year per head, so with constant headcount each learner leaves in
a given week with probability ``annual_rate / 52`` (60% a year in frontline retail: NRF / BLS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.core.layout import concat
from ecosim.core.network import ASSOCIATE, HEAD_OFFICE
from ecosim.core.rng import bernoulli_indices
from ecosim.core.state import draw_beliefs, draw_goals

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week


def step(e: Engine, week: Week) -> None:
    """One week of turnover: tenure grows, and each leaver's row goes to a newcomer."""
    s = e.state
    s.tenure += 1
    layout = e.layout
    parts = []
    for r, sc in enumerate(e.params):
        weekly = min(1.0, sc.turnover.annual_rate / 52.0)
        leavers = bernoulli_indices(e.rngs[r], int(layout.sizes[r]), weekly)
        week.leavers[r] = leavers.size
        if leavers.size:
            parts.append(leavers + layout.offsets[r])
    if parts:
        rows = concat(parts)
        e.record_departures(rows)
        populate(e, rows, newcomers=True)


def populate(e: Engine, rows: np.ndarray, *, newcomers: bool) -> None:
    """Put new people into ``rows`` (sorted): draw their goals, device, posting volume, threshold and beliefs.

    Store, region and role belong to the position and are kept. Each replicate's people are drawn
    from its own stream, in the order a replicate alone draws them.
    """
    s = e.state
    layout = e.layout
    dims = s.beliefs.shape[1]
    bounds = layout.bounds(rows)
    drawn: dict[str, list[np.ndarray]] = {
        key: [] for key in ("alignment", "goals", "mobile", "propensity", "post_propensity", "volume", "threshold")
    }
    beliefs = []
    for r in np.flatnonzero(np.diff(bounds)).tolist():
        part = rows[bounds[r] : bounds[r + 1]]
        params = e.params[r]
        rng = e.rngs[r]
        k = part.size
        s.person[part] = e.next_person_ids(r, k)
        role = s.role[part]
        bonus = np.where(role == ASSOCIATE, 0.0, params.goals.manager_alignment_bonus)
        alignment = np.clip(rng.normal(params.goals.mean_alignment + bonus, params.goals.alignment_sd), 0.0, 1.0)
        drawn["alignment"].append(alignment)
        drawn["goals"].append(draw_goals(rng, e.org_goals[r], alignment))
        # head office works at desks; everyone in the field may have only a phone
        drawn["mobile"].append((role != HEAD_OFFICE) & (rng.random(k) < params.organisation.mobile_only_share))
        eco = params.engagement.ecosystem
        drawn["propensity"].append(_normal(rng, eco.propensity_sd, k))
        drawn["post_propensity"].append(_normal(rng, eco.post_propensity_sd, k))
        sigma = eco.posting_volume_spread
        drawn["volume"].append(rng.lognormal(0.0, sigma, k) if sigma > 0 else np.ones(k))
        thr = params.engagement.threshold
        if thr.counts is not None:
            drawn["threshold"].append(np.asarray(thr.counts, dtype=np.float64)[part - layout.offsets[r]])
        elif thr.phi_sd > 0:
            drawn["threshold"].append(np.clip(rng.normal(thr.phi, thr.phi_sd, k), 0.0, 1.0))
        else:
            drawn["threshold"].append(np.full(k, thr.phi))
        learn = params.learning
        correct, wrong = (
            (learn.newcomer_correct, learn.newcomer_wrong) if newcomers else (learn.initial_correct, learn.initial_wrong)
        )
        beliefs.append(draw_beliefs(rng, k, dims, e.reality[r], correct, wrong))
    for key, values in drawn.items():
        getattr(s, key)[rows] = concat(values, np.float64) if key != "goals" else np.concatenate(values)
    s.beliefs[rows] = np.concatenate(beliefs)
    s.engagement[rows] = 0
    s.habit[rows] = 0.0
    s.post_habit[rows] = 0.0
    s.pull[rows] = 0.0
    s.reply_pull[rows] = 0.0
    s.posts[rows] = 0
    s.recent_posts[rows] = 0.0
    s.ever_active[rows] = False
    s.tenure[rows] = 0
    s.belief_week[rows] = max(e.week, 1)  # set up before week 1: age 0 in week 1
    if newcomers:
        e.ties.drop_ties_of(rows)
        if e.on_replace is not None:
            e.on_replace(rows)


def _normal(rng: np.random.Generator, sd: float, k: int) -> np.ndarray:
    """A personal offset: normal with standard deviation ``sd`` (no draw when it is 0)."""
    return rng.normal(0.0, sd, k) if sd > 0 else np.zeros(k)
