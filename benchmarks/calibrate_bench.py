"""Benchmarks of ``ecosim calibrate``: parameter recovery, executor agreement, speed and where the time goes.

    python benchmarks/calibrate_bench.py recovery --params 2 --weeks 8 --cases 20 --particles 100 --generations 5
    python benchmarks/calibrate_bench.py speed              # simulations per second, truncated vs full horizon
    python benchmarks/calibrate_bench.py profile            # where the time of one calibration goes
    python benchmarks/calibrate_bench.py executors          # sequential vs processes: same posterior?
    python benchmarks/calibrate_bench.py retail3            # 3 parameters of retail.yaml, 12 weeks, 2 workers
    python benchmarks/calibrate_bench.py example            # rewrite scenarios/observed/retail_launch_synthetic.csv

Each prints its figures and appends them as JSON lines to ``--log`` (default
benchmarks/calibrate_results.jsonl). The recovery study runs its cases in ``--jobs`` processes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecosim.calibrate.simulator import run_series, set_params  # noqa: E402
from ecosim.scenario.loader import load_scenario, scenario_to_dict  # noqa: E402

SCENARIO = ROOT / "scenarios" / "retail.yaml"
#: The fitted parameters, their priors and the box the true values are drawn from.
PARAMS = {
    "goals.mean_alignment": {"low": 0.0, "high": 1.0, "truth": (0.3, 0.85)},
    "platform.friction": {"low": 0.1, "high": 4.0, "truth": (0.4, 2.5)},
    "platform.novelty": {"low": 0.0, "high": 8.0, "truth": (1.0, 6.0)},
}


def synthetic_csv(truth: dict[str, float], weeks: int, seed: int, path: Path) -> int:
    """Simulate the retail scenario with ``truth`` and write its first ``weeks`` as an analytics export."""
    data = set_params(scenario_to_dict(load_scenario(SCENARIO)), {"weeks": weeks})
    out = run_series(data, truth, seed)
    s, n = out["series"], out["learners"]
    frame = pd.DataFrame(
        {
            "week": s["week"],
            "active_users": np.round(s["active_share"] * n).astype(int),
            "posters": np.round(s["contributor_share"] * n).astype(int),
            "posts": np.round(s["posts_per_head"] * n).astype(int),
            "headcount": n,
        }
    )
    frame.to_csv(path, index=False)
    return n


def one_case(job: dict) -> dict:
    """Calibrate one recovery case and report whether each true value is in its 50% and 90% intervals."""
    from ecosim.calibrate import calibrate

    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "obs.csv"
        synthetic_csv(job["truth"], job["weeks"], job["data_seed"], csv)
        t0 = time.perf_counter()
        fit = {k: {"low": PARAMS[k]["low"], "high": PARAMS[k]["high"]} for k in job["truth"]}
        res = calibrate(
            SCENARIO,
            csv,
            fit,
            seed=job["seed"],
            particles=job["particles"],
            generations=job.get("generations"),
            budget=job.get("budget"),
            draws=0,
        )
        seconds = time.perf_counter() - t0
    row = {"case": job["case"], "seconds": seconds, "simulations": res.timings["simulations"]}
    for k, v in job["truth"].items():
        q = res.summary["parameters"][k]
        row[f"{k}:truth"] = v
        row[f"{k}:median"] = q["median"]
        row[f"{k}:in90"] = q["interval_90"][0] <= v <= q["interval_90"][1]
        row[f"{k}:in50"] = q["interval_50"][0] <= v <= q["interval_50"][1]
        row[f"{k}:width90"] = (q["interval_90"][1] - q["interval_90"][0]) / (PARAMS[k]["high"] - PARAMS[k]["low"])
    if len(job["truth"]) > 1:
        names = list(job["truth"])
        corr = res.correlation
        row["corr"] = {f"{a}~{b}": float(corr.at[a, b]) for i, a in enumerate(names) for b in names[i + 1 :]}
    return row


def recovery(args: argparse.Namespace) -> dict:
    """The recovery study: ``cases`` true values drawn over the parameter box, each calibrated."""
    names = list(PARAMS)[: args.params]
    rng = np.random.default_rng(args.seed)
    jobs = []
    for case in range(args.cases):
        truth = {k: float(rng.uniform(*PARAMS[k]["truth"])) for k in names}
        jobs.append(
            {
                "case": case,
                "truth": truth,
                "weeks": args.weeks,
                "data_seed": int(rng.integers(1, 2**31)),
                "seed": int(rng.integers(1, 2**31)),
                "particles": args.particles,
                "generations": args.generations,
                "budget": args.budget,
            }
        )
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = []
        for row in pool.map(one_case, jobs):
            rows.append(row)
            print(json.dumps(row, default=float), flush=True)
    wall = time.perf_counter() - t0
    cov90 = {k: float(np.mean([r[f"{k}:in90"] for r in rows])) for k in names}
    cov50 = {k: float(np.mean([r[f"{k}:in50"] for r in rows])) for k in names}
    all90 = float(np.mean([all(r[f"{k}:in90"] for k in names) for r in rows]))
    pooled = float(np.mean([r[f"{k}:in90"] for r in rows for k in names]))
    out = {
        "benchmark": "recovery",
        "params": names,
        "weeks": args.weeks,
        "cases": len(rows),
        "particles": args.particles,
        "generations": args.generations,
        "budget": args.budget,
        "coverage90": cov90,
        "coverage90_pooled": pooled,
        "coverage90_all_params": all90,
        "coverage50": cov50,
        "width90": {k: float(np.mean([r[f"{k}:width90"] for r in rows])) for k in names},
        "mean_seconds_per_case": float(np.mean([r["seconds"] for r in rows])),
        "mean_simulations_per_case": float(np.mean([r["simulations"] for r in rows])),
        "wall_seconds": wall,
        "jobs": args.jobs,
    }
    if len(names) > 1:
        keys = rows[0]["corr"].keys()
        out["mean_correlation"] = {k: float(np.mean([r["corr"][k] for r in rows])) for k in keys}
    return out


def speed(args: argparse.Namespace) -> dict:
    """Simulations per second of one core: the inference run (cut at the last observed week) against the horizon."""
    data = scenario_to_dict(load_scenario(SCENARIO))
    out = {"benchmark": "speed"}
    for weeks in (8, 12, 16, 52):
        d = set_params(data, {"weeks": weeks})
        run_series(d, {}, 0)
        t0 = time.perf_counter()
        for i in range(args.repeats):
            run_series(d, {"goals.mean_alignment": 0.3 + 0.05 * (i % 10)}, i)
        sec = (time.perf_counter() - t0) / args.repeats
        out[f"weeks_{weeks}_ms"] = 1000 * sec
        out[f"weeks_{weeks}_per_second"] = 1 / sec
        print(f"{weeks:>3} weeks: {1000 * sec:7.1f} ms per simulation, {1 / sec:6.1f} per second per core", flush=True)
    out["gain_12_vs_52"] = out["weeks_52_ms"] / out["weeks_12_ms"]
    return out


def profile(args: argparse.Namespace) -> dict:
    """Where the time of one small calibration goes: simulation, pyabc's own work, forecasts."""
    import cProfile
    import pstats

    from ecosim.calibrate import calibrate

    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "obs.csv"
        synthetic_csv({"goals.mean_alignment": 0.6, "platform.friction": 1.2}, 12, 5, csv)
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        res = calibrate(
            SCENARIO, csv, ["goals.mean_alignment", "platform.friction"], particles=50, generations=3, draws=20
        )
        prof.disable()
        total = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    by = {}
    for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        by[(file, func)] = ct

    def cum(fn: str, file_part: str) -> float:
        return max((v for (f, n), v in by.items() if n == fn and file_part in f), default=0.0)

    sim = cum("run_series", "calibrate/simulator.py")
    model_run = cum("run", "core/model.py")
    model_init = cum("__init__", "core/model.py")
    validate = cum("model_validate", "pydantic")
    out = {
        "benchmark": "profile",
        "total_seconds": total,
        "inference_seconds": res.timings["inference_seconds"],
        "forecast_seconds": res.timings["forecast_seconds"],
        "simulations": res.timings["simulations"],
        "in_simulations_seconds": sim,
        "model_steps_seconds": model_run,
        "model_build_seconds": model_init,
        "scenario_validation_seconds": validate,
    }
    out["pyabc_and_other_seconds"] = total - sim
    for k, v in out.items():
        print(f"{k:<32} {v}" if not isinstance(v, float) else f"{k:<32} {v:.2f}")
    return out


