"""Where a verdict holds, in rules: PRIM boxes over a sweep's parameters.

The patient rule induction method (PRIM; Friedman & Fisher 1999) looks for a box in the space of
the swept parameters (a range on some of them) inside which a verdict is much more frequent than
over the whole sweep. Each run is one row: its design point's parameter values, and whether its
verdict was the one asked about. Starting from the box that holds every run, PRIM peels: it cuts
off the 5% of the runs (``peel_alpha``) at the low or high end of one parameter, choosing the cut
that raises the share of the verdict most per run removed, and stops when no cut raises it or when
the next box would hold fewer than 5% of the runs (``mass_min``); it then pastes back any slice that
raises the share. The peeling itself is EMA Workbench's (``ema_workbench.analysis.prim``, with
Friedman & Fisher's original objective).

Of the boxes along that trajectory, :func:`find_region` keeps **the box of the highest density
among those whose coverage is at least one half** (ties: the larger coverage, then the earlier
box), so that the rule it states describes most of the verdict's runs, as purely as peeling got:

- coverage: the share of the verdict's runs that fall in the box;
- density: the share of the box's runs that have the verdict;
- mass: the share of all runs that fall in the box.

The numbers reported are counted from the runs and the box's bounds (a run is in the box when each
restricted parameter lies within its bounds, both included), not taken from the peeling.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: Share of the box's runs peeled off at each step, and the smallest box (share of all runs) kept.
PEEL_ALPHA = 0.05
MASS_MIN = 0.05
#: The chosen box holds at least this share of the verdict's runs.
MIN_COVERAGE = 0.5
#: The verdicts whose regions ``analyze`` describes.
REGION_VERDICTS = ("thriving", "ghost_town")

RULE = (
    f"the box of the highest density among those on the peeling trajectory whose coverage is at least "
    f"{MIN_COVERAGE:g} (peeling {PEEL_ALPHA:.0%} of the box's runs at a time, down to {MASS_MIN:.0%} of all runs)"
)


@dataclass
class Limit:
    """A restricted parameter of a box: its bounds (None on a side left open), or its values."""

    parameter: str
    low: float | None = None
    high: float | None = None
    values: list[str] | None = None  # a parameter whose values are not numbers: those in the box
    whole: bool = False  # a whole-number parameter (its bounds are stated as whole numbers)

    def contains(self, column: pd.Series) -> np.ndarray:
        """Whether each value of ``column`` lies within this limit."""
        if self.values is not None:
            return column.astype(str).isin(self.values).to_numpy()
        x = column.to_numpy(dtype=np.float64)
        inside = np.ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return inside


@dataclass
class Region:
    """The PRIM box of one verdict, or why there is none (``box`` empty and ``reason`` set)."""

    verdict: str
    parameters: list[str]
    runs: int  # runs analysed
    hits: int  # of them, runs with the verdict
    limits: list[Limit] = field(default_factory=list)
    found: bool = False
    in_box: int = 0  # runs in the box
    hits_in_box: int = 0  # runs in the box with the verdict
    step: int = 0  # the chosen box's position on the peeling trajectory (0: every run)
    trajectory: pd.DataFrame | None = None  # coverage, density, mass and restricted dimensions of each box
    reason: str | None = None  # why no box was found, in words

    @property
    def coverage(self) -> float:
        """Share of the verdict's runs in the box."""
        return self.hits_in_box / self.hits if self.hits else math.nan

    @property
    def density(self) -> float:
        """Share of the box's runs with the verdict."""
        return self.hits_in_box / self.in_box if self.in_box else math.nan

    @property
    def mass(self) -> float:
        """Share of all runs in the box."""
        return self.in_box / self.runs if self.runs else math.nan


def find_region(
    x: pd.DataFrame,
    hit: np.ndarray,
    verdict: str,
    *,
    peel_alpha: float = PEEL_ALPHA,
    mass_min: float = MASS_MIN,
    min_coverage: float = MIN_COVERAGE,
) -> Region:
    """The PRIM box of the rows of ``x`` where ``hit`` is true (see the module's description).

    Args:
        x: one row per run, one column per swept parameter.
        hit: per row, whether the run's verdict is ``verdict``.
        verdict: the verdict's key (``thriving``), for the region's record.
        peel_alpha: share of the box's runs cut off at each peel.
        mass_min: the smallest box, as a share of all runs.
        min_coverage: the chosen box holds at least this share of the verdict's runs.
    """
    hit = np.asarray(hit, dtype=bool)
    params = list(x.columns)
    region = Region(verdict, params, runs=int(hit.size), hits=int(hit.sum()))
    if not params:
        region.reason = "nothing was varied"
        return region
    if region.hits == 0:
        region.reason = "no run has this verdict"
        return region
    if region.hits == region.runs:
        region.reason = "every run has this verdict"
        return region
    data = _prepared(x)
    box = _peel(data, hit, peel_alpha=peel_alpha, mass_min=mass_min)
    trajectory = box.peeling_trajectory.reset_index(drop=True)
    region.trajectory = trajectory[["coverage", "density", "mass", "res_dim"]].copy()
    step = choose_step(trajectory, min_coverage)
    region.step = step
    region.limits = _limits(box.box_lims[step], box.box_lims[0], x)
    inside = in_box(x, region.limits)
    region.in_box = int(inside.sum())
    region.hits_in_box = int((inside & hit).sum())
    if not region.limits:
        region.reason = "no box over the swept parameters holds the verdict more densely than the whole sweep"
    else:
        region.found = True
    return region


