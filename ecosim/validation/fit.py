"""Fit the uncalibrated weights of the retail defaults to the patterns, all at once.

    python -m ecosim.validation.fit --budget-minutes 25 --out docs/fit.json

The engagement and posting weights of the ``ecosystem`` rule and the pull of a reply have no
published values. They are fitted here, with the real engine, to the participation patterns of
``docs/model.md`` section 7.8 at once, while the shipped scenarios keep telling their story (low
alignment a ghost town, high alignment thriving). Each evaluation runs the same seeds (common
random numbers), so the objective is a deterministic function of the weights and SciPy's bounded
Nelder-Mead minimises it; the fit is reproducible from scratch on any machine that reproduces the
engine's runs. The forgetting rate is fitted separately and exactly: an unused belief's survival
depends on nothing else (:func:`forgetting_rate_for_half_life`).

The result (parameters, prior ranges, start, fitted values, the distance left to each pattern, the
budget and the evaluations made) is written as JSON; ``docs/model.md`` section 8 reports it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ecosim.validation.cases import SCENARIOS


@dataclass(frozen=True)
class Target:
    """A pattern as the fit sees it: a target value, a scale for distances, and one- or two-sided."""

    name: str
    value: float
    scale: float
    sense: str = "two-sided"  # or "at-most", "at-least"

    def distance(self, x: float) -> float:
        """Signed distance in units of ``scale`` (0 when a one-sided target is met)."""
        if math.isnan(x):
            return 10.0
        d = (x - self.value) / self.scale
        if self.sense == "at-most":
            return max(d, 0.0)
        if self.sense == "at-least":
            return min(d, 0.0)
        return d


#: The fitted weights and their prior ranges (the schema's ranges narrowed to plausible values).
PARAMETERS: dict[str, tuple[float, float]] = {
    "engagement.ecosystem.intercept": (-5.0, -1.5),
    "engagement.ecosystem.usefulness": (2.0, 8.0),
    "engagement.ecosystem.habit": (0.5, 3.0),
    "engagement.ecosystem.post_intercept": (-7.0, -2.0),
    "engagement.ecosystem.post_habit": (0.0, 4.0),
    "engagement.ecosystem.post_propensity_sd": (1.0, 5.0),
    "engagement.ecosystem.posting_volume_spread": (0.5, 3.0),
    "facilitation.reply_boost": (0.0, 4.0),
}

#: Where the fit starts: the weights ecosim shipped before they were fitted (set by hand).
START: dict[str, float] = {
    "engagement.ecosystem.intercept": -3.25,
    "engagement.ecosystem.usefulness": 4.5,
    "engagement.ecosystem.habit": 1.5,
    "engagement.ecosystem.post_intercept": -4.5,
    "engagement.ecosystem.post_habit": 1.5,
    "engagement.ecosystem.post_propensity_sd": 3.0,
    "engagement.ecosystem.posting_volume_spread": 1.5,
    "facilitation.reply_boost": math.log(0.56 / 0.44) - math.log(0.44 / 0.56),
}

#: The patterns the fit aims at (see docs/model.md section 7.8 for sources and tolerances), and the
#: story constraints of the shipped scenarios.
TARGETS = (
    Target("ever posted (thriving)", 0.25, 0.03, "at-most"),
    Target("top 1% of everyone's share of posts (thriving)", 0.747, 0.05),
    Target("top 10% of everyone's share of posts (thriving)", 0.987, 0.02),
    Target("acting less than once a fortnight (retail)", 0.80, 0.05),
    Target("newcomers posting again, no reply (retail)", 0.44, 0.03),
    Target("newcomers posting again, with a reply (retail)", 0.56, 0.03),
    Target("final active share, high alignment", 0.45, 0.05, "at-least"),
    Target("final active share, low alignment", 0.07, 0.02, "at-most"),
)

SEEDS = (101, 102, 103)
#: Stage 1 reads the patterns at the hand-set forgetting rate. Forgetting changes nobody's
#: engagement, only which random numbers engagement then draws; its rate is fitted on its own.
STAGE1_FIXED = {"forgetting.rate": 0.05}
#: Seeds of the second stage, which sets the posting intercept on more runs (see :func:`refine`).
REFINE_SEEDS = tuple(range(201, 211))
#: The second stage's aim for the share who ever post in the thriving chain: under van Mierlo's 25%
#: by about two standard errors of a 20-run mean, so that validate's one-sided check holds.
REFINE_EVER_POSTED = 0.23


def _scenarios(values: dict[str, float]) -> dict[str, Any]:
    from ecosim.scenario.loader import load_scenario

    over = {k: float(v) for k, v in values.items()}
    return {
        "high": load_scenario(SCENARIOS / "retail_high_alignment.yaml", over),
        "retail": load_scenario(SCENARIOS / "retail.yaml", over),
        "noreply": load_scenario(SCENARIOS / "retail.yaml", {**over, "facilitation.reply_boost": 0.0}),
        "low": load_scenario(SCENARIOS / "retail_low_alignment.yaml", over),
    }


def measure(values: dict[str, float], seeds=SEEDS) -> list[float]:
    """What the engine shows for the TARGETS at ``values`` (means over ``seeds``)."""
    from ecosim.validation.observe import observe

    sc = _scenarios(values)
    high = [observe(sc["high"], s) for s in seeds]
    retail = [observe(sc["retail"], s) for s in seeds]
    noreply = [observe(sc["noreply"], s) for s in seeds]
    low = [observe(sc["low"], s) for s in seeds[:2]]

    def mean(xs):
        xs = [x for x in xs if x is not None and not math.isnan(x)]
        return float(np.mean(xs)) if xs else float("nan")

    def pooled(obs, hit, total):
        n = sum(getattr(o, total) for o in obs)
        return sum(getattr(o, hit) for o in obs) / n if n else float("nan")

    return [
        mean([o.summary["ever_posted_share"] for o in high]),
        mean([o.summary["top1pct_everyone_post_share"] for o in high]),
        mean([o.top10_everyone for o in high]),
        pooled(retail, "rare_in_window", "acting_in_window"),
        mean([o.return_all for o in noreply]),
        pooled(retail, "returned_replied", "first_posters_replied"),
        mean([o.summary["final_active_share"] for o in high]),
        mean([o.summary["final_active_share"] for o in low]),
    ]


def objective(x: np.ndarray, names: list[str], log: list[dict[str, Any]]) -> float:
    """Sum of squared distances to every target at weights ``x``."""
    values = dict(zip(names, (float(v) for v in x), strict=True))
    est = measure({**values, **STAGE1_FIXED})
    d = [t.distance(e) for t, e in zip(TARGETS, est, strict=True)]
    loss = float(np.sum(np.square(d)))
    log.append({"values": values, "estimates": est, "loss": loss})
    return loss


def ever_posted(values: dict[str, float], seeds=REFINE_SEEDS) -> float:
    """Mean share who ever posted in the thriving chain at ``values``."""
    from ecosim.scenario.loader import load_scenario
    from ecosim.validation.observe import observe

    sc = load_scenario(SCENARIOS / "retail_high_alignment.yaml", {k: float(v) for k, v in values.items()})
    return float(np.mean([observe(sc, s).summary["ever_posted_share"] for s in seeds]))


def refine(values: dict[str, float]) -> tuple[dict[str, float], int]:
    """Second stage: the posting intercept that brings the share who ever post to REFINE_EVER_POSTED.

    Three seeds are too few for a one-sided target that the other patterns pull against (fewer
    posters, fewer newcomers who post again): the first stage leaves it just above 25% on other
    seeds. The share falls as the intercept falls, so a bracketing root finder (Brent) on ten seeds
    moves that one weight; everything else stays as fitted.
    """
    from scipy.optimize import brentq

    key = "engagement.ecosystem.post_intercept"
    calls = 0

    def gap(x: float) -> float:
        nonlocal calls
        calls += 1
        return ever_posted({**values, key: x}) - REFINE_EVER_POSTED

    lo, hi = values[key] - 1.5, values[key]
    x = brentq(gap, lo, hi, xtol=0.01) if gap(hi) > 0 else hi
    return {**values, key: round(float(x), 3)}, calls


def survival(rate: float, exponent: float, weeks: int) -> np.ndarray:
    """Expected share of unused beliefs kept after 0..weeks weeks (the engine's forgetting rule)."""
    k = np.arange(weeks)
    return np.concatenate([[1.0], np.cumprod(1.0 - np.minimum(1.0, rate / (1.0 + k) ** exponent))])


def half_life(rate: float, exponent: float, horizon: int = 2000) -> float:
    """Weeks until half of unused beliefs are forgotten (linear interpolation between weeks)."""
    s = survival(rate, exponent, horizon)
    i = int(np.argmax(s <= 0.5))
    if s[i] > 0.5:
        return math.inf
    return float(i - 1 + (s[i - 1] - 0.5) / (s[i - 1] - s[i]))


def forgetting_rate_for_half_life(target_weeks: float, exponent: float) -> float:
    """The forgetting rate whose unused beliefs have a half-life of ``target_weeks`` (root finding)."""
    from scipy.optimize import brentq

    return float(brentq(lambda r: half_life(r, exponent) - target_weeks, 1e-4, 0.99, xtol=1e-6))


#: Half of what was learnt is lost after about 6.5 months without use on accuracy-based measures
#: (Tatel & Ackerman, meta-analysis of 457 reports; 11 months on mixed, 13 on speed measures).
HALF_LIFE_WEEKS = 6.5 * 52 / 12


def fit(budget_seconds: float, max_evaluations: int) -> dict[str, Any]:
    """Run the fit within the budget; returns everything the JSON record holds."""
    from scipy.optimize import minimize

    names = list(PARAMETERS)
    start = np.array([START[n] for n in names], dtype=float)
    bounds = [PARAMETERS[n] for n in names]
    start = np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds])
    log: list[dict[str, Any]] = []
    started = time.perf_counter()

    class OutOfTime(Exception):
        pass

    def f(x):
        if time.perf_counter() - started > budget_seconds:
            raise OutOfTime
        loss = objective(x, names, log)
        print(f"fit: evaluation {len(log)}, loss {loss:.3f}", file=sys.stderr, flush=True)
        return loss

    stopped = "converged"
    try:
        minimize(
            f,
            start,
            method="Nelder-Mead",
            bounds=bounds,
            options={
                "maxfev": max_evaluations,
                "xatol": 0.02,
                "fatol": 0.01,
                "initial_simplex": _simplex(start, bounds),
            },
        )
        if len(log) >= max_evaluations:
            stopped = "evaluation limit"
    except OutOfTime:
        stopped = "time budget"
    best = min(log, key=lambda r: r["loss"])
    first = {n: round(v, 3) for n, v in best["values"].items()}
    rate = round(forgetting_rate_for_half_life(HALF_LIFE_WEEKS, 0.5), 4)
    refined, calls = refine({**first, "forgetting.rate": rate})
    final = measure(refined)
    refined.pop("forgetting.rate")
    return {
        "command": f"python -m ecosim.validation.fit --max-evaluations {len(log)}",
        "method": "scipy.optimize.minimize, Nelder-Mead with bounds, common random numbers",
        "seeds": list(SEEDS),
        "budget_minutes": budget_seconds / 60,
        "stopped": stopped,
        "evaluations": len(log),
        "seconds": round(time.perf_counter() - started, 1),
        "parameters": {
            n: {"prior": list(PARAMETERS[n]), "start": float(s), "stage1": first[n], "fitted": refined[n]}
            for n, s in zip(names, start, strict=True)
        },
        "refine": {
            "parameter": "engagement.ecosystem.post_intercept",
            "target_ever_posted": REFINE_EVER_POSTED,
            "seeds": list(REFINE_SEEDS),
            "evaluations": calls,
        },
        "forgetting": {
            "exponent": 0.5,
            "target_half_life_weeks": round(HALF_LIFE_WEEKS, 2),
            "fitted_rate": round(rate, 4),
        },
        "targets": [
            {
                "pattern": t.name,
                "target": t.value,
                "scale": t.scale,
                "sense": t.sense,
                "start": round(log[0]["estimates"][i], 4),
                "stage1": round(best["estimates"][i], 4),
                "fitted": round(final[i], 4),
                "distance": round(t.distance(final[i]), 3),
            }
            for i, t in enumerate(TARGETS)
        ],
        "loss": {
            "start": round(log[0]["loss"], 4),
            "stage1": round(best["loss"], 4),
            "fitted": round(float(np.sum(np.square([t.distance(e) for t, e in zip(TARGETS, final, strict=True)]))), 4),
        },
    }


