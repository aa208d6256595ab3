"""Executors: where a sweep's runs execute. Each maps a function over tasks and yields results as they finish.

- ``sequential``: in this process, one after another.
- ``processes``: a pool of local worker processes (default: one per core).
- ``dask``: a Dask ``distributed`` cluster: an existing one (``tcp://host:port``, or the
  ``DASK_SCHEDULER_ADDRESS`` environment variable), or a local cluster on 127.0.0.1.

All three are one :class:`Executor`: a :class:`concurrent.futures.Executor` (an inline one, a
``ProcessPoolExecutor``, Dask's ``client.get_executor()``) behind one windowed map, which keeps only
a few tasks per worker in flight, so mapping over a million tasks holds no more in memory than
mapping over a hundred. Anything that maps a picklable function over picklable tasks can use them::

    with make_executor("processes", workers=4) as ex:
        for result in ex.map(function, tasks, ordered=True):
            ...

Sweep results are identical whatever the executor: a run depends only on its scenario and its seed.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ecosim.errors import InputError

log = logging.getLogger(__name__)

EXECUTORS = ("processes", "sequential", "dask")
#: Tasks in flight per worker: enough to keep workers busy while results are written.
TASKS_PER_WORKER = 4


def available_cores() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Whether work can go to processes forked from this one (Linux and similar)."""
    return "fork" in multiprocessing.get_all_start_methods()


def default_start_method() -> str:
    """The start method of the process pool: ``forkserver`` where the platform has it, else ``spawn``.

    Not ``fork``: the sweep process runs threads (the progress bar's monitor, Arrow's I/O pools, a
    Dask client in tests), and a child forked from a threaded process can inherit a lock held by
    another thread and hang. ``forkserver`` starts one clean server process, which imports the
    model once (it is preloaded) and forks each worker from itself: workers start in milliseconds,
    share no state with the sweep process and never depend on the global start method that other
    libraries may have forced (``mesa.batch_run`` forces ``spawn``). ``spawn`` (Windows) gives the
    same results; its workers only take longer to start. A run's results depend only on its scenario
    and seed, so the method does not change them.
    """
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


class Window:
    """A bounded window of calls ``function(task)`` in flight on a :class:`concurrent.futures.Executor`.

    ``items`` are ``(index, task)`` pairs. Iterating yields ``(item, future)`` for each call as it
    finishes, and submits the next item in its place; at most ``size`` calls are in flight, and
    :attr:`pending` holds them (item by future). An error in submitting (a task that cannot be sent)
    comes back as the future's exception.
    """

    def __init__(self, pool: cf.Executor, function: Callable[[Any], Any], items: Iterable[Any], size: int) -> None:
        self.pool = pool
        self.function = function
        self.items = iter(items)
        self.size = max(1, size)
        self.pending: dict[cf.Future, Any] = {}

    def _fill(self) -> None:
        while len(self.pending) < self.size:
            item = next(self.items, _END)
            if item is _END:
                return
            try:
                future = self.pool.submit(self.function, item[1])
            except Exception as exc:  # e.g. a task that cannot be pickled, or a pool already broken
                future = cf.Future()
                future.set_exception(exc)
            self.pending[future] = item

    def __iter__(self) -> Iterator[tuple[Any, cf.Future]]:
        self._fill()
        while self.pending:
            done, _ = cf.wait(self.pending, return_when=cf.FIRST_COMPLETED)
            for future in done:
                yield self.pending.pop(future), future
            self._fill()

    def cancel(self) -> list[Any]:
        """Cancel the calls in flight; returns their items."""
        for future in self.pending:
            future.cancel()
        items = list(self.pending.values())
        self.pending.clear()
        return items


_END = object()


def _raise(item: object, exc: BaseException) -> Any:
    raise exc


def _in_order(pairs: Iterable[tuple[int, Any]]) -> Iterator[Any]:
    """Results tagged with their task's position, yielded in task order (finished ones wait for earlier ones)."""
    waiting: dict[int, Any] = {}
    following = 0
    for index, result in pairs:
        waiting[index] = result
        while following in waiting:
            yield waiting.pop(following)
            following += 1


