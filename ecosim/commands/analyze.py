"""Analyse a sweep's results: per-point statistics, phase diagram and tipping points, sensitivity indices."""

from __future__ import annotations

import argparse
import sys

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
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return 0


def report_text(result) -> str:
    """What an analysis found, for the terminal: runs, tipping points, sensitivity rankings, files written.

    Parameters and metrics are named in plain words (the schema's), with the key in parentheses.
    """
    from ecosim.plotting.labels import metric as metric_words
    from ecosim.plotting.labels import param

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
            f"Tipping points: {param(x_name)} ({x_name}) at which the mean crosses the ghost-town threshold "
            f"({t['threshold'].iloc[0]:.0%}), as far as the 95% intervals of the means tell"
            + (f"; {result.notes[0]}" if result.notes else "")
        )
        for _, r in t.iterrows():
            lines.append(f"  {param(y_col, unit=False)} = {r[y_col]:g}: {r['statement']}")
    if result.indices is not None:
        idx = result.indices
        key = "ST" if "ST" in idx else "mu_star"
        for metric, sub in idx.groupby("metric", sort=False):
            name = "total Sobol index" if key == "ST" else "Morris mu*"
            lines.append(f"Ranking by {name} of the {metric_words(metric)} ({metric}):")
            rows = [(param(r["parameter"], unit=False), r) for _, r in sub.sort_values(key, ascending=False).iterrows()]
            width = max(len(words) for words, _ in rows)
            for words, r in rows:
                lines.append(f"  {words:<{width}} {r[key]:8.4f} ± {r[f'{key}_conf']:.4f}  ({r['parameter']})")
    lines.append(f"Wrote {', '.join(result.files)} in {result.folder}/")
    return "\n".join(lines)
