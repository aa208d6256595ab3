"""Patterns and mechanism effects: the learning-ecosystem layer scored against what real platforms show.

Pattern-oriented evaluation (Grimm et al. 2005): one set of defaults must reproduce several
independent patterns at once. Each pattern row compares what the engine shows, over seeds, with a
published value and a tolerance that reflects the source's own spread (docs/model.md section 7.8).
Each mechanism row measures what one mechanism of the model changes, at the shipped defaults, over
paired seeds (the same seeds with and without it), in the direction docs/model.md claims. The
effects are read in the thriving chain: the shipped retail chain sits at the tipping point, where
whether a run tips swamps any one mechanism's effect over 20 seeds.

Every row can fail: tests/test_patterns.py breaks each mechanism and watches its row fail.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecosim.validation.stats import Check, mean_se

#: Seeds of the runs the rows use; the mechanism effects compare the same seeds with and without.
SEED0 = 7000

RETAIL = "retail.yaml"
THRIVING = "retail_high_alignment.yaml"

#: Arms: a scenario file and the overrides that switch one mechanism off.
ARMS: dict[str, tuple[str, dict[str, Any]]] = {
    "retail": (RETAIL, {}),
    "no_replies": (RETAIL, {"facilitation.reply_boost": 0.0}),
    "thriving": (THRIVING, {}),
    "thriving_no_brokering": (THRIVING, {"facilitation.max_brokered_ties": 0}),
    "thriving_no_posting_protection": (THRIVING, {"forgetting.posting_protection": 0.0}),
    "thriving_no_events": (THRIVING, {"facilitation.event_every_weeks": 0}),
    "thriving_no_replies": (THRIVING, {"facilitation.reply_boost": 0.0}),
    "thriving_no_mobile_friction": (THRIVING, {"platform.mobile_posting_cost_ratio": 1.0}),
}


@dataclass(frozen=True)
class Effect:
    """A mechanism effect: the outcome, the arm without the mechanism, the direction claimed and why."""

    mechanism: str
    outcome: str
    off: str
    sign: int  # +1: the mechanism raises the outcome; -1: it lowers it
    read: Callable[[Any], float]
    claim: str
    on: str = "thriving"


EFFECTS = (
    Effect(
        "brokering ties (personal learning networks)",
        "mean knowledge at the end",
        "thriving_no_brokering",
        +1,
        lambda o: o.summary["mean_knowledge_final"],
        "brokered contacts are conversations on top of colleagues'",
    ),
    Effect(
        "posting protects memory",
        "knowledge of habitual posters (posting habit >= 0.5) over the last 12 weeks",
        "thriving_no_posting_protection",
        +1,
        lambda o: o.habitual_knowledge_late,
        "retrieval practice and reflection cut forgetting (Roediger & Karpicke 2006)",
    ),
    Effect(
        "events at the default cadence",
        "mean weekly active share",
        "thriving_no_events",
        +1,
        lambda o: o.mean_active_share,
        "attendees visit (the event is held on the platform) and come back for a while",
    ),
    Effect(
        "replies to newcomers",
        "first posters posting again within 12 weeks",
        "thriving_no_replies",
        +1,
        lambda o: o.return_all,
        "a reply raises the chance of posting again (Joyce & Kraut 2006)",
    ),
    Effect(
        "mobile posting friction",
        "mean weekly share who post",
        "thriving_no_mobile_friction",
        -1,
        lambda o: o.mean_contributor_share,
        "typing on a phone costs 52/36 of a keyboard (Palin et al. 2019)",
    ),
)

VAN_MIERLO = "van Mierlo 2014, JMIR 16(2):e33 (63,990 users of four health communities)"
SWOOP = "SWOOP Analytics 2016, 15 Yammer organisations (vendor data)"
JOYCE_KRAUT = "Joyce & Kraut 2006, JCMC 11(3) (2,777 newcomers to six newsgroups)"
#: Joyce & Kraut's newcomers: 61% of 2,777 got a reply.
JK_REPLIED, JK_UNREPLIED = round(0.61 * 2777), 2777 - round(0.61 * 2777)
DECAY = "Tatel & Ackerman, Psychological Bulletin, doi:10.1037/bul0000481 (457 reports); Arthur et al. 1998"
#: Half of an unused skill is lost after about 6.5 months on accuracy-based measures, 11 on mixed ones.
HALF_LIFE_ACCURACY, HALF_LIFE_MIXED = 6.5 * 52 / 12, 11 * 52 / 12


@dataclass(frozen=True)
class Pattern:
    """A pattern row: what it reads from which arm, the reference, how it is judged and its source."""

    name: str
    arm: str
    reference: float
    sense: str
    allowance: float
    allowance_note: str
    source: str
    read: Callable[[list[Any]], tuple[float, float, int]]


def _means(f: Callable[[Any], float]) -> Callable[[list[Any]], tuple[float, float, int]]:
    def read(obs: list[Any]) -> tuple[float, float, int]:
        values = [f(o) for o in obs]
        return mean_se([v for v in values if v is not None and not math.isnan(v)])

    return read


def _with_source_error(f: Callable[[Any], float], p: float, n: int) -> Callable[[list[Any]], tuple[float, float, int]]:
    """A mean over runs whose standard error also carries the binomial error of the published share."""

    def read(obs: list[Any]) -> tuple[float, float, int]:
        m, s, df = _means(f)(obs)
        return m, math.hypot(s, math.sqrt(p * (1 - p) / n)), df

    return read


PATTERNS = (
    Pattern(
        "share who ever posted, thriving chain (high alignment)",
        "thriving",
        0.25,
        "at-most",
        0.0,
        "",
        f"{VAN_MIERLO}: under 25% ever posted",
        _means(lambda o: o.summary["ever_posted_share"]),
    ),
    Pattern(
        "posts by the top 1% of everyone, thriving chain",
        "thriving",
        0.747,
        "two-sided",
        0.05,
        "the four communities' weighted average; 0.05 for the spread between communities",
        f"{VAN_MIERLO}: 74.7%",
        _means(lambda o: o.summary["top1pct_everyone_post_share"]),
    ),
    Pattern(
        "posts by the top 10% of everyone, thriving chain",
        "thriving",
        0.987,
        "two-sided",
        0.05,
        "as above",
        f"{VAN_MIERLO}: 74.7% + 24.0% (the other 90% wrote 1.3%)",
        _means(lambda o: o.top10_everyone),
    ),
    Pattern(
        "people who posted in the last 26 weeks posting in under half of their weeks there",
        "thriving",
        0.80,
        "two-sided",
        0.10,
        "vendor benchmark of 15 organisations, no spread published: 0.10",
        f"{SWOOP}: about 80% of active users act less than once a fortnight",
        _means(lambda o: o.rare_share),
    ),
    Pattern(
        "first posters posting again within 12 weeks, no reply",
        "no_replies",
        0.44,
        "two-sided",
        0.0,
        "",
        f"{JOYCE_KRAUT}: 44% (1,083 without a reply)",
        _with_source_error(lambda o: o.return_all, 0.44, JK_UNREPLIED),
    ),
    Pattern(
        "first posters posting again within 12 weeks, replied to",
        "retail",
        0.56,
        "two-sided",
        0.0,
        "",
        f"{JOYCE_KRAUT}: 56% (1,694 replied to)",
        _with_source_error(lambda o: o.return_replied, 0.56, JK_REPLIED),
    ),
    Pattern(
        "separations per head per year",
        "retail",
        0.60,
        "two-sided",
        0.0,
        "",
        "NRF / BLS: about 60% a year in frontline retail",
        _means(lambda o: o.separations_per_head),
    ),
)

#: The forgetting pattern's own scenario: nothing but forgetting, nobody visits.
DECAY_OVERRIDES = {
    "weeks": 104,
    "network.kind": "erdos_renyi",
    "network.learners": 2000,
    "platform.launch_week": 200,
    "facilitation.facilitators": 0,
    "turnover.annual_rate": 0.0,
    "learning.experiential": 0.0,
    "learning.social": 0.0,
    "learning.platform_reads": 0.0,
    "learning.socialisation": 0.0,
    "learning.code_learning": 0.0,
    "learning.initial_correct": 1.0,
    "learning.initial_wrong": 0.0,
}


def decay_half_life(seed: int) -> float:
    """Weeks until half of what people knew is forgotten when nothing is used or relearnt (engine run)."""
    from ecosim.experiment.model import EcosystemModel
    from ecosim.scenario.loader import load_scenario
    from ecosim.validation.cases import SCENARIOS

    sc = load_scenario(SCENARIOS / RETAIL, DECAY_OVERRIDES)
    m = EcosystemModel(sc, seed=seed)
    kept = [1.0]
    while m.week < sc.weeks:
        m.step()
        kept.append(float(np.count_nonzero(m.state.beliefs)) / m.state.beliefs.size)
        if kept[-1] <= 0.5:
            t = len(kept) - 1
            return t - 1 + (kept[-2] - 0.5) / (kept[-2] - kept[-1])
    return math.inf


def run_arms(names: Iterable[str], seeds: range) -> dict[str, list[Any]]:
    """Observe every named arm over ``seeds``."""
    from ecosim.scenario.loader import load_scenario
    from ecosim.validation.cases import SCENARIOS
    from ecosim.validation.observe import observe

    out = {}
    for name in names:
        path, over = ARMS[name]
        sc = load_scenario(SCENARIOS / path, over)
        out[name] = [observe(sc, seed) for seed in seeds]
    return out


def pattern_checks(obs: dict[str, list[Any]], decay: list[float], only: Iterable[str] | None = None) -> list[Check]:
    """The pattern rows from observed arms (and the forgetting runs)."""
    checks = []
    for p in PATTERNS:
        if only is not None and p.name not in only:
            continue
        m, s, df = p.read(obs[p.arm])
        checks.append(
            Check(
                case=f"Pattern ({ARMS[p.arm][0]})",
                quantity=p.name,
                reference=p.reference,
                source=p.source,
                estimate=m,
                sense=p.sense,
                se=s,
                df=df,
                allowance=p.allowance,
                allowance_note=p.allowance_note,
                runs=len(obs[p.arm]),
            )
        )
    if decay and (only is None or "decay" in only):
        m, s, df = mean_se(decay)
        checks.append(
            Check(
                case="Pattern (nothing used, nothing relearnt)",
                quantity="weeks until half of what people knew is forgotten",
                reference=HALF_LIFE_ACCURACY,
                source=f"{DECAY}: half lost after about 6.5 months (accuracy measures)",
                estimate=m,
                se=s,
                df=df,
                allowance=(HALF_LIFE_MIXED - HALF_LIFE_ACCURACY) / 2,
                allowance_note="half the way to the mixed-measure estimate (11 months)",
                runs=len(decay),
                digits=2,
            )
        )
    return checks


def effect_checks(obs: dict[str, list[Any]], only: Iterable[str] | None = None) -> list[Check]:
    """The mechanism rows: paired differences (with minus without) over the same seeds."""
    checks = []
    for e in EFFECTS:
        if only is not None and e.mechanism not in only:
            continue
        on = np.array([e.read(o) for o in obs[e.on]], dtype=float)
        off = np.array([e.read(o) for o in obs[e.off]], dtype=float)
        keep = ~(np.isnan(on) | np.isnan(off))
        m, s, df = mean_se(on[keep] - off[keep])
        checks.append(
            Check(
                case=f"Mechanism ({ARMS[e.on][0]}): {e.mechanism}",
                quantity=f"{e.outcome}: with minus without, paired seeds",
                reference=0.0,
                source=f"{'raises' if e.sign > 0 else 'lowers'} it: {e.claim}",
                estimate=m,
                sense="greater" if e.sign > 0 else "less",
                se=s,
                df=df,
                runs=2 * int(keep.sum()),
                digits=4,
            )
        )
    return checks


def needed_arms(patterns: Iterable[str] | None, effects: Iterable[str] | None) -> list[str]:
    """The arms that the selected rows read (all of them when both selections are None)."""
    arms = set()
    for p in PATTERNS:
        if patterns is None or p.name in patterns:
            arms.add(p.arm)
    for e in EFFECTS:
        if effects is None or e.mechanism in effects:
            arms.update((e.on, e.off))
    return [a for a in ARMS if a in arms]
