"""Every outcome ecosim reports, declared once: its name, plain words, unit, direction and how it is shown.

Metrics, summaries, ensembles, comparisons, sweep analysis, calibration's observed statistics,
figures and reports all read these declarations (as EMA Workbench declares its scalar and time-series
outcomes once): a label or a unit is changed here and nowhere else.

- *weekly* outcomes are the columns of a run's weekly table (:mod:`ecosim.core.metrics` records
  them);
- *scalar* outcomes are one number per run: the summary at the end of a run, and what it cost;
- ``better`` is +1 when more is better, -1 when less is, 0 when neither (a count of events, a week);
- ``shown`` is how a value is written: ``pct`` (a share, in percent), ``int`` (a count), ``money``,
  ``float``, ``week``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One outcome: its name, plain words and unit, whether more is better, weekly or per run, how shown."""

    name: str
    label: str
    unit: str
    better: int
    kind: str  # weekly or scalar
    shown: str  # pct, int, money, float, week
    description: str = ""

    @property
    def is_share(self) -> bool:
        """Whether the outcome is a share between 0 and 1."""
        return self.shown == "pct"


def _w(name: str, label: str, unit: str, better: int, shown: str, description: str) -> Outcome:
    return Outcome(name, label, unit, better, "weekly", shown, description)


def _s(name: str, label: str, unit: str, better: int, shown: str, description: str = "") -> Outcome:
    return Outcome(name, label, unit, better, "scalar", shown, description or label)


#: The columns of a run's weekly table, in order.
WEEKLY: tuple[Outcome, ...] = (
    _w("week", "week", "week", 0, "week", "week number (1 = first week)"),
    _w("platform_open", "platform open", "yes/no", 0, "int", "1 once the platform has launched"),
    _w("learners", "headcount", "people", 0, "int", "headcount"),
    _w(
        "active_share",
        "weekly active share",
        "share",
        1,
        "pct",
        "share of learners who visited the platform this week (weekly active share)",
    ),
    _w("consumer_share", "readers", "share", 0, "pct", "share who visited without posting (lurkers)"),
    _w("contributor_share", "contributors", "share", 1, "pct", "share who posted"),
    _w("posts", "posts", "posts", 1, "int", "posts written by learners this week"),
    _w(
        "content_stock",
        "content on the platform",
        "posts",
        1,
        "float",
        "live posts on the platform (each decaying with the content half-life)",
    ),
    _w(
        "mean_knowledge",
        "mean individual knowledge",
        "share",
        1,
        "pct",
        "mean share of practice dimensions learners are right about",
    ),
    _w(
        "org_code_knowledge",
        "organisational code knowledge",
        "share",
        1,
        "pct",
        "share of practice dimensions the organisational code is right about",
    ),
    _w(
        "org_capability",
        "capability on the organisation's topics",
        "share",
        1,
        "pct",
        "learners' knowledge on the organisation's topics (weighted by the organisation's goals)",
    ),
    _w("mean_usefulness", "usefulness", "0-1", 1, "pct", "mean perceived usefulness of the platform (0-1)"),
    _w(
        "top1_post_share",
        "posts by the top 1% of posters",
        "share",
        0,
        "pct",
        "share of all posts so far written by the top 1% of people who ever posted",
    ),
    _w(
        "top10_post_share",
        "posts by the top 10% of posters",
        "share",
        0,
        "pct",
        "share of all posts so far written by the top 10% of people who ever posted",
    ),
    _w(
        "top1_everyone_post_share",
        "posts by the top 1% of everyone",
        "share",
        0,
        "pct",
        "share of all posts so far written by the top 1% of everyone employed so far "
        "(as van Mierlo 2014 counts superusers: people who never posted count too)",
    ),
    _w("ever_posted_share", "ever posted", "share", 1, "pct", "share of everyone employed so far who ever posted"),
    _w("ever_active_share", "ever visited", "share", 1, "pct", "share of everyone employed so far who ever visited"),
    _w("ties", "ties", "ties", 0, "int", "ties in the network (structural and brokered)"),
    _w("brokered_ties", "brokered ties", "ties", 1, "int", "ties brokered by facilitators, between people still here"),
    _w("mean_alignment", "mean alignment", "cosine", 1, "float", "mean alignment of the current workforce"),
    _w("leavers", "leavers", "people", 0, "int", "people who left (and were replaced) this week"),
    _w("new_posters", "new posters", "people", 1, "int", "people who posted for the first time this week"),
    _w("events", "events", "events", 0, "int", "facilitated events held this week"),
    _w("event_attendees", "event attendees", "people", 0, "int", "people who attended an event this week"),
    _w("replies", "facilitators' replies", "replies", 0, "int", "replies by facilitators to first posts"),
    _w("peer_replies", "colleagues' replies", "replies", 0, "int", "first posts answered by colleagues"),
    _w("seeded_posts", "facilitators' posts", "posts", 0, "float", "posts written by facilitators"),
    _w("introductions", "introductions", "ties", 0, "int", "ties brokered by facilitators this week"),
    _w(
        "facilitator_hours",
        "facilitator hours",
        "hours",
        0,
        "float",
        "hours facilitators spent on the ecosystem this week (from launch)",
    ),
    _w(
        "training_hours",
        "formal training hours",
        "hours",
        0,
        "float",
        "hours of formal training this week, all learners together",
    ),
    _w(
        "interventions",
        "interventions",
        "changes",
        0,
        "int",
        "interventions of the scenario applied at the start of this week",
    ),
)

