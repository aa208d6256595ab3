"""Random-number helpers. Every draw in ecosim comes from the model's one ``numpy.random.Generator``."""

from __future__ import annotations

import numpy as np

#: Above this probability a dense draw is cheaper than skipping through geometric gaps.
_DENSE_ABOVE = 0.4
#: Below this probability gaps between successes could exceed int64.
_GEOMETRIC_ABOVE = 1e-9


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


def network_rng(seed: int) -> np.random.Generator:
    """The generator a run's network is built from: a stream of its own, spawned from the run's seed.

    The network draws from no stream that anything else draws from, so two scenarios that differ only
    in their ties (fewer cross-store ties, none at all) have the same people, the same reality and
    the same draws in every week: common random numbers for the network's own effect.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed)).spawn(1)[0]))
