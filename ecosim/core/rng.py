"""Random-number helpers. Every draw in ecosim comes from the model's one ``numpy.random.Generator``."""

from __future__ import annotations

import numpy as np

#: Above this probability a dense draw is cheaper than skipping through geometric gaps.
_DENSE_ABOVE = 0.4
#: Below this probability gaps between successes could exceed int64.
_GEOMETRIC_ABOVE = 1e-9
_NONE = np.empty(0, dtype=np.int64)


def make_rng(seed: int) -> np.random.Generator:
    """The model's generator, seeded through ``SeedSequence`` so nearby seeds give unrelated streams."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))


def derived_seed(rng: np.random.Generator) -> int:
    """A seed for a third-party library (networkx), drawn from the model's generator."""
    return int(rng.integers(0, 2**32 - 1))


def bernoulli_indices(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Indices ``i < n`` selected independently with probability ``p``, in increasing order.

    Exact (each index is an independent Bernoulli trial) but costs O(n p) rather than O(n) for small
    ``p``: the gaps between successes are geometric, drawn as floor(E / lambda) + 1 with E standard
    exponential and lambda = -ln(1 - p), since P(floor(E / lambda) >= k) = exp(-k lambda) = (1 - p)^k
    (exponentials come from a ziggurat: cheaper than NumPy's geometric, which takes a logarithm each).
    """
    if n <= 0 or p <= 0:
        return np.empty(0, dtype=np.int64)
    if p >= 1:
        return np.arange(n, dtype=np.int64)
    if p >= _DENSE_ABOVE:
        return np.flatnonzero(rng.random(n) < p)
    if p < _GEOMETRIC_ABOVE:
        # so rare that geometric gaps would overflow: a binomial count, then a uniform subset
        k = int(rng.binomial(n, p))
        return np.sort(rng.choice(n, size=k, replace=False)) if k else np.empty(0, dtype=np.int64)
    expected = n * p
    chunk = int(expected + 6 * np.sqrt(expected) + 16)
    scale = -1.0 / np.log1p(-p)
    positions = np.cumsum(_geometric(rng, chunk, scale)) - 1
    while positions[-1] < n:
        more = np.cumsum(_geometric(rng, chunk, scale)) + positions[-1]
        positions = np.concatenate([positions, more])
    return positions[: np.searchsorted(positions, n)]


def _geometric(rng: np.random.Generator, size: int, scale: float) -> np.ndarray:
    """Geometric variates on 1, 2, ... with success probability 1 - exp(-1 / scale)."""
    gaps = rng.standard_exponential(size)
    gaps *= scale
    out = gaps.astype(np.int64)  # floor: the values are >= 0
    out += 1
    return out


def logistic(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 / (1 + exp(-x)) of a float array, into ``out`` (which may be ``x`` itself) or a new array."""
    out = np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return out


def run_rng(seed: int) -> np.random.Generator:
    """The generator of the run with ``seed``, as its Mesa model holds it.

    ``mesa.Model`` takes the first draw of the generator it is given (an integer below 2**31 - 1)
    to seed its standard-library ``random``; a replicate of a batch makes the same draw, so that
    its stream, and so its run, is the one its Mesa model gives.
    """
    rng = make_rng(seed)
    rng.integers(np.iinfo(np.int32).max)
    return rng


def bernoulli_groups(
    rngs: list[np.random.Generator], sizes: np.ndarray, ps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`bernoulli_indices` for many groups at once: group k draws from ``rngs[k]`` over ``sizes[k]``.

    Returns the selected indices of every group (each group's increasing, within the group) joined in
    group order, and the bounds of each group's part (shape ``(K + 1,)``). Each group's draws and
    indices are exactly those of ``bernoulli_indices(rngs[k], sizes[k], ps[k])``: one call of the
    generator per group, and the arithmetic of all groups at once.
    """
    k = len(rngs)
    if k == 0:
        return np.empty(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
    parts: list[np.ndarray | None] = [None] * k
    geo: list[int] = []
    gaps: list[np.ndarray] = []
    sizes = np.asarray(sizes, dtype=np.int64)
    ps = np.asarray(ps, dtype=np.float64)
    # the geometric path's chunk and scale, worked out for all groups at once (the same numbers)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = sizes * ps
        chunks = (expected + 6 * np.sqrt(expected) + 16).astype(np.int64).tolist()
        all_scales = (-1.0 / np.log1p(-ps)).tolist()
    scales: list[float] = []
    for g, (n, p, rng) in enumerate(zip(sizes.tolist(), ps.tolist(), rngs)):
        if n <= 0 or p <= 0:
            parts[g] = _NONE
        elif p >= 1:
            parts[g] = np.arange(n, dtype=np.int64)
        elif p >= _DENSE_ABOVE or p < _GEOMETRIC_ABOVE:
            parts[g] = bernoulli_indices(rng, n, p)
        else:
            geo.append(g)
            gaps.append(rng.standard_exponential(chunks[g]))
            scales.append(all_scales[g])
    if geo:
        lengths = np.array([x.size for x in gaps], dtype=np.int64)
        steps = np.concatenate(gaps)
        steps *= np.repeat(np.array(scales), lengths)
        whole = steps.astype(np.int64)  # floor: the values are >= 0
        whole += 1
        positions = np.cumsum(whole)
        ends = np.cumsum(lengths)
        before = np.concatenate([[0], positions[ends[:-1] - 1]])
        positions -= np.repeat(before + 1, lengths)
        starts = ends - lengths
        for j, g in enumerate(geo):
            pos = positions[starts[j] : ends[j]]
            n = int(sizes[g])
            if pos[-1] < n:  # the chunk fell short (rare): more gaps, exactly as bernoulli_indices draws them
                while pos[-1] < n:
                    more = np.cumsum(_geometric(rngs[g], gaps[j].size, scales[j])) + pos[-1]
                    pos = np.concatenate([pos, more])
            parts[g] = pos[pos < n]
    lengths = np.array([x.size for x in parts], dtype=np.int64)
    ptr = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    out = np.concatenate(parts) if k > 1 else parts[0]
    return out, ptr
