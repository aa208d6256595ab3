"""The drawing process and per-figure processes: answers, failures raised where they belong, no orphans."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ecosim.plotting.process import DrawingFailed, DrawingProcess, in_processes
from ecosim.sweep.executors import can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="the drawing process is forked")

ROOT = Path(__file__).resolve().parents[1]


def _double(x):
    return 2 * x


def _pid():
    return os.getpid()


def _fail(message):
    raise ValueError(message)


def _unpicklable():
    return lambda: None


def _write(path: Path, text: str) -> None:
    path.write_text(text)


def test_it_answers_raises_what_the_call_raised_and_keeps_serving():
    with DrawingProcess(preload=()) as drawer:
        drawer.submit(_double, 21)
        assert drawer.result() == 42
        drawer.submit(_pid)
        assert drawer.result() != os.getpid()
        drawer.submit(_fail, "the disk is full")
        with pytest.raises(ValueError, match="the disk is full") as info:
            drawer.result()
        assert any("in the drawing process" in note for note in info.value.__notes__)
        drawer.submit(_unpicklable)
        with pytest.raises(DrawingFailed, match="drawing the figures failed"):
            drawer.result()
        drawer.submit(_double, 1)
        assert drawer.result() == 2
    assert not drawer._process.is_alive()


def test_one_call_at_a_time():
    with DrawingProcess(preload=()) as drawer:
        with pytest.raises(RuntimeError, match="nothing was submitted"):
            drawer.result()
        drawer.submit(_double, 1)
        with pytest.raises(RuntimeError, match="still busy"):
            drawer.submit(_double, 2)
        assert drawer.result() == 2


def test_a_failed_import_is_reported_with_the_first_call():
    with DrawingProcess(preload=("ecosim_has_no_such_module",)) as drawer:
        drawer.submit(_double, 1)
        with pytest.raises(ModuleNotFoundError, match="ecosim_has_no_such_module"):
            drawer.result()


def test_leaving_the_block_with_an_error_ends_the_process_at_once():
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), DrawingProcess(preload=()) as drawer:
        raise KeyboardInterrupt
    assert not drawer._process.is_alive()
    assert time.perf_counter() - started < 3


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].startswith("Z")  # a zombie has finished
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_it_goes_away_when_its_parent_is_killed():
    code = textwrap.dedent(
        """
        import os, signal
        from ecosim.plotting.process import DrawingProcess
        drawer = DrawingProcess(preload=())
        print(drawer._process.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(pid), "the drawing process outlived its killed parent"


def _slow_figures(folder: Path) -> None:
    def slow(name: str) -> None:
        time.sleep(0.6)
        _write(folder / name, name)

    in_processes([lambda: slow("here")], [lambda: slow("there")])


def test_ending_it_now_waits_for_the_figures_already_being_drawn(tmp_path):
    """Nothing is written once close() has returned, so a results folder can be cleaned up after it."""
    with DrawingProcess(preload=()) as drawer:
        drawer.submit(_slow_figures, tmp_path)
        time.sleep(0.2)  # both are drawing
        drawer.close(wait=False)
        written = sorted(p.name for p in tmp_path.iterdir())
    time.sleep(1.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == written


def test_in_processes_runs_every_list_and_raises_a_childs_failure(tmp_path):
    in_processes(
        [lambda: _write(tmp_path / "a", "a")],
        [lambda: _write(tmp_path / "b", "b")],
        [lambda: _write(tmp_path / "c", "c"), lambda: _write(tmp_path / "d", "d")],
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c", "d"]
    with pytest.raises(RuntimeError, match="ValueError: a figure broke"):
        in_processes([lambda: _write(tmp_path / "e", "e")], [lambda: _fail("a figure broke")])
    assert (tmp_path / "e").read_text() == "e", "this process's own jobs still ran"


def test_a_run_that_fails_while_its_figures_are_drawn_leaves_nothing_behind(tiny, tmp_path, capsys, monkeypatch):
    """The drawing process is stopped, its figures' processes included, before the folder is cleaned up."""
    import errno

    import pandas as pd

    from ecosim.cli import main

    def full(self, path, *args, **kwargs):
        time.sleep(0.05)  # the figures' processes have started
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)  # after the figures were handed over
    for extra in (["--seeds", "3"], ["--seed", "3"]):
        out = tmp_path / f"r{len(extra[0])}"
        assert main(["run", str(tiny), "--out", str(out), "--quiet", *extra]) == 1
        assert "No space left on device" in capsys.readouterr().err
        time.sleep(1.0)  # long enough for a figure drawn by a process left running to land
        assert not out.exists(), sorted(str(p.relative_to(out)) for p in out.rglob("*"))


SLOW_FINALISER = """\
import time


class Slow:
    def __del__(self):
        time.sleep(3)


Slow()  # dropped at once: its finaliser runs while this module is imported
"""


def test_ended_inside_a_finaliser_it_stops_at_once_and_quietly(tmp_path, monkeypatch, capfd):
    """A stop that lands in a finaliser (as during Matplotlib's import) neither prints 'Exception ignored' nor waits."""
    (tmp_path / "ecosim_slow_finaliser.py").write_text(SLOW_FINALISER)
    monkeypatch.syspath_prepend(str(tmp_path))  # the drawing process is forked from this one
    drawer = DrawingProcess(preload=("ecosim_slow_finaliser",))
    time.sleep(1.0)  # it is importing the module, inside the finaliser
    started = time.perf_counter()
    drawer.close(wait=False)
    assert time.perf_counter() - started < 2, "the drawing process did not stop when told"
    assert not drawer._process.is_alive()
    err = capfd.readouterr().err
    assert "Exception ignored" not in err and "SystemExit" not in err, err
