"""Write the numbers README.md and docs/*.md quote from runs: no such number is typed by hand.

    python docs/make_numbers.py                  # run everything; rewrite every block, and the figures
    python docs/make_numbers.py --check          # rewrite nothing; exit 1 naming each block that differs
    python docs/make_numbers.py --only runs      # only the blocks of these groups (comma-separated)
    python docs/make_numbers.py --list           # every block in the docs and its group

A number that comes from a run sits between two markers in the Markdown, which name the block that
writes it (and its arguments, separated by colons)::

    finds <!-- numbers:compare_sentence:retail_low_alignment:retail_facilitated -->+24.7 points ...<!-- /numbers -->

The markers are HTML comments, so the rendered page shows only the text between them; a block whose
text spans lines (a table, a terminal session in a fenced code block) starts and ends on lines of
its own. This script runs what each block needs (the shipped scenarios over seeds 1-20, the
comparisons, the shipped sweeps, the README's calibration), once for all the blocks that need it,
and writes each block's text between its markers. Without ``--only`` or ``--check`` it also redraws
the figures that go with the numbers: the README's figure (``docs/make_figures.py``), the shipped
sweeps' tables and figures (``docs/img/sweeps/``) and the calibration's (``docs/img/calibration/``).

``tests/test_numbers.py`` fails when a committed block differs from what this script writes: the
quick groups (``schema``, ``benchmarks``) in every test run, the others (``runs``, ``sweeps``, ``calibration``) in
the slow tests. Times measured during a run (a calibration's seconds per generation) vary from one
run to the next and are left out of that comparison.

Groups, and what they cost on two cores:

- ``schema``: the schema's defaults (instant);
- ``benchmarks``: figures read from the benchmarks' committed measurements,
  ``benchmarks/results.json`` (instant; ``python benchmarks/run.py`` measures them again);
- ``runs``: ensembles of the shipped retail scenarios and the README's comparisons (about a minute);
- ``sweeps``: the two shipped sweeps, 1,450 runs, and their analyses (a few minutes);
- ``calibration``: the README's calibration example with its forecast and what-ifs (a few minutes).
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SEEDS = 20
MARKER = re.compile(r"<!-- numbers:(?P<name>[^\s>]+) -->(?P<body>.*?)<!-- /numbers -->", re.S)
#: A time measured during a run, left out when committed and produced text are compared ...
TIMING = re.compile(r"\b\d+(\.\d+)? s\b")
#: ... in the blocks that show such times.
TIMED = {"calibrate_output"}


def documents() -> list[Path]:
    """The Markdown files whose numbers this script writes."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


# ---- what the blocks need, each computed once ---------------------------------------------------


