"""Sweep files: what to vary, how, and how many times.

A sweep file is YAML, read with the scenario loader's safe reader, and checked as strictly as a
scenario: every problem is a :class:`~ecosim.scenario.errors.InputError` naming the sweep file,
the line, the key, the bad value and what is allowed (the command line exits with code 2).

.. code-block:: yaml

    base: ../retail.yaml            # the scenario every run starts from (relative to this file)
    set: {weeks: 52}                # fixed overrides for every run (optional)
    parameters:                     # dotted paths of scenario parameters
      goals.mean_alignment: {range: {min: 0, max: 1, steps: 11}}
      facilitation.facilitators: {values: [0, 1, 2, 4, 8]}
    design: grid                    # grid | lhs | sobol | morris (the last three take bounds)
    replicates: 10
    seed: 2024                      # the root seed; each run's seed is spawned from it
    metrics: [final_active_share, verdict]

See ``docs/sweeps.md`` for the full reference.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, TypeAdapter, ValidationError
from pydantic import field_validator as check

from ecosim.core.metrics import COLUMNS, SUMMARY_KEYS
from ecosim.errors import InputError, did_you_mean
from ecosim.scenario.loader import (
    PATH_KEYS,
    Marks,
    apply_overrides,
    check_param_path,
    convert_error,
    dotted,
    position,
    read_yaml_mapping,
    resolve_file,
    scenario_hash,
    validate,
)
from ecosim.scenario.schema import ParamInfo, Scenario, field_of, get_value, param_info

#: Run ids are ``point * MAX_REPLICATES + replicate``, so a design point has at most this many replicates.
MAX_REPLICATES = 10_000
#: More design points than this are refused (the design table is held in memory).
MAX_POINTS = 20_000_000
#: Scenario keys a sweep cannot vary: each run's seed is spawned from the sweep's root seed.
NOT_SWEEPABLE = {
    "seed": "each run's seed is spawned from the sweep's root seed; set 'seed' (the root) and 'replicates'",
    "name": "the scenario name only names a results folder",
    "description": "the description does not change a run",
}
SAMPLED = ("lhs", "sobol", "morris")
_PATH_PARAMS = {f"{s}.{k}" for s, k in PATH_KEYS}
_KINDS = ("values", "range", "bounds")


# --------------------------------------------------------------------------------------------
# The file's shape, as pydantic models: the design and each parameter entry are discriminated unions
# --------------------------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


Count = Annotated[int, Field(ge=2, le=10_000_000)]


class Grid(_Section):
    """Every combination of the parameters' values."""

    method: Literal["grid"]


class Lhs(_Section):
    """A Latin hypercube of ``samples`` points."""

    method: Literal["lhs"]
    samples: Count


class Sobol(_Section):
    """Saltelli's scheme on a Sobol' sequence of ``samples`` (a power of 2) base points."""

    method: Literal["sobol"]
    samples: Count
    second_order: bool = True

    @check("samples")
    @classmethod
    def _power_of_2(cls, n: int) -> int:
        if n & (n - 1):
            raise InputError(
                "Sobol' samples must be a power of 2 (the sequence loses its balance otherwise)",
                allowed=f"a power of 2, e.g. {1 << (n.bit_length() - 1)} or {1 << n.bit_length()}",
            )
        return n


class Morris(_Section):
    """``trajectories`` Morris trajectories on a grid of ``levels`` (even) levels."""

    method: Literal["morris"]
    trajectories: Count
    levels: int = Field(4, ge=2, le=1000)

    @check("levels")
    @classmethod
    def _even(cls, n: int) -> int:
        if n % 2:
            raise InputError(
                "Morris levels must be even (the step is levels / (2 (levels - 1)))",
                allowed="an even whole number >= 2, e.g. 4",
            )
        return n


def _design_shorthand(value: Any) -> Any:
    if isinstance(value, str):
        return {"method": value}
    if not isinstance(value, dict):
        raise InputError(
            "'design' must be a method name or a mapping", allowed="grid, or e.g. {method: sobol, samples: 64}"
        )
    return value


