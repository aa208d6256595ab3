"""Comparing options: several scenarios on the same seeds, each against the first, with intervals and costs.

Every scenario runs on the same seeds (common random numbers): seed 7 of option B has the same
people, network and draws as seed 7 of option A as far as the two scenarios share them, so the
difference between the two runs of a seed is the option's effect plus much less noise than between
two unrelated runs. For each outcome and every scenario against the first, the comparison reports
both means, the mean paired difference with its 95% confidence interval (Student's t on the paired
differences, ``scipy.stats.ttest_1samp``), and the probability that the option does better (the
share of seeds on which it does, ties counted half). With ``paired=False`` each scenario gets its own
seeds instead, and the interval is Welch's (``scipy.stats.ttest_ind``): the price of independent
seeds is a wider interval.

Costs (the scenario's ``costs`` section) give each option's total cost, the cost per additional
active learner-week and the cost per point of capability gained against the first scenario; the
options are ranked by the cost per additional active learner-week.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.core.outcomes import VERDICTS, outcome
from ecosim.ensemble import MAX_PRECISION_SEEDS, VERDICT_WORDS, Ensemble, has_costs, has_value, run_ensemble
from ecosim.experiment import DEFAULT_SEEDS

if TYPE_CHECKING:
    import pandas as pd

    from ecosim.scenario.schema import Scenario

#: Confidence level of the intervals of differences.
CONFIDENCE = 0.95
#: Seeds of the k-th scenario start this far apart when the seeds are not shared (``paired=False``).
INDEPENDENT_OFFSET = 1_000_000

#: Outcomes compared, in order (declared in :mod:`ecosim.core.outcomes`).
COMPARED = (
    "final_active_share",
    "peak_active_share",
    "final_contributor_share",
    "ever_active_share",
    "ever_posted_share",
    "active_learner_weeks",
    "total_posts",
    "mean_knowledge_final",
    "org_capability_final",
    "org_code_knowledge_final",
    "total_cost",
)
_KIND = {"pct": "points", "int": "count", "money": "money"}
#: Each compared outcome: key, words, how a difference is shown (points, count, money), +1 if more is better.
OUTCOMES: tuple[tuple[str, str, str, int], ...] = tuple(
    (o.name, o.label, _KIND[o.shown], o.better) for o in (outcome(k) for k in COMPARED)
)


@dataclass
class Difference:
    """One outcome of one scenario against the first."""

    mean: float
    low: float
    high: float
    p_better: float
    runs: int


def paired_difference(x: np.ndarray, base: np.ndarray, better: int = 1, *, paired: bool = True) -> Difference:
    """Mean difference ``x - base`` with its 95% interval and the probability that ``x`` does better.

    Paired: Student's t on the per-seed differences (``scipy.stats.ttest_1samp``); the probability
    is the share of seeds on which ``x`` does better, ties counted half. Not paired: Welch's interval
    (``scipy.stats.ttest_ind``); the probability is over every pair of runs.
    """
    from scipy import stats

    x = np.asarray(x, dtype=np.float64)
    base = np.asarray(base, dtype=np.float64)
    if paired:
        keep = ~(np.isnan(x) | np.isnan(base))
        d = x[keep] - base[keep]
        if d.size == 0:
            return Difference(math.nan, math.nan, math.nan, math.nan, 0)
        mean = float(d.mean())
        if d.size < 2 or _constant(d):
            low = high = mean  # no spread: every seed gives the same difference
        else:
            ci = stats.ttest_1samp(d, 0.0).confidence_interval(CONFIDENCE)
            low, high = float(ci.low), float(ci.high)
        signed = d * better
        p = (np.count_nonzero(signed > 0) + 0.5 * np.count_nonzero(signed == 0)) / d.size
        return Difference(mean, low, high, float(p), int(d.size))
    x, base = x[~np.isnan(x)], base[~np.isnan(base)]
    if x.size == 0 or base.size == 0:
        return Difference(math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(x.mean() - base.mean())
    if x.size < 2 or base.size < 2 or (_constant(x) and _constant(base)):
        low = high = mean
    else:
        ci = stats.ttest_ind(x, base, equal_var=False).confidence_interval(CONFIDENCE)
        low, high = float(ci.low), float(ci.high)
    signed = (x[:, None] - base[None, :]) * better
    p = (np.count_nonzero(signed > 0) + 0.5 * np.count_nonzero(signed == 0)) / signed.size
    return Difference(mean, low, high, float(p), int(min(x.size, base.size)))


def _constant(x: np.ndarray) -> bool:
    """Whether every value is the same, up to rounding (a t interval of such data is meaningless)."""
    return bool(np.ptp(x) <= 1e-9 * max(1.0, float(np.max(np.abs(x)))))


@dataclass
class Comparison:
    """What :func:`compare` found. Every table is a pandas DataFrame; ``markdown()`` says it in words.

    Attributes:
        names: the scenarios' labels, the first being the one the others are compared with.
        ensembles: each scenario's runs.
        paired: whether the scenarios shared their seeds (common random numbers).
        outcomes: one row per scenario and outcome: mean, median, 90% of runs, and against the
            first scenario the mean difference, its 95% interval and the probability of doing better.
        verdicts: one row per scenario: how many runs ended in each verdict.
        costs: one row per scenario: total cost, cost per additional active learner-week and per
            point of capability against the first, and the rank by the former.
        runs: one row per run: scenario, seed, summary and costs.
    """

    names: list[str]
    ensembles: list[Ensemble] = field(repr=False)
    paired: bool
    outcomes: pd.DataFrame
    verdicts: pd.DataFrame
    costs: pd.DataFrame
    runs: pd.DataFrame = field(repr=False)

    def timeseries(self) -> pd.DataFrame:
        """Every run's weekly table, scenario by scenario."""
        import pandas as pd

        tables = []
        for name, ens in zip(self.names, self.ensembles, strict=True):
            table = ens.timeseries_table()
            table["scenario"] = name
            tables.append(table)
        return pd.concat(tables, ignore_index=True)

    def markdown(self) -> str:
        """The comparison in plain words, with its tables (``comparison.md``)."""
        return comparison_markdown(self)

    def sizes(self) -> list[float]:
        """Each scenario's mean head count (learners over its runs and weeks)."""
        return [float(np.mean(ens.series["learners"])) for ens in self.ensembles]

    def size_note(self) -> str | None:
        """A sentence when the organisations differ in size by more than :data:`SIZE_TOLERANCE`, else None.

        Active learner-weeks and capability points are totals over everyone, so a larger organisation
        buys more of them for the same levers: its cost per extra active learner-week is then not the
        smaller one's, and the ranking compares organisations as well as options.
        """
        sizes = self.sizes()
        low, high = min(sizes), max(sizes)
        if low <= 0 or high / low <= 1 + SIZE_TOLERANCE:
            return None
        each = ", ".join(f"{markdown_text(n)} {size:,.0f}" for n, size in zip(self.names, sizes, strict=True))
        return (
            f"The organisations differ in size ({each} learners on average): active learner-weeks and "
            "capability points are totals over everyone, so the costs per extra active learner-week and per "
            "point compare organisations as well as options; compare options for the same organisation, or "
            "read the shares above."
        )


