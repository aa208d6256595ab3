"""Fit the engagement weights no study measures to every pattern at once (ABC-SMC), and ship their posterior.

A developer's tool, not part of the installed package: it writes the posterior of the weights
(``ecosim/scenarios/weights/posterior.json``, which ``--weights posterior`` draws from, with the
fit's record: seeds, search history, losses on the fit's and on fresh seeds); docs/model.md section 8
says what it does and what it found.

Method: approximate Bayesian computation by sequential Monte Carlo (Toni et al. 2009, J. R. Soc.
Interface 6:187; the importance weights of Beaumont et al. 2009, Biometrika 96:983). Uniform priors
over the ranges below; the distance is the root mean squared miss of :mod:`ecosim.validation.targets`
(every pattern in every scenario of its regime, Centola's experiment, the scenarios' stories, the
network's effect), measured on the same seeds for every particle (common random numbers); each
generation's tolerance is the median distance of the last; the perturbation kernel is a Gaussian
with twice the last population's weighted covariance. At the end the particles of the last
generation are re-measured on more seeds, the best of them becomes the shipped defaults, and its
loss is measured again on seeds the fit never saw.

    python tools/fit_defaults.py --particles 160 --generations 4 --seeds 3 --check-seeds 8 --fresh-seeds 20
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: The weights fitted and their prior ranges (uniform).
PRIOR = {
    "engagement.ecosystem.intercept": (-6.0, -1.0),
    "engagement.ecosystem.usefulness": (1.5, 8.0),  # UTAUT: usefulness leads (see docs/model.md 8)
    "engagement.ecosystem.habit": (0.5, 5.0),
    "engagement.ecosystem.critical_mass": (0.0, 3.0),
    "engagement.ecosystem.exposure": (0.0, 6.0),
    "engagement.ecosystem.exposure_half_contacts": (0.5, 4.0),
    "engagement.ecosystem.exposure_shape": (1.0, 4.0),
    "engagement.ecosystem.exposure_memory_weeks": (0.5, 6.0),
    "engagement.ecosystem.post_exposure": (0.0, 3.0),
    "engagement.ecosystem.post_intercept": (-8.0, -1.0),
    "engagement.ecosystem.post_habit": (0.0, 5.0),
    "engagement.ecosystem.post_propensity_sd": (0.5, 8.0),
    "engagement.ecosystem.posting_volume_spread": (0.3, 3.0),
    "engagement.ecosystem.volume_leaning_correlation": (0.0, 1.0),
    "engagement.ecosystem.reply_by_contact": (0.0, 0.6),
    "engagement.ecosystem.reply_by_anyone": (0.0, 0.05),
    "facilitation.reply_boost": (0.0, 3.0),
    "facilitation.reply_share": (0.02, 1.0),
}
NAMES = list(PRIOR)
LOW = np.array([PRIOR[k][0] for k in NAMES])
HIGH = np.array([PRIOR[k][1] for k in NAMES])
#: Seeds of the Centola experiment per network, for each particle (its networks are small).
CENTOLA_SEEDS = 12

_BASES: dict[str, object] = {}


def _base(name: str):
    from ecosim.scenario.loader import load_scenario
    from ecosim.validation.patterns import scenario_path

    if name not in _BASES:
        _BASES[name] = load_scenario(scenario_path(name))
    return _BASES[name]


def evaluate(thetas: np.ndarray, seeds: list[int]) -> list[dict]:
    """Every row of the targets for each particle (one big batched run for them all)."""
    from ecosim.scenario.resolve import resolve_scenario
    from ecosim.validation import patterns as pat
    from ecosim.validation import targets
    from ecosim.validation.observe import observe

    scenarios, where = [], []
    for i, theta in enumerate(thetas):
        over = dict(zip(NAMES, map(float, theta)))
        for name in targets.FIT_SCENARIOS:
            for s in seeds:
                scenarios.append(resolve_scenario(_base(name), s, over))
                where.append((i, name))
        for s in seeds:
            scenarios.append(resolve_scenario(_base("retail"), s, {**over, **pat.NO_TIES}))
            where.append((i, targets.NO_TIES_ARM))
        for rewiring in (0.0, 1.0):
            for s in range(1, CENTOLA_SEEDS + 1):
                scenarios.append(resolve_scenario(_base("retail"), s, {**over, **pat.centola_overrides(rewiring)}))
                where.append((i, f"centola{rewiring:g}"))
    observed = observe(scenarios)
    per: list[dict[str, list]] = [{} for _ in thetas]
    for (i, name), o in zip(where, observed):
        per[i].setdefault(name, []).append(o)
    out = []
    for i in range(len(thetas)):
        obs = per[i]
        centola = (
            np.array([o.summary["ever_active_share"] for o in obs.pop("centola0")]),
            np.array([o.summary["ever_active_share"] for o in obs.pop("centola1")]),
        )
        table = targets.rows(obs, centola)
        out.append({"loss": targets.loss(table), "rows": table})
    return out


def evaluate_parallel(thetas: np.ndarray, seeds: list[int], workers: int) -> list[dict]:
    """:func:`evaluate` in ``workers`` processes, each with a share of the particles."""
    if workers <= 1 or len(thetas) < 2:
        return evaluate(thetas, seeds)
    parts = np.array_split(np.arange(len(thetas)), min(workers * 2, len(thetas)))
    with ProcessPoolExecutor(workers) as pool:
        done = list(pool.map(evaluate, [thetas[p] for p in parts], [seeds] * len(parts)))
    return [r for part in done for r in part]


def prior_sample(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` particles from the uniform prior."""
    return LOW + (HIGH - LOW) * rng.random((n, len(NAMES)))


