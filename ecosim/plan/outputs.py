"""A plan's results folder: plan.md in plain words, the tables, the Pareto figure and report.html."""

from __future__ import annotations

import datetime as _dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.io import finite, write_json, write_text, write_with
from ecosim.plan.search import EVALUATIONS, LEVEL, Measured, PlanResult, plan_key

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The settings a plan was started with; a resumed plan must match them.
SETTINGS = "plan_settings.json"
#: Tables written as Parquet and CSV.
TABLES = ("candidates", "pareto", "rounds", "confirmed", "robustness", "value_of_information")


def money(x: float) -> str:
    """An amount of the scenario's currency, in whole units with thousands separators."""
    return "-" if not np.isfinite(x) else f"{x:,.0f}"


def pct(x: float) -> str:
    """A share as a whole percentage."""
    return "-" if not np.isfinite(x) else f"{100 * x:.0f}%"


def plan_words(plan: dict[str, Any]) -> str:
    """A plan in words: "4 facilitators at 30 hours a week each, an event every 3 weeks, formal training ..."."""
    from ecosim.scenario.schema import param_info

    plan = dict(plan)
    parts = []
    if "facilitation.facilitators" in plan:
        n = plan.pop("facilitation.facilitators")
        text = f"{n:,} facilitator{'' if n == 1 else 's'}"
        if "facilitation.hours_per_week" in plan:
            text += f" at {plan.pop('facilitation.hours_per_week'):.3g} hours a week each"
        parts.append(text)
    if "facilitation.event_every_weeks" in plan:
        e = plan.pop("facilitation.event_every_weeks")
        parts.append("no events" if e == 0 else "an event every week" if e == 1 else f"an event every {e} weeks")
    if "learning.socialisation" in plan:
        # 0.01 a week is ~35 h of formal training a year (schema: learning.socialisation)
        hours = plan.pop("learning.socialisation") * 3500
        parts.append(f"formal training of about {hours:,.0f} h a year each" if hours >= 0.5 else "no formal training")
    for path, value in plan.items():
        info = param_info(path)
        shown = f"{value:,}" if isinstance(value, int) else f"{value:.3g}"
        parts.append(f"{info.label} {shown}" + (f" {info.plain_unit}" if info.plain_unit else ""))
    return ", ".join(parts)


def _interval(m: Measured) -> str:
    lo, hi = m.thriving_interval
    return f"{pct(m.thriving)} of futures ({LEVEL:.0%} interval {pct(lo)}-{pct(hi)})"


def headline(result: PlanResult) -> str:
    """The answer in one paragraph: what to spend the budget on, how sure, and the next-best plan."""
    best = result.best
    if best is None:
        cheapest = float(result.candidates["cost"].min()) if len(result.candidates) else float("nan")
        return (
            f"No plan explored stays within the budget of {money(result.budget)}: the cheapest costs "
            f"{money(cheapest)}. Raise the budget, or widen the decisions' ranges (--plan FILE)."
        )
    text = (
        f"Spend it on {plan_words(best.plan)}: thriving in {_interval(best)}, "
        f"at a mean cost of {money(best.cost[0])} of the budget of {money(result.budget)}"
    )
    if best.within_budget < 0.9:
        text += f" (over the budget in {pct(1 - best.within_budget)} of futures)"
    text += "."
    cheap = cheapest_as_good(result)
    if cheap is not None:
        text += (
            f" As good for less: {plan_words(cheap.plan)} thrives in {pct(cheap.thriving)} at "
            f"{money(cheap.cost[0])}, {1 - cheap.cost[0] / best.cost[0]:.0%} less."
        )
    nxt = next((m for m in result.confirmed[1:] if m.score > -1 and plan_key(m.plan) != plan_key(best.plan)), None)
    if nxt is not None and best.cost[0] > 0:
        change = (nxt.cost[0] - best.cost[0]) / best.cost[0]
        how = (
            f"costs {abs(change):.0%} {'less' if change < 0 else 'more'}" if abs(change) >= 0.005 else "costs the same"
        )
        text += f" The next-best plan {how} and thrives in {pct(nxt.thriving)}."
    w = result.as_written
    text += f" The scenario as written thrives in {pct(w.thriving)} at {money(w.cost[0])}."
    first = measure_first(result)
    if first:
        text += " " + first
    return text