#: Organisations whose mean head counts differ by more than this share get a note under the costs.
SIZE_TOLERANCE = 0.10


def check_same_weeks(scenarios: Sequence[Scenario]) -> None:
    """An InputError unless every scenario runs for the same number of weeks (weeks are compared one by one)."""
    if len({sc.weeks for sc in scenarios}) > 1:
        from ecosim.errors import InputError

        raise InputError(
            "the scenarios run for different numbers of weeks, so their weeks cannot be compared",
            key="weeks",
            value=[sc.weeks for sc in scenarios],
            allowed="the same weeks in every scenario (e.g. --set weeks=52)",
        )


def _labels(scenarios: Sequence[Scenario], sources: Sequence[Any]) -> list[str]:
    """The scenarios' names, made unique with their file names (or positions) where two share a name."""
    names = [sc.name for sc in scenarios]
    out = []
    for k, (name, source) in enumerate(zip(names, sources, strict=True)):
        if names.count(name) == 1:
            out.append(name)
        elif isinstance(source, str | os.PathLike):
            out.append(f"{name} ({os.fspath(source)})")
        else:
            out.append(f"{name} #{k + 1}")
    if len(set(out)) < len(out):
        out = [f"{label} #{k + 1}" for k, label in enumerate(out)]
    return out


