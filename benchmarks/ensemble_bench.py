"""How long ``python -m ecosim run scenarios/retail.yaml`` takes with its default ensemble of 20 seeds.

The bar: at most 2.5 times as long as ``python -c "import mesa"`` on the same machine. Each command
runs as a whole process timed from outside, alternately, several times; the script prints the
medians, the ratio, the CPU time each used (user + system, children included) and the load
average before and after, because figures from a busy machine are not figures of ecosim.

    python benchmarks/ensemble_bench.py               # 7 repeats
    python benchmarks/ensemble_bench.py --repeats 3 --seeds 20
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system of the process and its children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    """Time both commands alternately and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--scenario", default="scenarios/retail.yaml")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        run = [PY, "-m", "ecosim", "run", args.scenario, "--seeds", str(args.seeds), "--out", str(Path(tmp) / "r")]
        run += ["--force", "--quiet"]
        commands = {
            "import mesa": [PY, "-c", "import mesa"],
            f"run ({args.seeds} seeds)": run,
            "run --no-figures": [*run, "--no-figures"],
            "run --seed 1 (one run)": [*run[:5], "--seed", "1", *run[7:]],
        }
        timed(commands["import mesa"])  # warm the file cache
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, cmd in commands.items():
                times[name].append(timed(cmd))
    load_after = os.getloadavg()
    mesa = statistics.median(w for w, _ in times["import mesa"])
    print(f"cores: {len(os.sched_getaffinity(0))}; load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(f"{'command':<28} {'median wall s':>14} {'x import mesa':>14} {'median CPU s':>13}")
    for name, values in times.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(f"{name:<28} {wall:>14.2f} {wall / mesa:>14.2f} {cpu:>13.2f}")


if __name__ == "__main__":
    main()
