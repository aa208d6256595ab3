"""The learners' state: one row per learner, one NumPy array per attribute (structure of arrays).

Headcount is constant: when a learner leaves, a newcomer takes the row. Mechanisms are functions
over these arrays; Mesa agents are thin views onto rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INACTIVE, CONSUMER, CONTRIBUTOR = 0, 1, 2
ENGAGEMENT_NAMES = ("inactive", "consumer", "contributor")
#: Beliefs older than this many weeks count as this old (forgetting's power law flattens out).
MAX_BELIEF_AGE = 255


@dataclass(eq=False)
class LearnerState:
    """Arrays of length n (or n x k, n x m) describing every learner."""

    person: np.ndarray  # int64: id of the person in the row (changes with turnover)
    store: np.ndarray  # int32
    region: np.ndarray  # int32
    role: np.ndarray  # int8
    mobile: np.ndarray  # bool: reaches the platform only from a phone
    alignment: np.ndarray  # float32: cosine(personal goals, organisation's goals)
    goals: np.ndarray  # float32 (n, topics): unit goal vectors, stored topic by topic (Fortran order)
    engagement: np.ndarray  # int8: INACTIVE, CONSUMER or CONTRIBUTOR this week
    habit: np.ndarray  # float32 in [0, 1]: habit of visiting
    post_habit: np.ndarray  # float32 in [0, 1]: habit of posting
    pull: np.ndarray  # float32: facilitation pull on visiting (log-odds), fading
    reply_pull: np.ndarray  # float32: pull of a reply on posting again (log-odds), fading
    propensity: np.ndarray  # float32: personal offset on visiting (log-odds)
    post_propensity: np.ndarray  # float32: personal offset on posting (log-odds)
    volume: np.ndarray  # float32: how much this person posts when they post (log-normal, median 1)
    posts: np.ndarray  # int32: posts written by this person so far
    recent_posts: np.ndarray  # float32: posts still live on the platform (decaying), for reading
    seen_active: np.ndarray  # float32 in [0, 1]: 1 in a week this learner visits, fading after (what contacts see)
    seen_posting: np.ndarray  # float32 in [0, 1]: the same for posting
    ever_active: np.ndarray  # bool
    threshold: np.ndarray  # float64: adoption threshold (threshold rule)
    tenure: np.ndarray  # int32: weeks in the organisation
    beliefs: np.ndarray  # int8 (n, m) in {-1, 0, 1}, stored dimension by dimension (Fortran order)
    belief_week: np.ndarray  # int32 (n, m), same order: week in which each belief was learnt or confirmed

    @property
    def n(self) -> int:
        """Number of learners (rows)."""
        return int(self.person.size)

    @property
    def active(self) -> np.ndarray:
        """Which learners visited the platform this week (consumers and contributors)."""
        return self.engagement > INACTIVE

    @classmethod
    def empty(cls, n: int, topics: int, dimensions: int) -> LearnerState:
        """State for ``n`` learners, all zeros or blank: no store, no region, inactive, no beliefs."""
        return cls(
            person=np.arange(n, dtype=np.int64),
            store=np.full(n, -1, np.int32),
            region=np.full(n, -1, np.int32),
            role=np.zeros(n, np.int8),
            mobile=np.zeros(n, bool),
            alignment=np.zeros(n, np.float32),
            goals=np.zeros((n, topics), np.float32, order="F"),
            engagement=np.zeros(n, np.int8),
            habit=np.zeros(n, np.float32),
            post_habit=np.zeros(n, np.float32),
            pull=np.zeros(n, np.float32),
            reply_pull=np.zeros(n, np.float32),
            propensity=np.zeros(n, np.float32),
            post_propensity=np.zeros(n, np.float32),
            volume=np.ones(n, np.float32),
            posts=np.zeros(n, np.int32),
            recent_posts=np.zeros(n, np.float32),
            seen_active=np.zeros(n, np.float32),
            seen_posting=np.zeros(n, np.float32),
            ever_active=np.zeros(n, bool),
            threshold=np.zeros(n, np.float64),
            tenure=np.zeros(n, np.int32),
            beliefs=np.zeros((n, dimensions), np.int8, order="F"),
            belief_week=np.ones((n, dimensions), np.int32, order="F"),
        )

    @staticmethod
    def cells(a: np.ndarray) -> np.ndarray:
        """A flat view of an (n, m) array stored dimension by dimension: cell ``j * n + i`` is (i, j).

        Mechanisms draw cells of beliefs as flat indices; learner i is ``cell % n``, dimension j is
        ``cell // n``. Whole dimensions are contiguous, which makes the weekly per-dimension
        metrics single passes.
        """
        if not a.flags.f_contiguous:  # pragma: no cover - the arrays are made Fortran-ordered
            raise ValueError("expected an array stored dimension by dimension (Fortran order)")
        return a.ravel(order="F")  # a view of a Fortran-ordered array