def compare(
    scenarios: Sequence[Scenario | str | os.PathLike[str]],
    *,
    seeds: int | Sequence[int] = DEFAULT_SEEDS,
    overrides: Iterable[str] | Mapping[str, Any] = (),
    paired: bool = True,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[str, int], None] | None = None,
    precision: float | None = None,
    say: Callable[[str], None] | None = None,
) -> Comparison:
    """Run every scenario on the same seeds and compare each with the first.

    Args:
        scenarios: two or more scenarios or scenario files; the first is the baseline.
        seeds: how many seeds (from the first scenario's seed on) or the seeds themselves.
        overrides: ``dotted.path=value`` strings or a mapping, applied to every scenario file.
        paired: share the seeds (common random numbers); False gives each scenario its own seeds.
        executor: ``None`` (worker processes forked from this one), ``processes``, ``sequential`` or ``dask``.
        workers: worker processes (default: one per core).
        scheduler: a Dask scheduler's address, with ``executor="dask"``.
        progress: called with a scenario's label and the number of its runs finished so far.
        precision: add seeds (doubling, to :data:`~ecosim.ensemble.MAX_PRECISION_SEEDS`) until every
            scenario's verdict shares (95% Wilson intervals) and every difference of the final weekly
            active share from the first (95% interval) are known to within this, either side.
        say: called with a line of text each time more seeds are added.
    """
    from ecosim.scenario.loader import load_scenario
    from ecosim.scenario.schema import Scenario

    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios: the first is the one the others are compared with")
    loaded = []
    for sc in scenarios:
        if isinstance(sc, Scenario):
            if overrides:
                raise ValueError("overrides apply to scenario files; pass them to load_scenario for a Scenario object")
            loaded.append(sc)
        else:
            loaded.append(load_scenario(sc, overrides))
    check_same_weeks(loaded)
    names = _labels(loaded, scenarios)
    if isinstance(seeds, int):
        seed_list = [loaded[0].seed + k for k in range(seeds)]
    else:
        seed_list = [int(s) for s in seeds]

    def run(seeds: list[int]) -> list[Ensemble]:
        out = []
        for k, (name, sc) in enumerate(zip(names, loaded, strict=True)):
            own = seeds if paired else [s + k * INDEPENDENT_OFFSET for s in seeds]
            report = (lambda done, name=name: progress(name, done)) if progress is not None else None
            out.append(run_ensemble(sc, own, executor=executor, workers=workers, scheduler=scheduler, progress=report))
        return out

    ensembles = run(seed_list)
    while precision is not None and len(seed_list) < MAX_PRECISION_SEEDS:
        known = known_to(ensembles, paired)
        if known <= precision:
            break
        n = len(seed_list)
        more = [seed_list[-1] + 1 + k for k in range(min(n, MAX_PRECISION_SEEDS - n))]
        if say is not None:
            say(f"{n:,} runs each: known to ±{100 * known:.1f} points; running {len(more):,} more of each")
        seed_list += more
        ensembles = [a.extended(b) for a, b in zip(ensembles, run(more), strict=True)]
    return _tables(names, ensembles, paired)


def known_to(ensembles: Sequence[Ensemble], paired: bool = True) -> float:
    """The widest half-width of the verdict shares' and the final active share differences' 95% intervals."""
    widths = [ens.verdict_precision() for ens in ensembles]
    base = ensembles[0].values("final_active_share")
    for ens in ensembles[1:]:
        d = paired_difference(ens.values("final_active_share"), base, paired=paired)
        widths.append((d.high - d.low) / 2 if np.isfinite(d.high - d.low) else 0.0)
    return max(widths)


