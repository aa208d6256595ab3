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

from ecosim.core.draws import Site
from ecosim.core.layout import ranks, weekly_share_left
from ecosim.core.network import HEAD_OFFICE
from ecosim.core.rng import logistic
from ecosim.core.state import CONSUMER, INACTIVE

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week


def step(e: Engine, week: Week) -> None:
    """This week's engagement of every learner, by the scenario's rule (nothing before launch)."""
    if not e.platform_open:
        return
    rule = e.params[0].engagement.rule  # one rule per batch
    if rule == "ecosystem":
        ecosystem(e, week)
    elif rule == "bass":
        bass(e)
    else:
        threshold(e)
    e.state.ever_active |= e.state.engagement > INACTIVE


def usefulness(e: Engine) -> np.ndarray:
    """Perceived usefulness (0-1): value of the live content relevant to each learner's goals."""
    layout = e.layout
    r = e.content.relevant_stock(e.state.goals)
    g = layout.per_row(e.levers("engagement.ecosystem.content_convexity"))
    rg = np.power(r, g, out=r)
    half = layout.per_row(e.levers("engagement.ecosystem.content_half_value")) ** g
    if np.all(half > 0):
        return np.divide(rg, rg + half, out=rg)
    # a half value below float32's range is 0: no relevant content is then still worth nothing
    den = rg + half
    return np.divide(rg, den, out=np.zeros_like(rg), where=den > 0)


def uniforms(e: Engine, site: int, rows: np.ndarray | None = None, sub: int = 0, f32: bool = False) -> np.ndarray:
    """One uniform draw for each of ``rows`` (default: every row), from its replicate's ``site`` this week."""
    layout = e.layout
    rep = layout.rep if rows is None else layout.rep[rows]
    local = layout.local if rows is None else layout.local[rows]
    return (e.draws.uniform32 if f32 else e.draws.uniform)(site, rep, local, sub)


def ecosystem(e: Engine, week: Week) -> None:
    """The ``ecosystem`` rule: who visits and who posts this week, and their posts added to the content."""
    s = e.state
    layout = e.layout
    lv = e.levers
    per_row = layout.per_row
    was_active = (s.engagement > INACTIVE).astype(np.float32)
    local = e.ties.neighbour_share(was_active)
    # the share of everyone active last week, as a float32 mean of zeros and ones
    mass = np.add.reduceat(was_active, layout.offsets[:-1]).astype(np.float32) / layout.sizes.astype(np.float32)
    since = e.week - lv("platform.launch_week")
    novelty = lv("platform.novelty") * np.exp(-since / lv("platform.novelty_weeks"))
    use = usefulness(e)
    week.usefulness = use

    u = use * per_row(lv("engagement.ecosystem.usefulness"))
    u += local * per_row(lv("engagement.ecosystem.local_social"))
    exposure_w = lv("engagement.ecosystem.exposure")
    post_exposure_w = lv("engagement.ecosystem.post_exposure")
    if (exposure_w > 0).any() or (post_exposure_w > 0).any():
        half = per_row(lv("engagement.ecosystem.exposure_half_contacts"))
        shape = per_row(lv("engagement.ecosystem.exposure_shape"))
        seen = saturating(e.ties.neighbour_counts(s.seen_active), half, shape)
        seen_posting = saturating(e.ties.neighbour_counts(s.seen_posting), half, shape)
        u += seen * per_row(exposure_w)
    else:
        seen_posting = None
    seeded = None
    if e.week == e.params[0].platform.launch_week and (lv("engagement.ecosystem.initial_adopters") > 0).any():
        k = layout.per_row(lv("engagement.ecosystem.initial_adopters"), np.int64)
        seeded = ranks(layout.rep, uniforms(e, Site.SEED_ADOPTERS)) < k
        s.habit[seeded] = 1.0
    u += s.habit * per_row(lv("engagement.ecosystem.habit"))
    u += s.pull
    u += s.reply_pull  # a reply to one's post is a notification that draws one back
    u += s.propensity
    base = (
        lv("engagement.ecosystem.intercept")
        + lv("engagement.ecosystem.critical_mass") * mass.astype(np.float64)
        + novelty
        - lv("platform.friction")
    )
    u += per_row(base)
    u -= s.mobile * per_row(lv("platform.mobile_visit_cost"))
    u -= (s.role != HEAD_OFFICE) * per_row(lv("engagement.time_pressure"))
    visit = uniforms(e, Site.VISIT, f32=True) < logistic(u, out=u)
    if week.attendees.size:
        visit[week.attendees] = True  # an event is held on the platform: who attends, visits
    if seeded is not None:
        visit |= seeded

    # a visitor posts with probability logistic(V), worked out for visitors only
    visitors = np.flatnonzero(visit)
    v = use[visitors] * per_row_of(e, visitors, lv("engagement.ecosystem.post_usefulness"))
    v += s.post_habit[visitors] * per_row_of(e, visitors, lv("engagement.ecosystem.post_habit"))
    v += s.reply_pull[visitors]
    v += s.post_propensity[visitors]
    v += per_row_of(e, visitors, lv("engagement.ecosystem.post_intercept"))
    if seen_posting is not None:
        v += seen_posting[visitors] * per_row_of(e, visitors, post_exposure_w)
    post_cost = lv("engagement.ecosystem.post_cost")
    v -= np.where(
        s.mobile[visitors],
        per_row_of(e, visitors, post_cost * lv("platform.mobile_posting_cost_ratio")),
        per_row_of(e, visitors, post_cost),
    )
    posters = visitors[uniforms(e, Site.POST, visitors, f32=True) < logistic(v, out=v)]
    post = np.zeros(s.n, dtype=bool)
    post[posters] = True

    rep = layout.rep[posters]
    mean = lv("engagement.ecosystem.posts_per_week")[rep] * s.volume[posters]
    cap = lv("engagement.ecosystem.max_posts_per_week").astype(np.int64)[rep]
    counts = np.maximum(1, poisson(uniforms(e, Site.POST_COUNT, posters), mean, cap)).astype(np.int32)
    e.first_posters = posters[s.posts[posters] == 0]
    s.posts[posters] += counts
    s.recent_posts[posters] += counts
    e.content.add_posts(counts, posters, s.goals)
    week.posts += layout.counts(posters, counts.astype(np.float64)).astype(np.int64)
    week.new_posters += layout.counts(e.first_posters)

    np.add(visit, post, out=s.engagement, dtype=np.int8)  # INACTIVE 0, CONSUMER 1, CONTRIBUTOR 2
    fade = per_row(weekly_share_left(lv("engagement.ecosystem.exposure_memory_weeks")))
    s.seen_active *= fade
    np.maximum(s.seen_active, visit, out=s.seen_active)
    s.seen_posting *= fade
    np.maximum(s.seen_posting, post, out=s.seen_posting)
    rate = per_row(lv("engagement.ecosystem.habit_rate"))
    change = np.subtract(visit, s.habit, out=u)  # habits move a share `rate` toward this week
    change *= rate
    s.habit += change
    change = np.subtract(post, s.post_habit, out=u)
    change *= rate
    s.post_habit += change


