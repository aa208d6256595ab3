"""Facilitation: facilitators spend their weekly hours on events, replies, seeding and brokering.

An event reaches each learner with probability ``event_attendance * (0.5 + alignment)``: people
whose goals are closer to the organisation's are likelier to come. Order of priority within a week:
scheduled events first, then replies to newcomers' first posts (a reply raises the chance of posting
again from 44% to 56%: Joyce & Kraut 2006), then the hours left are split between seeding content
on the organisation's goals and introducing active learners from different stores to each other
(personal learning networks grow; a brokered contact is someone to learn from, see learning).
Attendees of an event visit the platform that week (the event is held there).
The pull of an event or a reply fades with a half-life of ``facilitation_memory_weeks``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.core.layout import concat
from ecosim.core.rng import bernoulli_indices

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week


def step(e: Engine, week: Week) -> None:
    """Spend this week's facilitator hours on events, replies, seeding and brokering, and fade past pull."""
    s = e.state
    layout = e.layout
    decay = layout.per_row(0.5 ** (1.0 / e.levers("facilitation.facilitation_memory_weeks")))
    s.pull *= decay
    s.reply_pull *= decay
    if not e.platform_open:
        e.first_posters = np.empty(0, np.int64)
        return
    first_bounds = layout.bounds(e.first_posters)
    attendees, pairs_a, pairs_b = [], [], []
    shares: dict[int, np.ndarray] = {}
    for r, team in enumerate(e.facilitators):
        if not team:
            continue
        lo, hi = int(layout.offsets[r]), int(layout.offsets[r + 1])
        firsts = e.first_posters[first_bounds[r] : first_bounds[r + 1]]
        came = _spend(e, week, r, team, lo, hi, firsts, pairs_a, pairs_b, shares)
        if came is not None:
            attendees.append(came)
    e.first_posters = np.empty(0, np.int64)
    week.attendees = concat(attendees)
    if pairs_a:
        made = e.ties.add_ties(np.concatenate(pairs_a), np.concatenate(pairs_b))
        week.introductions += made
        for r in np.flatnonzero(made).tolist():
            share = shares[r]
            for k, fac in enumerate(e.facilitators[r]):
                fac.introductions += int(made[r]) * share[k]


def _spend(e: Engine, week: Week, r: int, team, lo: int, hi: int, firsts, pairs_a, pairs_b, shares) -> np.ndarray | None:
    """Replicate ``r``'s facilitators spend their week; returns the rows who attended an event (or None).

    Pairs to introduce are added to ``pairs_a`` and ``pairs_b``, with the facilitators' shares of the
    hours in ``shares[r]``: the ties of the whole batch are made at once.
    """
    f = e.params[r].facilitation
    s = e.state
    rng = e.rngs[r]
    n = hi - lo
    hours = np.array([fac.hours_per_week for fac in team], dtype=np.float64)
    came = None

    # 1. events, each facilitator on their own schedule
    if f.event_every_weeks > 0:
        since = e.week - e.params[r].platform.launch_week
        for k, fac in enumerate(team):
            if (since + fac.offset) % f.event_every_weeks or hours[k] < f.event_hours:
                continue
            hours[k] -= f.event_hours
            # people whose goals are closer to the organisation's are likelier to come: invitations
            # at the highest chance (alignment 1), each accepted with the learner's own share of it
            top = min(1.0, f.event_attendance * 1.5)
            invited = bernoulli_indices(rng, n, top) + lo
            chance = np.minimum(1.0, f.event_attendance * (0.5 + s.alignment[invited]))
            attendees = invited[rng.random(invited.size) * top < chance]
            s.pull[attendees] += np.float32(f.event_boost)
            came = attendees if came is None else np.union1d(came, attendees)
            fac.events_run += 1
            week.events[r] += 1
            week.event_attendees[r] += attendees.size
    pool = float(hours.sum())
    if pool <= 0:
        return came
    share = hours / pool  # who spent the pooled hours, for the facilitators' tallies

    # 2. replies to last week's first posts (of people still here)
    candidates = firsts
    if candidates.size:
        candidates = candidates[s.posts[candidates] > 0]
    can_afford = int(pool // f.reply_hours)
    n_reply = min(candidates.size, can_afford)
    if n_reply:
        chosen = rng.choice(candidates, size=n_reply, replace=False)
        s.reply_pull[chosen] += np.float32(f.reply_boost)
        pool -= n_reply * f.reply_hours
        week.replies[r] += n_reply
        for k, fac in enumerate(team):
            fac.replies += n_reply * share[k]

    # 3. seeding content on the organisation's goals
    seed_hours = pool * f.seeding_share
    if seed_hours > 0:
        posts = seed_hours / f.seed_hours
        e.content.add_seeded(r, posts, e.org_goals[r])
        week.seeded_posts[r] += posts
        for k, fac in enumerate(team):
            fac.posts_seeded += posts * share[k]

    # 4. brokering ties between active learners of different stores (made for the whole batch at once)
    broker_hours = pool - seed_hours
    if broker_hours > 0:
        a, b = broker(e, r, lo, hi, int(broker_hours // f.broker_hours))
        if a.size:
            pairs_a.append(a)
            pairs_b.append(b)
            shares[r] = share
    return came


def broker(e: Engine, r: int, lo: int, hi: int, intros: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``intros`` pairs of replicate ``r``'s active learners from different stores, to be introduced.

    A facilitator's reach scales with the organisation: each active learner is introduced at most
    once a week, and only while they hold fewer than ``max_brokered_ties`` brokered ties (a personal
    learning network grows a contact at a time), so a small organisation cannot be flooded with
    introductions by facilitators sized for a large one.
    """
    s = e.state
    none = (np.empty(0, np.int64), np.empty(0, np.int64))
    if intros <= 0:
        return none
    cap = e.params[r].facilitation.max_brokered_ties
    brokered = e.ties.degree[lo:hi] - e.ties.base_degree[lo:hi]
    active = np.flatnonzero((s.engagement[lo:hi] > 0) & (brokered < cap)) + lo
    if active.size < 2:
        return none
    order = e.rngs[r].permutation(active)
    pairs = min(intros, order.size // 2)
    a, b = order[:pairs], order[pairs : 2 * pairs]
    different = (s.store[a] != s.store[b]) | (s.store[a] < 0)
    return a[different], b[different]