def propose(theta: np.ndarray, weights: np.ndarray, kernel, batch: int, rng: np.random.Generator) -> np.ndarray:
    """``batch`` perturbed particles inside the prior's box (the others are drawn again)."""
    out: list[np.ndarray] = []
    count = 0
    while count < batch:
        picks = rng.choice(len(theta), size=4 * batch, p=weights)
        cand = theta[picks] + kernel.rvs(size=4 * batch, random_state=rng).reshape(4 * batch, -1)
        cand = cand[np.all((cand >= LOW) & (cand <= HIGH), axis=1)]
        out.append(cand)
        count += len(cand)
    return np.concatenate(out)[:batch]


def search(
    generations: int, popsize: int, seeds: list[int], workers: int, seed: int, log, x0: np.ndarray | None = None
) -> dict:
    """Stage 1: a global search for the best weights (SciPy's differential evolution, the population at once).

    Returns the best weights found and every point evaluated with its loss.
    """
    from scipy.optimize import differential_evolution

    visited: list[tuple[np.ndarray, float]] = []
    started = time.perf_counter()

    def objective(x: np.ndarray) -> np.ndarray:  # x: (dims, population), as vectorized=True passes it
        thetas = np.atleast_2d(x.T)
        res = evaluate_parallel(thetas, seeds, workers)
        losses = np.array([r["loss"] for r in res])
        visited.extend(zip(thetas, losses))
        return losses

    def report(intermediate_result) -> None:
        log(f"search: best loss {intermediate_result.fun:.3f} after {len(visited)} evaluations")

    out = differential_evolution(
        objective,
        bounds=list(zip(LOW, HIGH)),
        popsize=popsize,
        maxiter=generations,
        seed=seed,
        vectorized=True,
        updating="deferred",
        polish=False,
        tol=0,
        init="sobol",
        x0=None if x0 is None else np.clip(x0, LOW, HIGH),
        callback=report,
    )
    log(f"search done: loss {out.fun:.3f}, {len(visited)} evaluations, {time.perf_counter() - started:.0f} s")
    return {"best": out.x, "loss": float(out.fun), "visited": visited}