class Values(_Section):
    """The values of a grid, listed."""

    values: list[Any] = Field(min_length=1)


class Span(_Section):
    """``steps`` evenly spaced values from ``min`` to ``max``, both included."""

    min: float
    max: float
    steps: int = Field(ge=2, le=MAX_POINTS, description="the number of values, both ends included")


class Range(_Section):
    """The values of a grid, evenly spaced."""

    range: Span


class Bounds(_Section):
    """The bounds a sampled design draws between."""

    bounds: list[float] = Field(min_length=2, max_length=2, json_schema_extra={"allowed": "two numbers [min, max]"})


def _entry_shorthand(value: Any) -> Any:
    if isinstance(value, list):
        return {"values": value}
    if not isinstance(value, dict):
        raise InputError(
            "must be a list of values, or a mapping with values, range or bounds",
            allowed="e.g. {values: [1, 2, 4]}, {range: {min: 0, max: 1, steps: 11}} or {bounds: [0, 1]}",
        )
    if len(value) != 1:
        raise InputError("give exactly one of values, range or bounds", value=sorted(value))
    key = next(iter(value))
    if key not in _KINDS:
        raise InputError(f"unknown key '{key}'", allowed="keys values, range, bounds", hint=did_you_mean(key, _KINDS))
    return value


Design = Annotated[Grid | Lhs | Sobol | Morris, Field(discriminator="method"), BeforeValidator(_design_shorthand)]
Entry = Annotated[
    Annotated[Values, Tag("values")] | Annotated[Range, Tag("range")] | Annotated[Bounds, Tag("bounds")],
    Discriminator(lambda v: next(iter(v)) if isinstance(v, dict) else type(v).__name__.lower()),
    BeforeValidator(_entry_shorthand),
]
Combination = Annotated[dict[str, Any], Field(min_length=1)]


