"""What a calibration fits: parameters and their priors, the distance, the sizes; read from YAML or flags.

A calibration file (validated like scenarios: unknown keys, bad values and out-of-range priors get
one line naming the file, the line, the key, the value and what is allowed)::

    observed: retail_launch.csv          # relative to this file
    fit:
      goals.mean_alignment: {low: 0.2, high: 0.9}
      platform.friction: {prior: loguniform, low: 0.25, high: 4}
    distance: relative
    particles: 200
    generations: 8

``fit`` may also be a plain list of parameter names: each prior is then uniform over the
parameter's whole range in the scenario schema.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ecosim.errors import InputError, did_you_mean
from ecosim.scenario.schema import iter_params

Distance = Literal["relative", "adaptive"]


class Prior(BaseModel):
    """A prior over one fitted parameter: uniform or log-uniform between ``low`` and ``high``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prior: Literal["uniform", "loguniform"] = "uniform"
    low: float | None = None
    high: float | None = None


class CalibrationSpec(BaseModel):
    """A calibration file's contents (every key optional; flags on the command line take precedence)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    observed: str | None = Field(None, description="The observed-data CSV file, relative to the calibration file.")
    survey: str | None = Field(
        None, description="A pulse-survey CSV file (priors over alignment), relative to the calibration file."
    )
    fit: dict[str, Prior] = Field(default_factory=dict, description="Fitted parameters and their priors.")
    distance: Distance = Field(
        "relative",
        description="relative: each statistic's error relative to its observed mean; adaptive: pyabc's "
        "adaptive p-norm, weighting each week by the spread of the simulations.",
    )
    particles: int = Field(200, ge=10, le=100_000, description="Accepted particles per generation.")
    generations: int | None = Field(None, ge=1, le=1000, description="Generations of ABC-SMC.")
    budget: int | None = Field(None, ge=10, le=100_000_000, description="Total simulations, instead of generations.")
    population: int | None = Field(None, ge=10, le=20_000_000, description="Learners simulated during inference.")
    draws: int = Field(100, ge=10, le=100_000, description="Posterior draws for the forecast and the what-ifs.")

    @field_validator("fit", mode="before")
    @classmethod
    def _list_of_names(cls, value: Any) -> Any:
        if isinstance(value, list):
            return {str(name): {} for name in value}
        if isinstance(value, dict):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _one_stop(self) -> CalibrationSpec:
        if self.generations is not None and self.budget is not None:
            raise ValueError("give generations or budget, not both")
        return self


def fittable() -> dict[str, Any]:
    """Every parameter that can be fitted: the schema's bounded numbers (``float`` parameters)."""
    return {p.path: p for p in iter_params() if p.annotation is float and p.lower is not None and p.upper is not None}


def resolve_priors(fit: dict[str, Prior], *, source: str) -> dict[str, Prior]:
    """Fill each prior's bounds from the schema and check them; InputError for unknown or bad parameters."""
    params = fittable()
    if not fit:
        raise InputError(
            "no parameter to fit",
            file=source,
            key="fit",
            allowed="one or more of " + ", ".join(sorted(params)[:6]) + ", ...",
        )
    out: dict[str, Prior] = {}
    for name, prior in fit.items():
        info = params.get(name)
        if info is None:
            from ecosim.scenario.schema import param_info

            try:
                other = param_info(name)
            except KeyError:
                raise InputError(
                    "unknown parameter",
                    file=source,
                    key=name,
                    hint=did_you_mean(name, params),
                    allowed="a number parameter of the scenario schema (docs/scenarios.md)",
                ) from None
            raise InputError(
                f"cannot be fitted: it is {other.allowed()}",
                file=source,
                key=name,
                allowed="a number parameter with a bounded range (whole numbers and choices are set, not fitted)",
            )
        low = float(info.lower) if prior.low is None else float(prior.low)
        high = float(info.upper) if prior.high is None else float(prior.high)
        allowed = f"{info.lower:g} <= low < high <= {info.upper:g}"
        if not (math.isfinite(low) and math.isfinite(high)) or low < info.lower or high > info.upper or low >= high:
            raise InputError(
                "prior bounds outside the parameter's range", file=source, key=name, value=[low, high], allowed=allowed
            )
        if prior.prior == "loguniform" and low <= 0:
            raise InputError(
                "a log-uniform prior needs a positive lower bound",
                file=source,
                key=f"{name}.low",
                value=low,
                allowed="low > 0",
            )
        out[name] = Prior(prior=prior.prior, low=low, high=high)
    return out


def parse_fit_flags(names: list[str]) -> dict[str, Prior]:
    """``--fit NAME`` or ``--fit NAME=LOW:HIGH`` (uniform) or ``NAME=log:LOW:HIGH`` (log-uniform)."""
    out: dict[str, Prior] = {}
    for text in names:
        name, _, bounds = text.partition("=")
        name = name.strip()
        if name in out:
            raise InputError(
                "the parameter is fitted twice", file="--fit", key=name, allowed="each parameter once in --fit"
            )
        if not bounds:
            out[name] = Prior()
            continue
        parts = bounds.split(":")
        kind = "uniform"
        if parts and parts[0] in ("log", "loguniform"):
            kind, parts = "loguniform", parts[1:]
        try:
            low, high = (float(x) for x in parts)
        except ValueError:
            raise InputError(
                "cannot read the prior bounds",
                file="--fit",
                key=name,
                value=bounds,
                allowed="NAME, NAME=LOW:HIGH or NAME=log:LOW:HIGH",
            ) from None
        out[name] = Prior(prior=kind, low=low, high=high)
    return out


def read_spec(path: str | os.PathLike[str]) -> tuple[CalibrationSpec, Path]:
    """Read and validate a calibration YAML file; returns the spec and the folder paths in it are relative to."""
    from ecosim.scenario.loader import read_yaml_mapping

    file = str(path)
    data, marks = read_yaml_mapping(path, what="calibration")
    try:
        spec = CalibrationSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        # the prior's own keys sit under the parameter name, which may contain dots
        key = ".".join(str(k) for k in loc)
        mark = None
        for n in range(len(loc), 0, -1):
            mark = marks.get(tuple(loc[:n]))
            if mark:
                break
        allowed = None
        if err.get("type") == "extra_forbidden":
            names = CalibrationSpec.model_fields if len(loc) == 1 else Prior.model_fields
            allowed = "keys " + ", ".join(names)
            problem = f"unknown key '{loc[-1]}'"
            hint = did_you_mean(str(loc[-1]), names)
        else:
            problem = err.get("msg", "invalid value")
            problem = problem[0].lower() + problem[1:]
            hint = None
        raise InputError(
            problem,
            file=mark[0] if mark else file,
            line=mark[1] if mark else None,
            column=mark[2] if mark else None,
            key=key or None,
            value=err.get("input", ...) if err.get("type") != "extra_forbidden" else ...,
            hint=hint,
            allowed=allowed,
        ) from None
    return spec, Path(path).resolve().parent
