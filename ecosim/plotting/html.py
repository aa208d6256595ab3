"""Reports to share: one self-contained ``report.html`` per run, sweep analysis or validation.

A report is written from a Jinja2 template (``templates/report.html.j2``) with autoescaping: the
figures are embedded as data URIs, the style sheet is inline, and nothing is fetched from the
network, so the file can be mailed or opened offline. Any command builds a :class:`Report` and
calls :func:`write_report`; :func:`run_report`, :func:`analysis_report` and
:func:`validation_report` build the ones of ``run``, ``analyze`` and ``validate``.
"""

from __future__ import annotations

import base64
import datetime as _dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecosim.io import write_text

if TYPE_CHECKING:
    import jinja2

    from ecosim.api import RunResult
    from ecosim.scenario.schema import Scenario

REPORT_FILE = "report.html"


@dataclass
class Picture:
    """A figure of the report: a PNG file and a caption in plain words."""

    path: Path
    caption: str = ""


@dataclass
class Table:
    """A table of the report: a title, column headings, rows of text and an optional note."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


def frame_table(title: str, frame: Any, note: str = "") -> Table:
    """A table of the report from a pandas DataFrame: its columns as headings, numbers to four figures."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "-" if value != value else f"{value:,.4g}"
        return str(value)

    header = [str(c).replace("_", " ") for c in frame.columns]
    return Table(title, header, [[cell(v) for v in row] for row in frame.itertuples(index=False)], note)


@dataclass
class Report:
    """What a report holds, in the order the page shows it."""

    title: str
    subtitle: str = ""
    verdict: str | None = None
    verdict_key: str | None = None
    summary: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)
    levers: list[tuple[str, str, str]] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of ecosim's templates (HTML autoescaped)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("ecosim.plotting", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def prepare(template: str = "report.html.j2") -> None:
    """Load and compile ``template`` now (Jinja2 keeps it), so that a report written later is quick."""
    environment().get_template(template)


def render(template: str, **context: Any) -> str:
    """Render one of ecosim's templates with ``context``."""
    return environment().get_template(template).render(**context)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_report(folder: Path, report: Report) -> str:
    """Write ``report.html`` into ``folder`` (under a temporary name, then renamed); returns its file name."""
    from ecosim.plotting.style import VERDICT_COLOURS

    pictures = [
        (p.caption or p.path.stem.replace("_", " "), _data_uri(p.path)) for p in report.pictures if p.path.is_file()
    ]
    text = render(
        "report.html.j2",
        report=report,
        pictures=pictures,
        verdict_colour=VERDICT_COLOURS.get(report.verdict_key or "", "#33383f"),
        created=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    )
    write_text(folder / REPORT_FILE, text)
    return REPORT_FILE


