"""What a plan may decide, and what it must be robust to: decision levers and deep uncertainties.

A plan file is YAML, read with the scenario loader's safe reader and checked like a sweep file:
every problem names the file, the line, the key, the bad value and what is allowed.

.. code-block:: yaml

    decisions:                              # the levers the plan chooses, each within [low, high]
      facilitation.facilitators: [0, 8]
      facilitation.hours_per_week: [2, 16]
      facilitation.event_every_weeks: [0, 8]  # 0: no events
      learning.socialisation: [0, 0.02]
    uncertain:                              # deep uncertainties: each future draws a value in the range
      goals.mean_alignment: [0.35, 0.65]

Without a plan file, the decisions are :data:`DEFAULT_DECISIONS` with the ranges of the browser
page's sliders (:func:`ecosim.scenario.levers.lever_range`), and nothing is deeply uncertain.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecosim.errors import InputError
from ecosim.scenario.schema import Scenario, get_value, param_info

#: The levers a plan chooses unless a plan file says otherwise: the ones that cost money (``costs:``).
DEFAULT_DECISIONS = (
    "facilitation.facilitators",
    "facilitation.hours_per_week",
    "facilitation.event_every_weeks",
    "learning.socialisation",
)
#: The range of formal training a plan explores by default: none to twice the ~35 h a year of ATD's survey.
SOCIALISATION_RANGE = (0.0, 0.02)
#: Keys of a plan file.
KEYS = ("decisions", "uncertain")


@dataclass(frozen=True)
class Range:
    """A numeric scenario parameter and the interval a plan explores (whole numbers for integer parameters)."""

    path: str
    low: float
    high: float
    integer: bool

    def value(self, x: float) -> int | float:
        """``x`` clipped to the range, and rounded: to a whole number, or to 1/1,000 of the range."""
        x = min(max(float(x), self.low), self.high)
        if self.integer:
            return int(round(x))
        step = (self.high - self.low) / 1000
        return float(f"{self.low + round((x - self.low) / step) * step:.6g}")

    def describe(self) -> dict[str, Any]:
        """The range for a manifest."""
        return {"low": self.low, "high": self.high, "integer": self.integer}


@dataclass(frozen=True)
class PlanSpec:
    """The decisions of a plan and the deep uncertainties of its futures."""

    decisions: tuple[Range, ...]
    uncertain: tuple[Range, ...] = ()
    file: str | None = None

    def describe(self) -> dict[str, Any]:
        """The spec for a manifest and for checking that a resumed plan is the same plan."""
        return {
            "decisions": {r.path: r.describe() for r in self.decisions},
            "uncertain": {r.path: r.describe() for r in self.uncertain},
        }


def default_spec(scenario: Scenario) -> PlanSpec:
    """The decisions of :data:`DEFAULT_DECISIONS`, in the ranges of the page's sliders for this scenario."""
    from ecosim.scenario.levers import lever_range

    out = []
    for path in DEFAULT_DECISIONS:
        info = param_info(path)
        if path == "learning.socialisation":
            lo, hi = SOCIALISATION_RANGE
            hi = max(hi, float(get_value(scenario, path)))
        else:
            lo, hi = lever_range(info, scenario)
        out.append(Range(path, float(lo), float(hi), info.annotation is int))
    return PlanSpec(tuple(out))


def read_plan_spec(path: str | os.PathLike[str], scenario: Scenario) -> PlanSpec:
    """Read and check a plan file (see the module docstring).

    Raises:
        InputError: naming the file, the line, the key, the bad value and what is allowed.
    """
    from ecosim.scenario.loader import read_yaml_mapping
    from ecosim.sweep.spec import _Context

    data, marks = read_yaml_mapping(path, what="plan")
    ctx = _Context(str(path), Path(path).parent, marks)
    for key in data:
        if key not in KEYS:
            raise ctx.error("unknown key", (key,), value=key, allowed="decisions, uncertain")
    if "decisions" not in data:
        raise InputError("no decisions", file=str(path), key="decisions", allowed="a mapping of levers to [low, high]")
    decisions = _ranges(data["decisions"], "decisions", ctx, scenario)
    uncertain = _ranges(data.get("uncertain") or {}, "uncertain", ctx, scenario)
    both = {r.path for r in decisions} & {r.path for r in uncertain}
    if both:
        name = sorted(both)[0]
        raise ctx.error(
            "a lever cannot be both decided and uncertain", ("uncertain", name), allowed="one of the two sections"
        )
    return PlanSpec(decisions, uncertain, file=str(path))


def _ranges(raw: Any, section: str, ctx: Any, scenario: Scenario) -> tuple[Range, ...]:
    from ecosim.sweep.spec import NOT_SWEEPABLE, _check_path, _checked

    if not isinstance(raw, Mapping) or (section == "decisions" and not raw):
        raise ctx.error(
            f"{section} must be a mapping of parameters to [low, high]",
            (section,),
            value=raw,
            allowed="e.g. facilitation.facilitators: [0, 8]",
        )
    out: dict[str, Range] = {}
    for written, value in raw.items():
        key = (section, written)
        if str(written) in NOT_SWEEPABLE or written == "weeks":
            raise ctx.error("a plan cannot vary this key", key, value=written, allowed="a lever of the scenario")
        path = _check_path(str(written), key, ctx)
        if path in out:
            raise ctx.error(f"names the same parameter as '{path}'", key, key=written, allowed="each parameter once")
        info = param_info(path)
        if not info.is_numeric:
            raise ctx.error("a plan needs a numeric parameter", key, key=path, allowed=info.allowed())
        if (
            not isinstance(value, Sequence)
            or isinstance(value, str)
            or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        ):
            raise ctx.error("must be [low, high]", key, key=path, value=value, allowed="two numbers, low below high")
        lo, hi = float(value[0]), float(value[1])
        if not lo < hi:
            raise ctx.error(
                "low must be below high", key, key=path, value=list(value), allowed="[low, high], low < high"
            )
        integer = info.annotation is int
        if integer and not (lo.is_integer() and hi.is_integer()):
            raise ctx.error("must be whole numbers", key, key=path, value=list(value), allowed=info.allowed())
        for v in (lo, hi):
            _checked(path, int(v) if integer else v, key, ctx)
        try:
            get_value(scenario, path)
        except (AttributeError, IndexError, KeyError, TypeError):
            raise ctx.error(
                "the scenario has no such entry", key, value=path, allowed="an entry the scenario has"
            ) from None
        out[path] = Range(path, lo, hi, integer)
    return tuple(out.values())