#: One number per run: the summary at the end (and the verdict, which is a word).
SUMMARY: tuple[Outcome, ...] = (
    _s("final_active_share", "weekly active share at the end", "share", 1, "pct"),
    _s("peak_active_share", "peak weekly active share", "share", 1, "pct"),
    _s("week_of_peak", "week of the peak", "week", 0, "int"),
    _s("final_contributor_share", "contributors at the end", "share", 1, "pct"),
    _s("mean_knowledge_final", "mean individual knowledge at the end", "share", 1, "pct"),
    _s("org_code_knowledge_final", "organisational code knowledge at the end", "share", 1, "pct"),
    _s("org_capability_final", "capability on the organisation's topics", "share", 1, "pct"),
    _s("top1pct_post_share", "posts by the top 1% of posters", "share", 0, "pct"),
    _s("top10pct_post_share", "posts by the top 10% of posters", "share", 0, "pct"),
    _s("top1pct_everyone_post_share", "posts by the top 1% of everyone", "share", 0, "pct"),
    _s("ever_posted_share", "ever posted", "share", 1, "pct"),
    _s("ever_active_share", "ever visited", "share", 1, "pct"),
    _s("total_posts", "posts by learners", "posts", 1, "int"),
    _s("verdict", "verdict", "word", 0, "word"),
)

#: What a run cost and what it bought (from its weekly table and the scenario's ``costs:``).
COSTS: tuple[Outcome, ...] = (
    _s("active_learner_weeks", "active learner-weeks", "learner-weeks", 1, "int"),
    _s("facilitator_cost", "facilitators", "money", -1, "money"),
    _s("event_cost", "events", "money", -1, "money"),
    _s("licence_cost", "licences", "money", -1, "money"),
    _s("training_cost", "formal training", "money", -1, "money"),
    _s("total_cost", "total cost", "money", -1, "money"),
    _s("cost_per_active_learner_week", "cost per active learner-week", "money", -1, "money"),
    _s("capability_points_gained", "capability gained", "points", 1, "float"),
    _s("value", "value bought", "money", 1, "money"),
    _s("net_value", "net value (value - cost)", "money", 1, "money"),
    _s("return_on_cost", "return on cost (net value / cost)", "share", 1, "pct"),
)

#: The statistics a calibration compares with an organisation's own weekly numbers.
OBSERVED: tuple[Outcome, ...] = (
    _w("active_share", "weekly active share", "share", 1, "pct", "share of learners who visited this week"),
    _w("contributor_share", "weekly contributor share", "share", 1, "pct", "share of learners who posted this week"),
    _w("posts_per_head", "posts per head per week", "posts", 1, "float", "posts this week per learner"),
)

#: The summary values a run's or an ensemble's table shows, in the order shown.
REPORTED = (
    "final_active_share",
    "peak_active_share",
    "week_of_peak",
    "final_contributor_share",
    "ever_active_share",
    "ever_posted_share",
    "top1pct_post_share",
    "top10pct_post_share",
    "top1pct_everyone_post_share",
    "total_posts",
    "mean_knowledge_final",
    "org_capability_final",
    "org_code_knowledge_final",
)

#: Verdicts in the order they are reported.
VERDICTS = ("thriving", "struggling", "ghost_town", "not_launched")

_ALL: dict[str, Outcome] = {}
for _o in (*OBSERVED, *WEEKLY, *SUMMARY, *COSTS):
    _ALL.setdefault(_o.name, _o)


def outcome(name: str) -> Outcome | None:
    """The declaration of an outcome by name (None for a name ecosim does not declare)."""
    return _ALL.get(name)


def label(name: str) -> str:
    """An outcome's plain words ("weekly active share at the end"); other names with their underscores as spaces."""
    o = _ALL.get(name)
    return o.label if o is not None else name.replace("_", " ")


def is_share(name: str) -> bool:
    """Whether an outcome is a share between 0 and 1."""
    o = _ALL.get(name)
    return o.is_share if o is not None else ("share" in name)


def shown_rows(keys: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """(name, plain words, how shown) of each named outcome, in order: the rows of a table."""
    return tuple((k, _ALL[k].label, _ALL[k].shown) for k in keys)


def names(outcomes: tuple[Outcome, ...]) -> tuple[str, ...]:
    """The names of some outcomes, in order."""
    return tuple(o.name for o in outcomes)
