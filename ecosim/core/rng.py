"""Random-number helpers: generators for what is built once (the network), and the logistic function.

A run's weekly draws are counter-based (:mod:`ecosim.core.draws`); its network is built from a
``numpy.random.Generator`` of its own (:func:`network_rng`).
"""

from __future__ import annotations

import numpy as np


def make_rng(seed: int) -> np.random.Generator:
    """The model's generator, seeded through ``SeedSequence`` so nearby seeds give unrelated streams."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))


def derived_seed(rng: np.random.Generator) -> int:
    """A seed for a third-party library (networkx), drawn from the model's generator."""
    return int(rng.integers(0, 2**32 - 1))


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
