"""Arguments shared by the commands: whole numbers within bounds, folders, ``--set`` and where runs execute.

A bad value is argparse's own error: exit code 2, naming the flag, the bad value and what is allowed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

#: The largest seed: seeds are stored as 64-bit integers in sweeps' tables.
MAX_SEED = 2**63 - 1
#: Where runs can execute (``ecosim.sweep.executors``).
EXECUTORS = ("processes", "sequential", "dask")


def whole_number(lo: int, hi: int | None = None, what: str = "a whole number") -> Callable[[str], int]:
    """An argparse ``type`` accepting whole numbers from ``lo`` (to ``hi``)."""
    allowed = f"{what} {lo:,}-{hi:,}" if hi is not None else f"{what} >= {lo:,}"

    def parse(text: str) -> int:
        if len(text.strip()) > 40:  # int() of a huge digit string is slow, and no bound is that long
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text[:20]!r}...")
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {value}")
        return value

    return parse


def share_arg(text: str) -> float:
    """An argparse ``type`` for a precision: a number above 0 and at most 0.5 (a share, in points / 100)."""
    try:
        value = float(text) if len(text.strip()) <= 40 else float("nan")
    except ValueError:
        value = float("nan")
    if not 0 < value <= 0.5:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be a number above 0 and at most 0.5, e.g. 0.05, got {text[:40]!r}")
    return value


def folder_arg(text: str) -> str:
    """An argparse ``type`` for a folder path: refuses an empty one, which would mean the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must be a folder path, got {text!r}")
    if "\0" in text:
        raise argparse.ArgumentTypeError("must be a folder path without NUL characters")
    return text


def add_set_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """``--set KEY=VALUE`` (repeatable), gathered into ``args.overrides``."""
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=help)


class _Weights(argparse.Action):
    """``--weights X`` is ``--set weights=X``: the scenario key, so every run path honours it."""

    def __call__(self, parser, namespace, values, option_string=None):
        items = list(getattr(namespace, "overrides", None) or [])
        items.append(f"weights={values}")
        namespace.overrides = items


def add_weights_argument(parser: argparse.ArgumentParser) -> None:
    """``--weights defaults|posterior``: the scenario's engagement weights, or each run's drawn from the fit."""
    parser.add_argument(
        "--weights",
        action=_Weights,
        choices=("defaults", "posterior"),
        help="engagement weights: the scenario's (defaults), or each run's drawn from the fit's posterior "
        "(posterior), so the verdict carries the model's own uncertainty too",
    )


def add_executor_arguments(parser: argparse.ArgumentParser, *, default: str) -> None:
    """``--executor``, ``--workers`` and ``--scheduler``; ``default`` says where runs go without ``--executor``."""
    parser.add_argument(
        "--executor", choices=EXECUTORS, help=f"where the runs execute (default: {default}; dask with --scheduler)"
    )
    parser.add_argument(
        "--workers",
        type=whole_number(1, 1024),
        metavar="N",
        help="worker processes (processes, or a local Dask cluster; 1-1,024); default: one per core",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="an existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor dask, or alone)",
    )


def chosen_executor(args: argparse.Namespace, default: str | None) -> str | None:
    """The executor asked for: ``--executor``; dask when only ``--scheduler`` is given; else ``default``.

    Raises:
        InputError: ``--scheduler`` with an executor other than dask.
    """
    if args.scheduler and args.executor not in (None, "dask"):
        from ecosim.errors import InputError

        raise InputError(
            "--scheduler needs the dask executor",
            file="--scheduler",
            value=args.scheduler,
            allowed="--executor dask, or no --scheduler",
        )
    if args.executor is not None:
        return args.executor
    return "dask" if args.scheduler else default
