"""Drawing figures in other processes: a drawing process forked before the model is imported, and forks per figure.

``run`` spends its first second importing the model (Mesa, and with it NumPy, SciPy and pandas) on
one core while the other has nothing to do. A drawing process forked before that import loads
Matplotlib on the other core meanwhile, then waits; once the runs are done, the figures are handed
to it and drawn (each in a process forked from it, :func:`in_processes`) while this process writes
the tables. Where processes cannot be forked, or there is one core, :func:`drawing_process` gives
None and the caller draws the figures itself.

The drawing process goes away with its parent: it ignores Ctrl-C (the parent handles it and stops
it), stops when told or when its pipe closes, and ends when its parent ends, killed or not
(:func:`ecosim.children.end_with_parent`), as do the processes it forks for the figures.
Ended at once (SIGTERM), it waits for the processes drawing a figure for it, then exits quietly.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable, Sequence
from typing import Any

#: What a drawing process imports while it waits for its first figures.
FIGURE_MODULES = (
    "numpy",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.ticker",
    "ecosim.plotting.ensemble",
    "ecosim.plotting.run",
    "ecosim.ensemble",
)
#: Seconds a drawing process is given to finish once told to stop, before it is ended.
STOP_WAIT = 5.0


class DrawingFailed(RuntimeError):
    """The drawing process failed in a way that cannot be raised here as it was raised there."""


class DrawingProcess:
    """A forked process that imports ``preload`` at once, then runs the calls it is given, one at a time.

    Use it as a context manager: leaving the block stops the process (at once if the block raised).
    """

    def __init__(self, preload: Sequence[str] = FIGURE_MODULES) -> None:
        from ecosim.children import forked_by_main_thread

        ctx = multiprocessing.get_context("fork")
        tasks_out, self._tasks = ctx.Pipe(duplex=False)
        self._results, results_in = ctx.Pipe(duplex=False)
        self._process = ctx.Process(
            target=_serve,
            args=(
                tasks_out,
                results_in,
                tuple(preload),
                os.getpid(),
                (self._tasks, self._results),
                forked_by_main_thread(),
            ),
            name="ecosim-figures",
        )
        self._process.start()
        tasks_out.close()
        results_in.close()
        self._waiting = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Hand ``fn(*args)`` to the drawing process (``fn`` module-level); collect it with :meth:`result`."""
        if self._waiting:
            raise RuntimeError("the drawing process is still busy with the previous call")
        self._tasks.send((fn, args))
        self._waiting = True

    def result(self, timeout: float = 600.0) -> Any:
        """What the submitted call returned; what it raised is raised here."""
        if not self._waiting:
            raise RuntimeError("nothing was submitted to the drawing process")
        self._waiting = False
        if not self._results.poll(timeout):
            raise DrawingFailed(f"the drawing process gave no answer in {timeout:.0f} s")
        try:
            ok, value = self._results.recv()
        except EOFError:
            code = self._process.exitcode
            raise DrawingFailed(f"the drawing process ended unexpectedly (exit code {code})") from None
        if ok:
            return value
        raise value

    def close(self, *, wait: bool = True) -> None:
        """Stop the drawing process: ask it to finish (``wait``), or end it now.

        Ended now, it first waits for the processes drawing a figure for it (a fraction of a
        second), so that nothing writes into the results folder once this returns.
        """
        if wait and self._process.is_alive():
            try:
                self._tasks.send(None)
            except OSError:
                pass
            self._process.join(STOP_WAIT)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(STOP_WAIT)
        if self._process.is_alive():  # pragma: no cover - a drawing process that does not stop
            self._process.kill()
            self._process.join()
        self._tasks.close()
        self._results.close()

    def __enter__(self) -> DrawingProcess:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(wait=exc_type is None)


def drawing_process(preload: Sequence[str] = FIGURE_MODULES) -> DrawingProcess | None:
    """A :class:`DrawingProcess`, or None where processes cannot be forked or there is only one core."""
    from ecosim.sweep.executors import available_cores, can_fork

    if available_cores() < 2 or not can_fork():
        return None
    return DrawingProcess(preload)


#: The processes drawing a figure for this one (:func:`in_processes`), which a stop waits for.
_DRAWING: list[multiprocessing.process.BaseProcess] = []


