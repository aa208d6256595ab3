"""Engagement: each week every learner is inactive, consumes (visits) or contributes (posts).

Three rules share this step:

``ecosystem`` (default)
    A learner visits with probability logistic(U),

        U = b0 + b_use * usefulness + b_local * (share of neighbours active last week)
            + b_mass * (share of everyone active last week) + b_habit * habit + pull
            + novelty - friction - mobile cost - time pressure,

    where usefulness = r^g / (r^g + h^g) with r the live content weighted by its relevance to the
    learner's goals (per learner in the organisation), and pull the fading effect of events and
    of replies. Learners attending an event this week visit (events are held on the platform).
    A visitor posts with probability logistic(V), V = c0 + c_use * usefulness + c_habit * posting
    habit + reply pull - post cost (x the typing-speed ratio on a phone). Habits move a share
    ``habit_rate`` of the way toward this week's behaviour.

``bass``
    Adoption is absorbing; each week (in ``steps_per_week`` sub-steps of length dt) a non-adopter
    adopts with probability 1 - exp(-h dt), h = p + q * (adopted neighbours / degree) (Bass 1969).

``threshold``
    Adoption is absorbing; at launch ``initial_adopters`` adopt at random, then each week, all at
    once, a learner adopts when the share of adopted neighbours reaches their threshold phi
    (Watts 2002), or their number reaches an absolute threshold (Granovetter 1978).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.core.network import HEAD_OFFICE
from ecosim.core.rng import logistic
from ecosim.core.state import CONSUMER, INACTIVE

if TYPE_CHECKING:
    from ecosim.core.model import EcosystemModel


def step(m: EcosystemModel) -> None:
    """This week's engagement of every learner, by the scenario's rule (nothing before launch)."""
    if not m.platform_open:
        return
    rule = m.params.engagement.rule
    if rule == "ecosystem":
        ecosystem(m)
    elif rule == "bass":
        bass(m)
    else:
        threshold(m)
    m.state.ever_active |= m.state.engagement > INACTIVE


def usefulness(m: EcosystemModel) -> np.ndarray:
    """Perceived usefulness (0-1): value of the live content relevant to each learner's goals."""
    e = m.params.engagement.ecosystem
    r = m.content.relevant_stock(m.state.goals, m.state.n)
    g = np.float32(e.content_convexity)
    rg = np.power(r, g, out=r)
    half = np.float32(e.content_half_value) ** g
    if half > 0:
        return np.divide(rg, rg + half, out=rg)
    # a half value below float32's range is 0: no relevant content is then still worth nothing
    den = rg + half
    return np.divide(rg, den, out=np.zeros_like(rg), where=den > 0)


def ecosystem(m: EcosystemModel) -> None:
    """The ``ecosystem`` rule: who visits and who posts this week, and their posts added to the content."""
    params = m.params
    e = params.engagement.ecosystem
    s = m.state
    rng = m.rng
    n = s.n
    was_active = (s.engagement > INACTIVE).astype(np.float32)
    local = m.ties.neighbour_share(was_active)
    mass = float(was_active.mean())
    since = m.week - params.platform.launch_week
    novelty = params.platform.novelty * np.exp(-since / params.platform.novelty_weeks)
    use = usefulness(m)
    m.last_usefulness = use

    u = use * np.float32(e.usefulness)
    u += local * np.float32(e.local_social)
    u += s.habit * np.float32(e.habit)
    u += s.pull
    u += s.reply_pull  # a reply to one's post is a notification that draws one back
    u += s.propensity
    u += np.float32(e.intercept + e.critical_mass * mass + novelty - params.platform.friction)
    u -= s.mobile * np.float32(params.platform.mobile_visit_cost)
    u -= (s.role != HEAD_OFFICE) * np.float32(params.engagement.time_pressure)
    visit = rng.random(n, dtype=np.float32) < logistic(u, out=u)
    attendees = getattr(m, "event_attendees", None)
    if attendees is not None and attendees.size:
        visit[attendees] = True  # an event is held on the platform: who attends, visits

    # a visitor posts with probability logistic(V), worked out for visitors only
    visitors = np.flatnonzero(visit)
    v = use[visitors] * np.float32(e.post_usefulness)
    v += s.post_habit[visitors] * np.float32(e.post_habit)
    v += s.reply_pull[visitors]
    v += s.post_propensity[visitors]
    v += np.float32(e.post_intercept)
    v -= np.where(
        s.mobile[visitors], np.float32(e.post_cost * params.platform.mobile_posting_cost_ratio), np.float32(e.post_cost)
    )
    posters = visitors[rng.random(visitors.size, dtype=np.float32) < logistic(v, out=v)]
    post = np.zeros(n, dtype=bool)
    post[posters] = True

    counts = np.maximum(1, rng.poisson(e.posts_per_week * s.volume[posters])).astype(np.int32)
    m.first_posters = posters[s.posts[posters] == 0]
    s.posts[posters] += counts
    s.recent_posts[posters] += counts
    m.content.add_posts(counts, posters, s.goals)
    m.week_stats["posts"] = int(counts.sum())
    m.week_stats["new_posters"] = m.first_posters.size

    np.add(visit, post, out=s.engagement, dtype=np.int8)  # INACTIVE 0, CONSUMER 1, CONTRIBUTOR 2
    rate = np.float32(e.habit_rate)
    step = np.subtract(visit, s.habit, out=u)  # habits move a share `rate` toward this week
    step *= rate
    s.habit += step
    step = np.subtract(post, s.post_habit, out=u)
    step *= rate
    s.post_habit += step


def bass(m: EcosystemModel) -> None:
    """The ``bass`` rule: non-adopters adopt at hazard p + q * (share of adopted neighbours), in sub-steps."""
    b = m.params.engagement.bass
    s = m.state
    adopted = s.engagement > INACTIVE
    dt = 1.0 / b.steps_per_week
    for _ in range(b.steps_per_week):
        share = m.ties.neighbour_share(adopted)
        waiting = np.flatnonzero(~adopted)  # adoption is absorbing: only non-adopters draw
        hazard = b.p + b.q * share[waiting].astype(np.float64)
        prob = -np.expm1(-hazard * dt)
        adopted[waiting[m.rng.random(waiting.size) < prob]] = True
    s.engagement[adopted] = CONSUMER
    m.week_stats["posts"] = 0


def threshold(m: EcosystemModel) -> None:
    """The ``threshold`` rule: seed the initial adopters at launch, then adopt wherever the threshold is reached."""
    t = m.params.engagement.threshold
    s = m.state
    adopted = s.engagement > INACTIVE
    if m.week == m.params.platform.launch_week and t.initial_adopters:
        seeds = m.rng.choice(s.n, size=min(t.initial_adopters, s.n), replace=False)
        adopted[seeds] = True
    counts = m.ties.neighbour_counts(adopted).astype(np.float64)
    if t.counts is not None:
        reached = counts >= s.threshold
    else:
        # share >= phi, written without a division so that ties at the boundary are exact
        reached = counts >= s.threshold * m.ties.degree - 1e-9
        reached &= (m.ties.degree > 0) | (s.threshold <= 0)
    adopted |= reached
    s.engagement[adopted] = CONSUMER
    m.week_stats["posts"] = 0
