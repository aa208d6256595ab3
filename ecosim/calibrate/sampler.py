"""A pyabc sampler whose result depends on the seed only, not on the executor or its number of workers.

pyabc's own parallel samplers reseed NumPy from the operating system in every worker, so two runs with
the same seed differ. Here evaluation ``i`` of generation ``t`` first seeds pyabc's NumPy state from
``SeedSequence([seed, t, i])`` and then draws its parameters, simulates and accepts or rejects. The
evaluations run in contiguous batches on any executor (in this process, in local processes, on a Dask
cluster); the generation keeps the first ``n`` accepted evaluations in index order, exactly as a
single core would, so sequential, processes and Dask give the same posterior for the same seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler


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


class Executor:
    """Runs a function over argument tuples, in order: in this process, in local processes or on Dask."""

    kind = "sequential"
    workers = 1

    def starmap(self, fn: Callable[..., Any], args: Iterable[tuple]) -> list[Any]:
        """``[fn(*a) for a in args]``."""
        return [fn(*a) for a in args]

    def close(self) -> None:
        """Release the workers."""


class ProcessExecutor(Executor):
    """Local worker processes, started from a fork server that has ecosim already imported."""

    kind = "processes"

    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        # forking this (multi-threaded) process could deadlock; a fork server is clean and quick
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["ecosim.calibrate.sampler", "ecosim.calibrate.simulator", "ecosim.core.model"])
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)

    def starmap(self, fn: Callable[..., Any], args: Iterable[tuple]) -> list[Any]:
        """Submit every call, then collect the results in order."""
        futures = [self._pool.submit(fn, *a) for a in args]
        return [f.result() for f in futures]

    def close(self) -> None:
        """Shut the pool down."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """A Dask cluster: an existing scheduler at ``address``, or a local cluster of ``workers`` processes."""

    kind = "dask"

    def __init__(self, address: str | None, workers: int) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        if address:
            try:
                self._client = Client(address, timeout="10s")
            except (OSError, TimeoutError) as exc:
                from ecosim.errors import InputError

                raise InputError(
                    f"cannot reach the Dask scheduler ({exc})",
                    file="--scheduler",
                    value=address,
                    allowed="the address of a running scheduler, e.g. tcp://host:8786",
                ) from None
        else:
            self._cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self._client = Client(self._cluster)
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})) or workers)

    def starmap(self, fn: Callable[..., Any], args: Iterable[tuple]) -> list[Any]:
        """Submit every call to the cluster and gather the results in order."""
        args = list(args)
        futures = [self._client.submit(fn, *a, pure=False) for a in args]
        return self._client.gather(futures)

    def close(self) -> None:
        """Close the client (and the local cluster, if this executor started one)."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(kind: str, *, workers: int = 2, scheduler: str | None = None) -> Executor:
    """The executor named ``sequential``, ``processes`` or ``dask``."""
    if kind == "sequential":
        return Executor()
    if kind == "processes":
        return ProcessExecutor(workers)
    if kind == "dask":
        return DaskExecutor(scheduler, workers)
    raise ValueError(f"unknown executor {kind!r}")


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
            batch = self.executor.starmap(evaluate_chunk, [(payload, self.seed, t, a, b) for a, b in chunks])
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
