"""Runs per second: one engine stepping many replicates at once, against a plain NumPy floor.

Prints, for 52-week runs of ``scenarios/retail.yaml`` (about 620 learners):

- a single run through the Mesa model (``EcosystemModel``), one after another;
- batches of 1, 10, 100 and 1,000 replicates in one engine (seeds 1, 2, ...), one process;
- the same batches on every core (one process per core, each with its own batches);
- the floor: a plain NumPy model of the same size and kind (600 agents on a small-world network,
  52 weekly steps of logistic adoption and abandonment driven by the share of active neighbours),
  one at a time and as 1,000 replicates sharing one set of arrays;

and the ratio of the floor to the best engine figure. In-process wall time, after one warm-up run;
the load average before and after tells whether the machine was quiet.

    python benchmarks/throughput.py                 # everything
    python benchmarks/throughput.py --sizes 1 100   # some batch sizes
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WEEKS = 52


def engine_runs(size: int, first_seed: int = 1) -> float:
    """Seconds for one batch of ``size`` replicates of the retail scenario, 52 weeks, results included."""
    from ecosim.core.engine import Engine
    from ecosim.core.rng import run_rng
    from ecosim.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "retail.yaml")
    seeds = range(first_seed, first_seed + size)
    scenarios = [sc.model_copy(update={"seed": s}) for s in seeds]
    t = time.perf_counter()
    e = Engine(scenarios, [run_rng(s) for s in seeds])
    e.run()
    for r in range(size):
        e.summary(r)
    return time.perf_counter() - t


def single_runs(count: int) -> float:
    """Seconds for ``count`` single runs through the Mesa model, one after another."""
    from ecosim.api import simulate
    from ecosim.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "retail.yaml")
    t = time.perf_counter()
    for s in range(1, count + 1):
        simulate(sc, seed=s)
    return time.perf_counter() - t


def floor_runs(replicates: int, n: int = 600, k: int = 8, beta: float = 0.1, seed: int = 1) -> float:
    """Seconds for ``replicates`` runs of the plain NumPy model, all sharing one set of arrays."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    t = time.perf_counter()
    blocks = []
    for _ in range(replicates):  # a Watts-Strogatz ring per replicate, built with NumPy
        i = np.repeat(np.arange(n), k // 2)
        j = (i + np.tile(np.arange(1, k // 2 + 1), n)) % n
        rewire = rng.random(i.size) < beta
        j[rewire] = rng.integers(0, n, int(rewire.sum()))
        keep = i != j
        blocks.append(sp.csr_matrix((np.ones(int(keep.sum()), np.float32), (i[keep], j[keep])), shape=(n, n)))
    adjacency = sp.block_diag(blocks, format="csr")
    adjacency = (adjacency + adjacency.T).tocsr()
    adjacency.data[:] = 1
    degree = np.maximum(np.asarray(adjacency.sum(axis=1)).ravel(), 1).astype(np.float32)
    total = n * replicates
    propensity = rng.normal(0, 1, total).astype(np.float32)
    active = np.zeros(total, np.float32)
    for _ in range(WEEKS):
        share = adjacency @ active / degree
        logit = -2.5 + 3.0 * share + propensity + 1.5 * active
        p = 1 / (1 + np.exp(-logit))
        active = (rng.random(total, dtype=np.float32) < p).astype(np.float32)
        np.add.reduceat(active, np.arange(0, total, n))  # the weekly share of each replicate
    return time.perf_counter() - t


def _parallel(fn, sizes_and_seeds, workers: int) -> float:
    t = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(fn, *zip(*sizes_and_seeds)))
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100, 1000])
    parser.add_argument("--singles", type=int, default=20, help="single runs through the Mesa model")
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    print(f"load average before: {os.getloadavg()[0]:.2f}; {cores} cores")
    engine_runs(2)  # warm-up: imports, caches
    t = single_runs(args.singles)
    print(f"single runs (Mesa model), one process: {args.singles / t:8.1f} runs/s")
    best = 0.0
    for size in args.sizes:
        t = engine_runs(size)
        print(f"batch of {size:>5}, one process:          {size / t:8.1f} runs/s")
        if cores > 1:
            t = _parallel(engine_runs, [(size, 1 + w * size) for w in range(cores)], cores)
            rate = cores * size / t
            best = max(best, rate)
            print(f"batch of {size:>5}, {cores} processes:         {rate:8.1f} runs/s")
        else:
            best = max(best, size / t)
    t = floor_runs(1)
    print(f"floor, one at a time:                 {1 / t:8.1f} runs/s")
    t = floor_runs(1000)
    floor = 1000 / t
    if cores > 1:
        t = _parallel(floor_runs, [(1000, 1, 8, 0.1, w) for w in range(cores)], cores)
        floor = cores * 1000 / t
    print(f"floor, 1,000 replicates sharing arrays, {cores} processes: {floor:8.1f} runs/s")
    print(f"best engine figure: {best:.1f} runs/s, {floor / best:.1f} x below the floor")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
