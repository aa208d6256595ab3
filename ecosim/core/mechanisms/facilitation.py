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

from ecosim.core.rng import bernoulli_indices

if TYPE_CHECKING:
    from ecosim.core.model import EcosystemModel


def step(m: EcosystemModel) -> None:
    """Spend this week's facilitator hours on events, replies, seeding and brokering, and fade past pull."""
    f = m.params.facilitation
    s = m.state
    decay = np.float32(0.5 ** (1.0 / f.facilitation_memory_weeks))
    s.pull *= decay
    s.reply_pull *= decay
    stats = m.week_stats
    m.event_attendees = np.empty(0, np.int64)
    if not m.platform_open or not m.facilitators:
        m.first_posters = np.empty(0, np.int64)
        return
    rng = m.rng
    hours = np.array([fac.hours_per_week for fac in m.facilitators], dtype=np.float64)

    # 1. events, each facilitator on their own schedule
    if f.event_every_weeks > 0:
        since = m.week - m.params.platform.launch_week
        for k, fac in enumerate(m.facilitators):
            if (since + fac.offset) % f.event_every_weeks or hours[k] < f.event_hours:
                continue
            hours[k] -= f.event_hours
            # people whose goals are closer to the organisation's are likelier to come: invitations
            # at the highest chance (alignment 1), each accepted with the learner's own share of it
            top = min(1.0, f.event_attendance * 1.5)
            invited = bernoulli_indices(rng, s.n, top)
            chance = np.minimum(1.0, f.event_attendance * (0.5 + s.alignment[invited]))
            attendees = invited[rng.random(invited.size) * top < chance]
            s.pull[attendees] += np.float32(f.event_boost)
            m.event_attendees = np.union1d(m.event_attendees, attendees)
            fac.events_run += 1
            stats["events"] += 1
            stats["event_attendees"] += attendees.size
    pool = float(hours.sum())
    if pool <= 0:
        m.first_posters = np.empty(0, np.int64)
        return
    share = hours / pool  # who spent the pooled hours, for the facilitators' tallies

    # 2. replies to last week's first posts (of people still here)
    candidates = m.first_posters
    if candidates.size:
        candidates = candidates[s.posts[candidates] > 0]
    can_afford = int(pool // f.reply_hours)
    n_reply = min(candidates.size, can_afford)
    if n_reply:
        chosen = rng.choice(candidates, size=n_reply, replace=False)
        s.reply_pull[chosen] += np.float32(f.reply_boost)
        pool -= n_reply * f.reply_hours
        stats["replies"] += n_reply
        for k, fac in enumerate(m.facilitators):
            fac.replies += n_reply * share[k]
    m.first_posters = np.empty(0, np.int64)

    # 3. seeding content on the organisation's goals
    seed_hours = pool * f.seeding_share
    if seed_hours > 0:
        posts = seed_hours / f.seed_hours
        m.content.add_seeded(posts, m.org_goals)
        stats["seeded_posts"] += posts
        for k, fac in enumerate(m.facilitators):
            fac.posts_seeded += posts * share[k]

    # 4. brokering ties between active learners of different stores
    broker_hours = pool - seed_hours
    if broker_hours > 0:
        made = broker(m, int(broker_hours // f.broker_hours))
        stats["introductions"] += made
        for k, fac in enumerate(m.facilitators):
            fac.introductions += made * share[k]


def broker(m: EcosystemModel, intros: int) -> int:
    """Introduce up to ``intros`` pairs of active learners from different stores; returns the ties made.

    A facilitator's reach scales with the organisation: each active learner is introduced at most
    once a week, and only while they hold fewer than ``max_brokered_ties`` brokered ties (a personal
    learning network grows a contact at a time), so a small organisation cannot be flooded with
    introductions by facilitators sized for a large one.
    """
    s = m.state
    if intros <= 0:
        return 0
    cap = m.params.facilitation.max_brokered_ties
    brokered = m.ties.degree - m.ties.base_degree
    active = np.flatnonzero((s.engagement > 0) & (brokered < cap))
    if active.size < 2:
        return 0
    order = m.rng.permutation(active)
    pairs = min(intros, order.size // 2)
    a, b = order[:pairs], order[pairs : 2 * pairs]
    different = (s.store[a] != s.store[b]) | (s.store[a] < 0)
    return m.ties.add_ties(a[different], b[different])