class SweepFile(_Section):
    """A sweep file as written (before its parameters are checked against the scenario schema)."""

    base: str = Field(min_length=1, json_schema_extra={"allowed": "a scenario file, relative to this sweep file"})
    name: str | None = None
    description: str = ""
    set: dict[str, Any] | None = Field(None, json_schema_extra={"allowed": "e.g. {weeks: 26, organisation.stores: 10}"})
    parameters: dict[str, Entry] | None = Field(
        None, json_schema_extra={"allowed": "e.g. {goals.mean_alignment: {values: [0.2, 0.5, 0.8]}}"}
    )
    combinations: list[Combination] | None = Field(
        None,
        min_length=1,
        json_schema_extra={"allowed": "e.g. [{goals.mean_alignment: 0.3, facilitation.facilitators: 2}]"},
    )
    design: Design = Grid(method="grid")
    replicates: int = Field(1, ge=1, le=MAX_REPLICATES)
    seed: int | None = Field(None, ge=0, le=2**63 - 1, json_schema_extra={"allowed": "a whole number >= 0 and < 2**63"})
    metrics: list[str] = Field(
        list(SUMMARY_KEYS), min_length=1, json_schema_extra={"allowed": "names among " + ", ".join(SUMMARY_KEYS)}
    )
    timeseries: bool | list[str] = Field(
        True, json_schema_extra={"allowed": "true, false or a list of names among " + ", ".join(COLUMNS)}
    )

    @check("name")
    @classmethod
    def _short_word(cls, name: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", name) or len(name) > 100:
            raise InputError(
                "the name must be a short word",
                allowed="letters, digits, '_', '.', '-', starting with a letter or digit",
            )
        return name


# --------------------------------------------------------------------------------------------
# The checked sweep
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One varied parameter: its dotted path and either its values (grid) or its bounds (sampled)."""

    path: str
    kind: str  # "values", "range" or "bounds"
    values: tuple[Any, ...] | None = None
    bounds: tuple[float, float] | None = None
    integer: bool = False


@dataclass(frozen=True)
class DesignSpec:
    """How design points are chosen."""

    method: str = "grid"
    samples: int | None = None  # lhs: rows; sobol: N (rows are N(2D+2), or N(D+2) without second order)
    second_order: bool = True  # sobol
    trajectories: int | None = None  # morris: rows are trajectories x (D+1)
    levels: int = 4  # morris


@dataclass(frozen=True)
class Sweep:
    """A checked sweep file."""

    file: str
    name: str
    description: str
    base_file: str
    base_data: dict[str, Any] = field(repr=False)
    base: Scenario = field(repr=False)
    fixed: dict[str, Any]
    parameters: tuple[Parameter, ...]
    combinations: tuple[dict[str, Any], ...]
    design: DesignSpec
    replicates: int
    seed: int
    metrics: tuple[str, ...]
    timeseries: tuple[str, ...]
    marks: Marks = field(default_factory=dict, repr=False, compare=False)

    def with_replicates(self, replicates: int, *, source: str = "--replicates") -> Sweep:
        """The same sweep with another number of replicates per design point."""
        data = {"base": self.base_file, "replicates": replicates}
        try:
            SweepFile.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise convert_error(err, model=SweepFile, file=source, marks={}, data=data, error=InputError) from None
        return replace(self, replicates=replicates)

    def scenario_for(self, overrides: Mapping[str, Any]) -> Scenario:
        """The validated scenario of one design point (the seed is set per run)."""
        return validate(apply_overrides(self.base_data, overrides, source=self.file), file=self.base_file)

    def identity(self) -> dict[str, Any]:
        """What defines the sweep's runs and their results (not the replicate count, not file names)."""
        return {
            "base_scenario_sha256": scenario_hash(self.base),
            "parameters": [
                {
                    "path": p.path,
                    "kind": p.kind,
                    "values": list(p.values) if p.values is not None else None,
                    "bounds": list(p.bounds) if p.bounds is not None else None,
                }
                for p in self.parameters
            ],
            "combinations": [dict(c) for c in self.combinations],
            "design": self.design.__dict__,
            "seed": self.seed,
            "metrics": list(self.metrics),
            "timeseries": list(self.timeseries),
        } | ({"input_files": files} if (files := self.input_files()) else {})

    def input_files(self) -> dict[str, str]:
        """Every file the sweep's runs read (the base's and the swept ones), as ``{path: sha256}``."""
        from ecosim.scenario.loader import input_files, path_sha256

        out = input_files(self.base)
        values = [v for p in self.parameters if p.path in _PATH_PARAMS for v in (p.values or ())]
        values += [v for c in self.combinations for k, v in c.items() if k in _PATH_PARAMS]
        for v in values:
            if isinstance(v, str) and v and v not in out:
                out[v] = path_sha256(v)
        return dict(sorted(out.items()))

    def sha256(self) -> str:
        """Hash of :meth:`identity`: equal hashes mean the same runs with the same results."""
        text = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """The sweep as resolved, for the manifest."""
        return {
            "file": self.file,
            "name": self.name,
            "description": self.description,
            "base": self.base_file,
            "set": self.fixed,
            "replicates": self.replicates,
            **self.identity(),
        }


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def load_sweep(path: str | os.PathLike[str]) -> Sweep:
    """Read and check a sweep file and its base scenario.

    Raises:
        InputError: for any problem with the sweep file or its base scenario.
    """
    file = str(path)
    data, marks = read_yaml_mapping(path, what="sweep")
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as exc:
        errors = [
            convert_error(e, model=SweepFile, file=file, marks=marks, data=data, error=InputError) for e in exc.errors()
        ]
        # one line: a misspelt key first (its 'did you mean' explains the rest), else the first in the file
        raise min(errors, key=lambda e: (not e.problem.startswith("unknown key"), e.line or 0, e.column or 0)) from None
    ctx = _Context(file, Path(path).resolve().parent, marks)
    name = spec.name if spec.name is not None else Path(file).stem
    base_file, base_data = _read_base(spec.base, ctx)
    fixed = _read_set(spec.set or {}, ctx)
    base_data = apply_overrides(base_data, fixed, source=file)
    design = DesignSpec(**spec.design.model_dump())
    parameters = _read_parameters(spec.parameters or {}, ctx, design)
    combinations = _read_combinations(spec.combinations, ctx, design)
    base = _base_scenario(ctx, base_data, base_file, parameters, combinations)
    metrics = _read_names(spec.metrics, ("metrics",), ctx, SUMMARY_KEYS, "metrics")
    if spec.timeseries is True or spec.timeseries is False:
        columns = tuple(c for c in COLUMNS if c != "week") if spec.timeseries else ()
    else:
        columns = tuple(
            c for c in _read_names(spec.timeseries, ("timeseries",), ctx, COLUMNS, "timeseries") if c != "week"
        )
    return Sweep(
        file=file,
        name=name,
        description=spec.description,
        base_file=base_file,
        base_data=base_data,
        base=base,
        fixed=fixed,
        parameters=parameters,
        combinations=combinations,
        design=design,
        replicates=spec.replicates,
        seed=spec.seed if spec.seed is not None else base.seed,
        metrics=metrics,
        timeseries=columns,
        marks=marks,
    )


class _Context:
    """The sweep file being read: positions of its keys, and errors that point at them."""

    def __init__(self, file: str, folder: Path, marks: Marks) -> None:
        self.file = file
        self.folder = folder
        self.marks = marks

    def error(self, problem: str, keypath: tuple[str | int, ...], *, key: Any = ..., **kw: Any) -> InputError:
        file, line, col = position(keypath, self.file, self.marks)
        return InputError(problem, file=file, line=line, column=col, key=dotted(keypath) if key is ... else key, **kw)

    def rewrap(self, err: InputError, keypath: tuple[str | int, ...], *, value: Any = ...) -> InputError:
        """A scenario error caused by a value in the sweep file, moved to that value's position."""
        problem = err.problem
        if err.key and err.key != keypath[-1] and not dotted(keypath).endswith(str(err.key)):
            problem = f"{err.key}: {problem}"
        shown = err.value if value is ... else value
        return self.error(problem, keypath, value=shown, allowed=err.allowed, hint=err.hint)


def _read_base(base: str, ctx: _Context) -> tuple[str, dict[str, Any]]:
    target = ctx.folder / base
    if not target.is_file():
        raise ctx.error(
            f"the base scenario does not exist: {target}",
            ("base",),
            value=base,
            allowed="an existing scenario file, relative to this sweep file",
        )
    base_data, _ = resolve_file(target)
    return str(target), base_data


def _base_scenario(
    ctx: _Context,
    data: Mapping[str, Any],
    base_file: str,
    parameters: tuple[Parameter, ...],
    combinations: tuple[dict[str, Any], ...],
) -> Scenario:
    """The base scenario (with ``set`` applied), validated.

    A base may be incomplete on its own and completed by the swept values (``network.kind: edgelist``
    set, ``network.path`` swept): then the first design point stands for it (for the defaults
    recorded in the manifest). Every design point is validated in full later.
    """
    try:
        return validate(data, file=base_file)
    except InputError as err:
        first: dict[str, Any] = {}
        for p in parameters:
            if p.values is not None:
                first[p.path] = p.values[0]
            elif p.bounds is not None:
                first[p.path] = int(p.bounds[0]) if p.integer else p.bounds[0]
        if not parameters and combinations:
            first = dict(combinations[0])
        if first:
            try:
                return validate(apply_overrides(data, first, source=ctx.file), file=base_file)
            except InputError:
                pass
        sub = getattr(err, "errors", [err])[0]
        if sub.key and ("set", sub.key) in ctx.marks:
            raise ctx.rewrap(sub, ("set", sub.key)) from None
        raise


def _check_path(path: str, keypath: tuple[str | int, ...], ctx: _Context) -> str:
    """The parameter path written one way (``interventions.00.week`` -> ``interventions.0.week``), checked."""
    try:
        path = check_param_path(path, source=ctx.file)
    except InputError as err:
        raise ctx.error(
            err.problem, keypath, value=err.value if err.value is not ... else path, hint=err.hint
        ) from None
    if path in NOT_SWEEPABLE:
        raise ctx.error("this key cannot be varied by a sweep", keypath, value=path, hint=NOT_SWEEPABLE[path])
    return path


def _checked(path: str, value: Any, keypath: tuple[str | int, ...], ctx: _Context) -> Any:
    """One value checked against its parameter's declaration (a file path resolved against the sweep's folder).

    Errors point at the value in the sweep file. Rules across parameters (``initial_correct +
    initial_wrong <= 1``) are checked later, on every design point's whole scenario.
    """
    if path in _PATH_PARAMS and isinstance(value, str) and value:
        value = str((ctx.folder / value).resolve())
    try:
        _adapter(path).validate_python(value)
    except ValidationError as exc:
        msg = exc.errors()[0].get("msg") or "invalid value"
        problem = msg[0].lower() + msg[1:]
        raise ctx.error(problem, keypath, key=path, value=value, allowed=param_info(path).allowed()) from None
    return value


@functools.cache
def _adapter(path: str) -> TypeAdapter:
    """A validator for one parameter, from its declaration in the schema (strict, like scenario files)."""
    declared = field_of(path)
    return TypeAdapter(Annotated[declared.annotation, declared], config=ConfigDict(strict=True))


def _checked_map(raw: Mapping[str, Any], key: tuple[str | int, ...], ctx: _Context) -> dict[str, Any]:
    """Dotted parameter paths (written one way) and their values (``set``, a combination), each checked."""
    out: dict[str, Any] = {}
    written: dict[str, str] = {}
    for path, v in raw.items():
        name = _check_path(path, (*key, path), ctx)
        _once(name, path, written, (*key, path), ctx)
        out[name] = _checked(name, v, (*key, path), ctx)
    return out


def _once(name: str, path: str, written: dict[str, str], keypath: tuple[str | int, ...], ctx: _Context) -> None:
    """Refuse a second spelling of a parameter already given (``interventions.0.week``, ``interventions.00.week``)."""
    if name in written:
        raise ctx.error(
            f"names the same parameter as '{written[name]}'", keypath, key=path, allowed="each parameter once"
        )
    written[name] = path


def _read_set(raw: Mapping[str, Any], ctx: _Context) -> dict[str, Any]:
    return _checked_map(raw, ("set",), ctx)


def _clean(x: float) -> float:
    """Round away the last bits of floating-point noise (0.30000000000000004 -> 0.3)."""
    return float(f"{x:.12g}")


def _read_parameters(raw: Mapping[str, Any], ctx: _Context, design: DesignSpec) -> tuple[Parameter, ...]:
    if design.method in SAMPLED and not raw:
        raise ctx.error(
            f"a {design.method} design needs parameters with bounds",
            ("parameters",),
            allowed="e.g. {goals.mean_alignment: {bounds: [0, 1]}}",
        )
    out = []
    spelt: dict[str, str] = {}
    for given, entry in raw.items():
        key: tuple[str | int, ...] = ("parameters", given)
        path = _check_path(given, key, ctx)
        _once(path, given, spelt, key, ctx)
        info = param_info(path)
        kind = next(iter(entry.model_fields_set))
        if design.method == "grid" and kind == "bounds":
            raise ctx.error(
                "bounds are for sampled designs (lhs, sobol, morris)",
                (*key, "bounds"),
                key=path,
                allowed="values or range for a grid, or set design: lhs, sobol or morris",
            )
        if design.method in SAMPLED and kind != "bounds":
            raise ctx.error(
                f"a {design.method} design samples between bounds", (*key, kind), key=path, allowed="bounds: [min, max]"
            )
        if kind == "values":
            written = (*key, "values") if (*key, "values") in ctx.marks else key  # a plain list: no 'values' key
            values = [_checked(path, v, (*written, i), ctx) for i, v in enumerate(entry.values)]
            if len({json.dumps(v, sort_keys=True, default=str) for v in values}) != len(values):
                raise ctx.error(
                    "values repeat",
                    written,
                    key=path,
                    value=entry.values,
                    allowed="distinct values (use replicates to repeat runs)",
                )
            out.append(Parameter(path, "values", values=tuple(values), integer=info.annotation is int))
        elif kind == "range":
            out.append(_read_range(path, info, entry.range, (*key, "range"), ctx))
        else:
            out.append(_read_bounds(path, info, entry.bounds, (*key, "bounds"), ctx))
    return tuple(out)


def _read_range(path: str, info: ParamInfo, span: Span, key: tuple[str | int, ...], ctx: _Context) -> Parameter:
    if not info.is_numeric:
        raise ctx.error("a range needs a numeric parameter", key, key=path, allowed=info.allowed())
    lo, hi, steps = span.min, span.max, span.steps
    if not lo < hi:
        raise ctx.error("range min must be below max", key, key=path, value={"min": lo, "max": hi})
    width = (hi - lo) / (steps - 1)
    values = [_clean(lo + i * width) for i in range(steps)]
    if info.annotation is int:
        if any(abs(v - round(v)) > 1e-9 for v in values):
            raise ctx.error(
                "this range gives values that are not whole numbers",
                key,
                key=path,
                value=[_clean(v) for v in values[:4]] + (["..."] if steps > 4 else []),
                allowed=f"{info.allowed()}: choose steps so that (max - min) / (steps - 1) is whole, "
                "or list the values",
            )
        values = [int(round(v)) for v in values]
    for k, v in (("min", values[0]), ("max", values[-1])):
        _checked(path, v, (*key, k), ctx)
    return Parameter(path, "range", values=tuple(values), integer=info.annotation is int)


def _read_bounds(
    path: str, info: ParamInfo, bounds: list[float], key: tuple[str | int, ...], ctx: _Context
) -> Parameter:
    if not info.is_numeric:
        raise ctx.error("bounds need a numeric parameter", key, key=path, allowed=info.allowed())
    lo, hi = bounds
    if not lo < hi:
        raise ctx.error("the lower bound must be below the upper bound", key, key=path, value=bounds)
    integer = info.annotation is int
    if integer and (lo != int(lo) or hi != int(hi)):
        raise ctx.error(
            "bounds of a whole-number parameter must be whole numbers",
            key,
            key=path,
            value=bounds,
            allowed=info.allowed(),
        )
    for i, v in enumerate(bounds):
        _checked(path, int(v) if integer else float(v), (*key, i), ctx)
    return Parameter(path, "bounds", bounds=(float(lo), float(hi)), integer=integer)


def _read_combinations(
    raw: list[dict[str, Any]] | None, ctx: _Context, design: DesignSpec
) -> tuple[dict[str, Any], ...]:
    if raw is None:
        return ()
    if design.method != "grid":
        raise ctx.error(
            f"explicit combinations cannot be added to a {design.method} design",
            ("combinations",),
            allowed="combinations with design: grid",
        )
    return tuple(_checked_map(combo, ("combinations", i), ctx) for i, combo in enumerate(raw))


def _read_names(
    raw: list[str], key: tuple[str, ...], ctx: _Context, allowed: Sequence[str], what: str
) -> tuple[str, ...]:
    seen: list[str] = []
    for i, name in enumerate(raw):
        if name not in allowed:
            raise ctx.error(
                f"unknown {what} name",
                (*key, i),
                key=what,
                value=name,
                allowed="one of " + ", ".join(allowed),
                hint=did_you_mean(str(name), allowed),
            )
        if name in seen:
            raise ctx.error(f"'{name}' is listed twice", (*key, i), key=what, value=name)
        seen.append(name)
    return tuple(seen)


def base_value(scenario: Scenario, path: str) -> Any:
    """The value of a dotted parameter path in a validated scenario (a copy)."""
    return copy.deepcopy(get_value(scenario, path))