def _tables(names: list[str], ensembles: list[Ensemble], paired: bool) -> Comparison:
    import pandas as pd

    base = ensembles[0]
    outcome_rows = []
    for name, ens in zip(names, ensembles, strict=True):
        for key, label, kind, better in OUTCOMES:
            spread = ens.spread(key)
            d = paired_difference(ens.values(key), base.values(key), better, paired=paired)
            first = ens is base
            outcome_rows.append(
                {
                    "scenario": name,
                    "outcome": key,
                    "label": label,
                    "kind": kind,
                    "higher_is_better": better > 0,
                    "mean": spread["mean"],
                    "median": spread["median"],
                    "low90": spread["low"],
                    "high90": spread["high"],
                    "difference": math.nan if first else d.mean,
                    "difference_low95": math.nan if first else d.low,
                    "difference_high95": math.nan if first else d.high,
                    "p_better": math.nan if first else d.p_better,
                    "runs": spread["runs"],
                }
            )
    verdict_rows = []
    for name, ens in zip(names, ensembles, strict=True):
        counts = ens.verdicts
        verdict_rows.append({"scenario": name, "runs": len(ens.seeds), **{v: counts.get(v, 0) for v in VERDICTS}})
    costs = _cost_table(names, ensembles, paired)
    runs = pd.concat(
        [ens.runs_table().assign(scenario=name) for name, ens in zip(names, ensembles, strict=True)], ignore_index=True
    )
    return Comparison(
        names=names,
        ensembles=ensembles,
        paired=paired,
        outcomes=pd.DataFrame(outcome_rows),
        verdicts=pd.DataFrame(verdict_rows),
        costs=costs,
        runs=runs,
    )


def _cost_table(names: list[str], ensembles: list[Ensemble], paired: bool) -> pd.DataFrame:
    import pandas as pd

    base = ensembles[0]
    rows = []
    for name, ens in zip(names, ensembles, strict=True):
        cost = paired_difference(ens.values("total_cost"), base.values("total_cost"), -1, paired=paired)
        weeks = paired_difference(
            ens.values("active_learner_weeks"), base.values("active_learner_weeks"), paired=paired
        )
        capability = paired_difference(
            ens.values("org_capability_final"), base.values("org_capability_final"), paired=paired
        )
        first = ens is base
        value = paired_difference(ens.values("value"), base.values("value"), paired=paired)
        per_week = cost.mean / weeks.mean if not first and weeks.mean > 0 else math.nan
        per_point = cost.mean / (100 * capability.mean) if not first and capability.mean > 0 else math.nan
        rows.append(
            {
                "scenario": name,
                "priced": has_costs(ens.scenario),
                "total_cost": float(np.nanmean(ens.values("total_cost"))),
                "extra_cost": math.nan if first else cost.mean,
                "extra_active_learner_weeks": math.nan if first else weeks.mean,
                "extra_capability_points": math.nan if first else 100 * capability.mean,
                "cost_per_extra_active_learner_week": per_week,
                "cost_per_capability_point": per_point,
                "valued": has_value(ens.scenario),
                "value": float(np.nanmean(ens.values("value"))),
                "net_value": float(np.nanmean(ens.values("net_value"))),
                "extra_value": math.nan if first else value.mean,
                "extra_net_value": math.nan if first else value.mean - cost.mean,
                "return_on_extra_cost": (value.mean - cost.mean) / cost.mean
                if not first and cost.mean > 0
                else math.nan,
            }
        )
    table = pd.DataFrame(rows)
    # the options that buy active learner-weeks, cheapest first; those that buy none come last
    order = table.iloc[1:].sort_values("cost_per_extra_active_learner_week", na_position="last", kind="stable")
    table["rank"] = pd.Series(dtype="Int64")
    table.loc[order.index, "rank"] = np.arange(1, len(order) + 1)
    table["rank"] = table["rank"].astype("Int64")
    return table


# --------------------------------------------------------------------------------------------
# In words
# --------------------------------------------------------------------------------------------


