"""Interventions: levers a scenario changes during the run, at a week or when a condition holds.

A scenario's ``interventions`` list says what to change and when:

- ``week: 12`` changes the levers at the start of week 12, before that week's mechanisms run;
- ``when: active_share < 0.15`` with ``for_weeks: 4`` changes them at the start of the week after
  the condition has held on the weekly metrics for four weeks in a row. Without ``once: true`` the
  count starts again after each change, so the change is made again after another four weeks if
  the condition still holds.

Conditions have a small grammar, parsed here without ``eval``: a metric of the weekly table, a
comparison (``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``) and a number, joined by ``and`` and ``or``
(``and`` binds tighter than ``or``, as in Python). Numbers are written with the digits 0 to 9; a
``%`` (``15%`` is 0.15) only follows a comparison with a share or another metric between 0 and 1. A
metric that has no value in a week (``top1_post_share`` before anyone has posted) satisfies no
comparison that week, ``!=`` included. Which levers may change mid-run is declared in the schema
(``mid_run``); the loader refuses the rest.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecosim.core.engine import Engine

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}

_TOKEN = re.compile(
    r"\s*(?:(?P<number>[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?%?)|(?P<op><=|>=|==|!=|<|>)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<other>\S+))",
    re.ASCII,
)
#: Metrics between 0 and 1 besides the shares (``*_share``): the only ones a ``%`` may be compared with.
FRACTIONS = ("mean_knowledge", "org_code_knowledge", "org_capability", "mean_usefulness", "mean_alignment")


def takes_percent(metric: str) -> bool:
    """Whether ``metric`` lies between 0 and 1, so that ``15%`` (0.15) can be compared with it."""
    return metric.endswith("_share") or metric in FRACTIONS


class ConditionError(ValueError):
    """A condition that does not follow the grammar; the message says what is wrong and what is allowed."""


@dataclass(frozen=True)
class Comparison:
    """``metric op number``."""

    metric: str
    op: str
    number: float

    def holds(self, row: Mapping[str, float]) -> bool:
        """Whether the comparison holds on one week's metrics; never where the metric has no value (NaN)."""
        value = float(row[self.metric])
        return not math.isnan(value) and bool(OPERATORS[self.op](value, self.number))


@dataclass(frozen=True)
class Condition:
    """Comparisons in disjunctive form: any group whose comparisons all hold makes the condition hold."""

    groups: tuple[tuple[Comparison, ...], ...]

    def holds(self, row: Mapping[str, float]) -> bool:
        """Whether the condition holds on one week's metrics."""
        return any(all(c.holds(row) for c in group) for group in self.groups)

    @property
    def metrics(self) -> list[str]:
        """The metrics the condition reads."""
        return [c.metric for group in self.groups for c in group]


