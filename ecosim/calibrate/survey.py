"""A pulse survey of how well the platform serves people's own goals, as a prior over alignment.

``calibrate --survey FILE`` reads a CSV file, one row per respondent, whose Likert items ask how well
what the platform offers fits the respondent's own goals ("What the platform offers helps me with my
own goals", 1 = strongly disagree ... 5 = strongly agree). Every column whose answers are whole
numbers on the scale is an item; the scale is 1-5 unless every item's header says ``(1-7)`` (or
another ``(1-K)``, K from 3 to 11); columns of text (a respondent id, a time) are not read, and a
respondent column is never read at all. Blank answers are allowed; a respondent with no answer is
left out.

What the mapping assumes (docs/calibration.md says more):

1. **Linear.** A respondent's mean answer *s* on a 1-K scale stands for alignment
   *a* = (*s* - 1) / (K - 1): "strongly disagree" is unrelated goals (cosine 0), "strongly agree"
   identical ones (cosine 1), and each step the same distance.
2. **Noisy items, reliable mean.** The items measure one thing with independent errors, so the spread
   of respondents' mean answers overstates the spread of alignment; Cronbach's alpha estimates the
   share of that spread that is real, and the true spread lies between sqrt(alpha) times the observed
   one and the observed one.
3. **Respondents like the rest.** Those who answered are a random sample of the learners (a pulse
   survey sent to everyone, answered for reasons unrelated to alignment).

The prior is uniform: ``goals.mean_alignment`` over the survey mean's 95% interval widened by
:data:`MAPPING_ALLOWANCE` either side (the mapping is an assumption, not a measurement), and
``goals.alignment_sd`` from sqrt(alpha) times the observed spread to the observed spread, each end
widened by its sampling error, within the schema's ranges.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field

import numpy as np

from ecosim.errors import InputError

#: How far either side of the survey's 95% interval the prior over mean alignment reaches (cosine).
MAPPING_ALLOWANCE = 0.1
#: Columns never read as items (they identify the respondent, or say when or where).
NOT_ITEMS = frozenset(
    {"respondent", "respondent_id", "id", "employee_id", "email", "name", "submitted", "date", "time", "timestamp"}
)
#: The fewest respondents a prior is drawn from.
MIN_RESPONDENTS = 10
MAX_BYTES = 50_000_000
_SCALE = re.compile(r"\(1\s*[-\u2013]\s*(\d{1,2})\)")


@dataclass
class SurveyPrior:
    """What a survey says about alignment, and the priors drawn from it."""

    file: str
    respondents: int
    items: int
    scale: int
    mean: float  # mean alignment of the respondents (mapped)
    sd: float  # observed spread of their alignment
    alpha: float | None  # Cronbach's alpha (None with one item)
    mean_bounds: tuple[float, float]
    sd_bounds: tuple[float, float]
    notes: list[str] = field(default_factory=list)

    def priors(self) -> dict[str, tuple[float, float]]:
        """``{"goals.mean_alignment": (low, high), "goals.alignment_sd": (low, high)}``."""
        return {"goals.mean_alignment": self.mean_bounds, "goals.alignment_sd": self.sd_bounds}

    def sentence(self) -> str:
        """The survey and its priors in one sentence, for the terminal and the report."""
        a = "" if self.alpha is None else f", Cronbach's alpha {self.alpha:.2f}"
        return (
            f"survey {self.file}: {self.respondents:,} respondents, {self.items} item(s) on a 1-{self.scale} scale{a}; "
            f"alignment {self.mean:.2f} on average (spread {self.sd:.2f}): priors goals.mean_alignment "
            f"{self.mean_bounds[0]:.3g} to {self.mean_bounds[1]:.3g}, goals.alignment_sd {self.sd_bounds[0]:.3g} "
            f"to {self.sd_bounds[1]:.3g}"
        )


def read_survey(path: str | os.PathLike[str]) -> SurveyPrior:
    """Read a pulse-survey CSV file and draw the priors (see the module docstring).

    Raises:
        InputError: a file that cannot be read, or any bad cell (one line naming file, row and column).
    """
    from ecosim.imports.source import read_bytes, read_csv

    src = read_bytes(path, what="survey file")
    if len(src.data) > MAX_BYTES:
        raise InputError("the survey file is too large", file=src.name, allowed=f"at most {MAX_BYTES:,} bytes")
    table = read_csv(src, required=(), what="a pulse survey (one row per respondent, one column per item)")
    if not table.rows:
        raise InputError("the survey has a header but no rows", file=src.name, allowed="one row per respondent")
    candidates = [h for h in table.header if h and h.strip().lower() not in NOT_ITEMS]
    numeric = {h: any(_whole(cells.get(h, "")) is not None for _, cells in table.rows) for h in candidates}
    items = [h for h in candidates if numeric[h]]
    if not items:
        raise InputError(
            "no column holds answers on a scale",
            file=src.name,
            line=1,
            value=",".join(table.header)[:200],
            allowed="one column per Likert item, answers whole numbers 1-5 (or 1-K with '(1-K)' in each header)",
        )
    scales = {_scale_of(h) for h in items}
    if scales == {None}:
        scale = 5
    elif len(scales) == 1:
        scale = int(scales.pop())
    else:  # the headers disagree about the scale
        raise InputError(
            "the items' headers name different scales",
            file=src.name,
            line=1,
            allowed="every item on the same scale, e.g. '(1-5)' in each header or in none",
        )
    answers = np.full((len(table.rows), len(items)), np.nan)
    for r, (line, cells) in enumerate(table.rows):
        for c, h in enumerate(items):
            text = cells.get(h, "").strip()
            if not text:
                continue
            v = _whole(text)
            if v is None or not 1 <= v <= scale:
                raise InputError(
                    "not an answer on the scale",
                    file=src.name,
                    line=line,
                    key=h,
                    value=text,
                    allowed=f"a whole number from 1 to {scale}, or empty",
                )
            answers[r, c] = v
    answered = ~np.isnan(answers).all(axis=1)
    left_out = int((~answered).sum())
    answers = answers[answered]
    n = int(answers.shape[0])
    if n < MIN_RESPONDENTS:
        raise InputError(
            f"only {n} respondent(s) answered",
            file=src.name,
            allowed=f"at least {MIN_RESPONDENTS} respondents (a pulse survey of the learners)",
        )
    mapped = (np.nanmean(answers, axis=1) - 1.0) / (scale - 1)
    mean = float(mapped.mean())
    sd = float(mapped.std(ddof=1))
    alpha = cronbach_alpha(answers) if len(items) > 1 else None
    if alpha is not None and math.isnan(alpha):
        alpha = None
    se = sd / math.sqrt(n)
    lo = max(0.0, mean - 1.96 * se - MAPPING_ALLOWANCE)
    hi = min(1.0, mean + 1.96 * se + MAPPING_ALLOWANCE)
    # the spread's sampling error (normal theory): sd / sqrt(2 (n - 1))
    sd_se = sd / math.sqrt(2 * (n - 1))
    real = math.sqrt(min(max(alpha, 0.0), 1.0)) if alpha is not None else 0.5
    sd_lo = max(0.0, real * sd - 1.96 * sd_se)
    sd_hi = min(0.5, sd + 1.96 * sd_se)
    if sd_hi <= sd_lo:
        sd_lo, sd_hi = max(0.0, sd_hi - 0.05), min(0.5, sd_hi + 0.05)
    notes = []
    if left_out:
        notes.append(f"{left_out} respondent(s) answered no item and are left out")
    if alpha is not None and alpha < 0.6:
        notes.append(
            f"Cronbach's alpha is {alpha:.2f}: the items agree little, so the survey says little about the spread"
        )
    if alpha is None:
        notes.append(
            "one item (or too few complete answers): its noise cannot be told from the spread of alignment "
            "(the prior over the spread is wide)"
        )
    return SurveyPrior(
        file=src.name,
        respondents=n,
        items=len(items),
        scale=scale,
        mean=mean,
        sd=sd,
        alpha=alpha,
        mean_bounds=(round(lo, 4), round(hi, 4)),
        sd_bounds=(round(sd_lo, 4), round(sd_hi, 4)),
        notes=notes,
    )


def cronbach_alpha(answers: np.ndarray) -> float:
    """Cronbach's alpha of items (columns) over respondents (rows), blank answers left out pairwise."""
    k = answers.shape[1]
    complete = answers[~np.isnan(answers).any(axis=1)]
    if complete.shape[0] < 2:
        return float("nan")
    item_var = complete.var(axis=0, ddof=1).sum()
    total_var = complete.sum(axis=1).var(ddof=1)
    if total_var <= 0:
        return 0.0
    return float(k / (k - 1) * (1 - item_var / total_var))


def _whole(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 3 else None


def _scale_of(header: str) -> int | None:
    m = _SCALE.search(header)
    if m is None:
        return None
    k = int(m.group(1))
    return k if 3 <= k <= 11 else None