def executors(args: argparse.Namespace) -> dict:
    """Sequential and processes (and Dask, with --dask) on the same calibration and seed."""
    from ecosim.calibrate import calibrate

    out = {"benchmark": "executors"}
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "obs.csv"
        synthetic_csv({"goals.mean_alignment": 0.6, "platform.friction": 1.2}, 8, 3, csv)
        posts = {}
        kinds = ["sequential", "processes"] + (["dask"] if args.dask else [])
        for kind in kinds:
            t0 = time.perf_counter()
            res = calibrate(
                SCENARIO,
                csv,
                ["goals.mean_alignment", "platform.friction"],
                particles=args.particles,
                generations=args.generations,
                executor=kind,
                workers=2,
                draws=20,
                seed=11,
            )
            out[f"{kind}_seconds"] = time.perf_counter() - t0
            posts[kind] = res
            print(f"{kind}: {out[f'{kind}_seconds']:.1f} s", flush=True)
        base = posts["sequential"]
        for kind in kinds[1:]:
            same = base.posterior.equals(posts[kind].posterior) and base.forecast.equals(posts[kind].forecast)
            out[f"{kind}_identical_to_sequential"] = bool(same)
            print(f"{kind} identical to sequential: {same}")
    return out


def retail3(args: argparse.Namespace) -> dict:
    """The performance target: 3 parameters of retail.yaml, 12 observed weeks, 2 workers; time and recovery."""
    from ecosim.calibrate import calibrate

    truth = EXAMPLE_TRUTH
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "obs.csv"
        synthetic_csv(truth, EXAMPLE_WEEKS, EXAMPLE_SEED, csv)
        t0 = time.perf_counter()
        res = calibrate(
            SCENARIO,
            csv,
            {k: {"low": PARAMS[k]["low"], "high": PARAMS[k]["high"]} for k in truth},
            particles=args.particles,
            generations=args.generations,
            executor="processes",
            workers=2,
            draws=100,
            progress=lambda g: print(g, flush=True),
        )
        total = time.perf_counter() - t0
    out = {"benchmark": "retail3", "total_seconds": total, **res.timings, "particles": args.particles}
    out["simulations_per_second"] = res.timings["simulations"] / res.timings["inference_seconds"]
    out["simulations_per_second_per_core"] = out["simulations_per_second"] / 2
    for k, v in truth.items():
        q = res.summary["parameters"][k]
        out[f"{k}:truth"] = v
        out[f"{k}:interval_90"] = q["interval_90"]
        out[f"{k}:in90"] = q["interval_90"][0] <= v <= q["interval_90"][1]
    print(json.dumps(out, indent=1, default=float))
    return out


