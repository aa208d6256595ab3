"""Counter-based random numbers: every draw is a pure function of (seed, week, draw site, index).

A replicate's draws do not come one after another from a stream: each is a hash of the
replicate's key (from its seed, through ``SeedSequence``), the week, the place in the model that
draws it (the *site*: "does this learner visit", "which neighbour does this learner talk to", ...)
and an index there (a learner's row within the replicate, a person's number, a cell of the belief
matrix). So

- a replicate gives the same run whatever batch it is in and wherever that batch runs, and all
  replicates of a batch draw at once, in one vectorised pass per site;
- two scenarios run on the same seed share their draws wherever they share the situation: the
  learner in row 17 draws the same number for "visit in week 12" in both, whatever happened
  elsewhere, so a comparison's difference is the lever's, not a reshuffled stream's (common random
  numbers that survive divergence).

The hash is SplitMix64's output function (Steele, Lea & Flood 2014, "Fast splittable pseudorandom
number generators", OOPSLA) applied to ``base + index * golden_gamma``, where ``base`` mixes the key,
week and site: for one base this is the SplitMix64 generator itself, which passes BigCrush. Keys are
64-bit, so two (replicate, week, site) streams overlap only with negligible probability.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

import numpy as np

from ecosim.core.layout import ranges

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11, _S40 = (np.uint64(k) for k in (30, 27, 31, 11, 40))
#: 2**-53: a 53-bit integer times this is a double in [0, 1).
_TO_UNIT = 2.0**-53
#: A geometric chunk may fall short; this many more chunks at most are drawn before giving up.
_MAX_CHUNKS = 64


class Site(IntEnum):
    """The places in the model that draw random numbers (each a stream of its own)."""

    NETWORK = 1
    ORGANISATION = 2
    PERSON = 3
    LEAVE = 5
    EVENT_INVITE = 6
    EVENT_ACCEPT = 7
    PEER_REPLY = 8
    REPLY_PICK = 9
    BROKER = 10
    VISIT = 11
    POST = 12
    POST_COUNT = 13
    EXPERIENCE = 14
    SOCIAL_TALK = 15
    SOCIAL_PICK = 16
    SOCIAL_DIM = 17
    BROKERED_TALK = 18
    BROKERED_DIM = 19
    READS = 20
    READ_AUTHOR = 21
    READ_DIM = 22
    SEED_ERROR = 23
    SOCIALISATION = 24
    CODE_SEEN = 25
    CODE_COINS = 26
    CODE_ADOPT = 27
    FORGET = 28
    FORGET_ACCEPT = 29
    ADOPT = 30
    SEED_ADOPTERS = 31


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, in place on a uint64 array."""
    t = np.right_shift(z, _S30)
    z ^= t
    z *= _M1
    np.right_shift(z, _S27, out=t)
    z ^= t
    z *= _M2
    np.right_shift(z, _S31, out=t)
    z ^= t
    return z


def seed_key(seed: int) -> np.uint64:
    """The 64-bit key of a seed (through ``SeedSequence``, so nearby seeds give unrelated keys)."""
    return np.random.SeedSequence(int(seed)).generate_state(1, dtype=np.uint64)[0]


