"""Run a parameter sweep: design points x replicates, on local processes or a Dask cluster, into Parquet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ecosim.commands._args import add_executor_arguments, chosen_executor, folder_arg, whole_number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``sweep`` command's arguments to ``parser``."""
    parser.add_argument("sweep", help="sweep file (YAML), e.g. scenarios/sweeps/alignment_x_facilitation.yaml")
    parser.add_argument(
        "--out", type=folder_arg, metavar="DIR", help="results folder (default: results/sweeps/<sweep name>/)"
    )
    add_executor_arguments(parser, default="processes")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep in the results folder: finished runs are skipped, failed runs retried",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="delete the sweep results ecosim wrote in the folder (nothing else) and start again",
    )
    parser.add_argument(
        "--replicates",
        type=whole_number(1),
        metavar="N",
        help="replicates per design point (overrides the sweep file; on --resume, more replicates add runs; "
        "without it --resume goes on to the sweep file's count, or the folder's when larger)",
    )
    parser.add_argument(
        "--part-runs",
        type=whole_number(1, 100_000),
        default=None,
        metavar="N",
        help="runs per Parquet part file (1-100,000; default 250); a kill loses at most the runs not yet written",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary")


def run(args: argparse.Namespace) -> int:
    """Run the sweep in ``args.sweep``; returns 0 if every run finished, 1 if any failed or is left, 130 on Ctrl+C."""
    import json

    from ecosim.sweep.runner import PART_RUNS, run_sweep
    from ecosim.sweep.spec import load_sweep
    from ecosim.sweep.storage import MANIFEST

    executor = chosen_executor(args, "processes")
    scheduler = args.scheduler

    sweep = load_sweep(args.sweep)
    out = Path(args.out) if args.out else Path("results") / "sweeps" / sweep.name
    if args.replicates is not None:
        sweep = sweep.with_replicates(args.replicates)
    elif args.resume and (out / MANIFEST).is_file():
        # continue with the sweep file's replicate count, or the folder's when it was extended beyond it
        # (a sweep started with --replicates 1 for a first look goes on to the file's count)
        try:
            stored = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("replicates")
        except (OSError, ValueError):
            stored = None
        if isinstance(stored, int) and not isinstance(stored, bool) and stored > sweep.replicates:
            sweep = sweep.with_replicates(stored, source=str(out / MANIFEST))

    bar = None if args.quiet else _progress_bar
    try:
        report = run_sweep(
            sweep,
            out,
            executor=executor,
            workers=args.workers,
            scheduler=scheduler,
            resume=args.resume,
            force=args.force,
            part_runs=args.part_runs or PART_RUNS,
            progress=bar,
            command=["ecosim", "sweep", *sys.argv[2:]] if sys.argv else None,
        )
    except KeyboardInterrupt:
        try:
            runs = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("runs", {})
            kept = f"{runs.get('ok', 0):,} of {runs.get('planned', 0):,} runs are finished"
        except (OSError, ValueError):
            kept = "the finished runs are kept"
        print(
            f"interrupted: {kept} in {out}/; continue with: python -m ecosim sweep {args.sweep} --out {out} --resume",
            file=sys.stderr,
        )
        return 130
    if not args.quiet:
        print(summary_text(report))
    return 0 if report.totals.get("failed", 0) == 0 and report.pending == 0 else 1


def _progress_bar(total: int, initial: int):
    from tqdm import tqdm

    # disable=None: no bar when stderr is not a terminal (logs, CI)
    return tqdm(
        total=total, initial=initial, unit="run", file=sys.stderr, dynamic_ncols=True, smoothing=0.05, disable=None
    )


def summary_text(report) -> str:
    """A sweep's totals for the terminal: runs ok, failed and not run, this session's time, the results."""
    t = report.totals
    ex = report.executor.get("executor", "-")
    workers = report.executor.get("workers")
    lines = [
        f"Sweep: {report.planned:,} runs ({t.get('ok', 0):,} ok, {t.get('failed', 0):,} failed"
        + (f", {report.pending:,} not run" if report.pending else "")
        + ")",
        f"  this session: {report.ok + report.failed:,} runs in {report.elapsed:.1f} s"
        + (f" on {ex}" + (f" ({workers} workers)" if workers else "") if report.ok + report.failed else "")
        + (f"; {report.skipped:,} already finished" if report.skipped else ""),
    ]
    if t.get("failed"):
        lines.append("  failed runs have status 'failed' and their error in runs.parquet; --resume tries them again")
    lines.append(f"Results: {report.folder}/ (analyse with: python -m ecosim analyze {report.folder})")
    return "\n".join(lines)
