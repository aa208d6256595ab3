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

import math
from collections.abc import Sequence
from enum import IntEnum

import numpy as np

from ecosim.core.layout import ranges

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11, _S40 = (np.uint64(k) for k in (30, 27, 31, 11, 40))
#: Numbers are made this many at a time: the temporaries stay in the processor's cache.
_CHUNK = 65_536
_KINDS = {"bits": np.uint64, "f64": np.float64, "f32": np.float32, "exp": np.float64}
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


_MASK = (1 << 64) - 1


def mix64(z: int) -> int:
    """SplitMix64's finaliser of one 64-bit integer (plain Python: quicker than NumPy for one number)."""
    z &= _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


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
        self._int_keys = [int(k) for k in self.keys]
        self.week = 0
        self._bases: dict[tuple[int, int, int], np.ndarray] = {}

    @property
    def replicates(self) -> int:
        """Number of replicates."""
        return int(self.keys.size)

    def bases(self, site: int, sub: int = 0, week: int | None = None) -> np.ndarray:
        """Each replicate's stream base for ``site`` (and a sub-stream ``sub``, e.g. a facilitator) in a week.

        ``week`` defaults to :attr:`week`; draws that belong to a person, not to a week (their goals,
        device, leanings), are made with week 0.
        """
        week = self.week if week is None else int(week)
        key = (week, int(site), int(sub))
        base = self._bases.get(key)
        if base is None:
            if len(self._bases) > 4096:  # a run's week uses a few dozen: forget the weeks gone
                self._bases.clear()
            tag = mix64(((week << 24) | (int(site) << 12) | int(sub)) * 0x9E3779B97F4A7C15)
            if len(self._int_keys) <= 16:
                base = np.array([mix64(k ^ tag) for k in self._int_keys], dtype=np.uint64)
            else:
                base = _mix(self.keys ^ np.uint64(tag))
            self._bases[key] = base
        return base

    def _fill(self, kind: str, site: int, reps, index, sub: int, week: int | None) -> np.ndarray:
        """The numbers of ``kind`` (bits, f64, f32, exp) for (replicate, index) pairs, a cache-sized chunk at a time."""
        base = self.bases(site, sub, week)
        one = base.size == 1
        if one:
            base = base[0]
        else:
            reps = np.asarray(reps, dtype=np.intp)
        index = np.asarray(index, dtype=np.int64).view(np.uint64)
        n = index.size
        out = np.empty(n, dtype=_KINDS[kind])
        size = min(n, _CHUNK)
        z = np.empty(size, dtype=np.uint64)
        t = np.empty(size, dtype=np.uint64)
        for a in range(0, n, _CHUNK):
            b = min(a + _CHUNK, n)
            zz, tt, o = z[: b - a], t[: b - a], out[a:b]
            np.multiply(index[a:b], _GAMMA, out=zz)
            if one:
                zz += base
            else:
                np.take(base, reps[a:b], out=tt)
                zz += tt
            np.right_shift(zz, _S30, out=tt)
            zz ^= tt
            zz *= _M1
            np.right_shift(zz, _S27, out=tt)
            zz ^= tt
            zz *= _M2
            np.right_shift(zz, _S31, out=tt)
            zz ^= tt
            if kind == "bits":
                o[:] = zz
            elif kind == "f32":  # (24 bits + 1/2) / 2**24: in (0, 1), exactly a float32
                np.right_shift(zz, _S40, out=tt)
                np.multiply(tt, np.float32(2.0**-24), out=o, casting="unsafe")
                o += np.float32(2.0**-25)
            else:  # (53 bits + 1/2) / 2**53
                np.right_shift(zz, _S11, out=tt)
                np.multiply(tt, _TO_UNIT, out=o, casting="unsafe")
                o += 2.0**-54
                if kind == "exp":
                    np.log(o, out=o)
                    np.negative(o, out=o)
        return out

    def bits(self, site: int, reps: np.ndarray, index: np.ndarray, sub: int = 0, week: int | None = None) -> np.ndarray:
        """64 random bits for each (replicate, index) pair, as uint64."""
        return self._fill("bits", site, reps, index, sub, week)

    def uniform(
        self, site: int, reps: np.ndarray, index: np.ndarray, sub: int = 0, week: int | None = None
    ) -> np.ndarray:
        """Uniform doubles in (0, 1), one for each (replicate, index) pair."""
        return self._fill("f64", site, reps, index, sub, week)

    def uniform32(
        self, site: int, reps: np.ndarray, index: np.ndarray, sub: int = 0, week: int | None = None
    ) -> np.ndarray:
        """Uniform float32 numbers in (0, 1) (24 random bits each), one for each (replicate, index) pair."""
        return self._fill("f32", site, reps, index, sub, week)

    def exponential(
        self, site: int, reps: np.ndarray, index: np.ndarray, sub: int = 0, week: int | None = None
    ) -> np.ndarray:
        """Standard exponential numbers (-log of a uniform)."""
        return self._fill("exp", site, reps, index, sub, week)

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
        if reps.size == 1:  # one group (a single run): the same numbers, with less bookkeeping
            out = self._one(site, sub, int(reps[0]), int(np.asarray(sizes).ravel()[0]), float(np.asarray(p).ravel()[0]))
            return out, np.array([0, out.size], dtype=np.int64)
        sizes = np.asarray(sizes, dtype=np.int64)
        p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
        values: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        full = np.flatnonzero((p >= 1) & (sizes > 0))
        if full.size:
            values.append(ranges(sizes[full]))
            owners.append(np.repeat(full, sizes[full]))
        dense = np.flatnonzero((p >= _DENSE_ABOVE) & (p < 1) & (sizes > 0))
        if dense.size:
            owner = np.repeat(dense, sizes[dense])
            index = ranges(sizes[dense])
            hit = self.uniform(site, reps[owner], index, sub) < p[owner]
            values.append(index[hit])
            owners.append(owner[hit])
        sparse = np.flatnonzero((p > 0) & (p < _DENSE_ABOVE) & (sizes > 0))
        if sparse.size:
            self._sparse(site, sub, reps, sizes, p, sparse, values, owners)
        ptr = np.zeros(reps.size + 1, dtype=np.int64)
        if not values:
            return _EMPTY, ptr
        value, owner = np.concatenate(values), np.concatenate(owners)
        order = np.argsort(owner, kind="stable")  # group by group; each group's indices stay increasing
        np.cumsum(np.bincount(owner, minlength=reps.size), out=ptr[1:])
        return value[order], ptr

    def _one(self, site: int, sub: int, rep: int, n: int, p: float) -> np.ndarray:
        """:meth:`bernoulli` for one group: replicate ``rep``, indices below ``n``, probability ``p``."""
        p = min(max(p, 0.0), 1.0)
        if n <= 0 or p <= 0:
            return _EMPTY
        if p >= 1:
            return np.arange(n, dtype=np.int64)
        reps = np.zeros(1, dtype=np.intp) + rep
        if p >= _DENSE_ABOVE:
            index = np.arange(n, dtype=np.int64)
            return index[self.uniform(site, np.broadcast_to(reps, (n,)), index, sub) < p]
        expected = n * p
        chunk = int(expected + 6 * math.sqrt(expected) + 16)
        scale = -1.0 / float(np.log1p(-p))
        found, last, start = [], -1, 0
        for _ in range(_MAX_CHUNKS):
            gaps = self.exponential(site, np.broadcast_to(reps, (chunk,)), np.arange(start, start + chunk), sub)
            gaps *= scale
            np.minimum(gaps, n + 1.0, out=gaps)
            steps = gaps.astype(np.int64)
            steps += 1
            positions = np.cumsum(steps)
            positions += last
            if positions[-1] >= n:
                found.append(positions[: np.searchsorted(positions, n)])
                return found[0] if len(found) == 1 else np.concatenate(found)
            found.append(positions)
            last, start = int(positions[-1]), start + chunk
        raise RuntimeError("the geometric gaps did not cover the group")  # pragma: no cover

    def _sparse(self, site, sub, reps, sizes, p, groups, values, owners) -> None:
        """Geometric gaps for the sparse groups, in chunks; each group continues its gaps where its chunk ended."""
        n = sizes[groups]
        expected = n * p[groups]
        chunk = (expected + 6 * np.sqrt(expected) + 16).astype(np.int64)
        scale = -1.0 / np.log1p(-p[groups])
        start = np.zeros(groups.size, dtype=np.int64)  # the next gap index of each group
        last = np.full(groups.size, -1, dtype=np.int64)  # the last selected position so far
        todo = np.arange(groups.size)
        for _ in range(_MAX_CHUNKS):
            sizes_now = chunk[todo]
            own = np.repeat(todo, sizes_now)
            index = ranges(sizes_now)
            index += np.repeat(start[todo], sizes_now)
            gaps = self.exponential(site, reps[groups[own]], index, sub)
            gaps *= scale[own]
            np.minimum(gaps, n[own] + 1.0, out=gaps)  # a gap past the end is as good as any longer one
            steps = gaps.astype(np.int64)
            steps += 1
            ends = np.cumsum(sizes_now)
            positions = np.cumsum(steps)
            before = np.zeros(todo.size, dtype=np.int64)
            before[1:] = positions[ends[:-1] - 1]
            positions += np.repeat(last[todo] - before, sizes_now)
            keep = positions < n[own]
            values.append(positions[keep])
            owners.append(groups[own[keep]])
            tail = positions[ends - 1]
            short = tail < n[todo]
            if not short.any():
                return
            todo_short = todo[short]
            last[todo_short] = tail[short]
            start[todo_short] += chunk[todo_short]
            todo = todo_short
        raise RuntimeError("the geometric gaps did not cover the group")  # pragma: no cover


#: Above this probability a dense draw is cheaper than skipping through geometric gaps.
_DENSE_ABOVE = 0.3
_EMPTY = np.empty(0, dtype=np.int64)
