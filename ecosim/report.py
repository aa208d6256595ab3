"""The results of a run: the terminal summary and the results folder."""

from __future__ import annotations

import datetime as _dt
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecosim.core.metrics import verdict_words
from ecosim.errors import InputError
from ecosim.io import write_json, write_with
from ecosim.plotting.labels import METRICS
from ecosim.scenario.loader import input_files, scenario_hash, scenario_to_dict

if TYPE_CHECKING:
    from ecosim.api import RunResult

RESULT_FILES = ("timeseries.parquet", "timeseries.csv", "summary.json", "manifest.json")

_ROWS = tuple((key, words, kind) for key, (words, kind) in METRICS.items() if key != "top10pct_post_share")


def versions(*extra: str) -> dict[str, str]:
    """Versions of Python, ecosim and the packages that decide a run's results (and ``extra`` ones), for manifests."""
    from ecosim import __version__

    out = {"python": platform.python_version(), "ecosim": __version__}
    for pkg in ("mesa", "numpy", "scipy", "pandas", "pyarrow", "networkx", *extra):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def summary_text(result: RunResult) -> str:
    """A plain-text table of the summary and a one-line verdict."""
    s = result.summary
    sc = result.scenario
    lines = [
        f"ecosim: {sc.name} (seed {result.seed}, {sc.weeks} weeks, {result.timeseries['learners'].iloc[-1]:,} learners)"
    ]
    width = max(len(label) for _, label, _ in _ROWS)
    for key, label, kind in _ROWS:
        value = s.get(key)
        if value is None:
            shown = "-"
        elif kind == "pct":
            shown = f"{value:6.1%}"
        else:
            shown = f"{int(value):>6,}"
        lines.append(f"  {label:<{width}}  {shown}")
    lines.append("")
    lines.append(f"Verdict: {verdict_words(s['verdict'], s.get('final_contributor_share'))}")
    return "\n".join(lines)


def prepare_folder(out: Path, *, force: bool) -> None:
    """Refuse a non-empty results folder unless ``force``."""
    if out.exists() and not out.is_dir():
        raise InputError("the results path exists and is not a folder", file=str(out), allowed="a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError(
            "the results folder is not empty",
            file=str(out),
            allowed="a new or empty folder (--out DIR), or --force to overwrite the results in it",
        )


def write_results(
    out: Path,
    result: RunResult,
    *,
    command: list[str] | None = None,
    elapsed: float | None = None,
    figures: bool = True,
    worker=None,
) -> list[str]:
    """Write the results folder; each file is written under a temporary name, then renamed."""
    out.mkdir(parents=True, exist_ok=True)
    ts = result.timeseries
    write_with(out / "timeseries.parquet", lambda tmp: ts.to_parquet(tmp, index=False, compression="zstd"))
    write_with(out / "timeseries.csv", lambda tmp: ts.to_csv(tmp, index=False, float_format="%.6g"))
    write_json(out / "summary.json", {"scenario": result.scenario.name, "seed": result.seed, **result.summary})
    files = list(RESULT_FILES)
    if figures and result.model is not None:
        from ecosim.plotting import run as fig

        data = fig.payload(ts, result.model, result.summary)
        files += worker.render(out, data) if worker is not None else fig.render(out, data)
    from ecosim.plotting.html import run_report

    files.append(run_report(out, result, files, versions()))
    write_json(out / "manifest.json", manifest(result, files, command=command, elapsed=elapsed))
    return files


def manifest(
    result: RunResult, files: list[str], *, command: list[str] | None = None, elapsed: float | None = None
) -> dict[str, Any]:
    """A run's manifest.json: the scenario and its hash, seed, command, time taken, versions and files written."""
    return {
        "scenario_name": result.scenario.name,
        "scenario_sha256": scenario_hash(result.scenario),
        "input_files": input_files(result.scenario),
        "seed": result.seed,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": command if command is not None else sys.argv,
        "elapsed_seconds": None if elapsed is None else round(elapsed, 3),
        "versions": versions(),
        "files": files,
        "scenario": scenario_to_dict(result.scenario),
    }
