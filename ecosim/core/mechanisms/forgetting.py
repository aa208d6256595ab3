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

from typing import TYPE_CHECKING

import numpy as np

from ecosim.core.rng import bernoulli_indices
from ecosim.core.state import CONTRIBUTOR, INACTIVE, MAX_BELIEF_AGE

if TYPE_CHECKING:
    from ecosim.core.model import EcosystemModel


def step(m: EcosystemModel) -> None:
    """Forget beliefs this week: each fades to 0 with the power-law hazard, less for visitors and posters."""
    fp = m.params.forgetting
    if not fp.enabled or fp.rate <= 0:
        return
    s = m.state
    n, dims = s.beliefs.shape
    flat = s.cells(s.beliefs)  # cell j * n + i: learner i, dimension j
    idx = bernoulli_indices(m.rng, n * dims, fp.rate)
    idx = idx[flat[idx] != 0]
    if idx.size:
        rows = idx - idx // n * n  # idx % n, several times faster for int64
        by_age = (1.0 + np.arange(MAX_BELIEF_AGE + 1, dtype=np.float64)) ** (-fp.exponent)
        age = s.cells(s.belief_week)[idx]
        np.subtract(m.week, age, out=age)
        np.minimum(age, MAX_BELIEF_AGE, out=age)
        ratio = np.take(keep_share(m), rows) * np.take(by_age, age)
        forget = idx[m.rng.random(idx.size) < ratio]
        flat[forget] = 0


def keep_share(m: EcosystemModel) -> np.ndarray:
    """Per learner, the share of the forgetting hazard left after reflection and retrieval practice.

    Protection is ``posting_protection`` times the larger of posting this week (0 or 1) and the
    posting habit, or ``visiting_protection`` times the larger of visiting this week and the visiting
    habit, whichever is larger: people who post regularly keep reflecting on their practice in the
    weeks between posts.
    """
    fp = m.params.forgetting
    s = m.state
    posting = np.maximum(s.engagement == CONTRIBUTOR, s.post_habit) * np.float32(fp.posting_protection)
    visiting = np.maximum(s.engagement > INACTIVE, s.habit) * np.float32(fp.visiting_protection)
    return 1.0 - np.maximum(posting, visiting, out=posting)
