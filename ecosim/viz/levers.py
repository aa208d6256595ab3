"""The page's inputs, derived from the scenario schema.

Every parameter declared with ``lever=True`` in :mod:`ecosim.scenario.schema` becomes a slider;
its label (the schema's plain name), unit, type and bounds come from that one declaration, and its
starting value from the scenario. A slider's range is the lever's sensible range for the scenario
(:func:`ecosim.scenario.levers.lever_range`, which ``plan`` explores too): a value typed into the
scenario file is always inside it.

The seed is a text input. Whatever the inputs say, the model is rebuilt through
:func:`ecosim.scenario.loader.load_scenario`, so the schema's validation applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ecosim.errors import InputError
from ecosim.scenario.levers import lever_range
from ecosim.scenario.schema import ParamInfo, Scenario, get_value, iter_params

SEED_LABEL = "Seed (a whole number)"
#: The largest seed, as for ``ecosim run --seed``.
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Lever:
    """One slider: a scenario parameter, its range and its starting value."""

    path: str
    label: str
    unit: str
    integer: bool
    lo: float
    hi: float
    step: float
    value: float
    description: str

    def mesa_param(self) -> dict[str, Any]:
        """The slider as a Mesa SolaraViz ``model_params`` entry."""
        return {
            "type": "SliderInt" if self.integer else "SliderFloat",
            "value": self.value,
            "min": self.lo,
            "max": self.hi,
            "step": self.step,
            "label": self.label,
        }


def levers(scenario: Scenario) -> list[Lever]:
    """The sliders for a scenario: every numeric ``lever=True`` parameter of the schema, in declaration order."""
    return [_lever(info, scenario) for info in iter_params() if info.lever and info.is_numeric]


def _lever(info: ParamInfo, scenario: Scenario) -> Lever:
    integer = info.annotation is int
    value = get_value(scenario, info.path)
    value = int(value) if integer else float(value)
    lo, hi = lever_range(info, scenario)
    if integer:
        step: float = 1
        lo, hi = int(lo), int(hi)
    else:
        step = 10 ** math.floor(math.log10((hi - lo) / 50)) if hi > lo else 0.01
    from ecosim.words import say, words

    w = words(scenario)
    label = say(info.label, w)
    return Lever(
        path=info.path,
        label=label[:1].upper() + label[1:],  # the schema's plain name, in the organisation's words
        unit=say(info.plain_unit, w),
        integer=integer,
        lo=lo,
        hi=hi,
        step=step,
        value=value,
        # the source of a default speaks of the retail chain it comes from: not of another organisation's value
        description=say(
            info.description.split(" Source: ")[0] if not w.retail and value != info.default else info.description, w
        ),
    )


def parse_seed(text: object) -> int | None:
    """The seed typed on the page: a whole number from 0 to 2^63-1, or None (blank: the scenario's seed)."""
    if text is None:
        return None
    refused = f"the seed must be a whole number from 0 to {MAX_SEED:,}"
    if isinstance(text, bool):
        raise InputError(refused, file="seed (page input)", value=text)
    if isinstance(text, int):
        value = text
    else:
        stripped = str(text).strip().replace(",", "").replace("_", "")
        if not stripped:
            return None
        if len(stripped) > 30 or not stripped.lstrip("+-").isascii():  # int() also reads other scripts' digits
            raise InputError(refused, file="seed (page input)", value=str(text))
        try:
            value = int(stripped)
        except ValueError:
            raise InputError(refused, file="seed (page input)", value=str(text)) from None
    if not 0 <= value <= MAX_SEED:
        raise InputError(refused, file="seed (page input)", value=value)
    return value


def parse_lever(lever: Lever, value: object) -> int | float:
    """A slider's value as the page sent it: a number in the slider's range, whole for whole-number levers.

    A browser's slider sends nothing else, but any program can send anything over the page's
    websocket; whatever it is, it is refused with an :class:`InputError` naming the slider.
    """
    kind = "a whole number" if lever.integer else "a number"
    allowed = f"{kind} from {_show(lever.lo)} to {_show(lever.hi)}"
    where = f"{lever.label} (page input)"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError("not a number", file=where, value=value, allowed=allowed)
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError("not a finite number", file=where, value=value, allowed=allowed)
    if lever.integer and isinstance(value, float):
        if not value.is_integer():
            raise InputError("not a whole number", file=where, value=value, allowed=allowed)
        value = int(value)
    if not lever.lo <= value <= lever.hi:
        raise InputError("outside the slider's range", file=where, value=value, allowed=allowed)
    return int(value) if lever.integer else float(value)


def _show(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"
