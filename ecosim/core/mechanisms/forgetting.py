"""Forgetting: unused beliefs fade back to 'don't know' (0), following a power law.

A belief of age t weeks (since it was learnt or last confirmed) is forgotten in a week with
probability ``rate / (1 + t) ** exponent`` (power-law forgetting fits Ebbinghaus's data better than
one half-life: Wixted & Ebbesen 1991), cut by ``posting_protection`` for learners who posted that
week (retrieval practice, reflection) and by ``visiting_protection`` for those who visited.
Draws are thinned: candidates at the maximal hazard ``rate``, accepted with the ratio. A belief's age
is the weeks since the week it was learnt or confirmed (``state.belief_week``), capped at 255.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.core.rng import bernoulli_indices
from ecosim.core.state import CONSUMER, CONTRIBUTOR, INACTIVE, MAX_BELIEF_AGE

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
        keep = np.empty(3)  # by engagement this week
        keep[INACTIVE] = 1.0
        keep[CONSUMER] = 1.0 - fp.visiting_protection
        keep[CONTRIBUTOR] = 1.0 - fp.posting_protection
        by_age = (1.0 + np.arange(MAX_BELIEF_AGE + 1, dtype=np.float64)) ** (-fp.exponent)
        age = s.cells(s.belief_week)[idx]
        np.subtract(m.week, age, out=age)
        np.minimum(age, MAX_BELIEF_AGE, out=age)
        ratio = np.take(keep, s.engagement[rows]) * np.take(by_age, age)
        forget = idx[m.rng.random(idx.size) < ratio]
        flat[forget] = 0
