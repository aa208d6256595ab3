"""Benchmark: wall time of a sweep on local processes against sequential runs.

Runs the sweep command twice, as a user would (a fresh interpreter each time, imports and worker
start-up included): once with ``--executor sequential`` and once with ``--executor processes``,
then prints the wall times, the speed-up, the mean time of one run, and checks that both give the
same runs table.

    python benchmarks/sweep_bench.py                       # alignment_x_facilitation.yaml, 2 workers
    python benchmarks/sweep_bench.py --sweep scenarios/sweeps/levers_morris.yaml --workers 4
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(sweep: Path, out: Path, executor: str, workers: int) -> float:
    cmd = [
        sys.executable,
        "-m",
        "ecosim",
        "sweep",
        str(sweep),
        "--out",
        str(out),
        "--executor",
        executor,
        "--workers",
        str(workers),
        "--quiet",
    ]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", type=Path, default=ROOT / "scenarios" / "sweeps" / "alignment_x_facilitation.yaml")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    import pandas as pd

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ecosim-bench-") as tmp:
        seq_out, proc_out = Path(tmp) / "sequential", Path(tmp) / "processes"
        t_seq = run(args.sweep, seq_out, "sequential", 1)
        t_proc = run(args.sweep, proc_out, "processes", args.workers)
        a = pd.read_parquet(seq_out / "runs.parquet")
        b = pd.read_parquet(proc_out / "runs.parquet")
        import json

        session = json.loads((proc_out / "manifest.json").read_text())["sessions"][-1]
        # share of the workers' time spent inside runs (the rest: start-up, waiting for tasks, the tail)
        busy = b["wall_time"].sum() / (args.workers * session["elapsed_seconds"])
        runs = len(a)
        per_run, per_run_proc = a["wall_time"].mean(), b["wall_time"].mean()
        same = (
            a.drop(columns="wall_time")
            .sort_values("run_id")
            .reset_index(drop=True)
            .equals(b.drop(columns="wall_time").sort_values("run_id").reset_index(drop=True))
        )

    print(f"sweep: {args.sweep.relative_to(ROOT) if args.sweep.is_relative_to(ROOT) else args.sweep}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"runs: {runs:,}; mean time of one run: {per_run * 1000:.1f} ms sequential, "
        f"{per_run_proc * 1000:.1f} ms in a worker process (more: the cores were shared with other work)"
    )
    print(f"sequential:             {t_seq:7.1f} s wall")
    print(f"processes ({args.workers} workers):  {t_proc:7.1f} s wall")
    print(f"speed-up:               {t_seq / t_proc:7.2f} x")
    print(f"workers busy:           {busy:7.0%} of the processes sweep's time (in runs, not waiting)")
    print(f"identical runs tables:  {'yes' if same else 'NO'}")
    print(
        f"load average (1 min) before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f} "
        "(other work on the machine slows both measurements)"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