def choose_step(trajectory: pd.DataFrame, min_coverage: float = MIN_COVERAGE) -> int:
    """The position on the trajectory of the densest box whose coverage is at least ``min_coverage``.

    Ties go to the larger coverage, then to the earlier box. The first box (every run) has coverage
    1, so there is always one.
    """
    cov = trajectory["coverage"].to_numpy(dtype=np.float64)
    dens = trajectory["density"].to_numpy(dtype=np.float64)
    eligible = np.flatnonzero(cov >= min_coverage - 1e-12)
    # lexicographic: highest density, then highest coverage, then earliest
    best = max(eligible, key=lambda i: (round(dens[i], 12), round(cov[i], 12), -i))
    return int(best)


def in_box(x: pd.DataFrame, limits: list[Limit]) -> np.ndarray:
    """Whether each row of ``x`` lies in the box given by ``limits`` (every bound included)."""
    inside = np.ones(len(x), dtype=bool)
    for limit in limits:
        inside &= limit.contains(x[limit.parameter])
    return inside


def _prepared(x: pd.DataFrame) -> pd.DataFrame:
    """``x`` as PRIM reads it: numbers as floats, anything else as text (its values are categories).

    A numeric column with a missing value (an optional parameter left unset at some design point)
    is read as text too, "nan" one of its values. Whole numbers go in as floats: EMA Workbench 3.0
    writes a pasted bound halfway between two values into the column, which pandas 3 refuses for
    an integer column.
    """
    import pandas as pd

    columns = {}
    for c in x.columns:
        col = x[c]
        if _numeric(col):
            columns[c] = col.astype(np.float64).to_numpy()
        else:
            columns[c] = np.asarray(col.astype(str).to_numpy(), dtype=object)
    return pd.DataFrame(columns)


def _numeric(column: pd.Series) -> bool:
    """Whether PRIM reads ``column`` as numbers (bounds) rather than as categories."""
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column) and not column.isna().any()


def _peel(data: pd.DataFrame, hit: np.ndarray, *, peel_alpha: float, mass_min: float) -> Any:
    """EMA Workbench's PRIM box for ``hit`` over ``data`` (its whole trajectory)."""
    with warnings.catch_warnings():
        # its import and its copy of the data warn about optional parts and pandas' future
        warnings.filterwarnings("ignore", module=r"ema_workbench(\.|$)")
        warnings.filterwarnings("ignore", message=r"ipyparallel not installed")
        from ema_workbench.analysis import prim

        finder = prim.Prim(
            data,
            hit.astype(np.float64),
            obj_function=prim.PRIMObjectiveFunctions.ORIGINAL,
            peel_alpha=peel_alpha,
            paste_alpha=peel_alpha,
            mass_min=mass_min,
        )
        return finder.find_box()


def _limits(box: pd.DataFrame, full: pd.DataFrame, x: pd.DataFrame) -> list[Limit]:
    """The restricted parameters of ``box`` (EMA's two-row table of bounds) against the ``full`` box."""
    import pandas as pd

    limits = []
    for p in x.columns:
        if p not in box.columns:  # a parameter with one value is left out of the peeling
            continue
        lo, hi = box[p].iloc[0], box[p].iloc[1]
        if isinstance(lo, set):
            if set(lo) != set(full[p].iloc[0]):
                limits.append(Limit(p, values=sorted(str(v) for v in lo)))
            continue
        whole = pd.api.types.is_integer_dtype(x[p])
        low = float(lo) if float(lo) > float(full[p].iloc[0]) else None
        high = float(hi) if float(hi) < float(full[p].iloc[1]) else None
        if whole:  # a bound between two whole numbers holds the same runs as the whole number inside it
            low = None if low is None else float(math.ceil(low - 1e-9))
            high = None if high is None else float(math.floor(high + 1e-9))
        if low is not None or high is not None:
            limits.append(Limit(p, low=low, high=high, whole=whole))
    return limits


# ---- words and tables -----------------------------------------------------------------------


def percent(share: float) -> str:
    """A share as a whole percentage that never rounds a part to all or a little to nothing."""
    if not math.isfinite(share):
        return "-"
    value = round(share * 100)
    if value == 100 and share < 1:
        value = 99
    if value == 0 and share > 0:
        return "under 1%"
    return f"{value}%"


