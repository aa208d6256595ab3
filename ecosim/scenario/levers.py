"""The sensible range of each lever for a scenario: the browser page's sliders and a plan's decisions.

Schema bounds are sometimes far wider than any sensible range (up to 100,000 facilitators), so a
range's upper end is the schema's upper bound when that is within ten times the scenario's value,
and otherwise a round number about four times the value; points in time (unit ``week``) run to the
scenario's last week and durations (unit ``weeks``) stop there. A scenario's own value is always
inside its range.
"""

from __future__ import annotations

import math

from ecosim.scenario.schema import ParamInfo, Scenario, get_value


def lever_range(info: ParamInfo, scenario: Scenario) -> tuple[float, float]:
    """``(low, high)`` of the lever ``info`` for ``scenario`` (whole numbers for an integer lever)."""
    integer = info.annotation is int
    value = float(get_value(scenario, info.path))
    lo = info.lower if info.lower is not None else min(0.0, value)
    if info.gt is not None:  # an open lower bound: start one step above it
        lo = info.gt + (1 if integer else 0.01)
    upper = info.upper
    span = abs(value) if value else 1.0
    if info.unit == "week":  # a point in time: anywhere in the run
        hi = float(scenario.weeks)
    elif upper is not None and upper - lo <= 10 * span:
        hi = float(upper)
    else:
        hi = nice_ceiling(4 * span)
        if integer:
            hi = max(hi, 10.0)
        if info.unit == "weeks":
            hi = min(hi, float(scenario.weeks))
    if upper is not None:
        hi = min(hi, float(upper))
    hi = max(hi, value)
    lo = min(float(lo), value)
    if integer:
        return math.floor(lo), math.ceil(hi)
    return lo, hi


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above ``x`` (1 for x <= 0 or not finite)."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    k = math.floor(math.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * 10**k >= x - 1e-12:
            return float(m * 10**k)
    return float(10 ** (k + 1))  # pragma: no cover
