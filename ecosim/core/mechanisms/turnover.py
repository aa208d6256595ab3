"""Turnover: leavers are replaced by newcomers with no knowledge, no habit and fresh goals.

A turnover rate is separations per year per head, so with constant headcount each learner leaves in
a given week with probability ``annual_rate / 52`` (60% a year in frontline retail: NRF / BLS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.core.draws import Site
from ecosim.core.network import ASSOCIATE, HEAD_OFFICE

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week


def step(e: Engine, week: Week) -> None:
    """One week of turnover: tenure grows, and each leaver's row goes to a newcomer."""
    s = e.state
    s.tenure += 1
    layout = e.layout
    weekly = np.minimum(1.0, e.levers("turnover.annual_rate") / 52.0)
    leavers, ptr = e.draws.bernoulli(Site.LEAVE, layout.sizes, weekly)
    counts = np.diff(ptr)
    week.leavers += counts
    if leavers.size:
        rows = leavers + np.repeat(layout.offsets[:-1], counts)
        e.record_departures(rows)
        populate(e, rows, newcomers=True)


#: The person's own draws, each a sub-stream of Site.PERSON indexed by the person's number.
_ALIGNMENT, _GOALS, _MOBILE, _PROPENSITY, _POST_PROPENSITY, _VOLUME, _THRESHOLD, _BELIEFS = range(8)


def populate(e: Engine, rows: np.ndarray, *, newcomers: bool) -> None:
    """Put new people into ``rows`` (sorted): draw their goals, device, posting volume, threshold and beliefs.

    Store, region and role belong to the position and are kept. A person's draws belong to the
    person (their number in the replicate), not to the week they are hired: the replicate's k-th
    newcomer is the same person in every scenario run on the same seed.
    """
    s = e.state
    layout = e.layout
    lv = e.levers
    draws = e.draws
    dims = s.beliefs.shape[1]
    topics = s.goals.shape[1]
    k = rows.size
    rep = layout.rep[rows]
    person = np.empty(k, dtype=np.int64)
    bounds = layout.bounds(rows)
    for r in np.flatnonzero(np.diff(bounds)).tolist():
        person[bounds[r] : bounds[r + 1]] = e.next_person_ids(r, int(bounds[r + 1] - bounds[r]))
    s.person[rows] = person

    def normal(sub: int) -> np.ndarray:
        return draws.normal(Site.PERSON, rep, person, sub=sub, week=0)

    role = s.role[rows]
    mean = np.where(role == ASSOCIATE, 0.0, lv("goals.manager_alignment_bonus")[rep])
    mean += lv("goals.mean_alignment")[rep]
    alignment = np.clip(mean + lv("goals.alignment_sd")[rep] * normal(_ALIGNMENT), 0.0, 1.0)
    s.alignment[rows] = alignment
    z = draws.normal(
        Site.PERSON, np.repeat(rep, topics), (person[:, None] * topics + np.arange(topics)).ravel(), sub=_GOALS, week=0
    ).reshape(k, topics)
    s.goals[rows] = goals_from(z, e.org_goals[rep], alignment)
    # head office works at desks; everyone in the field may have only a phone
    u = draws.uniform(Site.PERSON, rep, person, sub=_MOBILE, week=0)
    s.mobile[rows] = (role != HEAD_OFFICE) & (u < lv("organisation.mobile_only_share")[rep])
    s.propensity[rows] = lv("engagement.ecosystem.propensity_sd")[rep] * normal(_PROPENSITY)
    leaning = normal(_POST_PROPENSITY)
    s.post_propensity[rows] = lv("engagement.ecosystem.post_propensity_sd")[rep] * leaning
    # who leans toward writing also writes more when they write: volume shares the leaning's normal
    rho = lv("engagement.ecosystem.volume_leaning_correlation")[rep]
    z = rho * leaning + np.sqrt(1.0 - rho * rho) * normal(_VOLUME)
    s.volume[rows] = np.exp(lv("engagement.ecosystem.posting_volume_spread")[rep] * z)
    if e.params[0].engagement.rule == "threshold":  # one rule per batch; only this one has thresholds
        s.threshold[rows] = thresholds(e, rows, rep, normal(_THRESHOLD))
    if newcomers:
        correct, wrong = lv("learning.newcomer_correct"), lv("learning.newcomer_wrong")
    else:
        correct, wrong = lv("learning.initial_correct"), lv("learning.initial_wrong")
    if ((correct + wrong) > 0).any():
        u = draws.uniform(
            Site.PERSON, np.repeat(rep, dims), (person[:, None] * dims + np.arange(dims)).ravel(), sub=_BELIEFS, week=0
        ).reshape(k, dims)
        s.beliefs[rows] = beliefs_from(u, e.reality[rep], correct[rep], (correct + wrong)[rep])
    else:
        s.beliefs[rows] = 0
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


def thresholds(e: Engine, rows: np.ndarray, rep: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The adoption thresholds of the people in ``rows`` (threshold rule): given counts, or phi with a spread."""
    out = np.empty(rows.size)
    for r, sc in enumerate(e.params):
        mine = rep == r
        if not mine.any():
            continue
        thr = sc.engagement.threshold
        if thr.counts is not None:
            out[mine] = np.asarray(thr.counts, dtype=np.float64)[rows[mine] - e.layout.offsets[r]]
        else:
            out[mine] = np.clip(thr.phi + thr.phi_sd * z[mine], 0.0, 1.0)
    return out


def goals_from(z: np.ndarray, org: np.ndarray, alignment: np.ndarray) -> np.ndarray:
    """Unit goal vectors at cosine ``alignment`` with each row's ``org`` goals, from standard normal draws ``z``.

    Each is ``a * o + sqrt(1 - a^2) * u`` with ``u`` the part of ``z`` orthogonal to ``o``, made a
    unit vector: the personal part points in a direction of the learner's own.
    """
    z -= (z * org).sum(axis=1)[:, None] * org  # sums over contiguous rows: the same in any batch
    norms = np.sqrt((z * z).sum(axis=1))[:, None]
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
