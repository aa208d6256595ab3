"""A pyabc sampler whose result depends on the seed only, not on the executor or its number of workers.

pyabc's own parallel samplers reseed NumPy from the operating system in every worker, so two runs with
the same seed differ. Here evaluation ``i`` of generation ``t`` first seeds pyabc's NumPy state from
``SeedSequence([seed, t, i])`` and then draws its parameters, simulates and accepts or rejects. The
evaluations run in contiguous batches on any of the sweeps' executors (in this process, in local
processes, on a Dask cluster); the generation keeps the first ``n`` accepted evaluations in index order, exactly as a
single core would, so sequential, processes and Dask give the same posterior for the same seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler

from ecosim.sweep.executors import Executor


def evaluate_chunk(payload: bytes, seed: int, t: int, start: int, stop: int) -> list[Any]:
    """Run evaluations ``start..stop-1`` of generation ``t``, each seeded from its own index."""
    simulate_one = cloudpickle.loads(payload)
    out = []
    for i in range(start, stop):
        state = np.random.SeedSequence([seed, t + 2, i]).generate_state(2)
        np.random.seed(int(state[0]))
        random.seed(int(state[1]))
        out.append(simulate_one())
    return out


def _star(task: tuple[Callable[..., Any], tuple]) -> Any:
    function, args = task
    return function(*args)


def starmap(executor: Executor, function: Callable[..., Any], args: Iterable[tuple]) -> list[Any]:
    """``[function(*a) for a in args]`` on one of the sweeps' executors, in order."""
    return list(executor.map(_star, [(function, a) for a in args], ordered=True))


class SeededSampler(Sampler):
    """pyabc sampler: evaluations seeded by index, run in batches on an :class:`Executor` (see module docstring)."""

    def __init__(self, seed: int, executor: Executor, on_batch: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.seed = int(seed)
        self.executor = executor
        self.on_batch = on_batch

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["executor"] = None
        state["on_batch"] = None
        return state

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ):
        """Evaluate indices 0, 1, 2, ... in batches until ``n`` are accepted; keep those up to the n-th."""
        payload = cloudpickle.dumps(simulate_one)
        results: list[Any] = []
        accepted = 0
        rate = 1.0
        while accepted < n and len(results) < max_eval:
            start = len(results)
            want = n - accepted
            size = want if all_accepted else int(want / max(rate, 1e-3) * 1.2) + 1
            size = max(size, 2 * self.executor.workers)
            size = int(min(size, max_eval - start, 50_000))
            chunks = _chunks(start, start + size, 4 * self.executor.workers)
            batch = starmap(self.executor, evaluate_chunk, [(payload, self.seed, t, a, b) for a, b in chunks])
            for part in batch:
                results.extend(part)
            accepted = sum(1 for r in results if r.accepted)
            rate = max(accepted / len(results), 1.0 / (len(results) + 1))
            if self.on_batch is not None:
                self.on_batch(len(results))
        sample = self._create_empty_sample()
        count = 0
        kept = 0
        for r in results:
            sample.append(r)
            kept += 1
            count += bool(r.accepted)
            if count == n:
                break
        self.nr_evaluations_ = kept
        if count < n:
            sample.ok = False
        return sample


def _chunks(start: int, stop: int, parts: int) -> list[tuple[int, int]]:
    """Split ``start..stop`` into at most ``parts`` contiguous pieces."""
    edges = np.linspace(start, stop, min(parts, stop - start) + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]