def _value(x: float, kind: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if kind == "points":
        return f"{100 * x:.1f}%"
    if kind == "money":
        return f"{x:,.0f}"
    return f"{x:,.0f}"


def _signed(x: float, kind: str) -> str:
    if math.isnan(x):
        return "-"
    if kind == "points":
        return f"{100 * x:+.1f}"
    return f"{x:+,.0f}"


def _unit(kind: str) -> str:
    return {"points": " points", "money": "", "count": ""}[kind]


def _verdict_change(counts: Mapping[str, int], base: Mapping[str, int], runs: int) -> str:
    parts = []
    for v in VERDICTS:
        if counts.get(v, 0) or base.get(v, 0):
            parts.append(f"{VERDICT_WORDS[v]} in {counts.get(v, 0)} of {runs} runs instead of {base.get(v, 0)}")
    return "; ".join(parts)


def comparison_markdown(c: Comparison) -> str:
    """``comparison.md``: each option against the first in a sentence, then the tables."""
    base_name = c.names[0]
    shown_as = {n: markdown_text(n) for n in c.names}  # names come from files: never markup
    base_shown = shown_as[base_name]
    runs = len(c.ensembles[0].seeds)
    seeds = c.ensembles[0].seeds
    how = (
        f"the same {runs} seeds ({seeds[0]}-{seeds[-1]}; common random numbers)"
        if c.paired
        else f"{runs} seeds of its own (independent runs)"
    )
    out = [
        f"# Comparison: {', '.join(shown_as[n] for n in c.names[1:])} against {base_shown}",
        "",
        f"Every scenario ran on {how}. Differences are against {base_shown}: the mean difference with its "
        f"{CONFIDENCE:.0%} confidence interval ({'paired t' if c.paired else 'Welch'}, scipy.stats), and the "
        "share of seeds on which the option did better. Shares are in percentage points.",
        "",
    ]
    o = c.outcomes
    vt = c.verdicts.set_index("scenario")
    base_counts = vt.loc[base_name].to_dict()
    for name in c.names[1:]:
        row = o[(o["scenario"] == name) & (o["outcome"] == "final_active_share")].iloc[0]
        counts = vt.loc[name].to_dict()
        last = c.ensembles[0].scenario.weeks
        out.append(
            f"- **{shown_as[name]} instead of {base_shown}**: {_signed(row['difference'], 'points')} points of "
            f"weekly active share at week {last} (95% CI {_signed(row['difference_low95'], 'points')} to "
            f"{_signed(row['difference_high95'], 'points')}; better on {row['p_better']:.0%} of seeds); "
            f"{_verdict_change(counts, base_counts, runs)}."
        )
    for name, ens in zip(c.names, c.ensembles, strict=True):
        if ens.scenario.interventions:
            out.append(f"- {interventions_sentence(shown_as[name], ens)}")
    out += ["", "## Outcomes", ""]
    header = "| outcome | " + " | ".join(shown_as[n] for n in c.names)
    header += " | " + " | ".join(f"{shown_as[n]} - {base_shown}" for n in c.names[1:])
    out.append(header + " |")
    out.append("|" + " --- |" * (1 + len(c.names) + len(c.names) - 1))
    priced = bool(c.costs["priced"].any())
    for key, label, kind, _ in OUTCOMES:
        if kind == "money" and not priced:
            continue
        rows = o[o["outcome"] == key].set_index("scenario")
        cells = [f"{_value(rows.loc[n, 'mean'], kind)}" for n in c.names]
        diffs = []
        for n in c.names[1:]:
            r = rows.loc[n]
            diffs.append(
                f"{_signed(r['difference'], kind)} ({_signed(r['difference_low95'], kind)} to "
                f"{_signed(r['difference_high95'], kind)}), better {r['p_better']:.0%}"
            )
        out.append(f"| {label} (mean) | " + " | ".join(cells) + " | " + " | ".join(diffs) + " |")
    shown = [v for v in VERDICTS if vt[v].any()]
    out += ["", "## Verdicts", "", "| scenario | runs | " + " | ".join(VERDICT_WORDS[v] for v in shown) + " |"]
    out.append("|" + " --- |" * (2 + len(shown)))
    for name in c.names:
        r = vt.loc[name]
        out.append(f"| {shown_as[name]} | {r['runs']} | " + " | ".join(str(r[v]) for v in shown) + " |")
    out += ["", "## Costs", ""]
    costs = c.costs
    sized = c.size_note()
    if sized is not None:
        out += [f"**Note.** {sized}", ""]
    if not priced:
        out.append("No scenario prices its levers (a `costs:` section); every cost is 0.")
    else:
        out.append(
            "Total cost per run (mean over the runs); against the first scenario, the extra cost per extra active "
            "learner-week and per extra point of capability on the organisation's topics. Options are ranked by "
            "the cost per extra active learner-week (cheapest first; those that buy none last)."
        )
        out += [
            "",
            "| rank | scenario | total cost | extra cost | extra active learner-weeks | cost per extra active "
            "learner-week | extra capability (points) | cost per point of capability |",
            "|" + " --- |" * 8,
        ]
        for _, r in costs.sort_values("rank", na_position="first").iterrows():
            rank = "baseline" if r["scenario"] == base_name else str(r["rank"])
            out.append(
                f"| {rank} | {markdown_text(r['scenario'])} | {_value(r['total_cost'], 'money')} | "
                f"{_signed(r['extra_cost'], 'money')} | {_signed(r['extra_active_learner_weeks'], 'count')} | "
                f"{_money(r['cost_per_extra_active_learner_week'])} | "
                f"{_signed(r['extra_capability_points'] / 100, 'points')} | {_money(r['cost_per_capability_point'])} |"
            )
        if bool(costs["valued"].any()):
            out += [
                "",
                "What each option is worth, at the scenario's value of an active learner-week and of a point of "
                "capability gained (`costs.value_per_active_learner_week`, `costs.value_per_capability_point`): "
                "the value bought, the net value (value - cost), and against the first scenario the extra net "
                "value and the return on the extra cost (extra net value / extra cost).",
                "",
                "| scenario | value | net value | extra value | extra net value | return on the extra cost |",
                "|" + " --- |" * 6,
            ]
            for _, r in costs.iterrows():
                ret = r["return_on_extra_cost"]
                out.append(
                    f"| {markdown_text(r['scenario'])} | {_value(r['value'], 'money')} | "
                    f"{_value(r['net_value'], 'money')} | "
                    f"{_signed(r['extra_value'], 'money')} | {_signed(r['extra_net_value'], 'money')} | "
                    f"{'-' if ret != ret else format(ret, '+.0%')} |"
                )
    return "\n".join(out) + "\n"


def markdown_text(text: str) -> str:
    """``text`` (a name from a file) safe in Markdown: HTML escaped, table bars backslashed."""
    import html

    return html.escape(str(text), quote=False).replace("|", "\\|")


def interventions_sentence(name: str, ens: Ensemble) -> str:
    """When a scenario's interventions were applied: in how many runs, and the week of the first (median and range)."""
    applied = ens.series["interventions"] > 0
    runs = int(applied.any(axis=1).sum())
    if runs == 0:
        return f"{name}: no intervention was applied in any of the {len(ens.seeds)} runs."
    weeks = ens.series["week"][0]
    first = np.array([weeks[np.argmax(row)] for row in applied if row.any()])
    low, median, high = np.quantile(first, [0.05, 0.5, 0.95])
    if low == high:
        return (
            f"{name}: an intervention was applied in {runs} of {len(ens.seeds)} runs, the first in week {median:.0f}."
        )
    return (
        f"{name}: an intervention was applied in {runs} of {len(ens.seeds)} runs, the first in week "
        f"{median:.0f} (median; 90% of those runs between weeks {low:.0f} and {high:.0f})."
    )


def _money(x: float) -> str:
    if math.isnan(x):
        return "no gain"
    return f"{x:,.2f}" if abs(x) < 100 else f"{x:,.0f}"
