"""What runs show about people, as the published studies count them: an observer of the engine.

The weekly metrics describe the organisation; the patterns of ``docs/model.md`` section 7.8 count
people: who posted again after their first post and whether anyone replied to it (Joyce & Kraut
2006), how often those who post at all post in a six-month window (the SWOOP benchmark of Yammer
networks), who stops visiting and how many of their contacts were active (Fisher, Kim & Cummings
2018), how much people post in a week. :class:`People` follows each person (not each row: a
newcomer takes a leaver's row) in every replicate of a batch at once, and changes nothing the model
does; :func:`observe` runs scenarios with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.core.state import CONTRIBUTOR, INACTIVE

if TYPE_CHECKING:
    from ecosim.core.engine import Engine, Week

#: A first post is followed for this many weeks to see whether its author posts again (Joyce &
#: Kraut followed newcomers of a three-month window for up to six months).
RETURN_WEEKS = 12
#: The window, at the end of a run, over which how often people post is counted (SWOOP's benchmark
#: counts six months of interactions).
ACTIVITY_WINDOW_WEEKS = 26
#: Someone active in a week who does not visit in any of the next this many weeks has abandoned.
ABANDON_WEEKS = 4
#: Active contacts are counted up to this many (the last bucket holds this many or more).
MAX_CONTACTS = 12
#: Habitual posters: a posting habit of at least this (posting most weeks lately).
HABITUAL = 0.5
#: Knowledge of habitual posters is averaged over this many weeks at the end of a run.
LATE_WEEKS = 12


@dataclass
class Observation:
    """The outcomes of one run that the patterns and mechanism effects read."""

    summary: dict[str, Any]
    columns: dict[str, np.ndarray]
    first_posters_replied: int
    returned_replied: int
    first_posters_unreplied: int
    returned_unreplied: int
    acting_in_window: int
    rare_in_window: int
    at_risk: np.ndarray  # (weeks, MAX_CONTACTS + 1): people active in a week, by their active contacts then
    abandoned: np.ndarray  # the same shape: of those, the ones who did not visit in the next ABANDON_WEEKS weeks
    max_posts_in_a_week: int
    poster_weeks: int
    habitual_knowledge_late: float

    @property
    def return_replied(self) -> float:
        """Share of first posters who got a reply and posted again within RETURN_WEEKS."""
        n = self.first_posters_replied
        return self.returned_replied / n if n else float("nan")

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
    def reply_coverage(self) -> float:
        """Share of first posters whose first post got a reply (from a colleague or a facilitator)."""
        n = self.first_posters_replied + self.first_posters_unreplied
        return self.first_posters_replied / n if n else float("nan")

    @property
    def rare_share(self) -> float:
        """Share of the people who posted in the window who posted in under half of their weeks there."""
        return self.rare_in_window / self.acting_in_window if self.acting_in_window else float("nan")

    def mean(self, column: str, launched_only: bool = True) -> float:
        """The mean of a weekly column over the weeks the platform was open."""
        x = np.asarray(self.columns[column], dtype=float)
        if launched_only:
            x = x[np.asarray(self.columns["platform_open"]) > 0]
        return float(x.mean()) if x.size else float("nan")


class People:
    """Follows every person of every replicate of a batch (an engine observer; see module docstring)."""

    def start(self, e: Engine) -> None:
        """Make room for everyone the batch has now, and remember where the week's data goes."""
        self.weeks = e.weeks
        self.window_start = self.weeks - ACTIVITY_WINDOW_WEEKS + 1
        self.cap = 0
        self._grow(e, int(e.people_so_far.max()) * 2 + 16)
        self.pending = np.empty(0, np.int64)  # keys of people whose first post was last week
        r = e.replicates
        self.at_risk = np.zeros((r, e.weeks, MAX_CONTACTS + 1), np.int64)
        self.abandoned = np.zeros((r, e.weeks, MAX_CONTACTS + 1), np.int64)
        self.history: list[tuple[np.ndarray, np.ndarray]] = []  # (keys of the active, their contacts bucket)
        self.posts_before = e.state.posts.copy()
        self.person_before = e.state.person.copy()
        self.max_posts = np.zeros(r, np.int64)
        self.poster_weeks = np.zeros(r, np.int64)
        self.late_right = np.zeros(r, np.int64)
        self.late_cells = np.zeros(r, np.int64)

    def _grow(self, e: Engine, cap: int) -> None:
        r = e.replicates
        old = self.cap
        if cap <= old:
            return

        def widen(a: np.ndarray | None, fill, dtype) -> np.ndarray:
            out = np.full((r, cap), fill, dtype)
            if a is not None:
                out[:, :old] = a.reshape(r, old)
            return out.reshape(-1)

        g = getattr
        self.first_week = widen(g(self, "first_week", None), -1, np.int64)
        self.replied = widen(g(self, "replied", None), False, bool)
        self.returned = widen(g(self, "returned", None), False, bool)
        self.window_posted = widen(g(self, "window_posted", None), 0, np.int32)
        self.window_employed = widen(g(self, "window_employed", None), 0, np.int32)
        if old:  # keys are replicate * cap + person: those held so far change with the capacity
            self.pending = (self.pending // old) * cap + self.pending % old
            self.history = [((k // old) * cap + k % old, b) for k, b in self.history]
        self.cap = cap

    def week(self, e: Engine, week: Week) -> None:
        """Read the week just simulated."""
        if int(e.people_so_far.max()) > self.cap:
            self._grow(e, int(e.people_so_far.max()) * 2)
        s = e.state
        t = week.number
        layout = e.layout
        key = layout.rep * self.cap + s.person  # everyone employed now
        # a reply to last week's first posts lands in this week's facilitation step: a first poster
        # holds no reply pull until somebody replies
        if self.pending.size:
            where = np.flatnonzero(np.isin(key, self.pending))
            self.replied[key[where[s.reply_pull[where] > 0]]] = True
        posted = s.engagement == CONTRIBUTOR
        posted_keys = key[posted]
        first = posted_keys[self.first_week[posted_keys] < 0]
        again = posted_keys[(self.first_week[posted_keys] >= 1) & (t - self.first_week[posted_keys] <= RETURN_WEEKS)]
        self.returned[again] = True
        self.first_week[first] = t
        self.pending = first
        if t >= self.window_start:
            self.window_employed[key] += 1
            self.window_posted[posted_keys] += 1
        # posts this week, of the same person in the row
        same = s.person == self.person_before
        wrote = np.where(same, s.posts - self.posts_before, s.posts)
        wrote = np.where(posted, wrote, 0)
        if posted.any():
            np.maximum.at(self.max_posts, layout.rep[posted], wrote[posted])
            self.poster_weeks += layout.counts(np.flatnonzero(posted))
        self.posts_before = s.posts.copy()
        self.person_before = s.person.copy()
        # abandonment: who was active ABANDON_WEEKS weeks ago and has not visited since
        active = s.engagement > INACTIVE
        contacts = e.ties.neighbour_counts(active).astype(np.int64)
        rows = np.flatnonzero(active)
        self.history.append((key[rows], np.minimum(contacts[rows], MAX_CONTACTS)))
        if len(self.history) > ABANDON_WEEKS + 1:
            self.history.pop(0)
        if len(self.history) == ABANDON_WEEKS + 1 and t < self.weeks:
            then, bucket = self.history[0]
            since = np.unique(np.concatenate([k for k, _ in self.history[1:]]))
            here = np.isin(then, key)  # still employed (a leaver has not abandoned the platform)
            gone = here & ~np.isin(then, since)
            rep = then // self.cap
            when = t - ABANDON_WEEKS - 1
            np.add.at(self.at_risk, (rep[here], when, bucket[here]), 1)
            np.add.at(self.abandoned, (rep[gone], when, bucket[gone]), 1)
        if t > self.weeks - LATE_WEEKS:
            habitual = np.flatnonzero(s.post_habit >= HABITUAL)
            right = np.count_nonzero(s.beliefs[habitual] == e.reality[layout.rep[habitual]], axis=1)
            self.late_right += np.bincount(layout.rep[habitual], weights=right, minlength=e.replicates).astype(np.int64)
            self.late_cells += layout.counts(habitual) * s.beliefs.shape[1]
        self.engine = e

    def result(self, r: int) -> dict[str, Any]:
        """What was seen of replicate ``r``, as the fields of :class:`Observation` (summary and columns aside)."""
        e = self.engine
        people = int(e.people_so_far[r])
        lo = r * self.cap
        first = self.first_week[lo : lo + people]
        replied = self.replied[lo : lo + people]
        returned = self.returned[lo : lo + people]
        eligible = (first >= 1) & (first <= self.weeks - RETURN_WEEKS)
        rep, unrep = eligible & replied, eligible & ~replied
        posted = self.window_posted[lo : lo + people]
        employed = self.window_employed[lo : lo + people]
        acting = posted > 0
        rare = acting & (posted * 2 < employed)
        return {
            "first_posters_replied": int(rep.sum()),
            "returned_replied": int((rep & returned).sum()),
            "first_posters_unreplied": int(unrep.sum()),
            "returned_unreplied": int((unrep & returned).sum()),
            "acting_in_window": int(acting.sum()),
            "rare_in_window": int(rare.sum()),
            "at_risk": self.at_risk[r].copy(),
            "abandoned": self.abandoned[r].copy(),
            "max_posts_in_a_week": int(self.max_posts[r]),
            "poster_weeks": int(self.poster_weeks[r]),
            "habitual_knowledge_late": (
                self.late_right[r] / self.late_cells[r] if self.late_cells[r] else float("nan")
            ),
        }


def observe(scenarios: Sequence[Any]) -> list[Observation]:
    """Run ``scenarios`` (each with its seed) through the one run path, following each person."""
    from ecosim.experiment.runs import run_many

    out = []
    for result in run_many(list(scenarios), observer=People):
        out.append(Observation(summary=result.summary, columns=result.columns, **result.observed))
    return out


__all__ = ["ABANDON_WEEKS", "ACTIVITY_WINDOW_WEEKS", "RETURN_WEEKS", "Observation", "People", "observe"]
