"""A killed command leaves no worker behind and no folder locked: workers end with it and never hold the lock."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import ROOT

from ecosim.outputs import LOCK, OutputError, open_output
from ecosim.sweep.executors import available_cores, can_fork

LONG = """\
name: long
weeks: 2000
organisation:
  stores: 30
  staff_per_store: 15
"""


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _children(pid: int) -> set[int]:
    found = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found.update(int(x) for x in fh.read().split())
    except OSError:
        pass
    return found


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def _holds(pid: int, path) -> bool:
    """Whether process ``pid`` has a descriptor open on ``path``."""
    target = os.path.realpath(path)
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                return True
        except OSError:
            pass
    return False


@pytest.mark.skipif(not can_fork() or available_cores() < 2, reason="the fork pool needs fork and two cores")
@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_sigkilled_command_leaves_no_worker_and_the_rerun_proceeds(command, tmp_path):
    scenario = tmp_path / "long.yaml"
    scenario.write_text(LONG)
    out = tmp_path / "out"
    targets = [str(scenario)] if command == "run" else [str(scenario), str(scenario)]
    args = [sys.executable, "-m", "ecosim", command, *targets, "--out", str(out), "--seeds", "4", "--quiet"]
    proc = subprocess.Popen(args, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline:  # the workers are running the seeds
            workers = _children(proc.pid)
            if len(workers) >= 2 and (out / LOCK).exists():
                break
            time.sleep(0.05)
        assert len(workers) >= 2, "the command never started its workers"
        time.sleep(1.0)
        workers = _children(proc.pid)
        assert not any(_holds(w, out / LOCK) for w in workers), "a worker holds the folder's lock"
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(w) for w in workers):
        time.sleep(0.05)
    alive = [w for w in workers if _running(w)]
    for w in alive:  # (only when the test fails: they are this test's)
        os.kill(w, signal.SIGKILL)
    assert not alive, f"workers {alive} outlived the killed command"
    rerun = [*args[:-3], "--seeds", "2", "--quiet", "--no-figures", "--set", "weeks=4"]
    done = subprocess.run(rerun, env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not (out / LOCK).exists()


def test_a_forked_child_does_not_keep_the_folders_lock(tmp_path):
    out = tmp_path / "r"
    with open_output(out, "run", replace=True):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: does it still have the lock file open?
            held = _holds(os.getpid(), out / LOCK)
            os.write(write, b"1" if held else b"0")
            os._exit(0)
        os.close(write)
        answer = os.read(read, 1)
        os.close(read)
        os.waitpid(pid, 0)
        assert answer == b"0"
        assert _holds(os.getpid(), out / LOCK)  # this process still holds it
        with pytest.raises(OutputError, match="another ecosim command is writing this folder"):
            with open_output(out, "run", replace=True):
                pass


HOLDER = textwrap.dedent(
    """
    import fcntl, json, os, sys, time
    path, record = sys.argv[1], json.loads(sys.argv[2])
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, json.dumps(record).encode())
    print("held", flush=True)
    time.sleep(120)
    """
)


def _hold(lock, record):
    """A process (not ecosim) that holds ``lock`` with ``record`` in it, as a leftover child would."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), json.dumps(record)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def _ended_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("case", ["ended", "pid reused"])
def test_a_lock_still_held_after_its_holder_ended_is_broken(tmp_path, case):
    out = tmp_path / "r"
    host = socket.gethostname()
    if case == "ended":
        record = {"pid": _ended_pid(), "host": host, "since": "2020-01-01T00:00:00+00:00", "command": "ecosim run"}
        holder = _hold(out / LOCK, record)
    else:  # the pid now names a live process that started after the lock was taken
        holder = _hold(out / LOCK, {"pid": 0, "host": host})
        record = {"pid": holder.pid, "host": host, "since": "2020-01-01T00:00:00+00:00", "start": 1}
        (out / LOCK).write_text(json.dumps(record))
    try:
        with open_output(out, "run", replace=True) as folder:
            assert json.loads((out / LOCK).read_text())["pid"] == os.getpid()
            (folder.dir / "a.txt").write_text("x")
        assert (out / "a.txt").read_text() == "x"
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_held_by_a_live_holder_is_refused(tmp_path):
    out = tmp_path / "r"
    from ecosim.outputs import _start_time

    holder = _hold(out / LOCK, {"pid": 0, "host": socket.gethostname()})
    try:
        record = {"pid": holder.pid, "host": socket.gethostname(), "since": "x", "start": _start_time(holder.pid)}
        (out / LOCK).write_text(json.dumps(record))
        with pytest.raises(OutputError, match=f"locked by process {holder.pid}"):
            with open_output(out, "run", replace=True):
                pass
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("how", ["signal", "watchdog"])
def test_a_worker_ends_when_its_parent_is_killed(how):
    """A parent that forks a worker (which blocks for ever) and is then killed: the worker ends too."""
    script = textwrap.dedent(
        f"""
        import os, sys, time
        from ecosim.children import end_with_parent
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            how = end_with_parent(parent, main_thread={how == "signal"}, poll_seconds=0.1)
            assert how == {how!r}, how
            os.read(os.pipe()[0], 1)  # blocks for ever, as a pool worker waiting for a task
            os._exit(0)
        print(pid, flush=True)
        time.sleep(120)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], env=_env(), stdout=subprocess.PIPE, text=True)
    worker = int(proc.stdout.readline())
    time.sleep(0.3)
    assert _running(worker)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _running(worker):
        time.sleep(0.02)
    alive = _running(worker)
    if alive:
        os.kill(worker, signal.SIGKILL)
    assert not alive


def test_end_with_parent_of_a_parent_already_gone_exits_at_once():
    script = textwrap.dedent(
        """
        import os, sys
        from ecosim.children import end_with_parent
        end_with_parent(999999999, main_thread=False)
        print("still here")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], env=_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "still here" not in done.stdout, done.stderr
    assert done.stderr == ""
