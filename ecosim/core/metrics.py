"""Weekly metrics and the end-of-run summary and verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.core.state import CONTRIBUTOR, INACTIVE

if TYPE_CHECKING:
    from ecosim.core.model import EcosystemModel

#: Formal training hours per learner per year for each unit of ``learning.socialisation``: the default
#: 0.01 stands for about 35 h a year (ATD 2018/2020), so training time is taken as proportional to it.
TRAINING_HOURS_PER_SOCIALISATION = 3500.0

#: Columns of the weekly time series, in order, with what each means.
COLUMNS: dict[str, str] = {
    "week": "week number (1 = first week)",
    "platform_open": "1 once the platform has launched",
    "learners": "headcount",
    "active_share": "share of learners who visited the platform this week (weekly active share)",
    "consumer_share": "share who visited without posting (lurkers)",
    "contributor_share": "share who posted",
    "posts": "posts written by learners this week",
    "content_stock": "live posts on the platform (each decaying with the content half-life)",
    "mean_knowledge": "mean share of practice dimensions learners are right about",
    "org_code_knowledge": "share of practice dimensions the organisational code is right about",
    "org_capability": "learners' knowledge on the organisation's topics (weighted by the organisation's goals)",
    "mean_usefulness": "mean perceived usefulness of the platform (0-1)",
    "top1_post_share": "share of all posts so far written by the top 1% of people who ever posted",
    "top10_post_share": "share of all posts so far written by the top 10% of people who ever posted",
    "top1_everyone_post_share": "share of all posts so far written by the top 1% of everyone employed so far "
    "(as van Mierlo 2014 counts superusers: people who never posted count too)",
    "ever_posted_share": "share of everyone employed so far who ever posted",
    "ever_active_share": "share of everyone employed so far who ever visited",
    "ties": "ties in the network (structural and brokered)",
    "brokered_ties": "ties brokered by facilitators, between people still here",
    "mean_alignment": "mean alignment of the current workforce",
    "leavers": "people who left (and were replaced) this week",
    "new_posters": "people who posted for the first time this week",
    "events": "facilitated events held this week",
    "event_attendees": "people who attended an event this week",
    "replies": "replies by facilitators to first posts",
    "seeded_posts": "posts written by facilitators",
    "introductions": "ties brokered by facilitators this week",
    "facilitator_hours": "hours facilitators spent on the ecosystem this week (from launch)",
    "training_hours": "hours of formal training this week, all learners together "
    f"({TRAINING_HOURS_PER_SOCIALISATION:g} h a year per unit of learning.socialisation)",
    "interventions": "interventions of the scenario applied at the start of this week",
}

SUMMARY_KEYS = (
    "final_active_share",
    "peak_active_share",
    "week_of_peak",
    "final_contributor_share",
    "mean_knowledge_final",
    "org_code_knowledge_final",
    "org_capability_final",
    "top1pct_post_share",
    "top10pct_post_share",
    "top1pct_everyone_post_share",
    "ever_posted_share",
    "ever_active_share",
    "total_posts",
    "verdict",
)

#: Each verdict in a word or two, as sentences name it ("ghost town in 4 of 20 runs").
VERDICT_WORDS = {
    "thriving": "thriving",
    "struggling": "struggling",
    "ghost_town": "ghost town",
    "not_launched": "not launched",
}
VERDICT_TEXT = {
    "ghost_town": "Ghost town: the platform was built and almost nobody comes.",
    "struggling": "Struggling: some people come, but the ecosystem has not taken off.",
    "thriving": "Thriving: people come and keep coming.",
    "not_launched": "Not launched: the platform opens after the last simulated week.",
}


def verdict_words(key: str, contributor_share: float | None = None) -> str:
    """The verdict in words that agree with the numbers: who posted is said, not assumed.

    The verdict judges visits only (the weekly active share), so whether people also contribute
    is told from ``contributor_share``, the share of learners who posted in the final week.
    """
    text = VERDICT_TEXT[key]
    if key != "thriving" or contributor_share is None or not np.isfinite(contributor_share):
        return text
    if contributor_share <= 0:
        return text[:-1] + ", but nobody posted in the final week: they read and do not contribute."
    return text[:-1] + f"; {contributor_share:.1%} of learners posted in the final week."


def top_share(posts: np.ndarray, fraction: float) -> float:
    """Share of all posts written by the top ``fraction`` of ``posts`` (>= 1 person)."""
    total = posts.sum()
    if posts.size == 0 or total == 0:
        return float("nan")
    k = max(1, int(np.ceil(fraction * posts.size)))
    top = np.partition(posts, posts.size - k)[posts.size - k :]
    return float(top.sum() / total)


def top_shares(posts: np.ndarray, fractions: tuple[float, ...]) -> list[float]:
    """:func:`top_share` for several fractions of one array of whole post counts, sorting once.

    The top k of an array lie within its top K for K >= k, so each smaller cut partitions only
    the part above the previous one. Sums are exact integers.
    """
    total = int(posts.sum(dtype=np.int64))
    if posts.size == 0 or total == 0:
        return [float("nan")] * len(fractions)
    out: dict[float, float] = {}
    rest = posts
    for fraction in sorted(fractions, reverse=True):
        k = max(1, int(np.ceil(fraction * posts.size)))
        rest = np.partition(rest, rest.size - k)[rest.size - k :]
        out[fraction] = int(rest.sum(dtype=np.int64)) / total
    return [out[f] for f in fractions]


def top_share_of_people(posts: np.ndarray, people: int, fraction: float) -> float:
    """Share of all posts written by the top ``fraction`` of ``people`` (>= 1 person).

    ``posts`` holds the counts of those who posted; everyone else posted nothing.
    """
    total = int(posts.sum(dtype=np.int64))
    if total == 0:
        return float("nan")
    k = min(max(1, int(np.ceil(fraction * people))), posts.size)
    top = np.partition(posts, posts.size - k)[posts.size - k :]
    return int(top.sum(dtype=np.int64)) / total


#: Up to this many belief cells, one comparison of the whole array is quickest; above, a column at a time.
_WHOLE_COMPARISON_CELLS = 50_000


def correct_by_dimension(beliefs: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """How many learners hold the right belief on each dimension."""
    if beliefs.ndim == 2 and beliefs.flags.f_contiguous and beliefs.size > _WHOLE_COMPARISON_CELLS:
        # dimension by dimension, contiguous columns: no temporary the size of the whole array
        return np.array([np.count_nonzero(beliefs[:, j] == reality[j]) for j in range(beliefs.shape[1])])
    return np.count_nonzero(beliefs == reality, axis=0)


def record(m: EcosystemModel) -> dict[str, float]:
    """Measure the model at the end of a week; returns the row."""
    s = m.state
    n = s.n
    eng = s.engagement
    active = np.count_nonzero(eng > INACTIVE)
    contributors = np.count_nonzero(eng == CONTRIBUTOR)
    correct_by_dim = correct_by_dimension(s.beliefs, m.reality) / n
    posters_now = s.posts[s.posts > 0]
    all_posts = np.concatenate([posters_now, m.departed_posts])
    top1, top10 = top_shares(all_posts, (0.01, 0.10))
    people = m.people_so_far
    stats = m.week_stats
    row = {
        "week": m.week,
        "platform_open": int(m.platform_open),
        "learners": n,
        "active_share": active / n,
        "consumer_share": (active - contributors) / n,
        "contributor_share": contributors / n,
        "posts": stats["posts"],
        "content_stock": m.content.stock,
        "mean_knowledge": float(correct_by_dim.mean()),
        "org_code_knowledge": float(np.mean(m.code == m.reality)),
        "org_capability": float(correct_by_dim @ m.dim_weights),
        "mean_usefulness": float(m.last_usefulness.mean()) if m.last_usefulness is not None else 0.0,
        "top1_post_share": top1,
        "top10_post_share": top10,
        "top1_everyone_post_share": top_share_of_people(all_posts, people, 0.01),
        "ever_posted_share": all_posts.size / people,
        "ever_active_share": (np.count_nonzero(s.ever_active) + m.departed_ever_active) / people,
        "ties": m.ties.n_ties,
        "brokered_ties": m.ties.n_brokered_ties,
        "mean_alignment": float(s.alignment.mean()),
        "leavers": stats["leavers"],
        "new_posters": stats["new_posters"],
        "events": stats["events"],
        "event_attendees": stats["event_attendees"],
        "replies": stats["replies"],
        "seeded_posts": stats["seeded_posts"],
        "introductions": stats["introductions"],
        "facilitator_hours": sum(f.hours_per_week for f in m.facilitators) if m.platform_open else 0.0,
        "training_hours": n * m.params.learning.socialisation * TRAINING_HOURS_PER_SOCIALISATION / 52.0,
        "interventions": stats["interventions"],
    }
    return row


def verdict(active_share: np.ndarray, launched: bool, params) -> str:
    """ghost_town, struggling or thriving, from the weekly active share (see VERDICT_TEXT)."""
    v = params.verdict
    if not launched:
        return "not_launched"
    final = float(active_share[-1])
    if final < v.ghost_town_below:
        return "ghost_town"
    window = active_share[-v.window_weeks :]
    if final >= v.thriving_at and not falling(window, v.max_drop):
        return "thriving"
    return "struggling"


def falling(window: np.ndarray, max_drop: float) -> bool:
    """Whether the least-squares trend over ``window`` loses more than ``max_drop`` across it."""
    if window.size < 2:
        return False
    t = np.arange(window.size, dtype=np.float64)
    slope = np.polyfit(t, window.astype(np.float64), 1)[0]
    return slope * (window.size - 1) < -max_drop


def summarise(table: dict[str, np.ndarray], launched: bool, params) -> dict[str, Any]:
    """The end-of-run summary from the weekly columns."""
    active = table["active_share"]
    peak = int(np.argmax(active))
    return {
        "final_active_share": float(active[-1]),
        "peak_active_share": float(active[peak]),
        "week_of_peak": int(table["week"][peak]),
        "final_contributor_share": float(table["contributor_share"][-1]),
        "mean_knowledge_final": float(table["mean_knowledge"][-1]),
        "org_code_knowledge_final": float(table["org_code_knowledge"][-1]),
        "org_capability_final": float(table["org_capability"][-1]),
        "top1pct_post_share": _nan_to_none(table["top1_post_share"][-1]),
        "top10pct_post_share": _nan_to_none(table["top10_post_share"][-1]),
        "top1pct_everyone_post_share": _nan_to_none(table["top1_everyone_post_share"][-1]),
        "ever_posted_share": float(table["ever_posted_share"][-1]),
        "ever_active_share": float(table["ever_active_share"][-1]),
        "total_posts": int(np.sum(table["posts"])),
        "verdict": verdict(active, launched, params),
    }


def _nan_to_none(x: float) -> float | None:
    return None if np.isnan(x) else float(x)