def _simplex(start: np.ndarray, bounds) -> np.ndarray:
    """A first simplex stepping a tenth of each prior range from the start, inward."""
    simplex = [start.copy()]
    for i, (lo, hi) in enumerate(bounds):
        x = start.copy()
        step = 0.1 * (hi - lo)
        x[i] = x[i] + step if x[i] + step <= hi else x[i] - step
        simplex.append(x)
    return np.array(simplex)


def main(argv: list[str] | None = None) -> int:
    """Command line: run the fit and write its record."""
    parser = argparse.ArgumentParser(prog="python -m ecosim.validation.fit", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--budget-minutes", type=float, default=60.0, help="stop after this long, whatever is done (default 60)"
    )
    parser.add_argument(
        "--max-evaluations",
        type=int,
        default=215,
        help="at most this many evaluations (default 215, what the committed fit made in 25 minutes on two "
        "shared cores); a fit stopped by this count, not by the clock, is reproducible",
    )
    parser.add_argument("--out", default="docs/fit.json", help="where to write the record (default docs/fit.json)")
    args = parser.parse_args(argv)
    from ecosim.io import write_text

    record = fit(args.budget_minutes * 60, args.max_evaluations)
    write_text(Path(args.out), json.dumps(record, indent=2) + "\n")
    print(json.dumps(record["parameters"], indent=2))
    print(json.dumps(record["targets"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
