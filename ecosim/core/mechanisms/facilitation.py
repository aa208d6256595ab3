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

from ecosim.core.layout import weekly_share_left
from ecosim.core.rng import bernoulli_groups

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week


def step(e: Engine, week: Week) -> None:
    """Spend this week's facilitator hours on events, replies, seeding and brokering, and fade past pull."""
    s = e.state
    layout = e.layout
    decay = layout.per_row(weekly_share_left(e.levers("facilitation.facilitation_memory_weeks")))
    s.pull *= decay
    s.reply_pull *= decay
    firsts = e.first_posters
    e.first_posters = np.empty(0, np.int64)
    if not e.platform_open:
        return
    hours = [np.array([fac.hours_per_week for fac in team], dtype=np.float64) for team in e.facilitators]
    week.attendees = events(e, week, hours)

    # replies, seeding and the pairs to introduce, replicate by replicate; the ties are made at once
    first_bounds = layout.bounds(firsts)
    active = _can_be_introduced(e)
    active_bounds = layout.bounds(active)
    pairs_a, pairs_b, shares = [], [], {}
    for r, team in enumerate(e.facilitators):
        pool = float(hours[r].sum()) if team else 0.0
        if pool <= 0:
            continue
        share = hours[r] / pool  # who spent the pooled hours, for the facilitators' tallies
        f = e.params[r].facilitation
        rng = e.rngs[r]

        # 2. replies to last week's first posts (of people still here)
        candidates = firsts[first_bounds[r] : first_bounds[r + 1]]
        if candidates.size:
            candidates = candidates[s.posts[candidates] > 0]
        n_reply = min(candidates.size, int(pool // f.reply_hours))
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

        # 4. brokering ties between active learners of different stores
        broker_hours = pool - seed_hours
        if broker_hours > 0:
            a, b = broker(e, r, active[active_bounds[r] : active_bounds[r + 1]], int(broker_hours // f.broker_hours))
            if a.size:
                pairs_a.append(a)
                pairs_b.append(b)
                shares[r] = share
    if pairs_a:
        made = e.ties.add_ties(np.concatenate(pairs_a), np.concatenate(pairs_b))
        week.introductions += made
        for r in np.flatnonzero(made).tolist():
            for k, fac in enumerate(e.facilitators[r]):
                fac.introductions += int(made[r]) * shares[r][k]


def events(e: Engine, week: Week, hours: list[np.ndarray]) -> np.ndarray:
    """This week's events, each facilitator on their own schedule; returns the rows of those who attended.

    An event's hours come off its facilitator's ``hours``. Events are held round by round: every
    replicate's first facilitator, then every second one, and so on, so that each replicate draws
    its events in the order of its facilitators.
    """
    s = e.state
    layout = e.layout
    lv = e.levers
    every = lv("facilitation.event_every_weeks")
    cost = lv("facilitation.event_hours")
    attendance = lv("facilitation.event_attendance")
    top = np.minimum(1.0, attendance * 1.5)
    since = e.week - e.params[0].platform.launch_week
    came = []
    for k in range(max((len(team) for team in e.facilitators), default=0)):
        due = []
        for r, team in enumerate(e.facilitators):
            if len(team) <= k or every[r] <= 0:
                continue
            if (since + team[k].offset) % int(every[r]) or hours[r][k] < cost[r]:
                continue
            hours[r][k] -= cost[r]
            team[k].events_run += 1
            due.append(r)
        if not due:
            continue
        # people whose goals are closer to the organisation's are likelier to come: invitations at
        # the highest chance (alignment 1), each accepted with the learner's own share of it
        invited, ptr = bernoulli_groups([e.rngs[r] for r in due], layout.sizes[due], top[due])
        counts = np.diff(ptr)
        invited += np.repeat(layout.offsets[due], counts)
        u = np.empty(invited.size)
        for j, r in enumerate(due):
            if counts[j]:
                e.rngs[r].random(out=u[ptr[j] : ptr[j + 1]])
        rep = np.repeat(np.array(due), counts)
        chance = np.minimum(1.0, attendance.astype(np.float32)[rep] * (0.5 + s.alignment[invited]))
        attendees = invited[u * top[rep] < chance]
        s.pull[attendees] += lv("facilitation.event_boost").astype(np.float32)[layout.rep[attendees]]
        week.events[due] += 1
        week.event_attendees += layout.counts(attendees)
        came.append(attendees)
    if not came:
        return np.empty(0, np.int64)
    return np.unique(np.concatenate(came)) if len(came) > 1 else came[0]


def _can_be_introduced(e: Engine) -> np.ndarray:
    """Rows of the active learners holding fewer brokered ties than their replicate's cap."""
    s = e.state
    cap = e.layout.per_row(e.levers("facilitation.max_brokered_ties"), np.float32)
    brokered = e.ties.degree - e.ties.base_degree
    return np.flatnonzero((s.engagement > 0) & (brokered < cap))


def broker(e: Engine, r: int, active: np.ndarray, intros: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``intros`` pairs of replicate ``r``'s ``active`` learners from different stores, to be introduced.

    A facilitator's reach scales with the organisation: each active learner is introduced at most
    once a week, and only while they hold fewer than ``max_brokered_ties`` brokered ties (a personal
    learning network grows a contact at a time), so a small organisation cannot be flooded with
    introductions by facilitators sized for a large one.
    """
    s = e.state
    if intros <= 0 or active.size < 2:
        return _NONE, _NONE
    order = e.rngs[r].permutation(active)
    pairs = min(intros, order.size // 2)
    a, b = order[:pairs], order[pairs : 2 * pairs]
    different = (s.store[a] != s.store[b]) | (s.store[a] < 0)
    return a[different], b[different]


_NONE = np.empty(0, np.int64)