def parse_condition(text: str, metrics: Sequence[str]) -> Condition:
    """Parse ``text`` with the condition grammar over the metric names ``metrics``.

    A number may end in ``%`` (``15%`` is 0.15). Raises ConditionError when ``text`` does not follow
    the grammar.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("a condition must be text such as 'active_share < 0.15'")
    tokens = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "other":
            raise ConditionError(f"unexpected {value!r} in the condition; allowed operators: {', '.join(OPERATORS)}")
        tokens.append((kind, value))
    groups: list[tuple[Comparison, ...]] = []
    current: list[Comparison] = []
    i = 0
    allowed_metrics = "a metric of the weekly table (" + ", ".join(metrics) + ")"
    while True:
        part = tokens[i : i + 3]
        if len(part) < 3:
            shown = " ".join(v for _, v in part) or "nothing"
            raise ConditionError(f"incomplete comparison at {shown!r}; a comparison is: metric operator number")
        (k1, metric), (k2, op), (k3, number) = part
        if k1 != "word" or metric in ("and", "or"):
            raise ConditionError(f"expected a metric name, got {metric!r}; allowed: {allowed_metrics}")
        if metric not in metrics:
            from ecosim.errors import did_you_mean

            hint = did_you_mean(metric, metrics)
            raise ConditionError(
                f"unknown metric {metric!r}" + (f"; {hint}" if hint else "") + f"; allowed: {allowed_metrics}"
            )
        if k2 != "op":
            raise ConditionError(f"expected a comparison after {metric!r}, got {op!r}; allowed: {', '.join(OPERATORS)}")
        if k3 != "number":
            raise ConditionError(f"expected a number after {metric} {op}, got {number!r}")
        if number.endswith("%") and not takes_percent(metric):
            raise ConditionError(
                f"{metric} {op} {number}: a percentage is compared with a share, and {metric} is not one; "
                f"write {metric} {op} {number[:-1]}"
            )
        value = float(number[:-1]) / 100 if number.endswith("%") else float(number)
        if not math.isfinite(value):
            raise ConditionError(f"the number {number!r} after {metric} {op} is too large")
        current.append(Comparison(metric, op, value))
        i += 3
        if i == len(tokens):
            break
        kind, joiner = tokens[i]
        if kind != "word" or joiner not in ("and", "or"):
            raise ConditionError(f"expected 'and' or 'or' after a comparison, got {joiner!r}")
        if joiner == "or":
            groups.append(tuple(current))
            current = []
        i += 1
    groups.append(tuple(current))
    return Condition(tuple(groups))


@dataclass
class Applied:
    """One intervention applied during a run."""

    week: int
    index: int
    set: dict[str, Any]
    trigger: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for summaries and tables."""
        return {"week": self.week, "intervention": self.index, "set": dict(self.set), "trigger": self.trigger}


@dataclass
class _Trigger:
    index: int
    week: int | None
    condition: Condition | None
    text: str
    for_weeks: int
    once: bool
    changes: dict[str, Any]
    streak: int = 0
    done: bool = False


@dataclass
class Schedule:
    """The interventions of one run and what has been applied; :meth:`before_week` is the model's hook.

    ``scenario`` is the scenario as read: the model's ``params`` change as interventions apply.
    """

    scenario: Any
    triggers: list[_Trigger] = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)

    @classmethod
    def from_scenario(cls, params: Any, metrics: Sequence[str]) -> Schedule:
        """The schedule of ``params.interventions`` (already validated by the schema)."""
        triggers = []
        for k, item in enumerate(getattr(params, "interventions", ()) or ()):
            triggers.append(
                _Trigger(
                    index=k,
                    week=item.week,
                    condition=None if item.when is None else parse_condition(item.when, metrics),
                    text=f"week {item.week}" if item.when is None else item.when,
                    for_weeks=item.for_weeks,
                    once=item.once,
                    changes=dict(item.set),
                )
            )
        return cls(params, triggers)

    def before_week(self, engine: Engine, r: int, last: Mapping[str, float] | None) -> int:
        """At the start of a week: update the conditions on last week's metrics ``last`` and apply what is due.

        ``r`` is the replicate of ``engine`` this schedule belongs to. Returns how many interventions
        were applied.
        """
        if not self.triggers:
            return 0
        week = engine.week
        fired = 0
        for t in self.triggers:
            if t.done:
                continue
            if t.condition is None:
                due = week == t.week
            else:
                if last is not None:
                    t.streak = t.streak + 1 if t.condition.holds(last) else 0
                due = t.streak >= t.for_weeks
            if not due:
                continue
            apply_changes(engine, r, t.changes)
            self.applied.append(Applied(week, t.index, dict(t.changes), t.text))
            fired += 1
            t.streak = 0
            t.done = t.condition is None or t.once
        return fired


def apply_changes(engine: Engine, r: int, changes: Mapping[str, Any]) -> None:
    """Set the dotted levers ``changes`` on replicate ``r``'s scenario; facilitators are hired or leave to match."""
    params = engine.params[r]
    by_section: dict[str, dict[str, Any]] = {}
    for path, value in changes.items():
        section, key = path.split(".", 1)
        by_section.setdefault(section, {})[key] = value
    update = {section: getattr(params, section).model_copy(update=values) for section, values in by_section.items()}
    engine.set_params(r, params.model_copy(update=update))
    if "facilitation" in by_section:
        engine.match_facilitators(r)
