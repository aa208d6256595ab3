"""Weekly metrics and the end-of-run summary and verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.core import outcomes
from ecosim.core.state import CONTRIBUTOR, INACTIVE

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week

#: Formal training hours per learner per year for each unit of ``learning.socialisation``: the default
#: 0.01 stands for about 35 h a year (ATD 2018/2020), so training time is taken as proportional to it.
TRAINING_HOURS_PER_SOCIALISATION = 3500.0

#: Columns of the weekly time series, in order, with what each means (declared in :mod:`ecosim.core.outcomes`).
COLUMNS: dict[str, str] = {o.name: o.description for o in outcomes.WEEKLY}

#: The end-of-run summary's keys, in order.
SUMMARY_KEYS = outcomes.names(outcomes.SUMMARY)

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


#: Columns that count (whole numbers); the others are shares, stocks and hours.
INTEGER_COLUMNS = frozenset(
    {
        "week",
        "platform_open",
        "learners",
        "posts",
        "ties",
        "brokered_ties",
        "leavers",
        "new_posters",
        "events",
        "event_attendees",
        "replies",
        "peer_replies",
        "introductions",
        "interventions",
    }
)


def allocate(replicates: int, weeks: int) -> dict[str, np.ndarray]:
    """Empty weekly columns for a batch: one array of shape (replicates, weeks) per column."""
    return {
        name: np.zeros((replicates, weeks), dtype=np.int64 if name in INTEGER_COLUMNS else np.float64)
        for name in COLUMNS
    }


def row(columns: dict[str, np.ndarray], r: int, index: int) -> dict[str, float]:
    """Replicate ``r``'s metrics of the week at ``index`` (0 = week 1), as plain numbers."""
    return {name: col[r, index].item() for name, col in columns.items()}


def record(e: Engine, week: Week) -> None:
    """Measure every replicate at the end of a week, into ``e.columns``."""
    s = e.state
    layout = e.layout
    sizes = layout.sizes
    starts = layout.offsets[:-1]
    t = week.number - 1
    cols = e.columns
    eng = s.engagement
    active = np.add.reduceat((eng > INACTIVE).astype(np.int64), starts)
    contributors = np.add.reduceat((eng == CONTRIBUTOR).astype(np.int64), starts)
    correct = correct_by_replicate(s.beliefs, e.reality, layout)
    people = e.people_so_far
    brokered = e.ties.brokered_ties_by_replicate()
    lv = e.levers
    ever_active = np.add.reduceat(s.ever_active.astype(np.int64), starts)

    # everyone who ever posted: the people here now and those who left, by replicate
    here = np.flatnonzero(s.posts > 0)
    gone, gone_rep = e.departed()
    posts = np.concatenate([s.posts[here], gone]).astype(np.int64)
    rep = np.concatenate([layout.rep[here], gone_rep])
    posters = np.bincount(rep, minlength=layout.replicates)
    top1, top10, top1_everyone = top_shares_by_replicate(posts, rep, posters, people)

    cols["week"][:, t] = week.number
    cols["platform_open"][:, t] = int(e.platform_open)
    cols["learners"][:, t] = sizes
    cols["active_share"][:, t] = active / sizes
    cols["consumer_share"][:, t] = (active - contributors) / sizes
    cols["contributor_share"][:, t] = contributors / sizes
    cols["posts"][:, t] = week.posts
    cols["content_stock"][:, t] = e.content.stock
    correct_share = correct / sizes[:, None]
    cols["mean_knowledge"][:, t] = correct_share.mean(axis=1)
    cols["org_code_knowledge"][:, t] = (e.code == e.reality).mean(axis=1)
    # not BLAS's dot product, which sums in an order that depends on where the vectors lie in memory
    cols["org_capability"][:, t] = (correct_share * e.dim_weights).sum(axis=1)
    for r in range(layout.replicates):  # float32 means, summed as a replicate alone sums them
        a, b = int(starts[r]), int(starts[r] + sizes[r])
        n = int(sizes[r])
        if week.usefulness is not None:
            cols["mean_usefulness"][r, t] = float(np.add.reduce(week.usefulness[a:b]) / n)
        cols["mean_alignment"][r, t] = float(np.add.reduce(s.alignment[a:b]) / n)
    cols["top1_post_share"][:, t] = top1
    cols["top10_post_share"][:, t] = top10
    cols["top1_everyone_post_share"][:, t] = top1_everyone
    cols["ever_posted_share"][:, t] = posters / people
    cols["ever_active_share"][:, t] = (ever_active + e.departed_ever_active) / people
    cols["ties"][:, t] = e.ties.base_ties_by_replicate() + brokered
    cols["brokered_ties"][:, t] = brokered
    cols["leavers"][:, t] = week.leavers
    cols["new_posters"][:, t] = week.new_posters
    cols["events"][:, t] = week.events
    cols["event_attendees"][:, t] = week.event_attendees
    cols["replies"][:, t] = week.replies
    cols["peer_replies"][:, t] = week.peer_replies
    cols["seeded_posts"][:, t] = week.seeded_posts
    cols["introductions"][:, t] = week.introductions
    if e.platform_open:
        cols["facilitator_hours"][:, t] = [sum(f.hours_per_week for f in team) for team in e.facilitators]
    cols["training_hours"][:, t] = sizes * lv("learning.socialisation") * TRAINING_HOURS_PER_SOCIALISATION / 52.0
    cols["interventions"][:, t] = week.interventions


def top_shares_by_replicate(
    posts: np.ndarray, rep: np.ndarray, posters: np.ndarray, people: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares of all posts written by the top 1% and 10% of posters, and by the top 1% of everyone, per replicate.

    ``posts`` holds the post counts of everyone who posted and ``rep`` their replicates; ``posters``
    counts them per replicate and ``people`` counts everyone employed so far. The sums are exact
    integers (see :func:`top_share` and :func:`top_share_of_people`, which they equal).
    """
    r = posters.size
    order = np.lexsort((-posts, rep))  # by replicate, most posts first
    cum = np.zeros(posts.size + 1, dtype=np.int64)
    np.cumsum(posts[order], out=cum[1:])
    start = np.zeros(r, dtype=np.int64)
    np.cumsum(posters[:-1], out=start[1:])
    total = cum[start + posters] - cum[start]
    with np.errstate(invalid="ignore", divide="ignore"):

        def share(k: np.ndarray) -> np.ndarray:
            out = (cum[start + np.minimum(k, posters)] - cum[start]) / total
            out[(posters == 0) | (total == 0)] = np.nan
            return out

        top1 = share(np.maximum(1, np.ceil(0.01 * posters).astype(np.int64)))
        top10 = share(np.maximum(1, np.ceil(0.10 * posters).astype(np.int64)))
        everyone = share(np.maximum(1, np.ceil(0.01 * people).astype(np.int64)))
    return top1, top10, everyone


def correct_by_replicate(beliefs: np.ndarray, reality: np.ndarray, layout) -> np.ndarray:
    """How many learners of each replicate hold the right belief on each dimension, shape (R, dims)."""
    if layout.replicates == 1:
        return correct_by_dimension(beliefs, reality[0])[None, :]
    out = np.empty((layout.replicates, beliefs.shape[1]), dtype=np.int64)
    starts = layout.offsets[:-1]
    for j in range(beliefs.shape[1]):
        right = beliefs[:, j] == np.repeat(reality[:, j], layout.sizes)
        out[:, j] = np.add.reduceat(right.astype(np.int64), starts)
    return out


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
