"""Benchmark of ``ecosim plan``: the four priced levers of retail.yaml within a budget, timed as a whole.

    python benchmarks/plan_bench.py                      # retail.yaml, a budget of 300,000, the defaults
    python benchmarks/plan_bench.py --budget 200000 --executor processes

Runs the command in a fresh process (so the time includes imports and writing the folder), then
prints the wall time, the runs made, runs per second and the answer, and appends them as a JSON
line to ``--log`` (default benchmarks/plan_results.jsonl). The acceptance asks for under 10
minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "retail.yaml"))
    parser.add_argument("--budget", default="300000")
    parser.add_argument("--executor", default=None)
    parser.add_argument("--log", default=str(ROOT / "benchmarks" / "plan_results.jsonl"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan"
        argv = [sys.executable, "-m", "ecosim", "plan", args.scenario, "--budget", args.budget, "--out", str(out)]
        if args.executor:
            argv += ["--executor", args.executor]
        started = time.perf_counter()
        subprocess.run(argv, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        manifest = json.loads((out / "manifest.json").read_text())
        plan = json.loads((out / "plan.json").read_text())
    row = {
        "benchmark": "plan",
        "scenario": Path(args.scenario).name,
        "budget": float(args.budget),
        "executor": args.executor or "here",
        "seconds": round(seconds, 1),
        "runs": manifest["runs"],
        "runs_per_second": round(manifest["runs"] / seconds, 1),
        "thriving": plan["recommended"]["thriving"] if plan["recommended"] else None,
    }
    print(
        f"plan {row['scenario']} --budget {args.budget}: {seconds:.0f} s, {row['runs']:,} runs "
        f"({row['runs_per_second']} runs/s); {plan['headline']}"
    )
    with open(args.log, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