class Executor:
    """Maps a function over tasks on a :class:`concurrent.futures.Executor`, a few tasks per worker at a time.

    Subclasses say which pool (:meth:`pool`) and how many workers; :meth:`map` is the same for all.
    """

    name = "executor"
    workers = 1
    #: Whether leaving :meth:`map` early waits for the calls already running (a local pool) or cancels them.
    finish_running = True

    def pool(self) -> cf.Executor:
        """The concurrent.futures executor the calls run on (one per :meth:`map`)."""
        raise NotImplementedError

    def window(self) -> int:
        """Calls in flight at once."""
        return TASKS_PER_WORKER * self.workers

    def map(
        self,
        function: Callable[[Any], Any],
        tasks: Iterable[Any],
        *,
        on_error: Callable[[Any, BaseException], Any] = _raise,
        ordered: bool = False,
    ) -> Iterator[Any]:
        """``function(task)`` for every task: results as the calls finish, or in task order with ``ordered``.

        ``function`` and the tasks must be picklable (by reference, for a function) for the
        processes and dask executors. A call that raises is passed to ``on_error(task, exception)``,
        whose return value is yielded in its place (by default the exception is raised).
        """
        results = self._map(function, enumerate(tasks), on_error)
        yield from _in_order(results) if ordered else (result for _, result in results)

    def _map(self, function: Callable, items: Iterable, on_error: Callable) -> Iterator[tuple[int, Any]]:
        """``(index, result)`` for each ``(index, task)`` item, as the calls finish."""
        pool = self.pool()
        window = Window(pool, function, items, self.window())
        try:
            for (index, task), future in window:
                try:
                    yield index, future.result()
                except Exception as exc:
                    yield index, on_error(task, exc)
        finally:
            window.cancel()
            pool.shutdown(wait=self.finish_running)

    def describe(self) -> dict[str, Any]:
        """The executor for a manifest: its name and workers."""
        return {"executor": self.name, "workers": self.workers}

    def close(self) -> None:
        """Release what the executor holds (nothing, unless it started a cluster)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InlineExecutor(cf.Executor):
    """A concurrent.futures executor that makes each call when it is submitted, in this process."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        """Call ``fn`` now; its result or exception is in the returned (done) future."""
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


class SequentialExecutor(Executor):
    """Runs in this process, one after another (for debugging and small sweeps); results in task order."""

    name = "sequential"

    def pool(self) -> cf.Executor:
        """An inline executor."""
        return InlineExecutor()

    def window(self) -> int:
        """One call at a time, so results come in task order."""
        return 1


class ProcessExecutor(Executor):
    """A pool of local worker processes.

    A worker that dies (killed, out of memory) breaks the whole pool, and every call in flight is lost
    with it, whichever killed it. Lost tasks go into a new pool; a task lost a second time is kept
    aside and, once the others are done, run alone in a pool of one worker (``max_attempts - 2``
    times), so a task that kills its worker is reported as failed (``on_error`` with
    :class:`WorkerDied`) without taking other tasks with it.

    Args:
        workers: worker processes (default: one per core).
        start_method: ``forkserver`` or ``spawn`` (default: :func:`default_start_method`).
        max_attempts: attempts of a task whose worker dies, in all.
        preload: further modules the fork server imports once, so that workers start with them.
    """

    name = "processes"

    def __init__(
        self,
        workers: int | None = None,
        *,
        start_method: str | None = None,
        max_attempts: int = 3,
        preload: Sequence[str] = (),
    ) -> None:
        self.workers = workers or available_cores()
        self.start_method = start_method or default_start_method()
        self.max_attempts = max(3, max_attempts)
        self._context = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            # import the model once in the fork server, not once per worker ('__main__' is the default)
            self._context.set_forkserver_preload(["__main__", "ecosim.sweep.worker", *preload])

    def pool(self, workers: int | None = None) -> cf.Executor:
        """A new process pool whose workers exit when this process is gone."""
        from ecosim.children import forked_by_main_thread
        from ecosim.sweep.worker import init_process_worker

        return cf.ProcessPoolExecutor(
            max_workers=workers or self.workers,
            mp_context=self._context,
            initializer=init_process_worker,
            initargs=(os.getpid(), 1.0, forked_by_main_thread()),
        )

    def _map(self, function: Callable, items: Iterable, on_error: Callable) -> Iterator[tuple[int, Any]]:
        from concurrent.futures.process import BrokenProcessPool

        source = iter(items)
        redo: list = []
        lost_once: set[int] = set()  # the indices of tasks that were in flight once when a worker died
        suspects: list = []
        while True:
            pool = self.pool()
            window = Window(pool, function, itertools.chain(redo, source), self.window())
            redo, lost = [], []
            try:
                for item, future in window:
                    index, task = item
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        lost = [item, *window.cancel()]
                        break
                    except Exception as exc:
                        result = on_error(task, exc)
                    yield index, result
            finally:
                window.cancel()
                pool.shutdown(wait=not lost, cancel_futures=True)
            if not lost:
                break
            log.warning("a worker process died; redoing the %d tasks that were in flight", len(lost))
            for item in lost:
                if item[0] in lost_once:  # in flight twice when a worker died: run it alone
                    suspects.append(item)
                else:
                    lost_once.add(item[0])
                    redo.append(item)
        yield from self._alone(function, suspects, on_error)

    def _alone(self, function: Callable, items: list, on_error: Callable) -> Iterator[tuple[int, Any]]:
        """Run each task by itself in a pool of one worker: a worker that dies now died of this task."""
        from concurrent.futures.process import BrokenProcessPool

        pool = None
        try:
            for index, task in items:
                for _ in range(self.max_attempts - 2):
                    pool = pool or self.pool(1)
                    try:
                        result = pool.submit(function, task).result()
                        break
                    except BrokenProcessPool:
                        pool.shutdown(wait=False, cancel_futures=True)
                        pool = None
                    except Exception as exc:
                        result = on_error(task, exc)
                        break
                else:
                    times = f"{self.max_attempts} times, the last alone"
                    died = WorkerDied(f"the worker process died each time it ran this task ({times}): out of memory?")
                    result = on_error(task, died)
                yield index, result
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> dict[str, Any]:
        """The executor for a manifest: its name, worker processes and start method."""
        return {"executor": self.name, "workers": self.workers, "start_method": self.start_method}


class WorkerDied(RuntimeError):
    """A task's worker process died each time it ran the task."""


