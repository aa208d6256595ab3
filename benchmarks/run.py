"""Benchmarks: how fast ecosim runs, from a thousand learners to a million.

Five sections, each printed as a table and all written to ``benchmarks/results.json``:

``model``
    The full model (every mechanism, the weekly metrics) on the retail generator scaled to about
    1k, 10k, 100k and 1M learners for 52 weeks: set-up, the 52 weeks, learner-weeks per second and
    peak memory. Each size runs in a fresh interpreter, so its peak resident memory (ru_maxrss) is
    its own.
``bass``
    The ``bass`` rule on a Watts-Strogatz network (k = 8, rewiring 0.1) at 10k and 100k learners
    against a per-agent Mesa implementation of the same rule (``benchmarks/baselines/bass_mesa.py``)
    on the same network: the speed ratio, and a check that the mean adoption curves over several
    seeds agree within their standard errors.
``floor``
    The tick of the 100k model against the work no implementation of it can avoid: one sparse
    matrix-vector product over the same network plus as many passes over learner-length arrays
    (and over the belief matrix) as the tick makes, counted in ``PASSES`` below.
``agents``
    Looking at the learners as Mesa agents (``model.agents``) in the 1M model: the time and memory
    it takes to make them all, and the week's cost once turnover keeps them current, against the
    same weeks of a model whose agents nobody looked at.
``cli``
    ``python -m ecosim run scenarios/retail.yaml`` end to end and ``python -c "import ecosim"``,
    each a whole process timed from outside, several runs, median.

    python benchmarks/run.py                    # everything
    python benchmarks/run.py --quick            # fewer sizes, seeds and repeats
    python benchmarks/run.py --only model cli   # some sections

Figures depend on the machine and on what else it is doing: the script records the load average
before and after; quote medians from a quiet machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SECTIONS = ("model", "bass", "floor", "agents", "cli")

#: The retail scenario's head office, kept at every size (the generator ties head office densely).
HEAD_OFFICE = 30
WEEKS = 52
BASS_WEEKS = 25


def scaled_retail(learners: int) -> dict[str, object]:
    """Overrides that scale scenarios/retail.yaml to about ``learners`` people.

    Stores of 15 staff (organisation.staff_per_store); regions grow with the square root of the
    stores (4 regions for the scenario's 40 stores), because the retail generator ties every area
    manager to every other: with a region per 10 stores, a million learners would have 6,667 area
    managers and 22 million ties among them, four fifths of the network.
    """
    stores = max(1, round((learners - HEAD_OFFICE) / 15))
    regions = max(1, round(4 * math.sqrt(stores / 40)))
    return {
        "organisation.stores": stores,
        "organisation.regions": regions,
        "organisation.head_office": HEAD_OFFICE,
        "weeks": WEEKS,
    }


def bass_overrides(learners: int) -> dict[str, object]:
    return {
        "network.kind": "watts_strogatz",
        "network.learners": learners,
        "network.neighbours": 8,
        "network.rewiring": 0.1,
        "engagement.bass.steps_per_week": 1,
        "weeks": BASS_WEEKS,
    }


# ------------------------------------------------------------------------------------------------
# The passes over learner-length arrays that one week of the retail model makes (ecosystem rule),
# read off the code: each entry is an operation over a whole state-sized array (a learner-length
# vector, or the n x m belief matrix for "cells"). Work on subsets (the visitors, the posters, the
# beliefs drawn to be forgotten or learnt) is not counted: it is what the tick does beyond the floor.
# ------------------------------------------------------------------------------------------------
def passes(topics: int) -> dict[str, dict[str, int]]:
    return {
        "turnover": {"n": 2},  # tenure += 1; the leavers' mask for dropping their brokered ties
        "facilitation": {"n": 4 + 7},  # pull, reply_pull decay; engagement > 0 and flatnonzero for
        # brokering; rebuilding the brokered-tie matrix (its row
        # pointers) and the degrees and divisors after new ties
        "engagement": {
            "n": 2
            + 1
            + 2
            + 1  # was_active (compare, cast); shares: divide, the brokered
            # ties' product (its output, the add); mass: mean
            + (2 * topics - 1)
            + 1
            + 3  # relevance topic by topic, clip at 0; power, add, divide
            + 14  # visit log-odds: 6 terms added, 2 costs multiplied and subtracted, role test
            + 6  # uniform draw, logistic (negate, exp, add, reciprocal), compare
            + 1
            + 1  # flatnonzero(visit); the post mask
            + 1
            + 6  # engagement from the masks; two habits (subtract, scale, add)
            + 2
        },  # ever_active |= engagement > 0
        "learning": {"n": 6},  # posters' mask and its flatnonzero; visitors' and authors' masks and
        # their flatnonzero
        "content": {"n": 1},  # recent_posts decay
        "metrics": {"n": 9, "cells": 2},  # counts of active and contributors, posters, ever active,
        # means; per-dimension knowledge (compare and count)
    }


# ------------------------------------------------------------------------------------------------
# Children: each measurement runs in a fresh interpreter
# ------------------------------------------------------------------------------------------------


def child_model(args: argparse.Namespace) -> dict:
    started = time.perf_counter()
    from ecosim.experiment.model import EcosystemModel
    from ecosim.scenario.loader import load_scenario

    imported = time.perf_counter()
    scenario = load_scenario(ROOT / "scenarios" / "retail.yaml", scaled_retail(args.learners), seed=args.seed)
    t0 = time.perf_counter()
    model = EcosystemModel(scenario)
    t1 = time.perf_counter()
    ticks = []
    while model.running:
        a = time.perf_counter()
        model.step()
        ticks.append(time.perf_counter() - a)
    t2 = time.perf_counter()
    summary = model.summary()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # what the tick spends in Mesa's DataCollector, measured on the finished model (its rows are not used after)
    reps = 200
    t3 = time.perf_counter()
    for _ in range(reps):
        model.datacollector.collect(model)
    collect = (time.perf_counter() - t3) / reps
    return {
        "learners": model.state.n,
        "ties": model.ties.n_ties,
        "import_s": imported - started,
        "setup_s": t1 - t0,
        "run_s": t2 - t1,
        "tick_ms_median": 1000 * statistics.median(ticks),
        "tick_ms_mean": 1000 * statistics.fmean(ticks),
        "collect_ms": 1000 * collect,
        "peak_bytes": rss,
        "final_active_share": summary["final_active_share"],
        "verdict": summary["verdict"],
    }


def child_ecosim_bass(args: argparse.Namespace) -> dict:
    from ecosim.experiment.model import EcosystemModel
    from ecosim.scenario.loader import load_scenario

    scenario = load_scenario(
        ROOT / "scenarios" / "validation" / "bass.yaml", bass_overrides(args.learners), seed=args.seed
    )
    t0 = time.perf_counter()
    model = EcosystemModel(scenario)
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    curve = model.timeseries_columns()["active_share"].tolist()
    return {"learners": model.state.n, "setup_s": t1 - t0, "run_s": t2 - t1, "curve": curve}


def child_mesa_bass(args: argparse.Namespace) -> dict:
    import networkx as nx

    from ecosim.experiment.model import EcosystemModel
    from ecosim.scenario.loader import load_scenario

    sys.path.insert(0, str(ROOT / "benchmarks" / "baselines"))
    from bass_mesa import BassModel

    # the very network ecosim's run with this seed has, so the comparison is of the rule alone
    scenario = load_scenario(
        ROOT / "scenarios" / "validation" / "bass.yaml", bass_overrides(args.learners), seed=args.seed
    )
    i, j = EcosystemModel(scenario).ties.base_edges()
    graph = nx.Graph()
    graph.add_nodes_from(range(args.learners))
    graph.add_edges_from(zip(i.tolist(), j.tolist(), strict=True))
    b = scenario.engagement.bass
    t0 = time.perf_counter()
    model = BassModel(graph, p=b.p, q=b.q, rng=args.seed)
    t1 = time.perf_counter()
    for _ in range(BASS_WEEKS):
        model.step()
    t2 = time.perf_counter()
    return {"learners": args.learners, "setup_s": t1 - t0, "run_s": t2 - t1, "curve": model.adopted_share}


def child_floor(args: argparse.Namespace) -> dict:
    import numpy as np

    from ecosim.experiment.model import EcosystemModel
    from ecosim.scenario.loader import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "retail.yaml", scaled_retail(args.learners), seed=args.seed)
    model = EcosystemModel(scenario)
    n, m = model.state.beliefs.shape
    counts = passes(scenario.goals.topics)
    p_n = sum(c.get("n", 0) for c in counts.values())
    p_cells = sum(c.get("cells", 0) for c in counts.values())
    rng = np.random.default_rng(0)
    x = (rng.random(n) < 0.3).astype(np.float32)
    # as many distinct learner-length arrays as the state holds (a goal column counts as one), so
    # that the passes run through as much memory as the tick's do, not over three cached arrays
    s = model.state
    vectors = sum(1 for v in vars(s).values() if isinstance(v, np.ndarray) and v.ndim == 1)
    pool = [rng.random(n, dtype=np.float32) for _ in range(vectors + scenario.goals.topics)]
    cells = np.asfortranarray(rng.integers(-1, 2, (n, m), dtype=np.int8))
    cells_out = np.empty_like(cells)
    base = model.ties.base
    k = len(pool)

    def passes_n(count: int) -> None:
        for i in range(count):
            np.multiply(pool[i % k], pool[(i + 1) % k], out=pool[(i + 2) % k])

    def week() -> None:
        base @ x
        passes_n(p_n)
        for _ in range(p_cells):
            np.negative(cells, out=cells_out)

    def timed(f, reps: int) -> float:
        f()
        best = []
        for _ in range(reps):
            t = time.perf_counter()
            f()
            best.append(time.perf_counter() - t)
        return statistics.median(best)

    reps = 30
    spmv = timed(lambda: base @ x, reps)
    one_n = timed(lambda: passes_n(p_n), reps) / p_n
    one_cells = timed(lambda: np.negative(cells, out=cells_out), reps)
    floor = timed(week, reps)
    # the tick, on the same model: the 52 weeks after set-up
    ticks = []
    while model.running:
        t = time.perf_counter()
        model.step()
        ticks.append(time.perf_counter() - t)
    return {
        "learners": n,
        "nnz": int(base.nnz),
        "arrays": k,
        "passes_n": p_n,
        "passes_cells": p_cells,
        "passes": counts,
        "spmv_ms": 1000 * spmv,
        "pass_n_ms": 1000 * one_n,
        "pass_cells_ms": 1000 * one_cells,
        "floor_ms": 1000 * floor,
        "tick_ms_mean": 1000 * statistics.fmean(ticks),
        "tick_ms_median": 1000 * statistics.median(ticks),
    }


def resident_bytes() -> int:
    """The process's resident memory now (Linux), in bytes."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def child_agents(args: argparse.Namespace) -> dict:
    from ecosim.experiment.model import EcosystemModel
    from ecosim.scenario.loader import load_scenario

    weeks = 8
    scenario = load_scenario(ROOT / "scenarios" / "retail.yaml", scaled_retail(args.learners), seed=args.seed)

    def ticks(model: EcosystemModel) -> list[float]:
        out = []
        for _ in range(weeks):
            t = time.perf_counter()
            model.step()
            out.append(time.perf_counter() - t)
        return out

    model = EcosystemModel(scenario)
    gc.collect()
    before = resident_bytes()
    t0 = time.perf_counter()
    agents = len(model.agents)
    look = time.perf_counter() - t0
    grown = resident_bytes() - before
    looked = ticks(model)
    leavers = int(sum(model.timeseries_columns()["leavers"]))
    learners = model.state.n
    del model
    gc.collect()
    plain = ticks(EcosystemModel(scenario))
    return {
        "learners": learners,
        "agents": agents,
        "look_s": look,
        "agents_mb": grown / 2**20,
        "weeks": weeks,
        "leavers": leavers,
        "tick_ms_without": 1000 * statistics.median(plain),
        "tick_ms_with": 1000 * statistics.median(looked),
    }


CHILDREN = {
    "model": child_model,
    "ecosim_bass": child_ecosim_bass,
    "mesa_bass": child_mesa_bass,
    "floor": child_floor,
    "agents": child_agents,
}


def spawn(kind: str, learners: int, seed: int, timeout: float = 1800) -> dict:
    cmd = [PY, str(Path(__file__).resolve()), "--child", kind, "--learners", str(learners), "--seed", str(seed)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------
# Sections
# ------------------------------------------------------------------------------------------------


def section_model(quick: bool) -> dict:
    sizes = (1_000, 10_000, 100_000, 1_000_000)
    repeats = {1_000: 3, 10_000: 3, 100_000: 3, 1_000_000: 1 if quick else 3}
    rows = []
    for size in sizes:
        runs = [spawn("model", size, seed) for seed in range(1, repeats[size] + 1)]
        wall = [r["setup_s"] + r["run_s"] for r in runs]
        med = statistics.median(wall)
        r0 = runs[0]
        row = {
            "target": size,
            "learners": r0["learners"],
            "ties": r0["ties"],
            "weeks": WEEKS,
            "runs": len(runs),
            "setup_s": statistics.median(r["setup_s"] for r in runs),
            "run_s": statistics.median(r["run_s"] for r in runs),
            "wall_s": med,
            "wall_s_range": [min(wall), max(wall)],
            "learner_weeks_per_s": r0["learners"] * WEEKS / med,
            "tick_ms": statistics.median(r["tick_ms_mean"] for r in runs),
            "collect_share": statistics.median(r["collect_ms"] / r["tick_ms_median"] for r in runs),
            "peak_mb": max(r["peak_bytes"] for r in runs) / 2**20,
            "verdicts": sorted({r["verdict"] for r in runs}),
        }
        rows.append(row)
        print(
            f"  {row['learners']:>9,} learners  set-up {row['setup_s']:6.2f} s  52 weeks {row['run_s']:6.2f} s  "
            f"wall {med:6.2f} s  {row['learner_weeks_per_s'] / 1e6:6.2f} M learner-weeks/s  "
            f"peak {row['peak_mb']:7.0f} MB  data collector {100 * row['collect_share']:.1f}% of a tick",
            flush=True,
        )
    return {"rows": rows, "targets": {"1M_wall_s": 60, "1M_peak_mb": 6000, "100k_wall_s": 6}}


def section_bass(quick: bool) -> dict:
    import numpy as np

    plan = {10_000: (5, 5) if quick else (10, 10), 100_000: (3, 1) if quick else (3, 3)}  # seeds: ecosim, Mesa
    rows = []
    for size, (n_eco, n_mesa) in plan.items():
        eco = [spawn("ecosim_bass", size, seed) for seed in range(1, n_eco + 1)]
        mesa = [spawn("mesa_bass", size, seed) for seed in range(1, n_mesa + 1)]
        e_run = statistics.median(r["run_s"] / BASS_WEEKS for r in eco)
        m_run = statistics.median(r["run_s"] / BASS_WEEKS for r in mesa)
        e_all = statistics.median(r["setup_s"] + r["run_s"] for r in eco)
        m_all = statistics.median(r["setup_s"] + r["run_s"] for r in mesa)
        ce = np.array([r["curve"] for r in eco])
        cm = np.array([r["curve"] for r in mesa])
        row = {
            "learners": size,
            "weeks": BASS_WEEKS,
            "seeds_ecosim": n_eco,
            "seeds_mesa": n_mesa,
            "ecosim_week_ms": 1000 * e_run,
            "mesa_week_ms": 1000 * m_run,
            "speedup_per_week": m_run / e_run,
            "ecosim_total_s": e_all,
            "mesa_total_s": m_all,
            "speedup_total": m_all / e_all,
            "mean_curve_ecosim": ce.mean(0).tolist(),
            "mean_curve_mesa": cm.mean(0).tolist(),
        }
        if n_eco >= 2 and n_mesa >= 2:
            se = np.sqrt(ce.var(0, ddof=1) / n_eco + cm.var(0, ddof=1) / n_mesa)
            diff = ce.mean(0) - cm.mean(0)
            z = np.abs(diff) / np.maximum(se, 1e-12)
            # the same curve within sampling error: every week within the Bonferroni bound (1%)
            from statistics import NormalDist

            bound = NormalDist().inv_cdf(1 - 0.01 / (2 * BASS_WEEKS))
            row.update(
                max_abs_diff=float(np.abs(diff).max()),
                max_z=float(z.max()),
                z_bound=bound,
                same_curve=bool(z.max() <= bound),
            )
        rows.append(row)
        same = row.get("same_curve")
        print(
            f"  {size:>9,} learners  ecosim {row['ecosim_week_ms']:8.2f} ms/week"
            f"  Mesa {row['mesa_week_ms']:8.1f} ms/week"
            f"  x{row['speedup_per_week']:6.0f} per week, x{row['speedup_total']:5.0f} with set-up"
            + (
                f"  curves agree: {same} (max |z| {row['max_z']:.2f} <= {row['z_bound']:.2f},"
                f" max diff {row['max_abs_diff']:.4f})"
                if same is not None
                else "  (one Mesa seed: speed only)"
            ),
            flush=True,
        )
    return {"rows": rows, "targets": {"100k_speedup": 100}}


def section_floor(quick: bool) -> dict:
    r = spawn("floor", 100_000, 1)
    r["ratio_mean"] = r["tick_ms_mean"] / r["floor_ms"]
    r["ratio_median"] = r["tick_ms_median"] / r["floor_ms"]
    print(
        f"  {r['learners']:,} learners, {r['nnz']:,} stored ties: SpMV {r['spmv_ms']:.2f} ms + "
        f"{r['passes_n']} learner passes (over {r['arrays']} arrays) x {r['pass_n_ms'] * 1000:.0f} us + "
        f"{r['passes_cells']} belief passes x "
        f"{r['pass_cells_ms'] * 1000:.0f} us = floor {r['floor_ms']:.2f} ms; tick {r['tick_ms_mean']:.2f} ms mean "
        f"({r['tick_ms_median']:.2f} median): {r['ratio_mean']:.2f}x the floor",
        flush=True,
    )
    r["targets"] = {"ratio": 4}
    return r


def section_agents(quick: bool) -> dict:
    r = spawn("agents", 1_000_000, 1)
    r["replace_ms_per_week"] = r["tick_ms_with"] - r["tick_ms_without"]
    print(
        f"  {r['learners']:,} learners: looking at {r['agents']:,} agents takes {r['look_s']:.2f} s and "
        f"{r['agents_mb']:.0f} MB; then a week takes {r['tick_ms_with']:.0f} ms against {r['tick_ms_without']:.0f} ms "
        f"unlooked (median of {r['weeks']} weeks, {r['leavers']:,} learners replaced)",
        flush=True,
    )
    return r


def whole_process(cmd: list[str], runs: int) -> dict:
    walls, cpus = [], []
    for k in range(runs + 1):  # the first run warms the file cache and is not counted
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
        if k:
            walls.append(wall)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {
        "command": " ".join(cmd),
        "runs": runs,
        "wall_s_median": statistics.median(walls),
        "wall_s_min": min(walls),
        "wall_s_max": max(walls),
        "cpu_s_median": statistics.median(cpus),
    }


def section_cli(quick: bool) -> dict:
    runs = 5 if quick else 11
    out = Path(tempfile.mkdtemp(prefix="ecosim-bench-"))
    run = whole_process(
        [PY, "-m", "ecosim", "run", "scenarios/retail.yaml", "--out", str(out), "--force", "--quiet"], runs
    )
    imp = whole_process([PY, "-c", "import ecosim"], runs)
    mesa = whole_process([PY, "-c", "import mesa"], runs)
    for name, r in (("run scenarios/retail.yaml", run), ("import ecosim", imp), ("import mesa (for scale)", mesa)):
        print(
            f"  {name:<28} median {r['wall_s_median']:.3f} s wall (min {r['wall_s_min']:.3f}, max "
            f"{r['wall_s_max']:.3f}), {r['cpu_s_median']:.3f} s CPU, {r['runs']} runs",
            flush=True,
        )
    return {"run": run, "import_ecosim": imp, "import_mesa": mesa, "targets": {"run_s": 2.0, "import_s": 0.5}}


def machine() -> dict:
    info = {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    from importlib import metadata

    for pkg in ("ecosim", "mesa", "numpy", "scipy", "pandas"):
        try:
            info[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds and repeats")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--learners", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child](args)))
        return 0
    results: dict = {"machine": machine(), "quick": args.quick, "load_before": os.getloadavg()}
    print(
        f"ecosim benchmarks on {results['machine'].get('cpu', '?')}, {results['machine']['nproc']} cores; "
        f"load average {results['load_before'][0]:.2f}",
        flush=True,
    )
    for name in args.only or SECTIONS:
        print(f"\n[{name}]", flush=True)
        t = time.perf_counter()
        results[name] = globals()[f"section_{name}"](args.quick)
        results[name]["section_s"] = time.perf_counter() - t
    results["load_after"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1))
    tmp.replace(args.out)
    print(f"\nload average after: {results['load_after'][0]:.2f}; results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
