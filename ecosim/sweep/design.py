"""Design points: the parameter values of each point of a sweep.

- ``grid``: every combination of the parameters' values (the first parameter varies slowest), then
  any explicit ``combinations``.
- ``lhs``: a Latin hypercube of ``samples`` points between the parameters' bounds.
- ``sobol``: Saltelli's scheme on a scrambled Sobol' sequence (SALib), ``N (2D + 2)`` points, or
  ``N (D + 2)`` without second-order indices.
- ``morris``: ``trajectories`` Morris trajectories on a grid of ``levels`` levels, ``trajectories (D + 1)``
  points (SALib).

Sampled designs draw in the parameters' units; whole-number parameters are rounded to the nearest
whole number (the unrounded sample is kept for the sensitivity analysis). The sampler's seed is
spawned from the sweep's root seed, so a design is the same every time it is built.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ecosim.errors import InputError
from ecosim.scenario.schema import param_info
from ecosim.sweep.seeds import design_seed
from ecosim.sweep.spec import MAX_POINTS, Sweep, base_value

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Design:
    """The design points of a sweep.

    Attributes:
        method: grid, lhs, sobol or morris.
        columns: the dotted paths of the parameters recorded for every point, in order.
        points: one row per design point (index = point number), one column per parameter, holding
            the values the runs use.
        sample: for sampled designs, the sampler's matrix before rounding (points x parameters), in
            the parameters' units, which is what the sensitivity analysis needs.
        problem: the SALib problem definition (sampled designs).
    """

    method: str
    columns: tuple[str, ...]
    points: pd.DataFrame
    sample: np.ndarray | None = None
    problem: dict[str, Any] | None = None

    def __len__(self) -> int:
        return len(self.points)

    def column_values(self) -> dict[str, list[Any]]:
        """Each parameter's values, one per point, as plain Python values (cached)."""
        cached = self.__dict__.get("_values")
        if cached is None:
            cached = {c: [_plain(v) for v in self.points[c].tolist()] for c in self.columns}
            self.__dict__["_values"] = cached
        return cached

    def overrides(self, point: int) -> dict[str, Any]:
        """The parameter values of one design point, as stored (lists as JSON text)."""
        values = self.column_values()
        return {c: values[c][point] for c in self.columns}

    def iter_overrides(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(point, overrides) for every design point, in point order."""
        for point in range(len(self)):
            yield point, self.overrides(point)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or type(value).__name__ == "NAType":  # pandas' missing value
        return None
    return value


def grid_size(sweep: Sweep) -> int:
    """Points of a grid design: every combination of the swept values, plus the listed combinations (1 with neither)."""
    n = (
        math.prod(len(p.values or ()) for p in sweep.parameters)
        if sweep.parameters
        else (0 if sweep.combinations else 1)
    )
    return n + len(sweep.combinations)


def problem_of(sweep: Sweep) -> dict[str, Any]:
    """The SALib problem definition of a sampled design: the swept parameters' names and bounds."""
    return {
        "num_vars": len(sweep.parameters),
        "names": [p.path for p in sweep.parameters],
        "bounds": [list(p.bounds) for p in sweep.parameters],  # type: ignore[arg-type]
    }


def design_size(sweep: Sweep) -> int:
    """Number of design points, without building the design."""
    d = sweep.design
    k = len(sweep.parameters)
    if d.method == "grid":
        return grid_size(sweep)
    if d.method == "lhs":
        return int(d.samples)  # type: ignore[arg-type]
    if d.method == "sobol":
        return int(d.samples) * (2 * k + 2 if d.second_order else k + 2)  # type: ignore[arg-type]
    return int(d.trajectories) * (k + 1)  # type: ignore[arg-type]


def build_design(sweep: Sweep, *, check: bool = True) -> Design:
    """The design points of ``sweep``; with ``check``, every point's scenario is validated.

    Raises:
        InputError: when the design is too large or a point is not a valid scenario (a
            combination of values that breaks a rule across parameters).
    """
    import pandas as pd

    size = design_size(sweep)
    if size > MAX_POINTS:
        raise InputError(
            f"the design has {size:,} points",
            file=sweep.file,
            key="parameters",
            allowed=f"at most {MAX_POINTS:,} design points per sweep",
        )
    method = sweep.design.method
    sample = problem = None
    if method == "grid":
        columns = [p.path for p in sweep.parameters]
        for combo in sweep.combinations:
            columns += [c for c in combo if c not in columns]
        rows: list[list[Any]] = []
        if sweep.parameters:
            for values in itertools.product(*(p.values for p in sweep.parameters)):  # type: ignore[misc]
                rows.append(list(values) + [base_value(sweep.base, c) for c in columns[len(values) :]])
        if not sweep.parameters and not sweep.combinations:
            rows.append([])
        for combo in sweep.combinations:
            rows.append([combo[c] if c in combo else base_value(sweep.base, c) for c in columns])
        points = pd.DataFrame(rows, columns=columns) if columns else pd.DataFrame(index=range(len(rows)))
    else:
        problem = problem_of(sweep)
        sample = _sample(sweep, problem)
        columns = list(problem["names"])
        data = {}
        for j, p in enumerate(sweep.parameters):
            col = sample[:, j]
            data[p.path] = np.rint(col).astype(np.int64) if p.integer else col.astype(np.float64)
        points = pd.DataFrame(data)
    points = _typed(points, sweep)
    design = Design(method=method, columns=tuple(columns), points=points, sample=sample, problem=problem)
    if check:
        check_points(sweep, design)
    return design


def _sample(sweep: Sweep, problem: dict[str, Any]) -> np.ndarray:
    d = sweep.design
    seed = design_seed(sweep.seed)
    if d.method == "lhs":
        from SALib.sample import latin

        out = latin.sample(problem, int(d.samples), seed=seed)  # type: ignore[arg-type]
    elif d.method == "sobol":
        from SALib.sample import sobol

        out = sobol.sample(
            problem,
            int(d.samples),
            calc_second_order=d.second_order,
            scramble=True,  # type: ignore[arg-type]
            seed=seed,
        )
    else:
        from SALib.sample import morris

        out = morris.sample(problem, int(d.trajectories), num_levels=d.levels, seed=seed)  # type: ignore[arg-type]
    out = np.asarray(out, dtype=np.float64)
    # samplers work in [0, 1] and scale; keep the bounds exact despite rounding in the scaling
    lo = np.array([b[0] for b in problem["bounds"]])
    hi = np.array([b[1] for b in problem["bounds"]])
    return np.clip(out, lo, hi)


def _typed(points: pd.DataFrame, sweep: Sweep) -> pd.DataFrame:
    """Columns typed from the schema, so every part of the results has the same Parquet types."""
    for c in points.columns:
        kind = param_info(c).dtype
        if kind == "int64":
            points[c] = points[c].astype("Int64")  # nullable: an optional parameter may be unset (None)
        elif kind == "float64":
            points[c] = points[c].astype("float64")
        elif kind == "bool":
            points[c] = points[c].astype("boolean")
        elif kind == "json":
            import json

            points[c] = points[c].map(lambda v: json.dumps(v, separators=(",", ":")))
        else:
            points[c] = points[c].astype("object")
    return points


def check_points(sweep: Sweep, design: Design) -> None:
    """Validate every design point's scenario; the first invalid one is reported."""
    for point, overrides in design.iter_overrides():
        try:
            sweep.scenario_for(_decoded(overrides))
        except InputError as err:
            sub = getattr(err, "errors", [err])[0]
            shown = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
            raise InputError(
                f"design point {point} ({shown}) is not a valid scenario: {sub.problem}",
                file=sweep.file,
                key=sub.key,
                value=sub.value,
                allowed=sub.allowed,
                hint=sub.hint,
            ) from None


def _decoded(overrides: dict[str, Any]) -> dict[str, Any]:
    """Overrides with JSON-encoded values (lists) decoded back."""
    out = {}
    for k, v in overrides.items():
        if param_info(k).dtype == "json" and isinstance(v, str):
            import json

            v = json.loads(v)
        out[k] = v
    return out


def run_overrides(design: Design, point: int) -> dict[str, Any]:
    """The overrides that produce design point ``point``'s scenario."""
    return _decoded(design.overrides(point))
