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

from ecosim.core.draws import Site
from ecosim.core.layout import ranks, weekly_share_left
from ecosim.core.state import CONTRIBUTOR

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week


def step(e: Engine, week: Week) -> None:
    """Spend this week's facilitator hours on events, replies, seeding and brokering, and fade past pull."""
    s = e.state
    layout = e.layout
    lv = e.levers
    decay = layout.per_row(weekly_share_left(lv("facilitation.facilitation_memory_weeks")))
    s.pull *= decay
    s.reply_pull *= decay
    firsts = e.first_posters
    e.first_posters = np.empty(0, np.int64)
    if not e.platform_open:
        return
    hours = [np.array([fac.hours_per_week for fac in team], dtype=np.float64) for team in e.facilitators]
    week.attendees = events(e, week, hours)
    pool = np.array([h.sum() for h in hours])
    share = [h / p if p > 0 else h for h, p in zip(hours, pool)]  # who spent the pooled hours, for the tallies

    # 2. replies to last week's first posts (of people still here): colleagues', then facilitators'
    pool -= replies(e, week, firsts[s.posts[firsts] > 0], pool)
    for r in np.flatnonzero(week.replies).tolist():
        for k, fac in enumerate(e.facilitators[r]):
            fac.replies += int(week.replies[r]) * share[r][k]

    # 3. seeding content on the organisation's goals
    seed_hours = pool * lv("facilitation.seeding_share")
    posts = np.where(seed_hours > 0, seed_hours / lv("facilitation.seed_hours"), 0.0)
    for r in np.flatnonzero(posts > 0).tolist():
        e.content.add_seeded(r, float(posts[r]), e.org_goals[r])
        for k, fac in enumerate(e.facilitators[r]):
            fac.posts_seeded += posts[r] * share[r][k]
    week.seeded_posts += posts

    # 4. brokering ties between active learners of different stores
    intros = np.floor(np.maximum(pool - seed_hours, 0.0) / lv("facilitation.broker_hours")).astype(np.int64)
    if intros.any():
        a, b = broker(e, intros)
        if a.size:
            made = e.ties.add_ties(a, b)
            week.introductions += made
            for r in np.flatnonzero(made).tolist():
                for k, fac in enumerate(e.facilitators[r]):
                    fac.introductions += int(made[r]) * share[r][k]


def events(e: Engine, week: Week, hours: list[np.ndarray]) -> np.ndarray:
    """This week's events, each facilitator on their own schedule; returns the rows of those who attended.

    An event's hours come off its facilitator's ``hours``. Events are held round by round: every
    replicate's first facilitator, then every second one, and so on; facilitator k's invitations
    and acceptances are streams of their own.
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
        due = np.array(due)
        invited, ptr = e.draws.bernoulli(Site.EVENT_INVITE, layout.sizes[due], top[due], sub=k, reps=due)
        rep = np.repeat(due, np.diff(ptr))
        invited += layout.offsets[rep]
        u = e.draws.uniform(Site.EVENT_ACCEPT, rep, layout.local[invited], sub=k)
        chance = np.minimum(1.0, attendance.astype(np.float32)[rep] * (0.5 + s.alignment[invited]))
        attendees = invited[u * top[rep] < chance]
        s.pull[attendees] += lv("facilitation.event_boost").astype(np.float32)[layout.rep[attendees]]
        week.events[due] += 1
        week.event_attendees += layout.counts(attendees)
        came.append(attendees)
    if not came:
        return np.empty(0, np.int64)
    return np.unique(np.concatenate(came)) if len(came) > 1 else came[0]


def replies(e: Engine, week: Week, firsts: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Replies to last week's first posts ``firsts`` (sorted rows); returns the facilitator hours they took.

    Colleagues reply first: a first post gets a reply from a contact who posted last week with
    ``reply_by_contact`` each, and from anyone else who posted with ``reply_by_anyone`` each.
    Facilitators then reply to first posts nobody answered, at ``reply_hours`` each, within the
    share ``reply_share`` of their hours: they cannot answer more than their hours allow, and at
    a launch, when many post for the first time, many go unanswered.
    """
    spent = np.zeros(e.replicates)
    if firsts.size == 0:
        return spent
    s = e.state
    layout = e.layout
    lv = e.levers
    rep = layout.rep[firsts]
    posted = s.engagement == CONTRIBUTOR  # last week's posters: this week's engagement is still to come
    contacts = e.ties.neighbour_counts(posted)[firsts].astype(np.float64)
    others = np.maximum(layout.counts(np.flatnonzero(posted))[rep] - contacts - posted[firsts], 0.0)
    silent = (1.0 - lv("engagement.ecosystem.reply_by_contact")[rep]) ** contacts
    silent *= (1.0 - lv("engagement.ecosystem.reply_by_anyone")[rep]) ** others
    local = layout.local[firsts]
    peer = e.draws.uniform(Site.PEER_REPLY, rep, local) >= silent
    week.peer_replies += layout.counts(firsts[peer])
    # facilitators: as many of the unanswered as their reply hours allow, picked at random
    waiting = ~peer
    cost = lv("facilitation.reply_hours")
    budget = np.floor(pool * lv("facilitation.reply_share") / cost).astype(np.int64)
    key = e.draws.uniform(Site.REPLY_PICK, rep, local)
    key[~waiting] = np.inf
    chosen = waiting & (ranks(rep, key) < budget[rep])
    answered = peer | chosen
    s.reply_pull[firsts[answered]] += lv("facilitation.reply_boost").astype(np.float32)[rep[answered]]
    n = layout.counts(firsts[chosen])
    week.replies += n
    spent += n * cost
    return spent


def _can_be_introduced(e: Engine) -> np.ndarray:
    """Rows of the active learners holding fewer brokered ties than their replicate's cap."""
    s = e.state
    cap = e.layout.per_row(e.levers("facilitation.max_brokered_ties"), np.float32)
    brokered = e.ties.degree - e.ties.base_degree
    return np.flatnonzero((s.engagement > 0) & (brokered < cap))


def broker(e: Engine, intros: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``intros[r]`` pairs of each replicate's active learners from different stores, to be introduced.

    A facilitator's reach scales with the organisation: each active learner is introduced at most
    once a week, and only while they hold fewer than ``max_brokered_ties`` brokered ties (a personal
    learning network grows a contact at a time), so a small organisation cannot be flooded with
    introductions by facilitators sized for a large one. The learners are paired in a random order
    (their own draws).
    """
    s = e.state
    layout = e.layout
    active = _can_be_introduced(e)
    if active.size < 2:
        return _NONE, _NONE
    rep = layout.rep[active]
    rank = ranks(rep, e.draws.uniform(Site.BROKER, rep, layout.local[active]))
    order = np.lexsort((rank, rep))
    active, rep, rank = active[order], rep[order], rank[order]
    pairs = np.minimum(intros, np.bincount(rep, minlength=e.replicates) // 2)[rep]
    a, b = active[rank < pairs], active[(rank >= pairs) & (rank < 2 * pairs)]
    different = (s.store[a] != s.store[b]) | (s.store[a] < 0)
    return a[different], b[different]


_NONE = np.empty(0, np.int64)