def _unknown_words(name: str) -> str:
    from ecosim.scenario.schema import param_info

    try:
        return param_info(name).label
    except KeyError:
        return name


def measure_first(result: PlanResult) -> str:
    """What to measure first, in one sentence (empty when nothing uncertain could be measured)."""
    if result.voi is None or result.voi.empty:
        return ""
    top = result.voi.iloc[0]
    return (
        f"Measure {_unknown_words(top['unknown'])} first: knowing it would change the recommended plan in "
        f"{pct(top['changes_plan'])} of futures (± {100 * top['changes_plan_error']:.0f} points) and gain "
        f"{voi_number(top['evppi'], result)} {voi_unit(result)} on average "
        f"(± {voi_number(top['evppi_error'], result)})."
    )


def voi_number(x: float, result: PlanResult) -> str:
    """An EVPPI (the score of :func:`ecosim.plan.search.run_value`) as a number in :func:`voi_unit`."""
    if result.objective == "net_value":
        return money(x * result.budget)
    return f"{100 * x:.{2 if result.objective == 'capability' else 1}f}"


def voi_unit(result: PlanResult) -> str:
    """The unit of :func:`voi_number`, in words."""
    return {
        "thriving": "points of the chance of thriving",
        "learner_weeks": "points of the weekly active share",
        "capability": "points of capability",
        "net_value": "of net value",
    }[result.objective]


def cheapest_as_good(result: PlanResult) -> Measured | None:
    """The cheapest confirmed plan whose chance of thriving is inside the best's interval, when it saves 10% or more.

    On the confirmation futures the ranked plans' chances can be indistinguishable while their costs
    are not: then the budget need not all be spent.
    """
    best = result.best
    if best is None:
        return None
    low = best.thriving_interval[0]
    same = [m for m in result.confirmed[1:] if m.score > -1 and m.thriving >= low]
    cheap = min(same, key=lambda m: m.cost[0], default=None)
    return cheap if cheap is not None and cheap.cost[0] <= 0.9 * best.cost[0] else None


def confirmed_table(result: PlanResult):
    """The ranked plans and the scenario as written on the confirmation futures, with robustness."""
    import pandas as pd

    rows = []
    for i, m in enumerate([*result.confirmed, result.as_written]):
        name = f"plan {i + 1}" if i < len(result.confirmed) else "as written"
        rows.append({"plan": name, **m.row()})
    frame = pd.DataFrame(rows)
    return frame.merge(result.robust, on="plan", how="left")


