"""Checks and their tolerances.

Every tolerance is a confidence interval of the sample that was run, plus, where the reference is a
limit the engine only approaches, a deterministic allowance derived (not tuned) from that limit.

The suite is one family of tests at level ``ALPHA`` (Bonferroni): with K scored checks, each uses
level ALPHA / K, and a check of a whole curve (T weeks at once) uses ALPHA / (K T). With correct
mechanisms the whole suite then fails by chance at most 5% of the time; a fixed seed makes the
outcome reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

ALPHA = 0.05

Sense = Literal["two-sided", "at-most", "at-least", "greater", "less", "binomial", "exact"]


@dataclass
class Check:
    """One row of the validation table.

    Args:
        case: which case (e.g. "Bass, complete graph").
        quantity: what is measured (e.g. "peak time t* (weeks)").
        reference: the reference value.
        source: where the reference comes from.
        estimate: the measured value (a mean over runs, a share of runs, ...).
        sense: ``two-sided``: |estimate - reference| <= tolerance; ``at-most``: estimate <=
            reference + tolerance; ``at-least``: estimate >= reference - tolerance; ``greater``:
            estimate - tolerance > reference (a finding that must be significant); ``less``: estimate
            + tolerance < reference (likewise, below); ``binomial``: the reference lies in the exact
            (Clopper-Pearson, ``scipy.stats.binomtest``) interval of ``successes`` in ``trials``,
            widened by the allowance; ``exact``: equality.
        se: standard error of the estimate; ``df`` its degrees of freedom (Student's t).
        multiplicity: comparisons made at once inside this check (weeks of a curve).
        allowance: deterministic part of the tolerance, explained in ``allowance_note``.
        scored: False for rows that are reported beside published data but not passed or failed.
        floor: lowest value the quantity can take (an absolute deviation: 0), to clip its interval.
        known_miss: why the fitted defaults are documented to miss this row (docs/model.md section 8),
            or empty; a known miss still fails, and is shown as one.
        overlap: a pattern row: it passes when its 95% interval meets the target band
            ``reference ± allowance`` (the band docs/model.md states, from the source's own error),
            at 95% whatever the family; ``greater`` and ``less`` then need the 95% interval on that
            side of the reference.
    """

    case: str
    quantity: str
    reference: float
    source: str
    estimate: float
    sense: Sense = "two-sided"
    se: float = 0.0
    df: int | None = None
    successes: int | None = None
    trials: int | None = None
    multiplicity: int = 1
    allowance: float = 0.0
    allowance_note: str = ""
    scored: bool = True
    floor: float | None = None
    overlap: bool = False
    known_miss: str = ""
    runs: int = 0
    digits: int = 3
    ci95: tuple[float, float] = field(default=(math.nan, math.nan))
    tolerance: float = math.nan
    accepted: str = ""
    passed: bool | None = None

    def finalise(self, family: int) -> None:
        """Compute the 95% interval, the tolerance at the family-wise level and the verdict."""
        lo, hi = self._interval(0.05)
        self.ci95 = (lo if self.floor is None else max(lo, self.floor), hi)
        if not self.scored:
            self.accepted = "reported, not scored"
            self.passed = None
            return
        level = ALPHA / max(1, family) / max(1, self.multiplicity)
        d = self.digits
        if self.overlap:
            self._finalise_overlap()
            return
        if self.sense == "exact":
            self.tolerance = 0.0
            self.passed = self.estimate == self.reference
            self.accepted = f"= {self.reference:.{d}g}"
            return
        if self.sense == "binomial":
            lo, hi = self._interval(level)
            lo, hi = lo - self.allowance, hi + self.allowance
            self.tolerance = max(self.reference - lo, hi - self.reference, 0.0)
            self.passed = bool(lo <= self.reference <= hi)
            self.accepted = f"reference in [{max(lo, 0):.{d}f}, {min(hi, 1):.{d}f}]"
            return
        lo, _ = self._interval(level)
        self.tolerance = (self.estimate - lo) + self.allowance
        tol = self.tolerance
        if self.sense == "two-sided":
            self.passed = bool(abs(self.estimate - self.reference) <= tol)
            self.accepted = f"{self.reference:.{d}f} ± {tol:.{d}f}"
        elif self.sense == "at-most":
            self.passed = bool(self.estimate <= self.reference + tol)
            self.accepted = f"<= {self.reference + tol:.{d}f}"
        elif self.sense == "at-least":
            self.passed = bool(self.estimate >= self.reference - tol)
            self.accepted = f">= {self.reference - tol:.{d}f}"
        elif self.sense == "greater":
            self.passed = bool(self.estimate - tol > self.reference)
            self.accepted = f"> {self.reference + tol:.{d}f}"
        elif self.sense == "less":
            self.passed = bool(self.estimate + tol < self.reference)
            self.accepted = f"< {self.reference - tol:.{d}f}"
        else:  # pragma: no cover
            raise ValueError(self.sense)

    def _finalise_overlap(self) -> None:
        """A pattern row: the 95% interval of the runs against the target band of the source."""
        lo, hi = self.ci95
        ref, band, d = self.reference, self.allowance, self.digits
        self.tolerance = band + (hi - lo) / 2
        if self.sense == "two-sided":
            self.passed = bool(lo <= ref + band and hi >= ref - band)
            self.accepted = f"meets {ref - band:.{d}f} to {ref + band:.{d}f}"
        elif self.sense == "at-most":
            self.passed = bool(lo <= ref + band)
            self.accepted = f"meets <= {ref + band:.{d}f}"
        elif self.sense == "at-least":
            self.passed = bool(hi >= ref - band)
            self.accepted = f"meets >= {ref - band:.{d}f}"
        elif self.sense == "greater":
            self.passed = bool(lo > ref)
            self.accepted = f"95% interval above {ref:.{d}g}"
        elif self.sense == "less":
            self.passed = bool(hi < ref)
            self.accepted = f"95% interval below {ref:.{d}g}"
        else:  # pragma: no cover
            raise ValueError(self.sense)

    def _interval(self, level: float) -> tuple[float, float]:
        """Two-sided interval at significance ``level``: exact binomial, Student's t, or normal."""
        from scipy import stats

        if self.sense == "binomial":
            return clopper_pearson(int(self.successes or 0), int(self.trials or 0), level)
        if self.sense == "exact" or self.se == 0:
            return (self.estimate, self.estimate)
        if self.df is not None and self.df >= 1:
            lo, hi = stats.t.interval(1 - level, self.df, loc=self.estimate, scale=self.se)
        else:
            lo, hi = stats.norm.interval(1 - level, loc=self.estimate, scale=self.se)
        return (float(lo), float(hi))


def clopper_pearson(k: int, n: int, level: float) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided interval for a share k/n at significance ``level`` (SciPy's binomtest)."""
    from scipy import stats

    if n == 0:
        return (0.0, 1.0)
    ci = stats.binomtest(k, n).proportion_ci(1 - level, method="exact")
    return (float(ci.low), float(ci.high))


def mean_se(x) -> tuple[float, float, int]:
    """Mean, standard error and degrees of freedom of a sample."""
    x = np.asarray(x, dtype=float)
    if x.size < 2:
        return (float(x.mean()) if x.size else math.nan, math.inf, 0)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size)), x.size - 1


def finalise(checks: list[Check]) -> int:
    """Finalise every check at the family-wise level; returns the family size K."""
    family = sum(1 for c in checks if c.scored and c.sense != "exact" and not c.overlap)
    for c in checks:
        c.finalise(family)
    return family