def condition(limit: Limit, words: Any = None) -> str:
    """One restricted parameter in words: "goal alignment >= 0.55", "facilitators between 1 and 4"."""
    from ecosim.plotting.labels import param

    name = param(limit.parameter, unit=False, words=words)
    if limit.values is not None:
        if len(limit.values) == 1:
            return f"{name} is {limit.values[0]}"
        return f"{name} is one of {', '.join(limit.values)}"
    fmt = (lambda v: f"{v:.0f}") if limit.whole else (lambda v: f"{v:.3g}")
    if limit.low is not None and limit.high is not None:
        if limit.low == limit.high:
            return f"{name} = {fmt(limit.low)}"
        return f"{name} between {fmt(limit.low)} and {fmt(limit.high)}"
    if limit.low is not None:
        return f"{name} >= {fmt(limit.low)}"
    return f"{name} <= {fmt(limit.high)}"


def statement(region: Region, words: Any = None) -> str:
    """The region in one plain sentence (without a final full stop).

    "thriving in 85% of runs when goal alignment >= 0.55 and facilitators >= 2; these runs are 70%
    of all thriving runs", or, when there is no box, why not.
    """
    from ecosim.core.metrics import VERDICT_WORDS
    from ecosim.plotting.labels import param

    name = VERDICT_WORDS.get(region.verdict, region.verdict.replace("_", " "))
    if region.found:
        conditions = [condition(limit, words) for limit in region.limits]
        when = conditions[0] if len(conditions) == 1 else ", ".join(conditions[:-1]) + " and " + conditions[-1]
        return (
            f"{name} in {percent(region.density)} of runs when {when} ({percent(region.mass)} of all runs); "
            f"these runs are {percent(region.coverage)} of all {name.replace(' ', '-')} runs"
        )
    if region.reason == "nothing was varied":
        return f"no region for {name}: nothing was varied"
    if region.hits == 0:
        return f"no run ended {name}, so there is no region where it is {name}"
    if region.hits == region.runs:
        return f"every run ended {name}, so no region of the sweep singles it out"
    over = [param(p, unit=False, words=words) for p in region.parameters]
    over_text = over[0] if len(over) == 1 else ", ".join(over[:-1]) + " and " + over[-1]
    return (
        f"{name} in {percent(region.hits / region.runs)} of runs, and no range of {over_text} holds "
        f"{name.replace(' ', '-')} runs more densely than the whole sweep does"
    )


def regions_table(regions: list[Region], words: Any = None) -> pd.DataFrame:
    """prim_boxes.csv: one row per restricted parameter of each verdict's box (one row when there is none).

    Columns: ``verdict``; ``found`` (whether a box restricts any parameter); ``parameter``, ``low``,
    ``high`` (its bounds, empty on a side left open; whole-number parameters to the whole numbers
    inside the box) and ``values`` (for a parameter whose values are not numbers, those in the box,
    separated by ``|``); ``coverage``, ``density``, ``mass``; ``runs``, ``verdict_runs``,
    ``runs_in_box``, ``verdict_runs_in_box`` (the counts they are computed from); ``step`` (the
    box's position on the peeling trajectory); ``statement``, the sentence in words.
    """
    import pandas as pd

    rows = []
    for r in regions:
        common = {
            "verdict": r.verdict,
            "found": r.found,
            "coverage": r.coverage if r.found else math.nan,
            "density": r.density if r.found else math.nan,
            "mass": r.mass if r.found else math.nan,
            "runs": r.runs,
            "verdict_runs": r.hits,
            "runs_in_box": r.in_box if r.found else math.nan,
            "verdict_runs_in_box": r.hits_in_box if r.found else math.nan,
            "step": r.step if r.found else math.nan,
            "statement": statement(r, words),
        }
        limits = r.limits if r.found else [None]
        for limit in limits:
            row = {"verdict": r.verdict, "found": r.found}
            row["parameter"] = limit.parameter if limit else ""
            row["low"] = limit.low if limit and limit.low is not None else math.nan
            row["high"] = limit.high if limit and limit.high is not None else math.nan
            row["values"] = "|".join(limit.values) if limit and limit.values is not None else ""
            rows.append({**common, **row})
    columns = [
        "verdict",
        "found",
        "parameter",
        "low",
        "high",
        "values",
        "coverage",
        "density",
        "mass",
        "runs",
        "verdict_runs",
        "runs_in_box",
        "verdict_runs_in_box",
        "step",
        "statement",
    ]
    return pd.DataFrame(rows, columns=columns)


def verdict_regions(runs: pd.DataFrame, params: list[str], verdicts=REGION_VERDICTS) -> list[Region]:
    """The PRIM box of each of ``verdicts`` over ``params``, from ``runs`` (one row per finished run)."""
    swept = [p for p in params if runs[p].nunique(dropna=False) > 1]
    x = runs[swept].reset_index(drop=True)
    verdict = runs["verdict"].to_numpy()
    return [find_region(x, verdict == v, v) for v in verdicts]