def smc(particles: int, generations: int, seeds: list[int], workers: int, rng: np.random.Generator, log) -> dict:
    """ABC-SMC: the last generation's particles, weights and distances, and each generation's record."""
    from scipy.stats import multivariate_normal

    theta = prior_sample(rng, particles)
    results = evaluate_parallel(theta, seeds, workers)
    dist = np.sqrt([r["loss"] for r in results])
    weights = np.full(particles, 1.0 / particles)
    history = [{"generation": 0, "epsilon": math.inf, "evaluations": particles, "median": float(np.median(dist))}]
    log(f"generation 0: {particles} from the prior, median distance {np.median(dist):.3f}, best {dist.min():.3f}")
    for g in range(1, generations + 1):
        eps = float(np.median(dist))
        cov = 2.0 * np.cov(theta.T, aweights=weights)
        kernel = multivariate_normal(mean=np.zeros(len(NAMES)), cov=cov, allow_singular=True)
        new_theta, new_dist, evaluations, accepted_results = [], [], 0, []
        rate = 0.5
        while len(new_theta) < particles:
            want = particles - len(new_theta)
            batch = int(min(4 * particles, max(workers * 4, want / max(rate, 0.05) * 1.2)))
            proposals = propose(theta, weights, kernel, batch, rng)
            res = evaluate_parallel(proposals, seeds, workers)
            evaluations += len(proposals)
            d = np.sqrt([r["loss"] for r in res])
            ok = d <= eps
            rate = max(ok.mean(), 0.02)
            for p, dd, r in zip(proposals[ok], d[ok], [r for r, k in zip(res, ok) if k]):
                if len(new_theta) < particles:
                    new_theta.append(p)
                    new_dist.append(dd)
                    accepted_results.append(r)
            log(f"  generation {g}: epsilon {eps:.3f}, {len(new_theta)} of {particles} accepted, {evaluations} runs")
        new_theta = np.array(new_theta)
        # importance weights: prior (uniform, constant inside) over the mixture of kernels
        dens = np.array([np.sum(weights * kernel.pdf(t - theta)) for t in new_theta])
        new_w = 1.0 / np.maximum(dens, 1e-300)
        new_w /= new_w.sum()
        theta, dist, weights, results = new_theta, np.array(new_dist), new_w, accepted_results
        ess = 1.0 / np.sum(weights**2)
        history.append({"generation": g, "epsilon": eps, "evaluations": evaluations, "ess": float(ess)})
        log(f"generation {g}: epsilon {eps:.3f}, effective sample size {ess:.0f}, best {dist.min():.3f}")
    return {"theta": theta, "weights": weights, "distance": dist, "history": history}


#: The schema class of each section the fitted weights live in.
SCHEMA_CLASS = {"engagement.ecosystem": "EcosystemRule", "facilitation": "Facilitation"}


def apply_defaults(record: dict, schema: Path = ROOT / "ecosim" / "scenario" / "schema.py") -> None:
    """Write the record's defaults (its best particle) into the schema as the parameters' defaults."""
    import re

    text = schema.read_text()
    for path, value in record["defaults"].items():
        section, name = path.rsplit(".", 1)
        start = text.index(f"class {SCHEMA_CLASS[section]}(")
        end = text.index("\nclass ", start + 1)
        block = text[start:end]
        pattern = re.compile(rf"(\n    {name}: \w+ = param\(\s*)([-+0-9.e]+)")
        if not pattern.search(block):
            raise SystemExit(f"cannot find the default of {path} in {schema}")
        new = repr(float(value))
        block = pattern.sub(lambda m, new=new: m.group(1) + new, block, count=1)
        text = text[:start] + block + text[end:]
    schema.write_text(text)


