"""Analyse a sweep's results: per-point statistics, phase diagram and tipping points, sensitivity indices."""

from __future__ import annotations

import argparse

from ecosim.commands._args import folder_arg


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``analyze`` command's arguments to ``parser``."""
    parser.add_argument(
        "results", type=folder_arg, metavar="RESULTS_DIR", help="a sweep's results folder (from 'ecosim sweep')"
    )
    parser.add_argument(
        "--out",
        type=folder_arg,
        metavar="DIR",
        help="where to write tables and figures (default: RESULTS_DIR/analysis/)",
    )
    parser.add_argument(
        "--metric",
        action="append",
        default=None,
        metavar="NAME",
        help="metric for the figures and sensitivity indices (repeatable; default final_active_share)",
    )
    parser.add_argument(
        "--x", metavar="PARAM", help="phase diagram: parameter on the x axis (default: the first swept)"
    )
    parser.add_argument(
        "--y", metavar="PARAM", help="phase diagram: parameter on the y axis (default: the second swept)"
    )
    parser.add_argument("--no-figures", action="store_true", help="tables only")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    """Analyse the sweep in ``args.results`` and print what was found; returns the exit code."""
    from ecosim.sweep.analysis import analyze

    result = analyze(args.results, out=args.out, metrics=args.metric, x=args.x, y=args.y, figures=not args.no_figures)
    if not args.quiet:
        print(report_text(result))
    return 0


def report_text(result) -> str:
    """What an analysis found, for the terminal: runs, tipping points, sensitivity rankings, files written."""
    lines = [
        f"Analysed {result.runs_ok:,} finished runs"
        + (f" ({result.runs_failed:,} failed runs left out)" if result.runs_failed else "")
    ]
    if result.tipping is not None and len(result.tipping):
        t = result.tipping
        x_col = [c for c in t.columns if c.endswith("_at_threshold")][0]
        y_col = t.columns[0]
        x_name = x_col[: -len("_at_threshold")]
        lines.append(
            f"Tipping points: {x_name} at which the mean crosses the ghost-town threshold "
            f"({t['threshold'].iloc[0]:.0%})" + (f", {result.notes[0]}" if result.notes else "")
        )
        for _, r in t.iterrows():
            where = {"below": "stays a ghost town over the whole range", "above": "above the threshold throughout"}
            shown = f"{r[x_col]:.3g}" if r["where"] == "crosses" else where[r["where"]]
            lines.append(f"  {y_col} = {r[y_col]:g}: {shown}")
    if result.indices is not None:
        idx = result.indices
        key = "ST" if "ST" in idx else "mu_star"
        for metric, sub in idx.groupby("metric", sort=False):
            lines.append(f"Ranking by {'total Sobol index' if key == 'ST' else 'Morris mu*'} of {metric}:")
            for _, r in sub.sort_values(key, ascending=False).iterrows():
                conf = r[f"{key}_conf"]
                lines.append(f"  {r['parameter']:<32} {r[key]:8.4f} ± {conf:.4f}")
    lines.append(f"Wrote {', '.join(result.files)} in {result.folder}/")
    return "\n".join(lines)
