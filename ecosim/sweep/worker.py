"""What runs on a worker: one run of a sweep, from a validated scenario and a seed to a summary row.

This module is what the process pool preloads and what Dask workers import, so it imports the model
at module level: a worker pays for the imports once, not once per run.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

import ecosim.core.model  # noqa: F401  (imported here, once per worker, not at the first run)
from ecosim.api import simulate
from ecosim.core.outcomes import SUMMARY
from ecosim.scenario.schema import Scenario

log = logging.getLogger(__name__)

#: Summary metrics stored as text in the runs table; every other metric is a float.
TEXT_METRICS = frozenset(o.name for o in SUMMARY if o.shown == "word")


@dataclass(frozen=True)
class RunTask:
    """One run to do: everything a worker needs, nothing else."""

    run_id: int
    seed: int
    scenario: Scenario  # the design point's validated scenario (its seed is replaced by ``seed``)
    metrics: tuple[str, ...]
    timeseries: tuple[str, ...]  # columns to keep besides the week; empty: none


@dataclass
class RunOutcome:
    """What a run produced; ``status`` is ``ok`` or ``failed`` (then ``error`` says why)."""

    run_id: int
    status: str
    error: str | None
    wall_time: float
    metrics: dict[str, Any]
    timeseries: dict[str, np.ndarray] | None


def execute(task: RunTask) -> RunOutcome:
    """Run one task. Never raises for a failing run: the error is recorded in the outcome."""
    started = time.perf_counter()
    try:
        scenario = task.scenario.model_copy(update={"seed": task.seed})
        result = simulate(scenario)
        metrics = {}
        for key in task.metrics:
            value = result.summary[key]
            if key in TEXT_METRICS:
                metrics[key] = None if value is None else str(value)
            else:
                metrics[key] = None if value is None else float(value)
        series = None
        if task.timeseries:
            columns = result.columns
            series = {"week": columns["week"].astype(np.int32)}
            for column in task.timeseries:
                series[column] = columns[column].astype(np.float64)
        return RunOutcome(task.run_id, "ok", None, time.perf_counter() - started, metrics, series)
    except Exception as exc:  # a failing run must not stop the others: it is recorded as failed
        log.debug("run %s failed:\n%s", task.run_id, traceback.format_exc())
        return RunOutcome(task.run_id, "failed", error_text(exc), time.perf_counter() - started, {}, None)


def failed(task: RunTask, exc: BaseException) -> RunOutcome:
    """The outcome of a run that could not be made at all (its worker died, or the task could not be sent)."""
    return RunOutcome(task.run_id, "failed", error_text(exc), 0.0, {}, None)


def error_text(exc: BaseException) -> str:
    """``Type: message``, and where in ecosim it was raised."""
    text = f"{type(exc).__name__}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {os.path.basename(last.filename)}:{last.lineno} in {last.name})"
    return text


# --------------------------------------------------------------------------------------------
# Process-pool workers
# --------------------------------------------------------------------------------------------


def init_process_worker(parent_pid: int, poll_seconds: float = 1.0, main_thread: bool = False) -> None:
    """Initialise a process-pool worker: exit when the sweep process is gone.

    A pool worker blocks reading its task queue; if the sweep process is killed (SIGKILL, out of
    memory) nothing ever closes that queue, and the worker would wait forever.
    :func:`ecosim.children.end_with_parent` ends the worker when the sweep process has gone (or the
    fork server that forked it, which exits with the sweep process).
    """
    import signal

    from ecosim.children import end_with_parent

    # Ctrl-C reaches the whole process group: the sweep process handles it (it keeps the finished
    # runs and stops the pool); a worker interrupted mid-task would only break the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with_parent(parent_pid, main_thread=main_thread, poll_seconds=poll_seconds)
