"""What a run shows about people, as the published studies count it.

The weekly metrics describe the organisation; the patterns of ``docs/model.md`` section 7.8 count
people: who posted again after their first post and whether a facilitator replied to it (Joyce &
Kraut 2006), how often those who act at all act in a six-month window (the SWOOP benchmark of
Yammer networks), how much of what they knew people keep when they stop using it. :func:`observe`
runs the real engine week by week and follows each person (not each row: a newcomer takes a leaver's
row) without changing anything the model does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ecosim.core.metrics import top_share_of_people
from ecosim.core.state import CONTRIBUTOR

#: A first post is followed for this many weeks to see whether its author posts again (Joyce &
#: Kraut followed newcomers of a three-month window for up to six months).
RETURN_WEEKS = 12
#: The window, at the end of a run, over which how often people act is counted (SWOOP's benchmark
#: counts six months of interactions).
ACTIVITY_WINDOW_WEEKS = 26
#: Habitual posters: a posting habit of at least this (posting most weeks lately).
HABITUAL = 0.5
#: Knowledge of habitual posters is averaged over this many weeks at the end of a run.
LATE_WEEKS = 12


@dataclass
class Observation:
    """The outcomes of one run that the patterns and mechanism effects use."""

    summary: dict[str, Any]
    mean_active_share: float
    separations_per_head: float
    first_posters_replied: int
    returned_replied: int
    first_posters_unreplied: int
    returned_unreplied: int
    acting_in_window: int
    rare_in_window: int
    poster_knowledge: float
    recent_poster_knowledge: float
    habitual_poster_knowledge: float
    poster_retention: float
    habitual_knowledge_late: float
    mean_contributor_share: float
    top10_everyone: float
    brokered_ties: int
    ties: int

    @property
    def return_replied(self) -> float:
        """Share of first posters who got a reply and posted again within RETURN_WEEKS."""
        return self.returned_replied / self.first_posters_replied if self.first_posters_replied else float("nan")

    @property
    def return_unreplied(self) -> float:
        """Share of first posters who got no reply and posted again within RETURN_WEEKS."""
        n = self.first_posters_unreplied
        return self.returned_unreplied / n if n else float("nan")

    @property
    def return_all(self) -> float:
        """Share of all first posters who posted again within RETURN_WEEKS."""
        n = self.first_posters_replied + self.first_posters_unreplied
        return (self.returned_replied + self.returned_unreplied) / n if n else float("nan")

    @property
    def rare_share(self) -> float:
        """Share of the people who posted in the window who posted in under half of their weeks there."""
        return self.rare_in_window / self.acting_in_window if self.acting_in_window else float("nan")


def _knowledge(m, rows: np.ndarray) -> float:
    """Mean share of dimensions that the learners in ``rows`` are right about (nan for nobody)."""
    return float(np.mean(m.state.beliefs[rows] == m.reality)) if rows.size else float("nan")


def _retention(m, snapshot, window_posted: np.ndarray) -> float:
    """Of beliefs held at the window's start by people who posted in it and stayed, the share still held."""
    if snapshot is None:
        return float("nan")
    person, before = snapshot
    s = m.state
    rows = np.flatnonzero((s.person == person) & (window_posted[s.person] > 0))
    held = before[rows] != 0
    if not held.any():
        return float("nan")
    return float(np.count_nonzero(held & (s.beliefs[rows] == before[rows])) / np.count_nonzero(held))


