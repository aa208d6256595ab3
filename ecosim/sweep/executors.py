"""Executors: where a sweep's runs execute. Each maps an iterator of tasks to outcomes as they finish.

- ``sequential``: in this process, one after another.
- ``processes``: a pool of local worker processes (default: one per core).
- ``dask``: a Dask ``distributed`` cluster: an existing one (``tcp://host:port``, or the
  ``DASK_SCHEDULER_ADDRESS`` environment variable), or a local cluster on 127.0.0.1.

Every executor keeps only a bounded window of tasks in flight (a few per worker), so a sweep of a
million runs holds no more in memory than a sweep of a hundred. Results are identical whatever the
executor: a run depends only on its scenario and its seed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ecosim.errors import InputError
from ecosim.sweep.worker import RunOutcome, RunTask

log = logging.getLogger(__name__)

EXECUTORS = ("processes", "sequential", "dask")
#: Tasks in flight per worker: enough to keep workers busy while results are written.
TASKS_PER_WORKER = 4


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


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


def _failed(task: RunTask, text: str) -> RunOutcome:
    return RunOutcome(task.run_id, "failed", text, 0.0, {}, None)


class SequentialExecutor:
    """Runs in this process, one after another (for debugging and small sweeps)."""

    name = "sequential"

    def __init__(self) -> None:
        self.workers = 1

    def map(self, tasks: Iterable[RunTask]) -> Iterator[RunOutcome]:
        """Run each task in turn, in this process; outcomes in task order."""
        from ecosim.sweep.worker import execute

        for task in tasks:
            yield execute(task)

    def describe(self) -> dict[str, Any]:
        """The executor for the manifest: its name and one worker."""
        return {"executor": self.name, "workers": 1}

    def close(self) -> None:
        """Nothing to release."""
        pass

    def __enter__(self) -> SequentialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProcessExecutor:
    """A pool of local worker processes.

    A worker that dies (killed, out of memory) breaks the whole pool, and every run in flight is lost
    with it, whichever killed it. Lost runs go into a new pool; a run lost a second time is kept
    aside and, once the others are done, run alone in a pool of one worker (``max_attempts - 2``
    times), so a run that kills its worker is recorded as failed without taking other runs with it.

    Args:
        workers: worker processes (default: one per core).
        start_method: ``forkserver`` or ``spawn`` (default: :func:`default_start_method`).
        max_attempts: attempts of a run whose worker dies, in all.
        function: what a worker runs for a task (default :func:`ecosim.sweep.worker.execute`); for
            tests, which need a task that kills its worker. Picklable by reference.
    """

    name = "processes"

    def __init__(
        self,
        workers: int | None = None,
        *,
        start_method: str | None = None,
        max_attempts: int = 3,
        function: Callable[[RunTask], RunOutcome] | None = None,
    ) -> None:
        self.workers = workers or default_workers()
        self.start_method = start_method or default_start_method()
        self.max_attempts = max(3, max_attempts)
        self.function = function
        self._context = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            # import the model once in the fork server, not once per worker ('__main__' is the default)
            self._context.set_forkserver_preload(["__main__", "ecosim.sweep.worker"])

    def _pool(self, workers: int | None = None):
        from concurrent.futures import ProcessPoolExecutor

        from ecosim.sweep.worker import init_process_worker

        return ProcessPoolExecutor(
            max_workers=workers or self.workers,
            mp_context=self._context,
            initializer=init_process_worker,
            initargs=(os.getpid(),),
        )

    def map(self, tasks: Iterable[RunTask]) -> Iterator[RunOutcome]:
        """Run the tasks in the pool, a few per worker at a time; outcomes in the order runs finish."""
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        from ecosim.sweep.worker import error_text, execute

        function = self.function or execute
        window = TASKS_PER_WORKER * self.workers
        source = iter(tasks)
        pending: dict[Any, tuple[RunTask, int]] = {}  # future -> (task, times lost so far)
        suspects: list[RunTask] = []
        pool = self._pool()

        def submit(task: RunTask, lost: int) -> None:
            pending[pool.submit(function, task)] = (task, lost)

        def fill() -> None:
            while len(pending) < window:
                task = next(source, None)
                if task is None:
                    return
                submit(task, 0)

        try:
            fill()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = False
                for future in done:
                    task, lost = pending.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        broken = True
                        pending[future] = (task, lost)  # collected with the others below
                    except Exception as exc:  # e.g. a task that could not be sent to the worker
                        yield _failed(task, error_text(exc))
                if broken:
                    in_flight = list(pending.values())
                    pending.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._pool()
                    log.warning("a worker process died; redoing the %d runs that were in flight", len(in_flight))
                    for task, lost in in_flight:
                        if lost + 1 >= 2:
                            suspects.append(task)
                        else:
                            submit(task, lost + 1)
                fill()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        yield from self._alone(suspects, function)

    def _alone(self, tasks: list[RunTask], function: Callable[[RunTask], RunOutcome]) -> Iterator[RunOutcome]:
        """Run each task by itself in a pool of one worker: a worker that dies now died of this run."""
        from concurrent.futures.process import BrokenProcessPool

        pool = None
        try:
            for task in tasks:
                for _ in range(self.max_attempts - 2):
                    pool = pool or self._pool(1)
                    try:
                        yield pool.submit(function, task).result()
                        break
                    except BrokenProcessPool:
                        pool.shutdown(wait=False, cancel_futures=True)
                        pool = None
                else:
                    yield _failed(
                        task,
                        f"the worker process died each time it ran this run ({self.max_attempts} "
                        "times, the last alone): killed, or out of memory?",
                    )
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> dict[str, Any]:
        """The executor for the manifest: its name, worker processes and start method."""
        return {"executor": self.name, "workers": self.workers, "start_method": self.start_method}

    def close(self) -> None:
        """Nothing to release: each call of :meth:`map` shuts its own pools down."""
        pass

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskExecutor:
    """Runs on a Dask ``distributed`` cluster.

    Args:
        address: the scheduler (``tcp://host:port``); default: the ``DASK_SCHEDULER_ADDRESS``
            environment variable, or else a new local cluster on 127.0.0.1 with ``workers``
            single-threaded worker processes, closed with the executor.
        workers: workers of a local cluster (ignored for an existing cluster).
        retries: retries of a task that raised on the worker outside the run itself (a run's own
            errors are recorded, not retried). Tasks whose worker died are rescheduled by the
            scheduler (``distributed.scheduler.allowed-failures`` times); past that the run is
            recorded as failed, and ``--resume`` tries it again.
    """

    name = "dask"

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
                n_workers=workers or default_workers(),
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

    def map(self, tasks: Iterable[RunTask]) -> Iterator[RunOutcome]:
        """Run the tasks on the cluster, a few per thread at a time; outcomes in the order runs finish."""
        from distributed import as_completed

        from ecosim.sweep.worker import error_text, execute

        window = TASKS_PER_WORKER * self.threads()
        source = iter(tasks)
        pending: dict[Any, RunTask] = {}
        completed = as_completed(loop=self.client.loop)

        def fill() -> None:
            while len(pending) < window:
                task = next(source, None)
                if task is None:
                    return
                # pure=False: identical-looking tasks must not collapse into one
                future = self.client.submit(execute, task, pure=False, retries=self.retries)
                pending[future] = task
                completed.add(future)

        try:
            fill()
            for future in completed:
                task = pending.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:  # KilledWorker: the worker died too often running it
                    outcome = _failed(task, error_text(exc))
                future.release()
                yield outcome
                fill()
        finally:
            for future in pending:
                future.cancel()

    def describe(self) -> dict[str, Any]:
        """The executor for the manifest: scheduler, workers, threads and the workers' package versions."""
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

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(kind: str, *, workers: int | None = None, scheduler: str | None = None):
    """An executor by name (``processes``, ``sequential`` or ``dask``)."""
    if kind == "sequential":
        return SequentialExecutor()
    if kind == "processes":
        return ProcessExecutor(workers)
    if kind == "dask":
        return DaskExecutor(scheduler, workers)
    raise InputError("unknown executor", file="--executor", value=kind, allowed="one of " + ", ".join(EXECUTORS))
