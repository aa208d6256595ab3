"""Forgetting: unused beliefs fade back to 'don't know' (0), following a power law.

A belief of age t weeks (since it was learnt or last confirmed) is forgotten in a week with
probability ``rate / (1 + t) ** exponent`` (power-law forgetting fits Ebbinghaus's data better than
one half-life: Wixted & Ebbesen 1991), cut by ``posting_protection`` for learners who posted that
week (retrieval practice, reflection) and by ``visiting_protection`` for those who visited.
Draws are thinned: candidates at the maximal hazard ``rate``, accepted with the ratio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.core.rng import bernoulli_indices
from ecosim.core.state import CONSUMER, CONTRIBUTOR

if TYPE_CHECKING:
    from ecosim.core.model import EcosystemModel


def step(m: EcosystemModel) -> None:
    fp = m.params.forgetting
    if not fp.enabled or fp.rate <= 0:
        return
    s = m.state
    n, dims = s.beliefs.shape
    flat = s.beliefs.reshape(-1)
    age = s.belief_age.reshape(-1)
    idx = bernoulli_indices(m.rng, n * dims, fp.rate)
    idx = idx[flat[idx] != 0]
    if idx.size:
        rows = idx // dims
        keep = np.ones(idx.size)
        eng = s.engagement[rows]
        keep[eng == CONTRIBUTOR] = 1.0 - fp.posting_protection
        keep[eng == CONSUMER] = 1.0 - fp.visiting_protection
        ratio = keep * (1.0 + age[idx]) ** (-fp.exponent)
        forget = idx[m.rng.random(idx.size) < ratio]
        flat[forget] = 0
    np.minimum(age, 254, out=age)
    age += 1
