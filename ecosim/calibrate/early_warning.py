"""Early warning: how likely each verdict is week by week, and when the platform falls below the ghost-town line.

A calibration's forecast simulates ``--draws`` parameter sets drawn from the posterior, each to the
scenario's horizon with its own seed: each is one possible future of the platform. This module reads
those same simulated weeks (no simulation of its own) and says, for every week since launch:

- the share of futures that would be *thriving*, *struggling* or a *ghost town* at that week: the
  verdict a run stopped at that week would get, that is ecosim's own verdict rule
  (:func:`ecosim.core.metrics.verdict`) applied to the weekly active share up to that week;
- the share of futures that have been a ghost town at that week or at an earlier one.

And, over the whole horizon, in how many futures the platform falls below the ghost-town line at
all, and the first week it does: its median and 90% interval across those futures.

Each share comes with a 90% Wilson score interval over the draws: the Monte Carlo error of having
simulated a finite number of futures (more draws narrow it). It is not the forecast's uncertainty,
which the shares themselves express.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from ecosim.core.metrics import verdict
from ecosim.core.outcomes import VERDICTS
from ecosim.experiment.intervals import wilson_interval

#: The level of every interval: the shares' Wilson intervals and the interval of the first week below the line.
LEVEL = 0.90
#: The verdicts a launched platform can get, in the order they are reported.
LAUNCHED = tuple(v for v in VERDICTS if v != "not_launched")
#: The verdict of a future that is below the ghost-town line.
GHOST_TOWN = "ghost_town"
#: The column of the table that counts the futures that have been a ghost town by a week.
BY_NOW = "ghost_town_by_now"
#: The file the table is written to (with ``.csv`` and ``.parquet``).
TABLE = "verdict_by_week"


@dataclass
class EarlyWarning:
    """The verdict week by week over a forecast's futures, and the first week below the ghost-town line.

    ``table`` has one row per week since launch: ``week``; for each verdict its share of the futures and
    the 90% Wilson interval of that share (``thriving``, ``thriving_low``, ``thriving_high``, ...); and
    ``ghost_town_by_now`` (with ``_low`` and ``_high``), the share that has been a ghost town at that
    week or earlier. ``first_week`` holds, per future, the first week since launch at which it is a
    ghost town (NaN for a future that never is).
    """

    table: pd.DataFrame
    first_week: np.ndarray
    horizon: int
    line: float | None = None  # the ghost-town line (a weekly active share), when every future has the same
    level: float = LEVEL

    @property
    def draws(self) -> int:
        """How many futures (posterior draws) the numbers are over."""
        return int(self.first_week.size)

    @property
    def crossed(self) -> int:
        """How many futures fall below the ghost-town line at some week up to the horizon."""
        return int(np.count_nonzero(np.isfinite(self.first_week)))

    @property
    def share_crossed(self) -> float:
        """The share of futures that fall below the ghost-town line by the horizon."""
        return self.crossed / self.draws if self.draws else float("nan")

    @property
    def recovered(self) -> int:
        """How many of the futures that fall below the line are no longer a ghost town at the horizon."""
        if not self.crossed:
            return 0
        return self.crossed - int(round(float(self.table["ghost_town"].iloc[-1]) * self.draws))

    def week_quantiles(self) -> tuple[float, float, float] | None:
        """The first week below the line across the futures that fall below it: its 5th, 50th and 95th percentiles.

        Percentiles interpolate linearly between the weeks (NumPy's default, as the forecast bands), so
        the median of an even number of weeks can fall between two. None when no future falls below.
        """
        weeks = self.first_week[np.isfinite(self.first_week)]
        if weeks.size == 0:
            return None
        tail = (1 - self.level) / 2
        lo, med, hi = np.percentile(weeks, [100 * tail, 50, 100 * (1 - tail)])
        return float(lo), float(med), float(hi)

    def at(self, week: int) -> dict[str, float]:
        """The share of each verdict at ``week`` (since launch), and the share that has been a ghost town by then."""
        row = self.table[self.table["week"] == week]
        if row.empty:
            raise ValueError(f"week {week} is outside the forecast (weeks 1 to {self.horizon})")
        r = row.iloc[0]
        return {k: float(r[k]) for k in (*LAUNCHED, BY_NOW)}

    def summary(self) -> dict[str, Any]:
        """The numbers behind the sentence, for forecast.json."""
        q = self.week_quantiles()
        low, high = wilson_interval(self.crossed, self.draws, self.level)
        tail = round(100 * (1 - self.level) / 2)
        return {
            "draws": self.draws,
            "horizon_week": self.horizon,
            "ghost_town_line": self.line,
            "interval_level": self.level,
            "interval_method": "Wilson score interval over the draws",
            "share_falling_below_the_line": self.share_crossed,
            "share_falling_below_the_line_interval": [low, high],
            "share_never_falling_below_the_line": (self.draws - self.crossed) / self.draws if self.draws else None,
            "first_week_below_the_line": None
            if q is None
            else {"median": q[1], f"p{tail}": q[0], f"p{100 - tail}": q[2], "draws": self.crossed},
            "back_above_the_line_at_the_horizon": self.recovered,
            "at_the_horizon": self.at(self.horizon),
        }

    def sentence(self) -> str:
        """The early warning in one plain sentence, for the terminal and the report.

        Falling below the line at some week is told apart from being below it at the horizon: a future can
        fall below it and come back.
        """
        h = self.horizon
        line = f" (a weekly active share of {_pct(self.line)})" if self.line is not None else ""
        end = self.at(h)
        q = self.week_quantiles()
        pct = round(100 * self.level)
        if q is None:
            return (
                f"Early warning: in none of the {self.draws} futures does the platform fall below the ghost-town "
                f"line{line} by week {h}; thriving at week {h} in {end['thriving']:.0%}."
            )
        when = (
            f"first at week {_week(q[1])} in each of them"
            if q[0] == q[2]
            else f"first at week {_week(q[1])} in the median ({pct}% interval of the week when it happens: "
            f"{_week(q[0])} to {_week(q[2])})"
        )
        return (
            f"Early warning: the platform falls below the ghost-town line{line} by week {h} in "
            f"{self.share_crossed:.0%} of futures, {when}; at week {h}, a ghost town in "
            f"{end['ghost_town']:.0%} and thriving in {end['thriving']:.0%}."
        )


def _pct(x: float) -> str:
    return f"{100 * x:.3g}%"


def _week(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def rules_for_draws(scenario: Any, draws: pd.DataFrame) -> list[Any]:
    """The verdict rule of each draw: the scenario's, with any fitted ``verdict.*`` parameter set to the draw's value.

    ``scenario`` is the scenario (anything with a ``verdict`` section); ``draws`` has one column per fitted
    parameter. Only ``verdict.*`` columns matter: the other parameters change the simulated weeks, not the rule.
    """
    fitted = [c for c in draws.columns if str(c).startswith("verdict.")]
    if not fitted:
        return [scenario] * len(draws)
    return [
        SimpleNamespace(
            verdict=scenario.verdict.model_copy(update={c.split(".", 1)[1]: float(draws.at[i, c]) for c in fitted})
        )
        for i in draws.index
    ]


def early_warning(
    active: Sequence[np.ndarray], rules: Any | Sequence[Any], *, launch: int = 1, line: float | None = None
) -> EarlyWarning:
    """The verdict week by week over the futures whose weekly active share is ``active``.

    Args:
        active: one array per future (posterior draw): the weekly active share of every simulated
            week, model week 1 first, to the horizon; all of one length.
        rules: the verdict rule, as :func:`ecosim.core.metrics.verdict` takes it (the scenario, or
            anything with its ``verdict`` section), one for all futures or one per future.
        launch: the model week the platform launches; week 1 since launch is model week ``launch``.
            Weeks before the launch are not reported (the platform is not open).
        line: the ghost-town line, shown in the sentence (None: not shown).
    """
    series = [np.asarray(a, dtype=float) for a in active]
    if not series:
        raise ValueError("no futures to warn from")
    length = series[0].size
    if any(a.size != length for a in series):
        raise ValueError("the futures do not all cover the same weeks")
    horizon = length - launch + 1
    if launch < 1 or horizon < 1:
        raise ValueError(f"the platform launches in week {launch}, after the last simulated week ({length})")
    per_draw = list(rules) if isinstance(rules, Sequence) else [rules] * len(series)
    if len(per_draw) != len(series):
        raise ValueError(f"{len(per_draw)} verdict rules for {len(series)} futures")
    n = len(series)
    # verdicts[d, j]: the verdict of future d at week j + 1 since launch
    verdicts = np.array(
        [[verdict(a[: launch - 1 + w], True, rule) for w in range(1, horizon + 1)] for a, rule in zip(series, per_draw)]
    )
    ghost = verdicts == GHOST_TOWN
    ever = np.logical_or.accumulate(ghost, axis=1)
    first = np.where(ever.any(axis=1), np.argmax(ghost, axis=1) + 1, np.nan).astype(float)
    columns: dict[str, Any] = {"week": np.arange(1, horizon + 1)}
    for name, hits in [*((v, verdicts == v) for v in LAUNCHED), (BY_NOW, ever)]:
        counts = hits.sum(axis=0)
        bounds = np.array([wilson_interval(int(k), n) for k in counts]).reshape(-1, 2)
        columns[name] = counts / n
        columns[f"{name}_low"] = bounds[:, 0]
        columns[f"{name}_high"] = bounds[:, 1]
    return EarlyWarning(table=pd.DataFrame(columns), first_week=first, horizon=horizon, line=line)