def plan_markdown(result: PlanResult) -> str:
    """plan.md: the answer, the ranked plans with their intervals, robustness, the search and its limits."""
    sc = result.scenario
    lines = [f"# Plan for {sc.name}: a budget of {money(result.budget)}", "", headline(result), ""]
    lines += [
        "## The plans, on futures the search never saw",
        "",
        f"Each plan was run in the same {result.confirm} fresh futures (common random numbers). "
        f"Intervals are {LEVEL:.0%} intervals: Wilson's for the chance of thriving, the mean's for the others. "
        "Regret is how far a plan falls short of the best of these plans in the same future "
        "(its mean and 90th percentile); satisficing is the share of futures in which it thrives within the budget.",
        "",
        "| | plan | thriving | ghost town | active learner-weeks | capability points | mean cost | "
        "mean regret | regret, 90th pct | satisficing |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    table = confirmed_table(result).to_dict("records")
    for row, m in zip(table, [*result.confirmed, result.as_written], strict=True):
        lo, hi = m.thriving_interval
        lines.append(
            f"| {row['plan']} | {plan_words(m.plan)} | {pct(m.thriving)} ({pct(lo)}-{pct(hi)}) | {pct(m.ghost_town)} | "
            f"{m.learner_weeks[0]:,.0f} ({m.learner_weeks[1]:,.0f}-{m.learner_weeks[2]:,.0f}) | "
            f"{m.capability[0]:.2f} | {money(m.cost[0])} | {row['mean_regret']:,.0f} | "
            f"{row['regret_90th_percentile']:,.0f} | {pct(row['satisficing'])} |"
        )
    lines += ["", f"Regret is in {str(table[0]['regret_unit']).replace('_', ' ')}.", ""]
    if result.voi is not None and not result.voi.empty:
        lines += [
            "## What to measure next",
            "",
            "If an unknown were measured before committing, the plan could be chosen for its value. The gain on "
            "average is the expected value of partial perfect information (EVPPI; Strong, Oakley & Brennan 2014's "
            "regression estimate over the confirmation futures), among the ranked plans within the budget; with "
            "it, the share of futures in which knowing it would change the recommended plan. After ±: the "
            "Monte Carlo error (a bootstrap over the futures).",
            "",
            f"| unknown | gain if known first ({voi_unit(result)}) | changes the plan in |",
            "|---|---|---|",
        ]
        for row in result.voi.to_dict("records"):
            lines.append(
                f"| {_unknown_words(row['unknown'])} (`{row['unknown']}`) | {voi_number(row['evppi'], result)} "
                f"(± {voi_number(row['evppi_error'], result)}) | {pct(row['changes_plan'])} "
                f"(± {100 * row['changes_plan_error']:.0f} points) |"
            )
        lines.append("")
    lines += [
        "## The cost-outcome front",
        "",
        f"Of the {len(result.candidates):,} plans the search judged (each on {result.seeds} futures), these are "
        "the ones no other plan beats on both cost and outcome (pareto.csv; pareto.png draws them):",
        "",
        "| mean cost | thriving | plan |",
        "|---|---|---|",
    ]
    for row in result.pareto.to_dict("records"):
        lines.append(f"| {money(row['cost'])} | {pct(row['thriving'])} | {plan_words(_plan_of(result, row))} |")
    lines += [
        "",
        "## How the plans were found",
        "",
        f"- Decisions: {', '.join(f'{r.path} in [{r.low:g}, {r.high:g}]' for r in result.spec.decisions)}.",
    ]
    if result.spec.uncertain:
        lines.append(
            "- Deep uncertainties, drawn anew in each future: "
            + ", ".join(f"{r.path} in [{r.low:g}, {r.high:g}]" for r in result.spec.uncertain)
            + "."
        )
    if sc.weights == "posterior":
        lines.append("- Engagement weights: each future's drawn from the fit's posterior (weights: posterior).")
    lines += [
        f"- Objective: {OBJECTIVE_WORDS[result.objective]}; a plan whose mean cost exceeds the budget ranks below "
        "every plan within it.",
        f"- Differential evolution (SciPy), {result.generations} generations, each plan on the first "
        f"{result.seeds} futures; then the best plans on twice as many futures until the order of the best "
        f"three held: {'it held' if result.stable else 'it had not yet held'} at {result.seeds_used} futures "
        "(rounds.csv).",
        f"- Runs: {result.runs:,} made; {result.replayed:,} outcomes were taken from the journal (evaluations.jsonl) "
        "instead of being run again.",
    ]
    lines += [f"- Note: {n}" for n in result.notes]
    return "\n".join(lines) + "\n"


def _plan_of(result: PlanResult, row: dict[str, Any]) -> dict[str, Any]:
    return {r.path: int(row[r.path]) if r.integer else float(row[r.path]) for r in result.spec.decisions}


def _column(path: str) -> str:
    """A decision's column name in the tables (dots are not valid in a named tuple's fields)."""
    return path.replace(".", "__")


OBJECTIVE_WORDS = {
    "thriving": "the chance of thriving (ties broken by the final active share)",
    "learner_weeks": "active learner-weeks",
    "capability": "capability gained",
    "net_value": "net value (costs: values minus costs)",
}


def pareto_figure(result: PlanResult) -> Figure:
    """Every plan judged: mean cost against the chance of thriving, the front, the budget and the plan chosen."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.5), dpi=110)
    ax = fig.add_subplot()
    c = result.candidates
    ax.scatter(c["cost"], c["thriving"], s=12, color="#9aa4b1", label=f"plans judged ({result.seeds} futures each)")
    p = result.pareto
    ax.step(p["cost"], p["thriving"], where="post", color="#2f6f9f", lw=1.5, label="cost-outcome front")
    ax.axvline(result.budget, color="#b5452f", ls="--", lw=1, label="budget")
    best = result.best
    if best is not None:
        ax.scatter(
            [best.cost[0]],
            [best.thriving],
            marker="*",
            s=160,
            color="#e0a020",
            zorder=5,
            label=f"the plan ({result.confirm} fresh futures)",
        )
        ax.vlines(best.cost[0], *best.thriving_interval, color="#e0a020", lw=2, zorder=4)
    ax.set_xlabel("mean cost over the run")
    ax.set_ylabel("chance of thriving")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"{result.scenario.name}: what each plan buys")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def write_plan(out: Path, result: PlanResult, *, figures: bool = True, command: list[str] | None = None) -> list[str]:
    """Write every output of ``result`` into ``out``; returns the files written."""
    from ecosim.plotting.html import Picture, Report, frame_table, write_report
    from ecosim.report import versions

    files: list[str] = []
    tables = {
        "candidates": result.candidates,
        "pareto": result.pareto,
        "rounds": result.rounds,
        "confirmed": confirmed_table(result),
        "robustness": result.robust,
    }
    if result.voi is not None:
        tables["value_of_information"] = result.voi
    for name, frame in tables.items():
        frame = frame.rename(columns={r.path: _column(r.path) for r in result.spec.decisions})
        write_with(out / f"{name}.parquet", lambda tmp, f=frame: f.to_parquet(tmp, index=False))
        write_with(out / f"{name}.csv", lambda tmp, f=frame: f.to_csv(tmp, index=False, float_format="%.6g"))
        files += [f"{name}.parquet", f"{name}.csv"]
    text = plan_markdown(result)
    write_text(out / "plan.md", text)
    files.append("plan.md")
    write_json(out / "plan.json", plan_json(result))
    files.append("plan.json")
    pictures = []
    if figures:
        fig = pareto_figure(result)
        write_with(out / "pareto.png", lambda tmp: fig.savefig(tmp, format="png"))
        files.append("pareto.png")
        pictures.append(Picture(out / "pareto.png", "Mean cost against the chance of thriving of every plan judged"))
    report = Report(
        title=f"ecosim plan: {result.scenario.name}",
        subtitle=f"a budget of {money(result.budget)}",
        summary=[headline(result)],
        tables=[
            frame_table(f"The plans on {result.confirm} fresh futures", _shown(confirmed_table(result), result)),
            frame_table("The cost-outcome front (the search's futures)", _shown(result.pareto, result)),
        ],
        pictures=pictures,
        facts=[("runs", f"{result.runs:,}"), ("versions", ", ".join(f"{k} {v}" for k, v in versions().items()))],
    )
    files.append(write_report(out, report))
    write_json(out / "manifest.json", manifest(result, files, command))
    files.append("manifest.json")
    return files


def _shown(frame, result: PlanResult):
    keep = [r.path for r in result.spec.decisions]
    keep += [c for c in ("plan", "thriving", "thriving_low", "thriving_high", "ghost_town", "cost") if c in frame]
    keep += [c for c in ("mean_regret", "satisficing") if c in frame]
    keep = [c for c in dict.fromkeys(keep) if c in frame.columns]
    return frame[keep]


def plan_json(result: PlanResult) -> dict[str, Any]:
    """plan.json: the recommendation and its numbers, for scripts."""
    best = result.best
    return finite(
        {
            "scenario": result.scenario.name,
            "budget": result.budget,
            "objective": result.objective,
            "recommended": None if best is None else best.row(),
            "ranked": [m.row() for m in result.confirmed],
            "as_written": result.as_written.row(),
            "confirmation_futures": result.confirm,
            "search_futures": result.seeds,
            "futures_when_ranking_held": result.seeds_used,
            "ranking_stable": result.stable,
            "level": LEVEL,
            "value_of_information": None if result.voi is None else result.voi.to_dict("records"),
            "headline": headline(result),
        }
    )


def manifest(result: PlanResult, files: list[str], command: list[str] | None) -> dict[str, Any]:
    """manifest.json: what was searched, how, the time, the versions and the files."""
    from ecosim.report import versions

    return finite(
        {
            "scenario_name": result.scenario.name,
            "spec": result.spec.describe(),
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "command": command if command is not None else sys.argv,
            "runs": result.runs,
            "replayed": result.replayed,
            "versions": versions("scipy"),
            "files": [*files, EVALUATIONS, SETTINGS],
        }
    )


def settings(**kw: Any) -> str:
    """The settings of a plan as canonical JSON text (compared when it is resumed)."""
    return json.dumps(finite(kw), sort_keys=True, indent=1)
