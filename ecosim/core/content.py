"""The platform's content stock: how much there is, what it is about, and how it decays."""

from __future__ import annotations

import numpy as np


class ContentStock:
    """Posts on the platform, decaying with a half-life (information decay; Foote et al. 2024).

    ``stock`` counts live posts (a post counts 1 when new and halves every half-life).
    ``direction`` is the sum of every live post's topic vector (its author's goals), so
    ``goals @ direction`` is the stock of content weighted by its relevance to a learner.
    ``seeded`` is the part written by facilitators on the organisation's goals, which carries the
    organisational code when read.
    """

    def __init__(self, topics: int, half_life_weeks: float) -> None:
        self.stock = 0.0
        self.seeded = 0.0
        self.direction = np.zeros(topics, dtype=np.float64)
        self.decay_factor = 0.5 ** (1.0 / half_life_weeks)

    def add_posts(self, counts: np.ndarray, rows: np.ndarray, goals: np.ndarray) -> None:
        """Posts by learners ``rows`` (``counts`` each), on their own goals."""
        if rows.size == 0:
            return
        c = counts.astype(np.float64)
        self.stock += float(c.sum())
        # summed here rather than by BLAS, whose threads only get in the way for six columns
        self.direction += np.einsum("i,ik->k", c, goals[rows].astype(np.float64))

    def add_seeded(self, posts: float, org_goals: np.ndarray) -> None:
        """Posts written by facilitators on the organisation's goals."""
        if posts <= 0:
            return
        self.stock += posts
        self.seeded += posts
        self.direction += posts * org_goals

    def relevant_stock(self, goals: np.ndarray, learners: int) -> np.ndarray:
        """Relevance-weighted live posts per learner, as each learner sees it (>= 0).

        ``goals @ d`` topic by topic (a pass per topic over contiguous columns when the goals are
        stored topic by topic): BLAS is slow on a matrix six columns wide, more so when its threads
        compete with other processes.
        """
        d = (self.direction / max(learners, 1)).astype(np.float32)
        out = np.multiply(goals[:, 0], d[0])
        term = np.empty_like(out)
        for k in range(1, d.size):
            out += np.multiply(goals[:, k], d[k], out=term)
        np.maximum(out, 0, out=out)
        return out

    def decay(self) -> None:
        """Age the content by one week: live posts, seeded posts and topic direction all shrink by ``decay_factor``."""
        self.stock *= self.decay_factor
        self.seeded *= self.decay_factor
        self.direction *= self.decay_factor