#: The parameters that made the shipped synthetic example (scenarios/observed/retail_launch_synthetic.csv).
EXAMPLE_TRUTH = {"goals.mean_alignment": 0.62, "platform.friction": 1.3, "platform.novelty": 3.5}
EXAMPLE_SEED = 2024
EXAMPLE_WEEKS = 12


def example(args: argparse.Namespace) -> dict:
    """Write the shipped synthetic example: 12 weeks of retail.yaml with EXAMPLE_TRUTH; week 7 left out (an outage)."""
    path = ROOT / "scenarios" / "observed" / "retail_launch_synthetic.csv"
    synthetic_csv(EXAMPLE_TRUTH, EXAMPLE_WEEKS, EXAMPLE_SEED, path)
    frame = pd.read_csv(path)
    frame = frame[frame["week"] != 7]
    frame.to_csv(path, index=False)
    print(frame.to_string(index=False))
    return {"benchmark": "example", "truth": EXAMPLE_TRUTH, "seed": EXAMPLE_SEED, "weeks": EXAMPLE_WEEKS}


def main() -> None:
    """Run one benchmark and log its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=("recovery", "speed", "profile", "executors", "retail3", "example"))
    parser.add_argument("--params", type=int, default=2, choices=(2, 3))
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--particles", type=int, default=100)
    parser.add_argument("--generations", type=int, default=None)
    parser.add_argument("--budget", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--dask", action="store_true")
    parser.add_argument("--log", default=str(ROOT / "benchmarks" / "calibrate_results.jsonl"))
    args = parser.parse_args()
    if args.generations is None and args.budget is None:
        args.generations = 5
    t0 = time.perf_counter()
    result = globals()[args.which](args)
    result["wall_seconds_total"] = time.perf_counter() - t0
    result["load_average_after"] = os.getloadavg()
    result["cpus"] = os.cpu_count()
    result["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(json.dumps(result, default=float))
    with open(args.log, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(result, default=float) + "\n")


if __name__ == "__main__":
    main()