class Draws:
    """The random numbers of a batch of replicates: ``uniform(site, reps, index)`` and what derives from it.

    Args:
        seeds: one seed per replicate.

    Attributes:
        week: the week whose numbers are drawn (the engine sets it; 0 before the first week).
    """

    def __init__(self, seeds: Sequence[int]) -> None:
        self.keys = np.array([seed_key(s) for s in seeds], dtype=np.uint64)
        self.week = 0

    @property
    def replicates(self) -> int:
        """Number of replicates."""
        return int(self.keys.size)

    def bases(self, site: int, sub: int = 0, week: int | None = None) -> np.ndarray:
        """Each replicate's stream base for ``site`` (and a sub-stream ``sub``, e.g. a facilitator) in a week.

        ``week`` defaults to :attr:`week`; draws that belong to a person, not to a week (their goals,
        device, leanings), are made with week 0.
        """
        week = self.week if week is None else week
        tag = np.array([(int(week) << 24) | (int(site) << 12) | int(sub)], dtype=np.uint64)
        tag = _mix(tag * _GAMMA)
        return _mix(self.keys ^ tag)

    def bits(self, site: int, reps: np.ndarray, index: np.ndarray, sub: int = 0, week: int | None = None) -> np.ndarray:
        """64 random bits for each (replicate, index) pair, as uint64."""
        z = np.multiply(np.asarray(index, dtype=np.uint64), _GAMMA)
        z += self.bases(site, sub, week)[reps]
        return _mix(z)

    def uniform(
        self, site: int, reps: np.ndarray, index: np.ndarray, sub: int = 0, week: int | None = None
    ) -> np.ndarray:
        """Uniform doubles in (0, 1), one for each (replicate, index) pair."""
        z = self.bits(site, reps, index, sub, week)
        np.right_shift(z, _S11, out=z)
        out = z.astype(np.float64)
        out += 0.5
        out *= _TO_UNIT
        return out

    def uniform32(
        self, site: int, reps: np.ndarray, index: np.ndarray, sub: int = 0, week: int | None = None
    ) -> np.ndarray:
        """Uniform float32 numbers in (0, 1) (24 random bits each), one for each (replicate, index) pair."""
        z = self.bits(site, reps, index, sub, week)
        np.right_shift(z, _S40, out=z)
        out = z.astype(np.float32)
        out += np.float32(0.5)
        out *= np.float32(2.0**-24)
        return out

    def exponential(
        self, site: int, reps: np.ndarray, index: np.ndarray, sub: int = 0, week: int | None = None
    ) -> np.ndarray:
        """Standard exponential numbers (-log of a uniform)."""
        u = self.uniform(site, reps, index, sub, week)
        np.log(u, out=u)
        np.negative(u, out=u)
        return u

    def normal(
        self, site: int, reps: np.ndarray, index: np.ndarray, sub: int = 0, week: int | None = None
    ) -> np.ndarray:
        """Standard normal numbers (the inverse normal distribution of a uniform)."""
        from scipy.special import ndtri

        return ndtri(self.uniform(site, reps, index, sub, week))

    def bernoulli(
        self, site: int, sizes: np.ndarray, p: np.ndarray, sub: int = 0, reps: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Indices ``i < sizes[k]`` each selected with probability ``p[k]``, for groups k of replicates ``reps``.

        ``reps`` (default: every replicate, one group each) names the replicate whose stream group k
        draws from. Returns the selected indices, increasing within each group, the groups one after
        another, and the bounds of each group's part (shape ``(K + 1,)``).

        Sparse groups cost O(n p), not O(n): the gaps between selected indices are geometric, drawn
        as floor(E / lambda) + 1 with E standard exponential and lambda = -ln(1 - p), since
        P(floor(E / lambda) >= k) = exp(-k lambda) = (1 - p)^k; dense groups compare one uniform per
        index with p.
        """
        reps = np.arange(self.replicates) if reps is None else np.asarray(reps, dtype=np.intp)
        sizes = np.asarray(sizes, dtype=np.int64)
        p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
        k = reps.size
        parts: list[np.ndarray] = [_EMPTY] * k
        full = (p >= 1) & (sizes > 0)
        dense = (p >= _DENSE_ABOVE) & ~full & (sizes > 0)
        sparse = (p > 0) & (p < _DENSE_ABOVE) & (sizes > 0)
        for g in np.flatnonzero(full).tolist():
            parts[g] = np.arange(sizes[g], dtype=np.int64)
        if dense.any():
            groups = np.flatnonzero(dense)
            counts = sizes[groups]
            owner = np.repeat(groups, counts)
            index = ranges(counts)
            u = self.uniform(site, reps[owner], index, sub)
            hit = u < p[owner]
            bounds = np.zeros(groups.size + 1, dtype=np.int64)
            np.cumsum(counts, out=bounds[1:])
            for j, g in enumerate(groups.tolist()):
                part = index[bounds[j] : bounds[j + 1]]
                parts[g] = part[hit[bounds[j] : bounds[j + 1]]]
        if sparse.any():
            self._sparse(site, sub, reps, sizes, p, np.flatnonzero(sparse), parts)
        lengths = np.array([x.size for x in parts], dtype=np.int64)
        ptr = np.zeros(k + 1, dtype=np.int64)
        np.cumsum(lengths, out=ptr[1:])
        return (np.concatenate(parts) if k > 1 else parts[0]), ptr

    def _sparse(self, site, sub, reps, sizes, p, groups, parts) -> None:
        """Geometric gaps for the sparse groups, in chunks; each group continues its gaps where its chunk ended."""
        n = sizes[groups]
        expected = n * p[groups]
        chunk = (expected + 6 * np.sqrt(expected) + 16).astype(np.int64)
        scale = -1.0 / np.log1p(-p[groups])
        start = np.zeros(groups.size, dtype=np.int64)  # the next gap index of each group
        last = np.full(groups.size, -1, dtype=np.int64)  # the last selected position so far
        found: list[list[np.ndarray]] = [[] for _ in groups]
        todo = np.arange(groups.size)
        for _ in range(_MAX_CHUNKS):
            owner = np.repeat(todo, chunk[todo])
            index = ranges(chunk[todo]) + np.repeat(start[todo], chunk[todo])
            gaps = self.exponential(site, reps[groups[owner]], index, sub)
            gaps *= scale[owner]
            steps = gaps.astype(np.int64)
            steps += 1
            bounds = np.zeros(todo.size + 1, dtype=np.int64)
            np.cumsum(chunk[todo], out=bounds[1:])
            positions = np.cumsum(steps)
            before = np.concatenate([[0], positions[bounds[1:-1] - 1]])
            positions -= np.repeat(before, chunk[todo])
            positions += np.repeat(last[todo], chunk[todo])
            still = []
            for j, g in enumerate(todo.tolist()):
                pos = positions[bounds[j] : bounds[j + 1]]
                found[g].append(pos[pos < n[g]])
                if pos[-1] < n[g]:
                    last[g] = pos[-1]
                    start[g] += chunk[g]
                    still.append(g)
            if not still:
                break
            todo = np.array(still)
        else:  # pragma: no cover - 64 chunks of mean + 6 sd fall short with probability ~ 1e-500
            raise RuntimeError("the geometric gaps did not cover the group")
        for j, g in enumerate(groups.tolist()):
            parts[g] = np.concatenate(found[j]) if len(found[j]) > 1 else found[j][0]


#: Above this probability a dense draw is cheaper than skipping through geometric gaps.
_DENSE_ABOVE = 0.3
_EMPTY = np.empty(0, dtype=np.int64)
