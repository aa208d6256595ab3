"""Run a scenario over an ensemble of seeds (or one seed): verdicts, medians and intervals, results folder, figures."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ecosim.commands._args import (
    MAX_SEED,
    add_executor_arguments,
    add_set_argument,
    add_weights_argument,
    folder_arg,
    share_arg,
    whole_number,
)
from ecosim.experiment import DEFAULT_SEEDS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``run`` command's arguments to ``parser``."""
    parser.add_argument("scenario", help="scenario file (YAML), e.g. scenarios/retail.yaml")
    parser.add_argument(
        "--out",
        type=folder_arg,
        metavar="DIR",
        help="results folder (default: results/<scenario name>/); ecosim's earlier results there are replaced",
    )
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument(
        "--seeds",
        type=whole_number(1, 100_000),
        default=DEFAULT_SEEDS,
        metavar="N",
        help=f"run N seeds, from the scenario's seed on (default {DEFAULT_SEEDS})",
    )
    seeds.add_argument("--seed", type=whole_number(0, MAX_SEED), help="one run with this seed instead of an ensemble")
    parser.add_argument(
        "--precision",
        type=share_arg,
        metavar="P",
        help="add seeds (doubling from --seeds, to 10,000) until every verdict share's 95%% interval is within "
        "+-P, e.g. 0.05",
    )
    add_set_argument(parser, "override a parameter, e.g. --set goals.mean_alignment=0.3 (repeatable)")
    add_weights_argument(parser)
    add_executor_arguments(parser, default="worker processes forked from this one, one per core")
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace ecosim's earlier run results in the folder (the default for run; other files are kept)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--no-figures", action="store_true", help="skip the PNG figures")


def run(args: argparse.Namespace) -> int:
    """Run the scenario (an ensemble, or one seed with ``--seed``), write its results folder; returns the exit code."""
    from contextlib import nullcontext

    from ecosim.commands._args import chosen_executor
    from ecosim.plotting.process import drawing_process

    started = time.perf_counter()
    executor = chosen_executor(args, None)  # None: workers forked from this process
    # the figures are drawn by a process forked now, before anything heavy is imported: it loads
    # Matplotlib on the second core while this one loads the scenario and imports the model (None
    # where processes cannot be forked)
    drawer = None if args.no_figures else drawing_process()
    with drawer or nullcontext():
        from ecosim.outputs import open_output
        from ecosim.scenario.loader import load_scenario

        scenario = load_scenario(args.scenario, args.overrides, seed=args.seed)
        out = Path(args.out) if args.out is not None else Path("results") / scenario.name
        command = ["ecosim", "run", *sys.argv[2:]] if sys.argv else None
        # an earlier run's results are replaced whole once this run has written all of its own
        with open_output(out, "run", force=args.force, replace=True) as folder:
            replaced = _replaces_another_kind(out, args)
            if replaced and not args.quiet:
                print(f"note: {out}/ holds {replaced}; this run replaces it when it finishes", file=sys.stderr)
            try:
                if args.seed is not None:
                    _single(scenario, folder.dir, args, started, command, drawer)
                else:
                    _ensemble(scenario, folder.dir, args, executor, started, command, drawer)
            except BaseException:
                if drawer is not None:  # stopped before the folder is cleaned up: no figure lands after
                    drawer.close(wait=False)
                raise
    if not args.quiet:
        print(f"Results: {out}/")
    return 0


def _replaces_another_kind(out: Path, args: argparse.Namespace) -> str | None:
    """What the folder holds, in words, when this run is of another kind (one seed against an ensemble), else None."""
    import json

    try:
        earlier = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(earlier, dict):
        return None
    seeds = earlier.get("seeds")
    if isinstance(seeds, list) and seeds and args.seed is not None:
        span = f"seeds {seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else f"seed {seeds[0]}"
        return f"the results of a {len(seeds)}-seed ensemble ({span}), not of a single run"
    if "seeds" not in earlier and isinstance(earlier.get("seed"), int) and args.seed is None:
        return f"the results of a single run (seed {earlier['seed']}), not of an ensemble"
    return None


def _single(scenario, out: Path, args: argparse.Namespace, started: float, command, drawer) -> None:
    from ecosim.api import simulate
    from ecosim.report import summary_text, write_results

    bar = _progress(scenario.weeks, "week", quiet=args.quiet)
    try:
        result = simulate(scenario, keep_model=True, progress=(lambda week: bar.update(1)) if bar else None)
    finally:
        if bar is not None:
            bar.close()
    text = summary_text(result)
    if not args.quiet:
        print(text, flush=True)  # before the figures, which take longer than the run
    elapsed = time.perf_counter() - started
    write_results(out, result, command=command, elapsed=elapsed, figures=not args.no_figures, drawer=drawer)


def _ensemble(scenario, out: Path, args: argparse.Namespace, executor, started: float, command, drawer) -> None:
    from ecosim.ensemble import default_seeds, run_ensemble
    from ecosim.report import ensemble_text, write_ensemble

    if args.precision is not None:
        from ecosim.ensemble import run_to_precision

        ens = run_to_precision(
            scenario,
            args.precision,
            start=args.seeds,
            executor=executor,
            workers=args.workers,
            scheduler=args.scheduler,
            network=not args.no_figures,
            say=None if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True)),
        )
    else:
        seeds = default_seeds(scenario, args.seeds)
        bar = _progress(len(seeds), "run", quiet=args.quiet)
        try:
            ens = run_ensemble(
                scenario,
                seeds,
                executor=executor,
                workers=args.workers,
                scheduler=args.scheduler,
                network=not args.no_figures,
                progress=(lambda done: bar.update(done - bar.n)) if bar else None,
                meanwhile=lambda: _preload(figures=not args.no_figures and drawer is None),
            )
        finally:
            if bar is not None:
                bar.close()
    if not args.quiet:
        print(ensemble_text(ens), flush=True)  # before the figures, which take longer than the runs
        if args.precision is not None:
            print(precision_line(ens, args.precision), flush=True)
    elapsed = time.perf_counter() - started
    write_ensemble(out, ens, command=command, elapsed=elapsed, figures=not args.no_figures, drawer=drawer)


def precision_line(ens, precision: float) -> str:
    """How well the verdict shares are known: their widest 95% interval, and whether ``--precision`` was met."""
    known = 100 * ens.verdict_precision()
    text = f"Verdict shares known to ±{known:.1f} points (95% intervals over {len(ens.seeds):,} runs)"
    if known <= 100 * precision + 1e-9:
        return text + f", within the ±{100 * precision:g} asked for."
    return text + f": not yet within the ±{100 * precision:g} asked for; the 10,000 seeds' limit stopped it."


def _preload(*, figures: bool) -> None:
    """Import what writing the results needs while the workers run the seeds."""
    import pyarrow.parquet  # noqa: F401

    if figures:
        import matplotlib.backends.backend_agg  # noqa: F401
        import matplotlib.figure  # noqa: F401


def _progress(total: int, unit: str, *, quiet: bool):
    """A progress bar that appears only when the work takes more than a couple of seconds."""
    if quiet:
        return None
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: the ensemble forks its workers from this process
    return tqdm(total=total, unit=unit, delay=2.0, file=sys.stderr, leave=False, dynamic_ncols=True)
