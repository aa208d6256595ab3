"""The platform's content stock, one per replicate: how much there is, what it is about, how it decays."""

from __future__ import annotations

import numpy as np

from ecosim.core.layout import Layout, weekly_share_left


class ContentStock:
    """Posts on each replicate's platform, decaying with a half-life (information decay; Foote et al. 2024).

    ``stock[r]`` counts replicate r's live posts (a post counts 1 when new and halves every
    half-life). ``direction[r]`` is the sum of every live post's topic vector (its author's goals), so
    ``goals @ direction[r]`` is the stock of content weighted by its relevance to a learner.
    ``seeded[r]`` is the part written by facilitators on the organisation's goals, which carries the
    organisational code when read.
    """

    def __init__(self, layout: Layout, topics: int, half_life_weeks: np.ndarray) -> None:
        r = layout.replicates
        self.layout = layout
        self.stock = np.zeros(r, dtype=np.float64)
        self.seeded = np.zeros(r, dtype=np.float64)
        self.direction = np.zeros((r, topics), dtype=np.float64)
        self.decay_factor = weekly_share_left(half_life_weeks)

    def add_posts(self, counts: np.ndarray, rows: np.ndarray, goals: np.ndarray) -> None:
        """Posts by learners ``rows`` (sorted; ``counts`` each), on their own goals."""
        if rows.size == 0:
            return
        c = counts.astype(np.float64)
        bounds = self.layout.bounds(rows)
        for r in np.flatnonzero(np.diff(bounds)).tolist():
            a, b = bounds[r], bounds[r + 1]
            self.stock[r] += float(c[a:b].sum())
            # summed here rather than by BLAS, whose threads only get in the way for six columns
            self.direction[r] += np.einsum("i,ik->k", c[a:b], goals[rows[a:b]].astype(np.float64))

    def add_seeded(self, r: int, posts: float, org_goals: np.ndarray) -> None:
        """Posts written by replicate ``r``'s facilitators on the organisation's goals."""
        if posts <= 0:
            return
        self.stock[r] += posts
        self.seeded[r] += posts
        self.direction[r] += posts * org_goals

    def relevant_stock(self, goals: np.ndarray) -> np.ndarray:
        """Relevance-weighted live posts per learner, as each learner sees it (>= 0).

        ``goals @ d`` topic by topic (a pass per topic over contiguous columns when the goals are
        stored topic by topic): BLAS is slow on a matrix six columns wide, more so when its threads
        compete with other processes.
        """
        layout = self.layout
        d = (self.direction / np.maximum(layout.sizes, 1)[:, None]).astype(np.float32)
        if layout.replicates == 1:
            out = np.multiply(goals[:, 0], d[0, 0])
            term = np.empty_like(out)
            for k in range(1, d.shape[1]):
                out += np.multiply(goals[:, k], d[0, k], out=term)
        else:
            per_row = np.asfortranarray(d[layout.rep])
            out = np.multiply(goals[:, 0], per_row[:, 0])
            term = np.empty_like(out)
            for k in range(1, d.shape[1]):
                out += np.multiply(goals[:, k], per_row[:, k], out=term)
        np.maximum(out, 0, out=out)
        return out

    def decay(self) -> None:
        """Age the content by one week: live posts, seeded posts and topic direction all shrink by ``decay_factor``."""
        self.stock *= self.decay_factor
        self.seeded *= self.decay_factor
        self.direction *= self.decay_factor[:, None]