def _stop(signum, frame) -> None:
    """SIGTERM in the drawing process: wait for the processes drawing a figure for it, then end at once.

    Ended with ``os._exit``, not by raising SystemExit: an exception raised from a signal handler
    lands wherever the process happens to be, and inside a finaliser or a garbage collection (while
    Matplotlib is being imported, say) Python prints "Exception ignored ... SystemExit" on the
    terminal and carries on, so the process neither stops nor stays quiet.
    """
    for child in list(_DRAWING):
        child.join(STOP_WAIT)
        if child.is_alive():  # pragma: no cover - a figure's process that does not finish
            child.kill()
    os._exit(0)


def _serve(
    tasks, results, preload: tuple[str, ...], parent: int, parents_ends: tuple, main_thread: bool = True
) -> None:
    """The drawing process: import ``preload``, then run each call received until told to stop."""
    from ecosim.children import end_with_parent

    end_with_parent(parent, main_thread=main_thread)
    _quiet_stdout()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops this process
    signal.signal(signal.SIGTERM, _stop)  # ... like this: unwinding waits for the figures' processes
    for end in parents_ends:  # so that the pipe closes when the parent's ends do
        end.close()
    failed_import = None
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception as exc:  # reported with the first call, which would have failed the same way
            failed_import = exc
            break
    while True:
        while not tasks.poll(1.0):
            if os.getppid() != parent:  # the parent has gone
                return
        try:
            task = tasks.recv()
        except EOFError:
            return
        if task is None:
            return
        fn, args = task
        try:
            if failed_import is not None:
                raise failed_import
            answer = (True, fn(*args))
        except BaseException as exc:  # sent to the parent, which raises it with this process's traceback
            exc.add_note("".join(["in the drawing process:\n", *traceback.format_exception(exc)]).rstrip())
            answer = (False, exc)
        try:
            results.send(answer)
        except OSError:  # the parent has gone (its pipe is closed): nobody to answer
            return
        except Exception as exc:  # an answer that cannot be pickled
            text = "".join(traceback.format_exception(answer[1] if not answer[0] else exc))
            try:
                results.send((False, DrawingFailed(f"drawing the figures failed:\n{text}")))
            except OSError:
                return


def _quiet_stdout() -> None:
    """Give a forked drawing process a standard output of its own that goes nowhere.

    It prints nothing; but it inherits a copy of the parent's unwritten standard output buffer,
    which it would otherwise write (a second time) when it ends, and fail with BrokenPipeError
    when the command's reader (``| head``) has gone.
    """
    import sys

    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:  # pragma: no cover - no /dev/null
        pass


def in_processes(here: list[Callable[[], None]], *elsewhere: list[Callable[[], None]]) -> None:
    """Run ``here`` in this process and each list of ``elsewhere`` in a child forked from it, all at once.

    Without fork or a second core, everything runs here, in order. A failure in a child raises here,
    with the child's traceback.
    """
    from ecosim.sweep.executors import available_cores, can_fork

    if not elsewhere or available_cores() < 2 or not can_fork():
        for jobs in (here, *elsewhere):
            for job in jobs:
                job()
        return
    from ecosim.children import forked_by_main_thread

    ctx = multiprocessing.get_context("fork")
    children = []
    here_pid, main_thread = os.getpid(), forked_by_main_thread()
    for jobs in elsewhere:
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_child, args=(jobs, send, here_pid, main_thread), name="ecosim-figures", daemon=True)
        child.start()
        _DRAWING.append(child)
        send.close()
        children.append((child, receive))
    failures = []
    try:
        for job in here:
            job()
    finally:
        for child, receive in children:
            failures.append(receive.recv() if receive.poll(600) else "a drawing process gave no answer")
            child.join()
            _DRAWING.remove(child)
            receive.close()
    failures = [f for f in failures if f]
    if failures:
        raise RuntimeError(f"drawing the figures failed: {failures[0]}")


def _child(jobs: list[Callable[[], None]], send, parent: int, main_thread: bool) -> None:
    import traceback

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the drawing process's handler, inherited by the fork
    _DRAWING.clear()  # its parent's, not its own
    from ecosim.children import end_with_parent

    end_with_parent(parent, main_thread=main_thread)
    _quiet_stdout()
    try:
        for job in jobs:
            job()
    except BaseException:  # reported to the parent, which raises it
        _answer(send, traceback.format_exc())
    else:
        _answer(send, "")
    finally:
        send.close()


def _answer(send, text: str) -> None:
    try:
        send.send(text)
    except OSError:  # the parent has gone: nobody to answer
        pass
