"""Search the levers for the plan that does best within a budget: its chance of thriving, the front, robustness.

The decisions are the levers that cost money (facilitators, their hours, events, formal training) in
the ranges of the browser page's sliders, or those of a plan file (``--plan FILE``, docs/plan.md),
which can also name deep uncertainties for the futures to span. Each candidate is judged on the same
futures (common random numbers): seeds, the weights' posterior with ``--weights posterior``, and a
calibration's posterior with ``--posterior DIR``. The plans found are confirmed on futures the search
never saw. Every run's outcome is kept in the results folder as it is made, so ``--resume`` continues
a killed search to the same result.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from ecosim.commands._args import (
    add_executor_arguments,
    add_set_argument,
    add_weights_argument,
    chosen_executor,
    folder_arg,
    whole_number,
)


def budget_amount(text: str) -> float:
    """An argparse ``type`` for the budget: a positive, finite amount (thousands separators allowed)."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        value = float(cleaned) if len(cleaned) <= 40 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive amount, e.g. 150000, got {text[:40]!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``plan`` command's arguments to ``parser``."""
    from ecosim.plan.search import OBJECTIVES

    parser.add_argument("scenario", metavar="SCENARIO", help="the scenario file (with costs: for its levers)")
    parser.add_argument(
        "--budget", type=budget_amount, required=True, metavar="AMOUNT", help="what may be spent over the run"
    )
    parser.add_argument("--plan", metavar="FILE", help="a plan file: the decisions' ranges and deep uncertainties")
    parser.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default="thriving",
        help="what the plan aims for (default: the chance of thriving)",
    )
    parser.add_argument(
        "--seeds", type=whole_number(2, 1000), default=12, metavar="N", help="futures per plan in the search (12)"
    )
    parser.add_argument(
        "--max-seeds",
        type=whole_number(2, 10_000),
        default=96,
        metavar="N",
        help="futures at most for the best plans, until their order holds (96)",
    )
    parser.add_argument(
        "--confirm",
        type=whole_number(10, 100_000),
        default=100,
        metavar="N",
        help="fresh futures the plans are confirmed on (100)",
    )
    parser.add_argument(
        "--population",
        type=whole_number(2, 100),
        default=5,
        metavar="N",
        help="plans per generation, per decision (differential evolution's popsize; 5)",
    )
    parser.add_argument(
        "--generations", type=whole_number(1, 1000), default=8, metavar="N", help="generations of the search (8)"
    )
    parser.add_argument("--seed", type=whole_number(0), help="the search's seed (default: the scenario's seed)")
    parser.add_argument("--posterior", metavar="DIR", help="a calibration's results folder: futures draw from it")
    add_set_argument(parser, "override a parameter of the scenario, e.g. --set weeks=26 (repeatable)")
    add_weights_argument(parser)
    add_executor_arguments(parser, default="here, in the batched engine")
    parser.add_argument("--out", type=folder_arg, metavar="DIR", help="results folder (default: results/<name>-plan/)")
    parser.add_argument("--resume", action="store_true", help="continue the plan stored in --out")
    parser.add_argument("--force", action="store_true", help="start afresh in a folder that holds a plan")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--no-figures", action="store_true", help="skip the PNG figure")


def run(args: argparse.Namespace) -> int:
    """Search, write the results folder and print the answer; returns the exit code (1: nothing within the budget)."""
    from ecosim.ensemble import has_costs
    from ecosim.errors import InputError
    from ecosim.outputs import open_output
    from ecosim.plan.outputs import SETTINGS, headline, settings, write_plan
    from ecosim.plan.search import EVALUATIONS, Futures, Journal, read_posterior, search
    from ecosim.plan.spec import default_spec, read_plan_spec
    from ecosim.scenario.loader import load_scenario, scenario_hash

    started = time.perf_counter()
    if args.resume and args.force:
        raise InputError("--resume and --force contradict each other", file="--force", allowed="one of the two")
    if args.max_seeds < args.seeds:
        raise InputError(
            "--max-seeds is below --seeds", file="--max-seeds", value=args.max_seeds, allowed=f">= {args.seeds}"
        )
    executor = chosen_executor(args, None)
    scenario = load_scenario(args.scenario, args.overrides)
    if not has_costs(scenario):
        raise InputError(
            "a plan needs the levers' prices",
            file=str(args.scenario),
            key="costs",
            allowed="costs: with facilitator_hour, event, licence_per_learner_month or training_hour",
        )
    spec = read_plan_spec(args.plan, scenario) if args.plan else default_spec(scenario)
    posterior = read_posterior(args.posterior, scenario) if args.posterior else None
    futures = Futures(scenario, spec.uncertain, posterior)
    seed = scenario.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else Path("results") / f"{scenario.name}-plan"
    wanted = settings(
        scenario=scenario_hash(scenario),
        spec=spec.describe(),
        budget=args.budget,
        objective=args.objective,
        seeds=args.seeds,
        max_seeds=args.max_seeds,
        confirm=args.confirm,
        population=args.population,
        generations=args.generations,
        seed=seed,
        posterior=None if posterior is None else posterior.to_dict("list"),
    )
    if args.resume and (out / SETTINGS).is_file():
        stored = (out / SETTINGS).read_text(encoding="utf-8")
        if stored != wanted:
            raise InputError(
                "this plan was started with other settings",
                file=str(out / SETTINGS),
                allowed="the same scenario, plan file and flags as the plan to continue, or --force to start afresh",
            )

    def progress(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    from ecosim.io import write_text

    with open_output(
        out,
        "plan",
        force=args.force,
        resume=args.resume,
        journal=True,
        again="--resume to continue the plan, --force to start afresh, or another folder (--out DIR)",
    ) as folder:
        folder.record(EVALUATIONS, SETTINGS)
        write_text(folder.dir / SETTINGS, wanted)
        journal = Journal(folder.dir / EVALUATIONS)
        if not args.resume:
            journal.done.clear()
            (folder.dir / EVALUATIONS).unlink(missing_ok=True)
        result = search(
            scenario,
            spec,
            budget=args.budget,
            objective=args.objective,
            seeds=args.seeds,
            max_seeds=args.max_seeds,
            confirm=args.confirm,
            population=args.population,
            generations=args.generations,
            seed=seed,
            futures=futures,
            journal=journal,
            executor=executor,
            workers=args.workers,
            scheduler=args.scheduler,
            file=str(args.scenario),
            progress=progress,
        )
        command = ["ecosim", "plan", *sys.argv[2:]] if sys.argv else None
        files = write_plan(folder.dir, result, figures=not args.no_figures, command=command)
        folder.record(*files)
    if not args.quiet:
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        print(headline(result))
        print(
            f"Results: {out}/ ({len(files)} files; plan.md is the report; "
            f"{result.runs:,} runs in {time.perf_counter() - started:.0f} s)"
        )
    return 0 if result.best is not None else 1
