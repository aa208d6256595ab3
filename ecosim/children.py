"""Worker processes that end with the process that started them.

A worker forked from a command (an ensemble's pool, a drawing process, a sweep's pool) blocks
reading its pipe. If the command is killed (SIGKILL, out of memory), nothing ever writes to that
pipe or closes it, and without help the worker would wait for ever, re-parented to PID 1, keeping
its memory and any file it inherited. :func:`end_with_parent`, called first thing in the worker,
prevents that:

- on Linux, when the command forked the worker itself from its main thread, the kernel sends the
  worker SIGKILL the moment the command ends (``PR_SET_PDEATHSIG``; the signal follows the forking
  thread, so it is only asked for when that is the main thread);
- otherwise (another system, a fork from another thread, a worker forked by a fork server), a
  daemon thread checks every ``poll_seconds`` that the command is still there and that the worker's
  own parent has not changed.

Either way, a command that ended before the worker got this far is noticed at once.

Output folders' lock descriptors are not inherited in the first place: :mod:`ecosim.outputs`
closes them in every forked child.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger(__name__)

#: prctl(2) option: the signal a process receives when its parent ends.
PR_SET_PDEATHSIG = 1


def forked_by_main_thread() -> bool:
    """Whether the current thread is the main thread; call it where the workers are forked, pass it to them."""
    return threading.current_thread() is threading.main_thread()


def end_with_parent(parent_pid: int, *, main_thread: bool = True, poll_seconds: float = 1.0) -> str:
    """Make this (forked) process end when process ``parent_pid`` ends; returns how: ``signal`` or ``watchdog``.

    Args:
        parent_pid: the command that started this worker (``os.getpid()`` there, passed down); it is the
            worker's parent, or the parent of a fork server that forked the worker.
        main_thread: whether ``parent_pid`` forked this process from its main thread
            (:func:`forked_by_main_thread` there); only then is the kernel's parent-death signal right.
        poll_seconds: how often the watchdog thread looks, where the signal is not used.
    """
    ppid = os.getppid()
    if ppid == parent_pid and main_thread and _parent_death_signal(signal.SIGKILL):
        if os.getppid() != parent_pid:  # the parent ended before the signal was armed
            os._exit(1)
        return "signal"
    if not _alive(parent_pid):
        os._exit(1)
    _watch(parent_pid, ppid, poll_seconds)
    return "watchdog"


def _parent_death_signal(signum: int) -> bool:
    """Ask the kernel for ``signum`` when the parent ends (Linux); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - a Linux without prctl
        return False


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and has not ended (a zombie, ended but not yet reaped, has ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: the pid was reused, the command is gone
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            text = fh.read(4096).decode("ascii", "replace")
    except OSError:
        return True
    return text[text.rfind(")") + 2 : text.rfind(")") + 3] not in ("Z", "X")


def _watch(parent_pid: int, ppid: int, poll_seconds: float) -> None:
    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if os.getppid() != ppid or not _alive(parent_pid):
                os._exit(1)

    threading.Thread(target=watch, name="ecosim-parent-watchdog", daemon=True).start()
