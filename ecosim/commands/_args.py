"""Argument types shared by the commands: whole numbers within bounds, with argparse's own error.

The error has exit code 2 and names the flag, the bad value and what is allowed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

#: The largest seed: seeds are stored as 64-bit integers in sweeps' tables.
MAX_SEED = 2**63 - 1


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


def folder_arg(text: str) -> str:
    """An argparse ``type`` for a folder path: refuses an empty one, which would mean the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must be a folder path, got {text!r}")
    if "\0" in text:
        raise argparse.ArgumentTypeError("must be a folder path without NUL characters")
    return text
