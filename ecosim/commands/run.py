"""Run one scenario: print a summary and a verdict, write a results folder with figures."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ecosim.commands._args import MAX_SEED, folder_arg, whole_number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``run`` command's arguments to ``parser``."""
    parser.add_argument("scenario", help="scenario file (YAML), e.g. scenarios/retail.yaml")
    parser.add_argument(
        "--out",
        type=folder_arg,
        metavar="DIR",
        help="results folder (default: results/<scenario name>/); ecosim's earlier results there are replaced",
    )
    parser.add_argument("--seed", type=whole_number(0, MAX_SEED), help="random seed (default: the scenario's seed)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter, e.g. --set goals.mean_alignment=0.3 (repeatable)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace ecosim's earlier run results in the folder (the default for run; other files are kept)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--no-figures", action="store_true", help="skip the PNG figures")


def run(args: argparse.Namespace) -> int:
    """Run one scenario and write its results folder; returns the exit code."""
    started = time.perf_counter()
    worker = None
    if not args.no_figures:
        from ecosim.figure_worker import FigureWorker

        worker = FigureWorker()  # first, while NumPy is not yet imported
    try:
        return _run(args, started, worker)
    finally:
        if worker is not None:
            worker.close()


def _run(args: argparse.Namespace, started: float, worker) -> int:
    from ecosim.outputs import open_output
    from ecosim.report import summary_text, write_results
    from ecosim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario, args.overrides, seed=args.seed)
    out = Path(args.out) if args.out is not None else Path("results") / scenario.name
    # an earlier run's results are replaced whole once this run has written all of its own
    with open_output(out, "run", force=args.force, replace=True) as folder:
        result = _simulate(scenario, args)
        write_results(
            folder.dir,
            result,
            command=["ecosim", "run", *sys.argv[2:]] if sys.argv else None,
            elapsed=time.perf_counter() - started,
            figures=not args.no_figures,
            worker=worker,
        )
    if not args.quiet:
        print(summary_text(result))
        print(f"Results: {out}/")
    return 0


def _simulate(scenario, args: argparse.Namespace):
    from ecosim.api import RunResult
    from ecosim.core.model import EcosystemModel

    model = EcosystemModel(scenario)
    bar = _progress(scenario.weeks, quiet=args.quiet)
    try:
        model.run(progress=(lambda week: bar.update(1)) if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    return RunResult(
        scenario=scenario, seed=model.seed, timeseries=model.timeseries(), summary=model.summary(), model=model
    )


def _progress(weeks: int, *, quiet: bool):
    """A progress bar that appears only when the run takes more than a couple of seconds."""
    if quiet:
        return None
    from tqdm import tqdm

    return tqdm(total=weeks, unit="week", delay=2.0, file=sys.stderr, leave=False, dynamic_ncols=True)
