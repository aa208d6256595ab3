"""Forgetting: unused beliefs fade back to 'don't know' (0), following a power law.

A belief of age t weeks (since it was learnt or last confirmed) is forgotten in a week with
probability ``rate / (1 + t) ** exponent`` (power-law forgetting fits Ebbinghaus's data better than
one half-life: Wixted & Ebbesen 1991), cut by ``posting_protection`` for learners who post (this
week, or by habit: retrieval practice and reflection) and by ``visiting_protection`` for those who
visit (likewise).
Draws are thinned: candidates at the maximal hazard ``rate``, accepted with the ratio. A belief's age
is the weeks since the week it was learnt or confirmed (``state.belief_week``), capped at 255.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ecosim.core.draws import Site
from ecosim.core.layout import filter_groups
from ecosim.core.mechanisms.learning import cells_to_global
from ecosim.core.state import CONTRIBUTOR, INACTIVE, MAX_BELIEF_AGE

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week


#: Half of what was learnt is lost after about 6.5 months without use on accuracy-based measures
#: (Tatel & Ackerman, meta-analysis of 457 reports; 11 months on mixed, 13 on speed measures): the
#: half-life the default ``forgetting.rate`` is solved from.
HALF_LIFE_WEEKS = 6.5 * 52 / 12


def survival(rate: float, exponent: float, weeks: int) -> np.ndarray:
    """Expected share of unused beliefs kept after 0..weeks weeks under this rule (nobody visits or posts)."""
    k = np.arange(weeks)
    return np.concatenate([[1.0], np.cumprod(1.0 - np.minimum(1.0, rate / (1.0 + k) ** exponent))])


def half_life(rate: float, exponent: float, horizon: int = 2000) -> float:
    """Weeks until half of unused beliefs are forgotten (linear interpolation between weeks)."""
    s = survival(rate, exponent, horizon)
    i = int(np.argmax(s <= 0.5))
    if s[i] > 0.5:
        return math.inf
    return float(i - 1 + (s[i - 1] - 0.5) / (s[i - 1] - s[i]))


def rate_for_half_life(target_weeks: float, exponent: float) -> float:
    """The ``forgetting.rate`` whose unused beliefs have a half-life of ``target_weeks`` (root finding)."""
    from scipy.optimize import brentq

    return float(brentq(lambda r: half_life(r, exponent) - target_weeks, 1e-4, 0.99, xtol=1e-6))


def step(e: Engine, week: Week) -> None:
    """Forget beliefs this week: each fades to 0 with the power-law hazard, less for visitors and posters."""
    s = e.state
    layout = e.layout
    dims = s.beliefs.shape[1]
    n = s.n
    flat = s.cells(s.beliefs)  # cell j * N + i: row i, dimension j
    lv = e.levers
    rate = np.where(lv("forgetting.enabled") > 0, lv("forgetting.rate"), 0.0)
    if not (rate > 0).any():
        return
    reps = np.arange(layout.replicates)
    local, ptr = e.draws.bernoulli(Site.FORGET, layout.sizes * dims, rate)
    idx, _ = cells_to_global(layout, reps, local, ptr)
    held = flat[idx] != 0
    idx, local, ptr = idx[held], local[held], filter_groups(ptr, held)
    if idx.size == 0:
        return
    rows = idx - idx // n * n  # idx % n, several times faster for int64
    age = s.cells(s.belief_week)[idx]
    np.subtract(e.week, age, out=age)
    np.minimum(age, MAX_BELIEF_AGE, out=age)
    exponent = lv("forgetting.exponent")
    if (exponent == exponent[0]).all():
        by_age = np.take(_by_age(exponent[0]), age)
    else:
        table = np.stack([_by_age(x) for x in exponent])
        by_age = table[np.repeat(reps, np.diff(ptr)), age]
    ratio = np.take(keep_share(e), rows) * by_age
    u = e.draws.uniform(Site.FORGET_ACCEPT, np.repeat(reps, np.diff(ptr)), local)
    flat[idx[u < ratio]] = 0


def _by_age(exponent: float) -> np.ndarray:
    """The power law's share of the maximal hazard at each age, 0 to MAX_BELIEF_AGE weeks."""
    return (1.0 + np.arange(MAX_BELIEF_AGE + 1, dtype=np.float64)) ** (-exponent)


def keep_share(e: Engine) -> np.ndarray:
    """Per learner, the share of the forgetting hazard left after reflection and retrieval practice.

    Protection is ``posting_protection`` times the larger of posting this week (0 or 1) and the
    posting habit, or ``visiting_protection`` times the larger of visiting this week and the visiting
    habit, whichever is larger: people who post regularly keep reflecting on their practice in the
    weeks between posts.
    """
    s = e.state
    per_row = e.layout.per_row
    posting = np.maximum(s.engagement == CONTRIBUTOR, s.post_habit) * per_row(e.levers("forgetting.posting_protection"))
    visiting = np.maximum(s.engagement > INACTIVE, s.habit) * per_row(e.levers("forgetting.visiting_protection"))
    return 1.0 - np.maximum(posting, visiting, out=posting)