def _versions_text(versions: dict[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in versions.items())


def scenario_levers(scenario: Scenario) -> list[tuple[str, str, str]]:
    """The scenario's levers, and every parameter it sets away from the default, in plain words.

    Rows of (plain name, value with its unit, the YAML key).
    """
    from ecosim.scenario.schema import get_value, iter_params
    from ecosim.words import say, words

    w = words(scenario)
    rows = []
    for info in iter_params():
        if info.path == "seed" or not info.is_numeric:
            continue
        value = get_value(scenario, info.path)
        if not info.lever and value == info.default:
            continue
        shown = f"{value:,}" if isinstance(value, int) else f"{value:.4g}"
        rows.append((say(info.label, w), f"{shown} {say(info.plain_unit, w)}".strip(), info.path))
    return rows


def _single_cost_rows(result: RunResult) -> list[list[str]]:
    """The total cost and the cost per active learner-week of one run, as the terminal shows them."""
    from ecosim.report import _shown, cost_rows, single_run_costs

    costs = single_run_costs(result)
    return (
        [[label.strip(), _shown(costs[key], kind)] for key, label, kind in cost_rows(result.scenario)] if costs else []
    )


def _ensemble_cost_rows(ens: Any) -> list[list[str]]:
    """The total cost and the cost per active learner-week over the runs (median, 90%), as the terminal shows them."""
    from ecosim.report import _shown, cost_spreads

    return [
        [label.strip(), _shown(s["median"], kind), f"{_shown(s['low'], kind)} to {_shown(s['high'], kind)}"]
        for label, kind, s in cost_spreads(ens)
    ]


def run_report(folder: Path, result: RunResult, files: list[str], versions: dict[str, str]) -> str:
    """Write a run's report.html: summary, verdict, figures, levers, seed and versions."""
    from ecosim.core.metrics import verdict_words
    from ecosim.core.outcomes import REPORTED, shown_rows
    from ecosim.plotting.run import FIGURE_FILES

    s = result.summary
    sc = result.scenario
    rows = []
    for key, words, kind in shown_rows(REPORTED):
        value = s.get(key)
        if value is None:
            continue
        rows.append([words, f"{value:.1%}" if kind == "pct" else f"{int(value):,}"])
    rows += _single_cost_rows(result)
    learners = int(result.timeseries["learners"].iloc[-1])
    captions = {
        "engagement.png": "Who comes to the platform each week, against the ghost-town band and the thriving line.",
        "knowledge.png": "What people know of good practice, and what the organisation's playbook holds.",
        "content.png": "Live posts on the platform, and the posts written each week.",
        "network.png": "Who works with whom at the end: colour is this week's engagement, size what each knows.",
    }
    report = Report(
        title=f"ecosim: {sc.name}",
        subtitle=f"{sc.weeks} weeks, {learners:,} learners, seed {result.seed}",
        verdict=verdict_words(s["verdict"], s.get("final_contributor_share")),
        verdict_key=s["verdict"],
        summary=[sc.description.strip()] if sc.description else [],
        tables=[Table("What happened", ["", "at the end of the run"], rows)],
        pictures=[Picture(folder / f, captions[f]) for f in FIGURE_FILES if f in files],
        levers=scenario_levers(sc),
        facts=[("seed", str(result.seed)), ("versions", _versions_text(versions))],
    )
    return write_report(folder, report)


def ensemble_report(folder: Path, ens: Any, files: list[str], versions: dict[str, str]) -> str:
    """Write an ensemble's report.html: each value's median and 90% interval, the verdicts, figures and levers."""
    from ecosim.core.outcomes import REPORTED, shown_rows

    sc = ens.scenario
    rows = []
    for key, words, kind in shown_rows(REPORTED):
        spread = ens.spread(key)
        if spread["median"] != spread["median"]:  # NaN: no run has it
            continue

        def shown(x: float, kind: str = kind) -> str:
            return f"{x:.1%}" if kind == "pct" else f"{x:,.0f}"

        rows.append([words, shown(spread["median"]), f"{shown(spread['low'])} to {shown(spread['high'])}"])
    rows += _ensemble_cost_rows(ens)
    counts = ens.verdicts
    key = counts.most_common(1)[0][0] if counts else None
    seeds = ens.seeds
    captions = {
        "engagement.png": "Who comes to the platform: the weekly median over the runs, the band of the middle "
        "90% of runs, and the representative run.",
        "knowledge.png": "What people know of good practice, and what the organisation's playbook holds, "
        "over the runs.",
        "network.png": f"Who works with whom at the end of the representative run (seed {seeds[ens.representative]}).",
    }
    report = Report(
        title=f"ecosim: {sc.name}",
        subtitle=f"{len(seeds)} runs (seeds {seeds[0]} to {seeds[-1]}), {sc.weeks} weeks",
        verdict=ens.verdict_text(),
        verdict_key=key if len(counts) == 1 else None,  # the runs disagree: no verdict's colour
        summary=[sc.description.strip()] if sc.description else [],
        tables=[Table("What happened over the runs", ["", "median", "90% of runs"], rows)],
        pictures=[Picture(folder / f, captions.get(f, "")) for f in files if f.endswith(".png")],
        levers=scenario_levers(sc),
        facts=[
            ("seeds", ", ".join(map(str, seeds))),
            ("representative run", f"seed {seeds[ens.representative]}"),
            ("versions", _versions_text(versions)),
        ],
    )
    return write_report(folder, report)


def comparison_report(folder: Path, result: Any, files: list[str], versions: dict[str, str]) -> str:
    """Write a comparison's report.html: outcomes against the baseline, verdicts, costs, figures and levers."""
    first = result.ensembles[0]
    runs = len(first.seeds)
    report = Report(
        title="ecosim: "
        + " against ".join(reversed(result.names[:2]))
        + (" and more" if len(result.names) > 2 else ""),
        subtitle=f"{len(result.names)} scenarios, {runs} runs each"
        + (", the same seeds for each (common random numbers)" if result.paired else ""),
        summary=[f"The baseline is {result.names[0]}; every difference is against it."],
        tables=[
            frame_table("Outcomes", result.outcomes),
            frame_table("Verdicts", result.verdicts),
            frame_table("Costs", result.costs),
        ],
        pictures=[Picture(folder / f) for f in files if f.endswith(".png")],
        levers=[
            (f"{name}: {label}", value, key)
            for name, ens in zip(result.names, result.ensembles, strict=True)
            for label, value, key in scenario_levers(ens.scenario)
        ],
        facts=[("seeds", ", ".join(map(str, first.seeds))), ("versions", _versions_text(versions))],
    )
    return write_report(folder, report)


def analysis_report(result: Any, manifest: dict[str, Any]) -> str:
    """Write a sweep analysis's report.html: runs, tipping points, rankings and figures."""
    from ecosim.plotting.labels import param

    out = Path(result.folder)
    summary = [
        f"{result.runs_ok:,} finished runs analysed"
        + (f" ({result.runs_failed:,} failed runs left out)." if result.runs_failed else ".")
    ]
    summary += [f"Figures {n}." for n in result.notes]
    tables = []
    if result.tipping is not None and len(result.tipping):
        t = result.tipping
        x_col = [c for c in t.columns if c.endswith("_at_threshold")][0]
        y_col = t.columns[0]
        rows = [[f"{r[y_col]:g}", r["statement"]] for _, r in t.iterrows()]
        tables.append(
            Table(
                "Tipping points",
                [param(y_col), f"{param(x_col[: -len('_at_threshold')])} where the ghost-town threshold is crossed"],
                rows,
                note="As far as the 95% intervals of the means tell: 'cannot tell' where an interval straddles "
                "the threshold." + "".join(f" Warning: {w}." for w in getattr(result, "warnings", [])),
            )
        )
    if result.indices is not None:
        idx = result.indices
        key = "ST" if "ST" in idx else "mu_star"
        for metric, sub in idx.groupby("metric", sort=False):
            rows = [
                [param(r["parameter"], unit=False), f"{r[key]:.4f} ± {r[f'{key}_conf']:.4f}", r["parameter"]]
                for _, r in sub.sort_values(key, ascending=False).iterrows()
            ]
            name = "total Sobol' index" if key == "ST" else "Morris mu*"
            tables.append(Table(f"Ranking of the levers by {name} ({metric})", ["lever", name, "key"], rows))
    pictures = [Picture(out / f) for f in result.files if f.endswith(".png")]
    report = Report(
        title=f"ecosim sweep: {manifest.get('name', out.parent.name)}",
        subtitle=f"{manifest.get('design', {}).get('method', '')} design",
        summary=summary,
        tables=tables,
        pictures=pictures,
        facts=[("seed", str(manifest.get("seed", manifest.get("root_seed", "-"))))]
        + ([("versions", _versions_text(manifest["versions"]))] if isinstance(manifest.get("versions"), dict) else []),
    )
    return write_report(out, report)


def validation_report(out: Path, suite: Any, figures: dict[str, str], rows: list, command: str) -> str:
    """Write the validation suite's report.html: every check, pass or fail, and the figures."""
    from ecosim.report import versions

    n_ok = sum(1 for c in suite.scored if c.passed)
    report = Report(
        title="ecosim validation",
        subtitle=f"{suite.profile.name} profile: {n_ok} of {len(suite.scored)} checks passed",
        verdict=f"{n_ok} of {len(suite.scored)} checks passed" + ("." if suite.passed else ": see FAIL below."),
        verdict_key="thriving" if suite.passed else "ghost_town",
        summary=[
            "Classic results ecosim generalises, reproduced by its engine: Bass, Granovetter, Watts, March, van Mierlo."
        ],
        tables=[
            Table(
                "Checks",
                ["check", "reference (source)", "measured [95% CI]", "accepted", "result"],
                [list(r[:5]) for r in rows],
            )
        ],
        pictures=[Picture(out / f, name.replace("_", " ")) for name, f in figures.items()],
        facts=[("command", command), ("versions", _versions_text(versions()))],
    )
    return write_report(out, report)