def main(argv: list[str] | None = None) -> int:
    """Fit, re-measure the best particles, write the posterior and print what it found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--search-generations", type=int, default=12, help="stage 1: generations of the search")
    parser.add_argument("--popsize", type=int, default=6, help="stage 1: population per parameter")
    parser.add_argument("--search-from", type=Path, help="stage 1's record from an earlier fit: skip the search")
    parser.add_argument("--start", type=Path, help="stage 1: a JSON point put into its first population")
    parser.add_argument("--box", type=float, default=0.25, help="stage 2: half-width of its prior, per prior range")
    parser.add_argument("--particles", type=int, default=160)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=3, help="seeds per scenario in the fit")
    parser.add_argument("--check-seeds", type=int, default=8, help="seeds to pick the best particle on")
    parser.add_argument("--fresh-seeds", type=int, default=20, help="seeds the fit never saw")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=ROOT / "ecosim" / "scenarios" / "weights" / "posterior.json")
    parser.add_argument("--apply", type=Path, help="only write this record's defaults into the schema, and ship it")
    args = parser.parse_args(argv)
    if args.apply:
        record = json.loads(args.apply.read_text())
        apply_defaults(record)
        shipped = ROOT / "ecosim" / "scenarios" / "weights" / "posterior.json"
        shipped.parent.mkdir(parents=True, exist_ok=True)
        if args.apply.resolve() != shipped.resolve():
            shipped.write_text(json.dumps(record, indent=1) + "\n")
        print(f"defaults of {len(record['defaults'])} weights written into the schema; posterior in {shipped}")
        return 0
    started = time.perf_counter()

    def log(text: str) -> None:
        print(f"[{time.perf_counter() - started:7.0f} s] {text}", flush=True)

    rng = np.random.default_rng(args.seed)
    fit_seeds = list(range(1, args.seeds + 1))
    global LOW, HIGH
    record_search = args.out.with_name(args.out.stem + ".search.json")
    if args.search_from:
        saved = json.loads(args.search_from.read_text())
        found = {"best": np.array([saved["best"][k] for k in NAMES]), "loss": saved["loss"]}
    else:
        x0 = None
        if args.start:
            point = json.loads(args.start.read_text())
            point = point.get("best", point)
            x0 = np.array([point[k] for k in NAMES])
        found = search(args.search_generations, args.popsize, fit_seeds, args.workers, args.seed, log, x0)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        best = dict(zip(NAMES, map(float, found["best"])))
        record_search.write_text(json.dumps({"best": best, "loss": found["loss"]}))
        log(f"stage 1 recorded in {record_search}")
    # stage 2: ABC-SMC within a box around the best weights, a quarter of each prior range either side
    width = (HIGH - LOW) * args.box
    LOW, HIGH = np.maximum(LOW, found["best"] - width), np.minimum(HIGH, found["best"] + width)
    out = smc(args.particles, args.generations, fit_seeds, args.workers, rng, log)
    # the best particles re-measured on more seeds; the best of them are the defaults
    order = np.argsort(out["distance"])[:10]
    check_seeds = list(range(1, args.check_seeds + 1))
    checked = evaluate_parallel(out["theta"][order], check_seeds, args.workers)
    best = order[int(np.argmin([c["loss"] for c in checked]))]
    chosen = out["theta"][best]
    fit_loss = min(c["loss"] for c in checked)
    fresh_seeds = list(range(1001, 1001 + args.fresh_seeds))
    fresh = evaluate(chosen[None, :], fresh_seeds)[0]
    log(f"chosen: loss {fit_loss:.4f} on the fit's {len(check_seeds)} seeds, {fresh['loss']:.4f} on fresh ones")
    w = out["weights"]
    mean = np.average(out["theta"], axis=0, weights=w)
    sd = np.sqrt(np.average((out["theta"] - mean) ** 2, axis=0, weights=w))
    prior_sd = (HIGH - LOW) / math.sqrt(12)  # of the stage-2 box
    record = {
        "method": "a global search (SciPy's differential evolution), then ABC-SMC (Toni et al. 2009; weights of "
        "Beaumont et al. 2009) under uniform priors on a box around its best point",
        "prior": {k: list(PRIOR[k]) for k in NAMES},
        "search": {"best": dict(zip(NAMES, map(float, found["best"]))), "loss": found["loss"]},
        "box": {k: [float(a), float(b)] for k, a, b in zip(NAMES, LOW, HIGH)},
        "fit_seeds": fit_seeds,
        "check_seeds": check_seeds,
        "fresh_seeds": fresh_seeds,
        "history": out["history"],
        "defaults": {k: round(float(v), 4) for k, v in zip(NAMES, chosen)},
        "loss_fit_seeds": fit_loss,
        "loss_fresh_seeds": fresh["loss"],
        "rows_fresh_seeds": fresh["rows"],
        "posterior_mean": {k: float(v) for k, v in zip(NAMES, mean)},
        "posterior_sd": {k: float(v) for k, v in zip(NAMES, sd)},
        "identified": {k: bool(s / p < 0.7) for k, s, p in zip(NAMES, sd, prior_sd)},
        "particles": [dict(zip(NAMES, map(float, t))) for t in out["theta"]],
        "weights": [float(x) for x in w],
        "seconds": time.perf_counter() - started,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, args.out)
    log(f"wrote {args.out}")
    for k in NAMES:
        flag = "" if record["identified"][k] else "  (not identified by the patterns)"
        log(f"  {k:50s} {record['defaults'][k]:8.3f}  {mean[NAMES.index(k)]:.3f} ± {sd[NAMES.index(k)]:.3f}{flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
