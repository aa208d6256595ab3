"""Replicates side by side: how the rows of a batch are shared out between its replicates.

The engine steps several replicates (runs of a scenario, each with its own seed and, in a sweep or a
calibration, its own parameter values) at once. Their learners are laid out as contiguous blocks of
one population, replicate 0 first: every mechanism then works on all of them in one vectorised
pass, and whatever is per replicate (a draw from its own random stream, a sum over its own
learners) is done block by block. Headcount is constant, so the layout never changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class Layout:
    """The blocks of rows of a batch.

    Attributes:
        sizes: learners of each replicate, shape (R,).
        offsets: first row of each replicate and, last, the number of rows, shape (R + 1,).
        rep: the replicate of each row, shape (N,).
        local: each row's place within its replicate (0 for a replicate's first row), shape (N,).
    """

    sizes: np.ndarray
    offsets: np.ndarray = field(init=False)
    rep: np.ndarray = field(init=False)
    local: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        sizes = np.asarray(self.sizes, dtype=np.int64)
        offsets = np.zeros(sizes.size + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "offsets", offsets)
        object.__setattr__(self, "rep", np.repeat(np.arange(sizes.size, dtype=np.intp), sizes))
        object.__setattr__(self, "local", np.arange(offsets[-1], dtype=np.int64) - offsets[:-1][self.rep])

    @property
    def replicates(self) -> int:
        """Number of replicates (R)."""
        return int(self.sizes.size)

    @property
    def rows(self) -> int:
        """Number of rows, all replicates together (N)."""
        return int(self.offsets[-1])

    def block(self, r: int) -> slice:
        """The rows of replicate ``r``."""
        return slice(int(self.offsets[r]), int(self.offsets[r + 1]))

    def bounds(self, rows: np.ndarray) -> np.ndarray:
        """Where each replicate's part of a sorted array of rows starts and ends, shape (R + 1,)."""
        return np.searchsorted(rows, self.offsets)

    def counts(self, rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """How many of ``rows`` (any order) belong to each replicate, or the sum of ``weights`` over them."""
        return np.bincount(self.rep[rows], weights=weights, minlength=self.replicates)

    def per_row(self, values: np.ndarray, dtype: type = np.float32) -> np.generic | np.ndarray:
        """One value per replicate as one value per row: a scalar when every replicate has the same one.

        Elementwise arithmetic with the scalar and with a row of equal values gives the same numbers,
        so a batch of identical scenarios computes exactly as a single run does, without the gather.
        """
        v = np.asarray(values).astype(dtype)
        if v.size == 1 or bool((v == v[0]).all()):
            return v[0]
        return v[self.rep]


def ranks(rep: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Each element's rank, by ``key``, among the elements of its replicate (0 for the smallest key)."""
    order = np.lexsort((key, rep))
    counts = np.bincount(rep)
    start = np.cumsum(counts) - counts
    out = np.empty(order.size, dtype=np.int64)
    out[order] = np.arange(order.size) - start[rep[order]]
    return out


def ranges(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each count c, joined: the index of each element within its group."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def weekly_share_left(half_life: np.ndarray) -> np.ndarray:
    """What is left after a week of something that halves every ``half_life`` weeks: 0.5 ** (1 / half_life).

    A half-life too short to write as a week's fraction (1 / half_life overflows) leaves nothing.
    """
    with np.errstate(over="ignore", divide="ignore"):
        return 0.5 ** (1.0 / np.asarray(half_life, dtype=np.float64))


def group_bounds(counts: np.ndarray) -> np.ndarray:
    """Pointers (R + 1,) of an array grouped by replicate from the size of each group."""
    ptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr


def filter_groups(ptr: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The pointers of a grouped array after keeping the elements where ``keep`` is true."""
    kept = np.zeros(keep.size + 1, dtype=np.int64)
    np.cumsum(keep, out=kept[1:])
    return kept[ptr]


def concat(parts: list[np.ndarray], dtype: type = np.int64) -> np.ndarray:
    """The parts joined; a single part is returned as it is."""
    if not parts:
        return np.empty(0, dtype=dtype)
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts)
