"""Helpers shared by the sweep tests: tiny scenarios and sweep files written into a tmp folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

#: A scenario small enough that a run takes about a hundredth of a second.
TINY_BASE = """\
name: tiny
weeks: 10
organisation: {stores: 4, head_office: 5}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def tiny_sweep(folder: Path, body: str, *, base: str = TINY_BASE, name: str = "sweep.yaml") -> Path:
    """Write base.yaml and a sweep file on it; ``body`` is the sweep file without its ``base`` line."""
    write(folder, "base.yaml", base)
    return write(folder, name, "base: base.yaml\n" + textwrap.dedent(body))


def runs_frame(folder: Path):
    """runs.parquet sorted by run id, without the wall time (the only column allowed to differ)."""
    import pandas as pd

    df = pd.read_parquet(folder / "runs.parquet")
    return df.drop(columns=["wall_time"]).sort_values("run_id").reset_index(drop=True)


def timeseries_frame(folder: Path):
    from ecosim.sweep.storage import read_timeseries

    return read_timeseries(folder).to_pandas()


class KillsItsWorker:
    """A worker function for tests: runs ``always`` end their worker process every time, runs ``once``
    the first time only (a marker file remembers), the others run as usual."""

    def __init__(self, folder: Path, *, always=(), once=()) -> None:
        self.folder = str(folder)
        self.always = set(always)
        self.once = set(once)

    def __call__(self, task):
        import os

        from ecosim.sweep.worker import execute

        marker = Path(self.folder) / f"died-{task.run_id}"
        if task.run_id in self.always or (task.run_id in self.once and not marker.exists()):
            marker.touch()
            os._exit(3)  # as the out-of-memory killer would: no exception, no clean-up
        return execute(task)


def slow_square(x: int) -> int:
    """A task whose first item takes a second, so that with two workers the others finish before it."""
    import time

    time.sleep(1.0 if x == 0 else 0.01)
    if x == 5:
        raise ValueError("five")
    return x * x