class DaskExecutor(Executor):
    """Runs on a Dask ``distributed`` cluster, through ``client.get_executor()``.

    Args:
        address: the scheduler (``tcp://host:port``); default: the ``DASK_SCHEDULER_ADDRESS``
            environment variable, or else a new local cluster on 127.0.0.1 with ``workers``
            single-threaded worker processes, closed with the executor.
        workers: workers of a local cluster (ignored for an existing cluster).
        retries: retries of a task that raised on the worker (a sweep run's own errors are recorded,
            not raised, so they are not retried). Tasks whose worker died are rescheduled by the
            scheduler (``distributed.scheduler.allowed-failures`` times); past that the task is
            reported to ``on_error`` (a sweep records the run as failed, and ``--resume`` tries it again).
    """

    name = "dask"
    finish_running = False

    def __init__(
        self, address: str | None = None, workers: int | None = None, *, retries: int = 2, connect_timeout: float = 15.0
    ) -> None:
        from distributed import Client, LocalCluster

        self.address = address or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
        self.retries = retries
        self.cluster = None
        if self.address:
            try:
                self.client = Client(self.address, timeout=connect_timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(
                    f"cannot reach the Dask scheduler: {exc}",
                    file="--scheduler",
                    value=self.address,
                    allowed="the address of a running scheduler, e.g. tcp://10.0.0.5:8786",
                ) from None
        else:
            self.cluster = LocalCluster(
                n_workers=workers or available_cores(),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self.client = Client(self.cluster)
        self.workers = len(self.client.nthreads())
        self.worker_versions = self._check_versions()

    def _check_versions(self) -> dict[str, dict[str, str]]:
        """Warn when workers run other versions of the packages that decide a run's results."""
        from ecosim.report import versions

        here = versions()
        try:
            theirs = self.client.run(versions)
        except Exception as exc:  # a worker without ecosim: every task would fail; say so now
            raise InputError(
                f"the Dask workers cannot run ecosim: {exc}",
                file="--scheduler",
                value=self.address or "local cluster",
                allowed="workers with the same ecosim installed (pip install ecosim)",
            ) from None
        for worker, v in theirs.items():
            if v != here:
                log.warning("Dask worker %s runs %s, this process runs %s: results may differ", worker, v, here)
        return theirs

    def threads(self) -> int:
        """Threads across the cluster's workers (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def window(self) -> int:
        """A few calls per thread of the cluster."""
        return TASKS_PER_WORKER * self.threads()

    def pool(self) -> cf.Executor:
        """The client's concurrent.futures executor (pure=False: identical-looking tasks stay distinct)."""
        return self.client.get_executor(pure=False, retries=self.retries)

    def describe(self) -> dict[str, Any]:
        """The executor for a manifest: scheduler, workers, threads and the workers' package versions."""
        return {
            "executor": self.name,
            "scheduler": self.address or "local cluster on 127.0.0.1",
            "workers": self.workers,
            "threads": self.threads(),
            "worker_versions": self.worker_versions,
        }

    def close(self) -> None:
        """Close the client, and the local cluster if this executor started one."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(
    kind: str, *, workers: int | None = None, scheduler: str | None = None, preload: Sequence[str] = ()
) -> Executor:
    """An executor by name (``processes``, ``sequential`` or ``dask``); ``preload``: see :class:`ProcessExecutor`."""
    if kind == "sequential":
        return SequentialExecutor()
    if kind == "processes":
        return ProcessExecutor(workers, preload=preload)
    if kind == "dask":
        return DaskExecutor(scheduler, workers)
    raise InputError("unknown executor", file="--executor", value=kind, allowed="one of " + ", ".join(EXECUTORS))