def observe(scenario, seed: int) -> Observation:
    """Run ``scenario`` with ``seed`` to the end, following each person; the model runs unchanged."""
    from ecosim.experiment.model import EcosystemModel

    m = EcosystemModel(scenario, seed=seed)
    s = m.state
    weeks = scenario.weeks
    size = max(16, 2 * s.n)
    first_week = np.full(size, -1, np.int64)
    replied = np.zeros(size, bool)
    returned = np.zeros(size, bool)
    window_posted = np.zeros(size, np.int32)
    window_employed = np.zeros(size, np.int32)
    pending: np.ndarray = np.empty(0, np.int64)  # persons whose first post was last week
    window_start = weeks - ACTIVITY_WINDOW_WEEKS + 1
    leavers = 0
    snapshot = None
    late_right, late_cells = 0, 0
    while m.week < weeks:
        m.step()
        t = m.week
        if m.people_so_far > first_week.size:
            grow = m.people_so_far * 2 - first_week.size
            first_week = np.concatenate([first_week, np.full(grow, -1, np.int64)])
            replied, returned = (np.concatenate([a, np.zeros(grow, bool)]) for a in (replied, returned))
            window_posted, window_employed = (
                np.concatenate([a, np.zeros(grow, np.int32)]) for a in (window_posted, window_employed)
            )
        person = s.person
        # a reply to last week's first posts lands in this week's facilitation step: a first poster
        # holds no reply pull until a facilitator replies
        if pending.size:
            where = np.flatnonzero(np.isin(person, pending))
            replied[person[where[s.reply_pull[where] > 0]]] = True
        posted_rows = np.flatnonzero(s.engagement == CONTRIBUTOR)
        posted = person[posted_rows]
        first = person[m.first_posters] if m.first_posters.size else np.empty(0, np.int64)
        again = posted[(first_week[posted] >= 0) & (t - first_week[posted] <= RETURN_WEEKS)]
        returned[again] = True
        first_week[first] = t
        pending = first
        leavers += int(m.last_week.leavers[0])
        if t >= window_start:
            window_employed[person] += 1
            window_posted[posted] += 1
        if t > weeks - LATE_WEEKS:
            habitual = np.flatnonzero(s.post_habit >= HABITUAL)
            late_right += int(np.count_nonzero(s.beliefs[habitual] == m.reality))
            late_cells += habitual.size * s.beliefs.shape[1]
        if t == window_start - 1:
            snapshot = (person.copy(), s.beliefs.copy())
    people = m.people_so_far
    eligible = (first_week[:people] >= 1) & (first_week[:people] <= weeks - RETURN_WEEKS)
    rep = eligible & replied[:people]
    unrep = eligible & ~replied[:people]
    acting = window_posted[:people] > 0
    rare = acting & (window_posted[:people] * 2 < window_employed[:people])
    ts = m.timeseries_columns()
    launched = ts["platform_open"].astype(bool)
    posters = np.flatnonzero(s.posts > 0)
    if posters.size:
        poster_knowledge = float(np.mean(s.beliefs[posters] == m.reality))
    else:
        poster_knowledge = float("nan")
    all_posts = np.concatenate([s.posts[s.posts > 0], m.departed_posts])
    recent = np.flatnonzero(window_posted[s.person] > 0)
    recent_knowledge = float(np.mean(s.beliefs[recent] == m.reality)) if recent.size else float("nan")
    return Observation(
        summary=m.summary(),
        mean_active_share=float(ts["active_share"][launched].mean()) if launched.any() else 0.0,
        separations_per_head=leavers / s.n * 52.0 / weeks,
        first_posters_replied=int(rep.sum()),
        returned_replied=int((rep & returned[:people]).sum()),
        first_posters_unreplied=int(unrep.sum()),
        returned_unreplied=int((unrep & returned[:people]).sum()),
        acting_in_window=int(acting.sum()),
        rare_in_window=int(rare.sum()),
        poster_knowledge=poster_knowledge,
        recent_poster_knowledge=recent_knowledge,
        habitual_poster_knowledge=_knowledge(m, np.flatnonzero(s.post_habit >= 0.5)),
        poster_retention=_retention(m, snapshot, window_posted),
        habitual_knowledge_late=late_right / late_cells if late_cells else float("nan"),
        mean_contributor_share=float(ts["contributor_share"][launched].mean()) if launched.any() else 0.0,
        top10_everyone=top_share_of_people(all_posts, people, 0.10),
        brokered_ties=int(ts["introductions"].sum()),
        ties=int(m.ties.n_base_ties),
    )


__all__ = ["ACTIVITY_WINDOW_WEEKS", "RETURN_WEEKS", "Observation", "observe"]
