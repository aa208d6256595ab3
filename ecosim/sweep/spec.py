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
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ecosim.core.metrics import COLUMNS, SUMMARY_KEYS
from ecosim.errors import InputError, did_you_mean
from ecosim.scenario.loader import (
    PATH_KEYS,
    Marks,
    apply_overrides,
    check_param_path,
    dotted,
    read_yaml_mapping,
    resolve_file,
    scenario_hash,
    validate,
)
from ecosim.scenario.schema import ParamInfo, Scenario, param_info

TOP_KEYS = (
    "base",
    "name",
    "description",
    "set",
    "parameters",
    "combinations",
    "design",
    "replicates",
    "seed",
    "metrics",
    "timeseries",
)
METHODS = ("grid", "lhs", "sobol", "morris")
SAMPLED = ("lhs", "sobol", "morris")
DESIGN_KEYS: dict[str, tuple[str, ...]] = {
    "grid": ("method",),
    "lhs": ("method", "samples"),
    "sobol": ("method", "samples", "second_order"),
    "morris": ("method", "trajectories", "levels"),
}
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
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PATH_PARAMS = {f"{s}.{k}" for s, k in PATH_KEYS}


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
        _check_replicates(replicates, source, None, None)
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
    ctx = _Context(file, Path(path).resolve().parent, marks)

    for key in data:
        if key not in TOP_KEYS:
            raise ctx.error(
                f"unknown key '{key}'",
                (key,),
                key=None,
                allowed="keys " + ", ".join(TOP_KEYS),
                hint=did_you_mean(key, TOP_KEYS),
            )

    name = data.get("name", Path(file).stem)
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > 100:
        raise ctx.error(
            "the name must be a short word",
            ("name",),
            value=name,
            allowed="letters, digits, '_', '.', '-', starting with a letter or digit",
        )
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ctx.error("the description must be text", ("description",), value=description)

    base_file, base_data = _read_base(data, ctx)
    fixed = _read_set(data, ctx)
    base_data = apply_overrides(base_data, fixed, source=file)

    design = _read_design(data.get("design", "grid"), ctx)
    parameters = _read_parameters(data.get("parameters"), ctx, design)
    combinations = _read_combinations(data.get("combinations"), ctx, design)
    base = _base_scenario(ctx, base_data, base_file, parameters, combinations)

    replicates = data.get("replicates", 1)
    _check_replicates(replicates, file, *ctx.pos(("replicates",))[1:])
    seed = data.get("seed", base.seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**63 - 1:
        raise ctx.error(
            "the root seed must be a whole number", ("seed",), value=seed, allowed="a whole number >= 0 and < 2**63"
        )
    metrics = _read_names(data.get("metrics", list(SUMMARY_KEYS)), ("metrics",), ctx, SUMMARY_KEYS, "metrics")
    ts = data.get("timeseries", True)
    if ts is True:
        columns = tuple(c for c in COLUMNS if c != "week")
    elif ts is False:
        columns = ()
    else:
        columns = tuple(c for c in _read_names(ts, ("timeseries",), ctx, tuple(COLUMNS), "timeseries") if c != "week")

    sweep = Sweep(
        file=file,
        name=name,
        description=description,
        base_file=base_file,
        base_data=base_data,
        base=base,
        fixed=fixed,
        parameters=parameters,
        combinations=combinations,
        design=design,
        replicates=replicates,
        seed=seed,
        metrics=metrics,
        timeseries=columns,
        marks=marks,
    )
    return sweep


class _Context:
    """The sweep file being read: positions of its keys, and errors that point at them."""

    def __init__(self, file: str, folder: Path, marks: Marks) -> None:
        self.file = file
        self.folder = folder
        self.marks = marks

    def pos(self, keypath: tuple[str | int, ...]) -> tuple[str, int | None, int | None]:
        for n in range(len(keypath), 0, -1):
            if keypath[:n] in self.marks:
                return self.marks[keypath[:n]]
        return self.file, None, None

    def error(
        self,
        problem: str,
        keypath: tuple[str | int, ...],
        *,
        key: str | None | Any = ...,
        value: Any = ...,
        allowed: str | None = None,
        hint: str | None = None,
    ) -> InputError:
        file, line, col = self.pos(keypath)
        return InputError(
            problem,
            file=file,
            line=line,
            column=col,
            key=dotted(keypath) if key is ... else key,
            value=value,
            allowed=allowed,
            hint=hint,
        )

    def rewrap(self, err: InputError, keypath: tuple[str | int, ...], *, value: Any = ...) -> InputError:
        """A scenario error caused by a value in the sweep file, moved to that value's position."""
        file, line, col = self.pos(keypath)
        problem = err.problem
        if err.key and err.key != keypath[-1] and not dotted(keypath).endswith(str(err.key)):
            problem = f"{err.key}: {problem}"
        return InputError(
            problem,
            file=file,
            line=line,
            column=col,
            key=dotted(keypath),
            value=err.value if value is ... else value,
            allowed=err.allowed,
            hint=err.hint,
        )


def _read_base(data: Mapping[str, Any], ctx: _Context) -> tuple[str, dict[str, Any]]:
    base = data.get("base")
    if base is None:
        raise InputError(
            "required key is missing",
            file=ctx.file,
            key="base",
            allowed="the scenario file every run starts from, relative to this file",
        )
    if not isinstance(base, str) or not base.strip():
        raise ctx.error(
            "'base' must name a scenario file", ("base",), value=base, allowed="a file path relative to this sweep file"
        )
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


def _resolve_path_value(path: str, value: Any, ctx: _Context) -> Any:
    if path in _PATH_PARAMS and isinstance(value, str) and value:
        return str((ctx.folder / value).resolve())
    return value


def _check_path(path: Any, keypath: tuple[str | int, ...], ctx: _Context) -> str:
    if not isinstance(path, str):
        raise ctx.error(
            "parameter names must be dotted paths", keypath, value=path, allowed="e.g. goals.mean_alignment"
        )
    try:
        check_param_path(path, source=ctx.file)
    except InputError as err:
        file, line, col = ctx.pos(keypath)
        raise InputError(
            err.problem, file=file, line=line, column=col, key=dotted(keypath), value=path, hint=err.hint
        ) from None
    if path in NOT_SWEEPABLE:
        raise ctx.error("this key cannot be varied by a sweep", keypath, value=path, hint=NOT_SWEEPABLE[path])
    return path


def _check_value(path: str, value: Any, keypath: tuple[str | int, ...], ctx: _Context) -> None:
    """Check one value against its parameter's declaration; errors point at the value in the sweep file.

    Rules across parameters (``initial_correct + initial_wrong <= 1``) are checked later, on every
    design point's whole scenario.
    """
    from pydantic import ValidationError

    try:
        _adapter(path).validate_python(value)
    except ValidationError as exc:
        err = exc.errors()[0]
        problem = err["msg"][0].lower() + err["msg"][1:] if err.get("msg") else "invalid value"
        file, line, col = ctx.pos(keypath)
        raise InputError(
            problem, file=file, line=line, column=col, key=path, value=value, allowed=param_info(path).allowed()
        ) from None


@functools.cache
def _adapter(path: str) -> Any:
    """A validator for one parameter, from its declaration in the schema (strict, like scenario files)."""
    from typing import Annotated

    from pydantic import ConfigDict, TypeAdapter

    model: Any = Scenario
    parts = path.split(".")
    for part in parts[:-1]:
        model = model.model_fields[part].annotation
    declared = model.model_fields[parts[-1]]
    return TypeAdapter(Annotated[declared.annotation, declared], config=ConfigDict(strict=True))


def _read_set(data: Mapping[str, Any], ctx: _Context) -> dict[str, Any]:
    raw = data.get("set", {})
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ctx.error(
            "'set' must map parameter paths to values",
            ("set",),
            value=raw,
            allowed="e.g. {weeks: 26, organisation.stores: 10}",
        )
    out: dict[str, Any] = {}
    for path, value in raw.items():
        _check_path(path, ("set", path), ctx)
        value = _resolve_path_value(path, value, ctx)
        _check_value(path, value, ("set", path), ctx)
        out[path] = value
    return out


def _read_design(raw: Any, ctx: _Context) -> DesignSpec:
    if isinstance(raw, str):
        raw = {"method": raw}
    if not isinstance(raw, dict):
        raise ctx.error(
            "'design' must be a method name or a mapping",
            ("design",),
            value=raw,
            allowed="grid, or e.g. {method: sobol, samples: 64}",
        )
    method = raw.get("method")
    if method not in METHODS:
        raise ctx.error(
            "unknown design method",
            ("design", "method") if "method" in raw else ("design",),
            value=method,
            allowed="one of " + ", ".join(METHODS),
            hint=did_you_mean(str(method), METHODS),
        )
    for key in raw:
        if key not in DESIGN_KEYS[method]:
            raise ctx.error(
                f"unknown key '{key}' for a {method} design",
                ("design", key),
                key="design",
                allowed="keys " + ", ".join(DESIGN_KEYS[method]),
                hint=did_you_mean(str(key), DESIGN_KEYS[method]),
            )

    def whole(key: str, *, default: int | None, lo: int, hi: int = 10_000_000) -> int:
        value = raw.get(key, default)
        if value is None:
            raise ctx.error(
                f"a {method} design needs '{key}'", ("design",), key=f"design.{key}", allowed=f"a whole number >= {lo}"
            )
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ctx.error(
                "must be a whole number", ("design", key), value=value, allowed=f"a whole number >= {lo} and <= {hi:,}"
            )
        return value

    if method == "lhs":
        return DesignSpec("lhs", samples=whole("samples", default=None, lo=2))
    if method == "sobol":
        samples = whole("samples", default=None, lo=2)
        if samples & (samples - 1):
            raise ctx.error(
                "Sobol' samples must be a power of 2 (the sequence loses its balance otherwise)",
                ("design", "samples"),
                value=samples,
                allowed=f"a power of 2, e.g. {1 << (samples.bit_length() - 1)} or {1 << samples.bit_length()}",
            )
        second = raw.get("second_order", True)
        if not isinstance(second, bool):
            raise ctx.error("must be true or false", ("design", "second_order"), value=second)
        return DesignSpec("sobol", samples=samples, second_order=second)
    if method == "morris":
        trajectories = whole("trajectories", default=None, lo=2)
        levels = whole("levels", default=4, lo=2, hi=1000)
        if levels % 2:
            raise ctx.error(
                "Morris levels must be even (the step is levels / (2 (levels - 1)))",
                ("design", "levels"),
                value=levels,
                allowed="an even whole number >= 2, e.g. 4",
            )
        return DesignSpec("morris", trajectories=trajectories, levels=levels)
    return DesignSpec("grid")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _clean(x: float) -> float:
    """Round away the last bits of floating-point noise (0.30000000000000004 -> 0.3)."""
    return float(f"{x:.12g}")


def _read_parameters(raw: Any, ctx: _Context, design: DesignSpec) -> tuple[Parameter, ...]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ctx.error(
            "'parameters' must map parameter paths to their values, range or bounds",
            ("parameters",),
            value=raw,
            allowed="e.g. {goals.mean_alignment: {values: [0.2, 0.5, 0.8]}}",
        )
    if design.method in SAMPLED and not raw:
        raise ctx.error(
            f"a {design.method} design needs parameters with bounds",
            ("parameters",),
            allowed="e.g. {goals.mean_alignment: {bounds: [0, 1]}}",
        )
    out = []
    for path, entry in raw.items():
        key: tuple[str | int, ...] = ("parameters", path)
        _check_path(path, key, ctx)
        info = param_info(path)
        if isinstance(entry, list):
            entry_key = key
            entry = {"values": entry}
            values_key = key
        elif isinstance(entry, dict):
            entry_key = key
            values_key = (*key, "values")
        else:
            raise ctx.error(
                "must be a list of values, or a mapping with values, range or bounds",
                key,
                value=entry,
                allowed="e.g. {values: [1, 2, 4]}, {range: {min: 0, max: 1, steps: 11}} or {bounds: [0, 1]}",
            )
        for k in entry:
            if k not in ("values", "range", "bounds"):
                raise ctx.error(
                    f"unknown key '{k}'",
                    (*entry_key, k),
                    key=path,
                    allowed="keys values, range, bounds",
                    hint=did_you_mean(str(k), ("values", "range", "bounds")),
                )
        if len(entry) != 1:
            raise ctx.error(
                "give exactly one of values, range or bounds", entry_key, key=path, value=sorted(entry) if entry else {}
            )
        kind = next(iter(entry))
        integer = info.annotation is int
        if design.method == "grid" and kind == "bounds":
            raise ctx.error(
                "bounds are for sampled designs (lhs, sobol, morris)",
                (*entry_key, "bounds"),
                key=path,
                allowed="values or range for a grid, or set design: lhs, sobol or morris",
            )
        if design.method in SAMPLED and kind != "bounds":
            raise ctx.error(
                f"a {design.method} design samples between bounds",
                (*entry_key, kind),
                key=path,
                allowed="bounds: [min, max]",
            )
        if kind == "values":
            values = entry["values"]
            if not isinstance(values, list) or not values:
                raise ctx.error("values must be a non-empty list", values_key, key=path, value=values)
            resolved = []
            for i, v in enumerate(values):
                v = _resolve_path_value(path, v, ctx)
                _check_value(path, v, (*values_key, i), ctx)
                resolved.append(v)
            if len({json.dumps(v, sort_keys=True, default=str) for v in resolved}) != len(resolved):
                raise ctx.error(
                    "values repeat",
                    values_key,
                    key=path,
                    value=values,
                    allowed="distinct values (use replicates to repeat runs)",
                )
            out.append(Parameter(path, "values", values=tuple(resolved), integer=integer))
        elif kind == "range":
            out.append(_read_range(path, info, entry["range"], (*entry_key, "range"), ctx))
        else:
            out.append(_read_bounds(path, info, entry["bounds"], (*entry_key, "bounds"), ctx))
    return tuple(out)


def _read_range(path: str, info: ParamInfo, rng: Any, key: tuple[str | int, ...], ctx: _Context) -> Parameter:
    example = "{min: 0, max: 1, steps: 11}"
    if not info.is_numeric:
        raise ctx.error("a range needs a numeric parameter", key, key=path, allowed=info.allowed())
    if not isinstance(rng, dict):
        raise ctx.error("range must be a mapping", key, key=path, value=rng, allowed=example)
    for k in rng:
        if k not in ("min", "max", "steps"):
            raise ctx.error(
                f"unknown key '{k}'",
                (*key, k),
                key=path,
                allowed="keys min, max, steps",
                hint=did_you_mean(str(k), ("min", "max", "steps")),
            )
    for k in ("min", "max", "steps"):
        if k not in rng:
            raise ctx.error(f"range needs '{k}'", key, key=path, allowed=example)
    lo, hi, steps = rng["min"], rng["max"], rng["steps"]
    for k, v in (("min", lo), ("max", hi)):
        if not _number(v):
            raise ctx.error("must be a number", (*key, k), key=f"{path}.range.{k}", value=v)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2 or steps > MAX_POINTS:
        raise ctx.error(
            "steps must be a whole number >= 2",
            (*key, "steps"),
            key=f"{path}.range.steps",
            value=steps,
            allowed="a whole number >= 2 (the number of values, both ends included)",
        )
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
        _check_value(path, v, (*key, k), ctx)
    return Parameter(path, "range", values=tuple(values), integer=info.annotation is int)


def _read_bounds(path: str, info: ParamInfo, raw: Any, key: tuple[str | int, ...], ctx: _Context) -> Parameter:
    if not info.is_numeric:
        raise ctx.error("bounds need a numeric parameter", key, key=path, allowed=info.allowed())
    if not (isinstance(raw, list) and len(raw) == 2 and all(_number(v) for v in raw)):
        raise ctx.error("bounds must be two numbers [min, max]", key, key=path, value=raw, allowed="e.g. [0, 1]")
    lo, hi = raw
    if not lo < hi:
        raise ctx.error("the lower bound must be below the upper bound", key, key=path, value=raw)
    integer = info.annotation is int
    if integer and (lo != int(lo) or hi != int(hi)):
        raise ctx.error(
            "bounds of a whole-number parameter must be whole numbers", key, key=path, value=raw, allowed=info.allowed()
        )
    for i, v in enumerate(raw):
        _check_value(path, int(v) if integer else float(v), (*key, i), ctx)
    return Parameter(path, "bounds", bounds=(float(lo), float(hi)), integer=integer)


def _read_combinations(raw: Any, ctx: _Context, design: DesignSpec) -> tuple[dict[str, Any], ...]:
    if raw is None:
        return ()
    if design.method != "grid":
        raise ctx.error(
            f"explicit combinations cannot be added to a {design.method} design",
            ("combinations",),
            allowed="combinations with design: grid",
        )
    if not isinstance(raw, list) or not raw:
        raise ctx.error(
            "combinations must be a list of mappings",
            ("combinations",),
            value=raw,
            allowed="e.g. [{goals.mean_alignment: 0.3, facilitation.facilitators: 2}]",
        )
    out = []
    for i, combo in enumerate(raw):
        key: tuple[str | int, ...] = ("combinations", i)
        if not isinstance(combo, dict) or not combo:
            raise ctx.error("each combination must map parameter paths to values", key, value=combo)
        resolved = {}
        for path, value in combo.items():
            _check_path(path, (*key, path), ctx)
            value = _resolve_path_value(path, value, ctx)
            _check_value(path, value, (*key, path), ctx)
            resolved[path] = value
        out.append(resolved)
    return tuple(out)


def _read_names(raw: Any, key: tuple[str, ...], ctx: _Context, allowed: Sequence[str], what: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise ctx.error(
            f"{what} must be a non-empty list of names", key, value=raw, allowed="names among " + ", ".join(allowed)
        )
    seen = []
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


def _check_replicates(value: Any, file: str, line: int | None, column: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REPLICATES:
        raise InputError(
            "replicates must be a whole number",
            file=file,
            line=line,
            column=column,
            key="replicates",
            value=value,
            allowed=f"a whole number >= 1 and <= {MAX_REPLICATES:,}",
        )


def base_value(scenario: Scenario, path: str) -> Any:
    """The value of a dotted parameter path in a validated scenario."""
    node: Any = scenario
    for part in path.split("."):
        node = getattr(node, part)
    return copy.deepcopy(node)