class Sources:
    """The runs the blocks quote, each made when first asked for and kept."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    @functools.cache  # noqa: B019 - one Sources per script run
    def ensemble(self, name: str):
        """The shipped scenario ``name`` over seeds 1-20."""
        from ecosim.ensemble import default_seeds, run_ensemble
        from ecosim.scenario import load_scenario

        scenario = load_scenario(SCENARIOS / f"{name}.yaml")
        return run_ensemble(scenario, default_seeds(scenario, SEEDS), network=False)

    @functools.cache  # noqa: B019 - one Sources per script run
    def ensemble_posterior(self, name: str):
        """The shipped scenario ``name`` over seeds 1-20, each run's weights drawn from the fit's posterior."""
        from ecosim.ensemble import default_seeds, run_ensemble
        from ecosim.scenario import load_scenario

        scenario = load_scenario(SCENARIOS / f"{name}.yaml").model_copy(update={"weights": "posterior"})
        return run_ensemble(scenario, default_seeds(scenario, SEEDS), network=False)

    @functools.cache  # noqa: B019
    def comparison(self, *names: str):
        """The shipped scenarios ``names`` compared over seeds 1-20, each against the first."""
        import ecosim

        return ecosim.compare([SCENARIOS / f"{n}.yaml" for n in names], seeds=SEEDS)

    @functools.cache  # noqa: B019
    def sweep(self, name: str):
        """The shipped sweep ``name`` run and analysed: (its analysis folder, the analysis)."""
        from ecosim.sweep.analysis import analyze
        from ecosim.sweep.runner import run_sweep
        from ecosim.sweep.spec import load_sweep

        folder = self.workdir / "sweeps" / name
        run_sweep(load_sweep(SCENARIOS / "sweeps" / f"{name}.yaml"), folder)
        return folder / "analysis", analyze(folder, out=folder / "analysis")

    @functools.cache  # noqa: B019
    def calibration(self) -> dict:
        """The README's calibration example, run as the README runs it: its terminal output and its folder."""
        out = self.workdir / "retail-calibration"
        command = [
            sys.executable, "-m", "ecosim", "calibrate", "scenarios/retail.yaml",
            "--config", "scenarios/observed/retail_launch.yaml",
            "--what-if", "facilitation.facilitators=6", "--what-if", "platform.friction=0.5",
            "--executor", "processes", "--out", str(out),
        ]  # fmt: skip
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"the calibration failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return {"stdout": done.stdout, "stderr": done.stderr, "out": out}

    @functools.cache  # noqa: B019
    def example(self) -> dict:
        """The README's worked example, run as the README runs it from a clone: import, calibrate, compare."""
        work = self.workdir / "example"
        work.mkdir(parents=True, exist_ok=True)
        outputs = {}
        for step, command in EXAMPLE.items():
            done = subprocess.run(
                [sys.executable, "-m", "ecosim", *command], cwd=ROOT, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise RuntimeError(f"the example's {step} failed ({done.returncode}):\n{done.stderr[-3000:]}")
            outputs[step] = {"stdout": done.stdout, "stderr": done.stderr}
        return {"steps": outputs, "out": work}


#: The README's worked example: the commands as the README shows them, with their folders in a
#: temporary one (the README's are results/...).
CC = "scenarios/observed/contact_centre"
EXAMPLE_DIRS = {
    "results/contact_centre/imported": "example/imported",
    "results/contact_centre/calibration": "example/calibration",
    "results/contact_centre/compare": "example/compare",
}


def _example_commands() -> dict[str, list[str]]:
    return {
        "import": [
            "import", "engage-export", f"{CC}/viva_engage_export.zip", "--hr", f"{CC}/hr.csv",
            "--launch", "2025-01-06", "--out", "results/contact_centre/imported",
        ],
        "calibrate": [
            "calibrate", f"{CC}/contact_centre_hr.yaml", "--observed", "results/contact_centre/imported",
            "--survey", f"{CC}/survey.csv", "--fit", "platform.friction", "--particles", "40", "--generations", "3",
            "--what-if", "facilitation.facilitators=0", "--executor", "processes",
            "--out", "results/contact_centre/calibration",
        ],
        "compare": [
            "compare", f"{CC}/contact_centre_hr_none.yaml", f"{CC}/contact_centre_hr.yaml", "--seeds", "20",
            "--out", "results/contact_centre/compare", "--no-figures",
        ],
    }  # fmt: skip


EXAMPLE: dict[str, list[str]] = {}


# ---- the blocks ------------------------------------------------------------------------------------

BLOCKS: dict[str, tuple[str, Callable[..., str]]] = {}


def block(group: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register a block: a function of the sources and the marker's arguments that returns its text."""

    def register(fn: Callable[..., str]) -> Callable[..., str]:
        BLOCKS[fn.__name__] = (group, fn)
        return fn

    return register


def _pct(x: float, digits: int = 0) -> str:
    return f"{100 * x:.{digits}f}%"


def _points(x: float) -> str:
    return f"{100 * x:+.1f}"


@block("schema")
def default(src: Sources, path: str) -> str:
    """A parameter's default in the schema, as the schema reference shows it."""
    from ecosim.scenario.schema import param_info

    value = param_info(path).default
    return f"{value:g}" if isinstance(value, float) else str(value)


def _fit_record() -> dict:
    from ecosim.scenario.weights import posterior

    return posterior()


@block("schema")
def fit_losses(src: Sources) -> str:
    """The fit's loss on its own seeds and on seeds it never saw, from the shipped record."""
    r = _fit_record()
    ratio = r["loss_fresh_seeds"] / r["loss_fit_seeds"]
    return (
        f"loss {r['loss_fit_seeds']:.2f} on the {len(r['check_seeds'])} seeds the best particles were picked on, "
        f"{r['loss_fresh_seeds']:.2f} on {len(r['fresh_seeds'])} seeds the fit never saw ({ratio - 1:+.0%})"
    )


@block("schema")
def fit_weights(src: Sources) -> str:
    """The fitted weights: prior range, the default (best particle), the posterior's mean and spread."""
    r = _fit_record()
    lines = [
        "| weight | prior range | stage-2 box | default (best particle) | posterior mean ± sd | identified |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for k, (lo, hi) in r["prior"].items():
        ident = "yes" if r["identified"][k] else "**no** (posterior about as wide as its box)"
        blo, bhi = r["box"][k]
        lines.append(
            f"| `{k}` | {lo:g} to {hi:g} | {blo:.3g} to {bhi:.3g} | {r['defaults'][k]:.3f} | "
            f"{r['posterior_mean'][k]:.3f} ± {r['posterior_sd'][k]:.3f} | {ident} |"
        )
    return "\n".join(lines)


@block("schema")
def fit_rows(src: Sources) -> str:
    """Every fitted row at the defaults, on the seeds the fit never saw: estimate, target, miss."""
    r = _fit_record()
    lines = ["| row | estimate | target | band | miss (in its scale) |", "| --- | --- | --- | --- | --- |"]
    for row in r["rows_fresh_seeds"]:
        side = {"at-most": "≤ ", "at-least": "≥ ", "two-sided": ""}.get(row["sense"], "")
        band = f"± {row['band']:.3f}" if row["band"] else "a bound"
        lines.append(
            f"| {row['key']} | {row['estimate']:.3f} | {side}{row['target']:.3f} | {band} | {row['miss']:.2f} |"
        )
    return "\n".join(lines)


@block("runs")
def run_output(src: Sources, name: str) -> str:
    """What ``python -m ecosim run scenarios/NAME.yaml`` prints, as a fenced code block."""
    from ecosim.report import ensemble_text

    text = ensemble_text(src.ensemble(name)) + f"\nResults: results/{name}/"
    return f"```text\n{text}\n```"


@block("runs")
def verdicts(src: Sources, name: str) -> str:
    """The verdicts of the scenario's runs over seeds 1-20, most frequent first: 'struggling 13, ghost town 4'."""
    from ecosim.core.metrics import VERDICT_WORDS

    counts = src.ensemble(name).verdicts.most_common()
    return ", ".join(f"{VERDICT_WORDS[v]} {n}" for v, n in counts)


@block("runs")
def verdicts_posterior(src: Sources, name: str) -> str:
    """The verdicts over seeds 1-20 with each run's weights drawn from the posterior (``--weights posterior``)."""
    from ecosim.core.metrics import VERDICT_WORDS

    counts = src.ensemble_posterior(name).verdicts.most_common()
    return ", ".join(f"{VERDICT_WORDS[v]} {n}" for v, n in counts)


@block("runs")
def active(src: Sources, name: str) -> str:
    """The median weekly active share at the end over seeds 1-20: '18%'."""
    return _pct(src.ensemble(name).spread("final_active_share")["median"])


@block("runs")
def fired(src: Sources, name: str) -> str:
    """When the scenario's interventions fired: 'it fired in 12 of 20 runs, in week 18 at the median'."""
    import numpy as np

    ens = src.ensemble(name)
    applied = ens.series["interventions"] > 0
    runs = int(applied.any(axis=1).sum())
    if not runs:
        return f"it never fired in {len(ens.seeds)} runs"
    weeks = ens.series["week"][0]
    first = np.median([weeks[np.argmax(row)] for row in applied if row.any()])
    return f"it fired in {runs} of {len(ens.seeds)} runs, in week {first:.0f} at the median"


@block("runs")
def never_fired(src: Sources, name: str) -> str:
    """The runs in which the interventions never fired, and how those runs ended."""
    from collections import Counter

    from ecosim.core.metrics import VERDICT_WORDS

    ens = src.ensemble(name)
    applied = (ens.series["interventions"] > 0).any(axis=1)
    ends = Counter(s["verdict"] for s, hit in zip(ens.summaries, applied) if not hit)
    if not ends:
        return f"the rescue fires in every one of the {len(ens.seeds)} runs"
    how = ", ".join(f"{VERDICT_WORDS[v]} in {n}" for v, n in ends.most_common())
    return f"in {sum(ends.values())} of {len(ens.seeds)} runs the rescue never fires; those runs end {how}"


@block("runs")
def compare_sentence(src: Sources, base: str, other: str) -> str:
    """One option against another over seeds 1-20: the difference, its interval, the verdicts."""
    from ecosim.core.metrics import VERDICT_WORDS
    from ecosim.ensemble import VERDICTS

    c = src.comparison(base, other)
    o = c.outcomes
    row = o[(o["scenario"] == c.names[1]) & (o["outcome"] == "final_active_share")].iloc[0]
    vt = c.verdicts.set_index("scenario")
    runs = len(c.ensembles[0].seeds)
    shown = [v for v in VERDICTS if vt.loc[c.names[1], v] or vt.loc[c.names[0], v]]
    verdict_words = "; ".join(
        f"{VERDICT_WORDS[v]} in {vt.loc[c.names[1], v]} of {runs} runs instead of {vt.loc[c.names[0], v]}"
        for v in shown
    )
    better = row["p_better"]
    on = "every seed" if better == 1 else f"{better:.0%} of seeds"
    return (
        f"{_points(row['difference'])} points of weekly active share at week {c.ensembles[0].scenario.weeks} "
        f"(95% CI {_points(row['difference_low95'])} to {_points(row['difference_high95'])}), better on {on}; "
        f"{verdict_words}"
    )


@block("runs")
def compare_table(src: Sources, *names: str) -> str:
    """The README's table of options against the first: active share, verdicts, capability and costs."""
    from ecosim.comparison import _money

    c = src.comparison(*names)
    o = c.outcomes.set_index(["scenario", "outcome"])
    costs = c.costs.set_index("scenario")
    weeks = c.ensembles[0].scenario.weeks
    runs = len(c.ensembles[0].seeds)
    heads = ["", f"do nothing (`{names[0]}`)", *(_option_words(n) for n in names[1:])]

    def share(key: str) -> list[str]:
        cells = []
        for k, name in enumerate(c.names):
            r = o.loc[(name, key)]
            cells.append(
                _pct(r["mean"], 1)
                if k == 0
                else f"{_pct(r['mean'], 1)}: {_points(r['difference'])} "
                f"({_points(r['difference_low95'])} to {_points(r['difference_high95'])})"
            )
        return cells

    rows = [
        [f"weekly active share at week {weeks}", *share("final_active_share")],
        [f"verdicts in {runs} runs", *(verdicts_of(ens) for ens in c.ensembles)],
        [
            "better than doing nothing on",
            "",
            *(f"{o.loc[(n, 'final_active_share')]['p_better']:.0%} of seeds" for n in c.names[1:]),
        ],
        ["capability on the organisation's topics", *share("org_capability_final")],
        [
            "total cost of the year",
            f"{costs.loc[c.names[0], 'total_cost']:,.0f}",
            *(f"{costs.loc[n, 'total_cost']:,.0f}: {costs.loc[n, 'extra_cost']:+,.0f}" for n in c.names[1:]),
        ],
        [
            "cost per extra active learner-week",
            "",
            *(_money(costs.loc[n, "cost_per_extra_active_learner_week"]) for n in c.names[1:]),
        ],
        [
            "cost per extra point of capability",
            "",
            *(_money(costs.loc[n, "cost_per_capability_point"]) for n in c.names[1:]),
        ],
    ]
    lines = [_row(heads), "|" + " --- |" * len(heads)] + [_row(r) for r in rows]
    return "\n".join(lines)


def _row(cells: list[str]) -> str:
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"


def _option_words(name: str) -> str:
    return {"retail_rescue": "rescue when it stalls", "retail_launch_push": "act at launch"}.get(name, f"`{name}`")


def verdicts_of(ens) -> str:
    """An ensemble's verdicts, most frequent first: 'struggling 13, ghost town 4, thriving 3'."""
    from ecosim.core.metrics import VERDICT_WORDS

    return ", ".join(f"{VERDICT_WORDS[v]} {n}" for v, n in ens.verdicts.most_common())


@block("runs")
def compare_costs(src: Sources, base: str, later: str, sooner: str) -> str:
    """How two ways of spending compare: the ratio of their extra costs and extra activity, and the unit costs."""
    from ecosim.comparison import _money

    costs = src.comparison(base, later, sooner).costs.set_index("scenario")
    names = src.comparison(base, later, sooner).names
    a, b = costs.loc[names[1]], costs.loc[names[2]]
    cost_ratio = b["extra_cost"] / a["extra_cost"]
    weeks_ratio = b["extra_active_learner_weeks"] / a["extra_active_learner_weeks"]
    return (
        f"acting at launch costs {cost_ratio:.1f} times as much extra as waiting and buys {weeks_ratio:.1f} times "
        f"the extra active learner-weeks, so an extra active learner-week costs "
        f"{_money(b['cost_per_extra_active_learner_week'])} at launch against "
        f"{_money(a['cost_per_extra_active_learner_week'])} by waiting, and a point of capability "
        f"{_money(b['cost_per_capability_point'])} against {_money(a['cost_per_capability_point'])}"
    )


# ---- benchmarks (their committed measurements) ---------------------------------------------------


def _bench(section: str, learners: str) -> dict:
    results = json.loads((ROOT / "benchmarks" / "results.json").read_text())
    key = "target" if section == "model" else "learners"
    return next(r for r in results[section]["rows"] if r[key] == int(learners))


@block("benchmarks")
def bench_wall(src: Sources, learners: str) -> str:
    """The wall time of a year of ``learners`` as ``benchmarks/run.py`` last measured it: '11 s'."""
    wall = _bench("model", learners)["wall_s"]
    return f"{wall:.1f} s" if wall < 2 else f"{wall:.0f} s"


@block("benchmarks")
def bench_memory(src: Sources, learners: str) -> str:
    """The peak memory of that year: '0.8 GB'."""
    return f"{_bench('model', learners)['peak_mb'] / 1024:.1f} GB"


@block("benchmarks")
def bench_bass_speedup(src: Sources, learners: str) -> str:
    """How many times quicker a week of the ``bass`` rule is than the same rule agent by agent in Mesa: '207'."""
    return f"{_bench('bass', learners)['speedup_per_week']:.0f}"


# ---- sweeps -----------------------------------------------------------------------------------------


def _tipping(src: Sources, name: str):
    folder, result = src.sweep(name)
    return result.tipping


@block("sweeps")
def tipping_table(src: Sources, name: str) -> str:
    """The sweep's tipping points, one row per value of its second parameter, in the words of ``analyze``."""
    from ecosim.plotting.labels import param

    t = _tipping(src, name)
    y, x = t.columns[0], t.columns[1][: -len("_at_threshold")]
    lines = [f"| {param(y)} | {param(x, unit=False)} at which the mean leaves the ghost town |", "| --- | --- |"]
    lines += [f"| {r[y]:g} | {r['statement']} |" for _, r in t.iterrows()]
    return "\n".join(lines)


@block("sweeps")
def tipping(src: Sources, name: str, row: str) -> str:
    """One row's tipping statement (``analyze``'s words)."""
    t = _tipping(src, name)
    return str(t[t.iloc[:, 0] == float(row)]["statement"].iloc[0])


@block("sweeps")
def thriving(src: Sources, name: str, row: str) -> str:
    """Where along the first parameter one row's mean reaches the thriving line, as far as its intervals tell."""
    import pandas as pd

    from ecosim.scenario import load_scenario
    from ecosim.sweep.analysis import tipping_points

    folder, result = src.sweep(name)
    points = pd.read_csv(folder / "points.csv")
    points = points[points["metric"] == "final_active_share"]
    t = _tipping(src, name)
    y, x = t.columns[0], t.columns[1][: -len("_at_threshold")]
    line = load_scenario(SCENARIOS / "retail.yaml").verdict.thriving_at
    r = tipping_points(points[[x, y, "n", "mean", "sd", "ci_low", "ci_high"]], x, y, line)
    r = r[r[y] == float(row)].iloc[0]
    if r["reading"] == "crosses":
        return f"between {r[f'{x}_low']:g} and {r[f'{x}_high']:g}"
    if r["reading"] == "above":
        return "over the whole range"
    if r["reading"] == "below":
        return "nowhere in the range"
    return "the intervals cannot tell (they straddle the line)"


@block("sweeps")
def prim_table(src: Sources, name: str) -> str:
    """The sweep's PRIM boxes, one row per verdict: the region in ``analyze``'s words, density, coverage, mass."""
    from ecosim.core.metrics import VERDICT_WORDS
    from ecosim.sweep.regions import percent, statement

    _, result = src.sweep(name)
    lines = ["| verdict | where (PRIM box) | density | coverage | mass |", "| --- | --- | --- | --- | --- |"]
    for r in result.regions:
        numbers = [percent(v) if r.found else "-" for v in (r.density, r.coverage, r.mass)]
        lines.append(f"| {VERDICT_WORDS[r.verdict]} | {statement(r)} | " + " | ".join(numbers) + " |")
    return "\n".join(lines)


@block("sweeps")
def sweep_size(src: Sources, name: str) -> str:
    """How many runs the sweep made, and its root seed: '550 runs, seed 20240611'."""
    folder, result = src.sweep(name)
    manifest = json.loads((folder.parent / "manifest.json").read_text())
    return f"{result.runs_ok:,} runs, seed {manifest['root_seed']}"


@block("sweeps")
def morris_table(src: Sources, name: str) -> str:
    """The Morris indices of the sweep: each lever with its range, mu* with its 95% interval, sigma."""
    from ecosim.plotting.labels import param
    from ecosim.scenario.schema import param_info

    _, result = src.sweep(name)
    bounds = _bounds(name)
    idx = result.indices.sort_values("mu_star", ascending=False)
    lines = ["| lever (range) | mu* | sigma |", "| --- | --- | --- |"]
    for _, r in idx.iterrows():
        lo, hi = bounds[r["parameter"]]
        unit = param_info(r["parameter"]).unit
        lines.append(
            f"| {param(r['parameter'], unit=False)} ({lo:g}-{hi:g} {unit}) | {r['mu_star']:.2f} ± "
            f"{r['mu_star_conf']:.2f} | {r['sigma']:.2f} |"
        )
    return "\n".join(lines)


@block("sweeps")
def morris_ranking(src: Sources, name: str) -> str:
    """The levers in order of their Morris mu*, in words: 'platform friction, goal alignment, ...'."""
    from ecosim.plotting.labels import param

    _, result = src.sweep(name)
    return ", ".join(param(p, unit=False) for p in result.indices.sort_values("mu_star", ascending=False)["parameter"])


def _bounds(name: str) -> dict[str, tuple[float, float]]:
    import yaml

    data = yaml.safe_load((SCENARIOS / "sweeps" / f"{name}.yaml").read_text())
    return {path: tuple(spec["bounds"]) for path, spec in data["parameters"].items()}


# ---- calibration ------------------------------------------------------------------------------------


@block("calibration")
def calibrate_output(src: Sources) -> str:
    """What the README's calibrate command prints: its first and last generations, the fit and the forecast."""
    c = src.calibration()
    generations = [line for line in c["stderr"].splitlines() if line.startswith("generation ")]
    shown = [generations[0], "...", generations[-1]] if len(generations) > 2 else generations
    out = [line.replace(str(c["out"]), "results/retail-calibration") for line in c["stdout"].splitlines()]
    return "```text\n" + "\n".join(shown + out) + "\n```"


@block("calibration")
def calibrate_what_if(src: Sources, what_if: str) -> str:
    """A what-if of the README's calibration: the median change of the active share, its interval, the odds."""
    import pandas as pd

    c = src.calibration()
    wi = pd.read_csv(c["out"] / "what_ifs.csv")
    row = wi[(wi["what_if"] == what_if) & (wi["outcome"] == "final_active_share")].iloc[0]
    report = (c["out"] / "calibration.md").read_text()
    before = re.search(r"^At week \d+: thriving (\d+%)", c["stdout"], re.M)
    after = re.search(rf"^- with `{re.escape(what_if)}`, the verdict at the end: .*?thriving (\d+%)", report, re.M)
    text = (
        f"lift the weekly active share at the end by a median of {100 * row['change_median']:.1f} points (90% "
        f"interval {_points(row['change_p5'])} to {_points(row['change_p95'])}; it helps in "
        f"{row['p_better']:.0%} of posterior draws)"
    )
    if before and after:
        text += f" and the chance of thriving from {before.group(1)} to {after.group(1)}"
    return text


def _example_in(src: Sources) -> dict:
    """The example, its commands pointed at the script's temporary folder."""
    if not EXAMPLE:
        for step, command in _example_commands().items():
            EXAMPLE[step] = [str(src.workdir / EXAMPLE_DIRS[a]) if a in EXAMPLE_DIRS else a for a in command]
    return src.example()


def _readme_paths(text: str, src: Sources) -> str:
    for shown, used in EXAMPLE_DIRS.items():
        text = text.replace(str(src.workdir / used), shown)
    return text


@block("calibration")
def example_command(src: Sources, step: str) -> str:
    """One command of the worked example, as a fenced shell block (the command the numbers come from)."""
    words = _example_commands()[step]
    return "```bash\npython -m ecosim " + " ".join(words) + "\n```"


@block("calibration")
def example_output(src: Sources, step: str) -> str:
    """What one command of the worked example prints (a calibration's notes and result, not its progress)."""
    run = _example_in(src)["steps"][step]
    lines = run["stdout"].splitlines()
    if step == "calibrate":
        lines = [line for line in run["stderr"].splitlines() if line.startswith("note: ")] + lines
    if step == "compare":  # the costs and what each option is worth
        text = "\n".join(lines)
        start = text.index("## Costs")
        tables = re.findall(r"(?:^\|.*\n?)+", text[start:], re.M)
        return _readme_paths("\n\n".join(t.strip() for t in tables), src)
    return "```text\n" + _readme_paths("\n".join(lines), src) + "\n```"


#: The values behind the fixtures (scenarios/observed/contact_centre/contact_centre_synthetic.yaml).
EXAMPLE_TRUTH = {"platform.friction": 1.2, "goals.mean_alignment": 0.55, "goals.alignment_sd": 0.15}


@block("calibration")
def example_truth(src: Sources) -> str:
    """Whether the values the synthetic exports were made from lie inside the example's 90% intervals."""
    ex = _example_in(src)
    posterior = json.loads((ex["out"] / "calibration" / "posterior.json").read_text())
    parts = []
    for name, truth in EXAMPLE_TRUTH.items():
        lo, hi = posterior["parameters"][name]["interval_90"]
        inside = "inside" if lo <= truth <= hi else "OUTSIDE"
        parts.append(f"`{name}` {truth:g} is {inside} its interval ({lo:.3g} to {hi:.3g})")
    return "; ".join(parts)


@block("calibration")
def example_what_if(src: Sources) -> str:
    """The example's what-if: the median change of the final active share without the facilitators."""
    import pandas as pd

    ex = _example_in(src)
    wi = pd.read_csv(ex["out"] / "calibration" / "what_ifs.csv")
    row = wi[wi["outcome"] == "final_active_share"].iloc[0]
    return (
        f"{100 * row['change_median']:+.1f} points of weekly active share at week 52 (90% interval "
        f"{_points(row['change_p5'])} to {_points(row['change_p95'])}); doing without them is better in "
        f"{row['p_better']:.0%} of posterior draws"
    )


# ---- reading and writing the docs ------------------------------------------------------------------


def parse(name: str) -> tuple[str, list[str]]:
    """A marker's block and its arguments: 'compare_sentence:a:b' -> ('compare_sentence', ['a', 'b'])."""
    fn, *args = name.split(":")
    return fn, args


def markers() -> list[tuple[Path, str, str]]:
    """Every (document, marker name, committed text) in the docs, in order."""
    found = []
    for doc in documents():
        for m in MARKER.finditer(doc.read_text(encoding="utf-8")):
            found.append((doc, m.group("name"), m.group("body")))
    return found


def produce(name: str, src: Sources) -> str:
    """The text of the block a marker names."""
    fn, args = parse(name)
    return BLOCKS[fn][1](src, *args)


def _fit(produced: str, committed: str) -> str:
    """The produced text laid out as the committed text is: on lines of its own when it spans lines."""
    return f"\n{produced}\n" if "\n" in produced or committed.startswith("\n") else produced


def comparable(text: str) -> str:
    """The text with times measured during a run blanked out, which differ from one run to the next."""
    return TIMING.sub("<time> s", text)


def regenerate(groups: set[str] | None, *, write: bool, workdir: Path) -> list[str]:
    """Produce every block (of ``groups``); write the docs when ``write``; returns the blocks that differed."""
    src = Sources(workdir)
    differ = []
    for doc in documents():
        text = doc.read_text(encoding="utf-8")

        def replace(m: re.Match, doc: Path = doc) -> str:
            name = m.group("name")
            fn, _ = parse(name)
            if groups is not None and BLOCKS[fn][0] not in groups:
                return m.group(0)
            new = _fit(produce(name, src), m.group("body"))
            same = comparable if fn in TIMED else str
            if same(new) != same(m.group("body")):
                differ.append(f"{doc.relative_to(ROOT)}: {name}")
            return f"<!-- numbers:{name} -->{new}<!-- /numbers -->"

        updated = MARKER.sub(replace, text)
        if write and updated != text:
            tmp = doc.with_name(doc.name + ".tmp")
            tmp.write_text(updated, encoding="utf-8")
            tmp.replace(doc)
    if write and groups is None:
        _figures(src)
    return differ


def _figures(src: Sources) -> None:
    """Redraw the figures that go with the numbers, from the same runs."""
    sys.path.insert(0, str(ROOT / "docs"))
    import make_figures

    make_figures.main()
    for name in ("alignment_x_facilitation", "levers_morris"):
        folder, _ = src.sweep(name)
        _copy_committed(folder, ROOT / "docs" / "img" / "sweeps" / name)
    _copy_committed(src.calibration()["out"], ROOT / "docs" / "img" / "calibration")


def _copy_committed(source: Path, dest: Path) -> None:
    """Copy into ``dest`` the files it already holds, from ``source`` (each under a temporary name, then renamed)."""
    for old in sorted(dest.iterdir()):
        new = source / old.name
        if new.is_file():
            tmp = old.with_name(old.name + ".tmp")
            shutil.copyfile(new, tmp)
            tmp.replace(old)


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="rewrite nothing; exit 1 if a block differs")
    parser.add_argument("--only", metavar="GROUPS", help="comma-separated groups: " + ", ".join(_groups()))
    parser.add_argument("--list", action="store_true", help="list the blocks in the docs and their groups")
    args = parser.parse_args(argv)
    for doc, name, _ in markers():
        fn, _ = parse(name)
        if fn not in BLOCKS:
            print(f"error: {doc.relative_to(ROOT)}: unknown block {fn!r}; known: {', '.join(BLOCKS)}", file=sys.stderr)
            return 2
    if args.list:
        for doc, name, _ in markers():
            print(f"{BLOCKS[parse(name)[0]][0]:<12} {doc.relative_to(ROOT)}: {name}")
        return 0
    groups = None
    if args.only:
        groups = {g.strip() for g in args.only.split(",") if g.strip()}
        unknown = groups - set(_groups())
        if unknown:
            print(
                f"error: --only: unknown group {sorted(unknown)[0]!r}; allowed: {', '.join(_groups())}", file=sys.stderr
            )
            return 2
    with tempfile.TemporaryDirectory(prefix="ecosim-numbers-") as tmp:
        differ = regenerate(groups, write=not args.check, workdir=Path(tmp))
    for line in differ:
        print(("differs: " if args.check else "rewrote: ") + line)
    return 1 if args.check and differ else 0


def _groups() -> list[str]:
    return list(dict.fromkeys(group for group, _ in BLOCKS.values()))


if __name__ == "__main__":
    sys.exit(main())