def saturating(x: np.ndarray, half, shape) -> np.ndarray:
    """x^shape / (x^shape + half^shape), in place of ``x`` (0 where x is 0)."""
    xs = np.power(x, shape, out=x)
    return np.divide(xs, xs + np.power(half, shape), out=xs)


def poisson(u: np.ndarray, mean: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Poisson(``mean``) numbers by inversion of the uniform draws ``u``, at most ``cap`` each."""
    mean = np.asarray(mean, dtype=np.float64)
    term = np.exp(-mean)
    below = term.copy()  # P(X <= k)
    out = np.zeros(u.size, dtype=np.int64)
    going = np.flatnonzero(u > below)
    k = 0
    while going.size:
        k += 1
        out[going] += 1
        term[going] *= mean[going] / k
        below[going] += term[going]
        going = going[(u[going] > below[going]) & (out[going] < cap[going])]
    return out


def per_row_of(e: Engine, rows: np.ndarray, values: np.ndarray, dtype: type = np.float32):
    """One value per replicate as one value for each of ``rows``: a scalar when every replicate has the same."""
    v = np.asarray(values).astype(dtype)
    if v.size == 1 or bool((v == v[0]).all()):
        return v[0]
    return v[e.layout.rep[rows]]


def bass(e: Engine) -> None:
    """The ``bass`` rule: non-adopters adopt at hazard p + q * (share of adopted neighbours), in sub-steps."""
    s = e.state
    p, q = e.levers("engagement.bass.p"), e.levers("engagement.bass.q")
    steps = e.params[0].engagement.bass.steps_per_week
    if any(sc.engagement.bass.steps_per_week != steps for sc in e.params):
        raise ValueError("replicates of a batch share engagement.bass.steps_per_week")
    adopted = s.engagement > INACTIVE
    dt = 1.0 / steps
    for step in range(steps):
        share = e.ties.neighbour_share(adopted)
        waiting = np.flatnonzero(~adopted)  # adoption is absorbing: only non-adopters draw
        hazard = per_row_of(e, waiting, p, np.float64) + per_row_of(e, waiting, q, np.float64) * share[waiting].astype(
            np.float64
        )
        prob = -np.expm1(-hazard * dt)
        adopted[waiting[uniforms(e, Site.ADOPT, waiting, sub=step) < prob]] = True
    s.engagement[adopted] = CONSUMER


def threshold(e: Engine) -> None:
    """The ``threshold`` rule: seed the initial adopters at launch, then adopt wherever the threshold is reached."""
    s = e.state
    layout = e.layout
    adopted = s.engagement > INACTIVE
    if e.week == e.params[0].platform.launch_week:
        # the initial adopters: each replicate's k learners of the smallest draws
        k = layout.per_row(e.levers("engagement.threshold.initial_adopters"), np.int64)
        adopted |= ranks(layout.rep, uniforms(e, Site.SEED_ADOPTERS)) < k
    counts = e.ties.neighbour_counts(adopted).astype(np.float64)
    absolute = [sc.engagement.threshold.counts is not None for sc in e.params]
    if all(absolute):
        reached = counts >= s.threshold
    elif not any(absolute):
        # share >= phi, written without a division so that ties at the boundary are exact
        reached = counts >= s.threshold * e.ties.degree - 1e-9
        reached &= (e.ties.degree > 0) | (s.threshold <= 0)
    else:
        raise ValueError("replicates of a batch share the kind of threshold (counts or shares)")
    adopted |= reached
    s.engagement[adopted] = CONSUMER
