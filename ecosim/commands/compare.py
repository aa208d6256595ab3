"""Compare scenarios on the same seeds: each against the first, with 95% intervals, verdicts and costs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ecosim.commands._args import (
    add_executor_arguments,
    add_set_argument,
    add_weights_argument,
    chosen_executor,
    folder_arg,
    share_arg,
    whole_number,
)
from ecosim.experiment import DEFAULT_SEEDS

#: Tables written as Parquet and CSV.
TABLES = ("outcomes", "verdicts", "costs", "runs")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``compare`` command's arguments to ``parser``."""
    parser.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO", help="two or more scenario files; the first is the baseline"
    )
    parser.add_argument(
        "--seeds",
        type=whole_number(2, 100_000),
        default=DEFAULT_SEEDS,
        metavar="N",
        help=f"seeds per scenario, the same for every scenario (default {DEFAULT_SEEDS})",
    )
    parser.add_argument(
        "--precision",
        type=share_arg,
        metavar="P",
        help="add seeds (doubling from --seeds, to 10,000) until every verdict share and every difference of the "
        "final active share from the baseline is known to +-P (95%% intervals), e.g. 0.05",
    )
    add_set_argument(parser, "override a parameter in every scenario, e.g. --set weeks=26 (repeatable)")
    add_weights_argument(parser)
    parser.add_argument(
        "--independent",
        action="store_true",
        help="give each scenario its own seeds instead of the same ones (wider intervals; for checking)",
    )
    add_executor_arguments(parser, default="worker processes forked from this one, one per core")
    parser.add_argument(
        "--out",
        type=folder_arg,
        metavar="DIR",
        help="results folder (default: results/compare/<first>_vs_<second>...); an earlier comparison is replaced",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace ecosim's earlier comparison in the folder (the default)"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--no-figures", action="store_true", help="skip the PNG figures")


def run(args: argparse.Namespace) -> int:
    """Compare the scenarios and write the results folder; returns the exit code."""
    from ecosim.comparison import check_same_weeks
    from ecosim.errors import InputError
    from ecosim.outputs import open_output
    from ecosim.scenario.loader import load_scenario

    started = time.perf_counter()
    if len(args.scenarios) < 2:
        raise InputError(
            "compare needs at least two scenarios",
            file="SCENARIO",
            value=args.scenarios,
            allowed="two or more scenario files; the first is the baseline",
        )
    executor = chosen_executor(args, None)  # None: workers forked from this process
    scenarios = [load_scenario(path, args.overrides) for path in args.scenarios]  # every file checked first
    check_same_weeks(scenarios)
    out = (
        Path(args.out) if args.out is not None else Path("results") / "compare" / "_vs_".join(s.name for s in scenarios)
    )
    # an earlier comparison's results are replaced whole once this one has written all of its own
    with open_output(out, "compare", force=args.force, replace=True) as folder:
        _compare(args, executor, folder.dir, started)
    if not args.quiet:
        print(f"Results: {out}/")
    return 0


def _compare(args: argparse.Namespace, executor: str | None, out: Path, started: float) -> None:
    from ecosim.comparison import compare

    bar = None
    if not args.quiet and args.precision is None:  # with --precision the runs to come are not known
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread: runs are forked from this process
        bar = tqdm(total=len(args.scenarios) * args.seeds, unit="run", delay=2.0, file=sys.stderr, leave=False)
    done_by: dict[str, int] = {}

    def progress(name: str, done: int) -> None:
        done_by[name] = done
        bar.update(sum(done_by.values()) - bar.n)

    try:
        result = compare(
            args.scenarios,
            seeds=args.seeds,
            overrides=args.overrides,
            paired=not args.independent,
            executor=executor,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=progress if bar is not None else None,
            precision=args.precision,
            say=None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True)),
        )
    finally:
        if bar is not None:
            bar.close()
    text = result.markdown()
    sized = result.size_note()
    if sized is not None:
        print(f"warning: {sized}", file=sys.stderr, flush=True)
    if not args.quiet:
        print(text, flush=True)
        if args.precision is not None:
            from ecosim.comparison import known_to

            known = 100 * known_to(result.ensembles, result.paired)
            met = "within" if known <= 100 * args.precision + 1e-9 else "not yet within (the 10,000 seeds' limit)"
            runs = len(result.ensembles[0].seeds)
            print(
                f"Verdict shares and differences known to ±{known:.1f} points (95% intervals over {runs:,} runs "
                f"each), {met} the ±{100 * args.precision:g} asked for.",
                flush=True,
            )
    write_comparison(out, result, text, started=started, figures=not args.no_figures)


def write_comparison(out: Path, result, text: str, *, started: float, figures: bool) -> list[str]:
    """Write the comparison's tables (Parquet and CSV), comparison.md, figures and manifest.json into ``out``."""
    import datetime as dt

    from ecosim.io import write_json, write_text, write_with
    from ecosim.report import versions
    from ecosim.scenario.loader import scenario_hash, scenario_to_dict

    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name in TABLES:
        table = getattr(result, name)
        write_with(out / f"{name}.parquet", lambda tmp, t=table: t.to_parquet(tmp, index=False, compression="zstd"))
        write_with(out / f"{name}.csv", lambda tmp, t=table: t.to_csv(tmp, index=False, float_format="%.6g"))
        files += [f"{name}.parquet", f"{name}.csv"]
    ts = result.timeseries()
    write_with(out / "timeseries.parquet", lambda tmp: ts.to_parquet(tmp, index=False, compression="zstd"))
    write_text(out / "comparison.md", text)
    files += ["timeseries.parquet", "comparison.md"]
    if figures:
        from ecosim.plotting.ensemble import render_comparison

        files += render_comparison(out, result)
    from ecosim.plotting.html import comparison_report

    files.append(comparison_report(out, result, files, versions()))
    write_json(
        out / "manifest.json",
        {
            "scenarios": [
                {
                    "label": name,
                    "scenario_sha256": scenario_hash(ens.scenario),
                    "scenario": scenario_to_dict(ens.scenario),
                }
                for name, ens in zip(result.names, result.ensembles, strict=True)
            ],
            "seeds": [ens.seeds for ens in result.ensembles],
            "common_random_numbers": result.paired,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": ["ecosim", "compare", *sys.argv[2:]] if sys.argv else None,
            "elapsed_seconds": round(time.perf_counter() - started, 3),
            "versions": versions(),
            "files": [*files, "manifest.json"],
        },
    )
    return files
