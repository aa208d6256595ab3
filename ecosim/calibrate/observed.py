"""Observed weekly numbers from a platform's analytics: reading and checking the CSV file.

The file has a ``week`` column (weeks since launch; week 1 is the launch week) and any of
``active_users`` or ``active_share``, ``posters`` or ``contributor_share``, ``posts``, and optionally
``headcount``. Weeks may have gaps and cells may be empty; other columns are ignored with a note.
Every problem raises :class:`~ecosim.errors.InputError` naming the file, the row, the column, the bad
value and what is allowed.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecosim.core.outcomes import OBSERVED, names
from ecosim.errors import InputError, did_you_mean

#: An observed file larger than this is refused (ten years of weekly rows take a few kilobytes).
MAX_FILE_BYTES = 5_000_000
#: The statistics compared with the model, each with the model's timeseries column it matches.
STATISTICS = names(OBSERVED)
COUNT_COLUMNS = ("active_users", "posters", "posts", "headcount")
SHARE_COLUMNS = ("active_share", "contributor_share")
KNOWN_COLUMNS = ("week", *COUNT_COLUMNS, *SHARE_COLUMNS)
ALLOWED_COLUMNS = "week, active_users or active_share, posters or contributor_share, posts, headcount"


@dataclass
class Observed:
    """Checked observed weeks: raw columns by name (NaN where a cell is empty), plus notes for the user."""

    file: str
    weeks: np.ndarray
    columns: dict[str, np.ndarray]
    notes: list[str] = field(default_factory=list)

    @property
    def last_week(self) -> int:
        """The last observed week."""
        return int(self.weeks[-1])

    def statistics(self, headcount: float | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each available statistic as ``(weeks, values)``, empty cells left out.

        Counts become shares of the headcount: the file's ``headcount`` column where it has a value,
        otherwise ``headcount`` (the scenario's learners).
        """
        head = self.columns.get("headcount")
        if head is None:
            head = np.full(len(self.weeks), np.nan)
        if headcount is not None:
            head = np.where(np.isnan(head), float(headcount), head)
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for stat, count in (("active_share", "active_users"), ("contributor_share", "posters")):
            if stat in self.columns:
                values = self.columns[stat]
            elif count in self.columns:
                values = self.columns[count] / head
            else:
                continue
            out[stat] = _present(self.weeks, values)
        if "posts" in self.columns:
            out["posts_per_head"] = _present(self.weeks, self.columns["posts"] / head)
        return out

    def needs_headcount(self) -> bool:
        """Whether some count has no headcount in its row (the scenario's learners are then used)."""
        head = self.columns.get("headcount")
        for name in ("active_users", "posters", "posts"):
            if name in self.columns:
                present = ~np.isnan(self.columns[name])
                if head is None or np.isnan(head[present]).any():
                    return True
        return False


def _present(weeks: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = ~np.isnan(values)
    return weeks[keep].astype(int), values[keep].astype(float)


def read_observed(path: str | os.PathLike[str]) -> Observed:
    """Read and check an observed-data CSV file (see the module docstring)."""
    file = str(path)
    p = Path(path)
    if not p.exists():
        raise InputError("observed data file not found", file=file, allowed="a CSV file with a week column")
    if not p.is_file():
        raise InputError("observed data path is not a file", file=file)
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"observed data file is too large ({size:,} bytes)", file=file, allowed=f"at most {MAX_FILE_BYTES:,} bytes"
        )
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"observed data file is not UTF-8 text ({exc.reason} at byte {exc.start})", file=file
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read observed data file: {exc.strerror}", file=file) from None
    return parse_observed(text, file=file)


def parse_observed(text: str, *, file: str = "<observed>") -> Observed:
    """Parse and check observed-data CSV text (see :func:`read_observed`)."""
    if not text.strip():
        raise InputError("observed data file is empty", file=file, allowed=f"a header row with {ALLOWED_COLUMNS}")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputError(f"not a readable CSV file ({exc})", file=file) from None
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    notes: list[str] = []
    index: dict[str, int] = {}
    for i, name in enumerate(lower):
        if not name:
            continue
        if name in index:
            raise InputError("the column appears twice", file=file, line=1, key=header[i], allowed="each column once")
        if name in KNOWN_COLUMNS:
            index[name] = i
        else:
            hint = did_you_mean(name, KNOWN_COLUMNS)
            notes.append(f"{file}: column '{header[i]}' ignored" + (f" ({hint})" if hint else ""))
    if "week" not in index:
        hint = did_you_mean(lower[0] if lower else "", ["week"])
        raise InputError(
            "the header has no week column",
            file=file,
            line=1,
            value=",".join(header),
            hint=hint,
            allowed=ALLOWED_COLUMNS,
        )
    for a, b in (("active_users", "active_share"), ("posters", "contributor_share")):
        if a in index and b in index:
            raise InputError(
                f"give {a} or {b}, not both", file=file, line=1, key=f"{a}, {b}", allowed="one of the two columns"
            )
    usable = [c for c in index if c not in ("week", "headcount")]
    if not usable:
        raise InputError(
            "no usable column: nothing to compare with the model",
            file=file,
            line=1,
            value=",".join(header),
            allowed="at least one of active_users, active_share, posters, contributor_share, posts",
        )
    data_rows = [(n, row) for n, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)]
    if not data_rows:
        raise InputError("observed data file has a header but no rows", file=file, allowed="one row per observed week")
    weeks: list[int] = []
    cols: dict[str, list[float]] = {c: [] for c in index if c != "week"}
    for line, row in data_rows:
        if len(row) > len(header):
            raise InputError(f"row has {len(row)} cells but the header has {len(header)} columns", file=file, line=line)

        def cell(name: str, row: list[str] = row) -> str:
            i = index[name]
            return row[i].strip() if i < len(row) else ""

        week = _number(cell("week"), file=file, line=line, column="week", whole=True, lo=1)
        if week is None:
            raise InputError("the week is empty", file=file, line=line, key="week", allowed="a whole number >= 1")
        if weeks and week <= weeks[-1]:
            raise InputError(
                "weeks must increase from row to row",
                file=file,
                line=line,
                key="week",
                value=int(week),
                allowed=f"a week after {weeks[-1]}",
            )
        weeks.append(int(week))
        values = {}
        for name in cols:
            if name in SHARE_COLUMNS:
                values[name] = _number(cell(name), file=file, line=line, column=name, lo=0, hi=1)
            else:
                values[name] = _number(cell(name), file=file, line=line, column=name, whole=True, lo=0)
        head = values.get("headcount")
        if head is not None and head == 0:
            raise InputError(
                "the headcount is zero", file=file, line=line, key="headcount", allowed="a whole number >= 1"
            )
        if head is not None:
            for name in ("active_users", "posters"):
                v = values.get(name)
                if v is not None and v > head:
                    raise InputError(
                        f"more {name.replace('_', ' ')} than the headcount ({int(head):,})",
                        file=file,
                        line=line,
                        key=name,
                        value=int(v),
                        allowed=f"at most the headcount, {int(head):,}",
                    )
        users, posters = values.get("active_users"), values.get("posters")
        if users is not None and posters is not None and posters > users:
            raise InputError(
                f"more posters than active users ({int(users):,}); everyone who posts is active",
                file=file,
                line=line,
                key="posters",
                value=int(posters),
                allowed=f"at most active_users, {int(users):,}",
            )
        a_share, c_share = values.get("active_share"), values.get("contributor_share")
        if a_share is not None and c_share is not None and c_share > a_share:
            raise InputError(
                f"contributor share above the active share ({a_share:g}); everyone who posts is active",
                file=file,
                line=line,
                key="contributor_share",
                value=c_share,
                allowed=f"at most {a_share:g}",
            )
        for name in cols:
            cols[name].append(np.nan if values[name] is None else float(values[name]))
    return Observed(
        file=file,
        weeks=np.asarray(weeks, dtype=int),
        columns={k: np.asarray(v, dtype=float) for k, v in cols.items()},
        notes=notes,
    )


def _number(
    text: str,
    *,
    file: str,
    line: int,
    column: str,
    whole: bool = False,
    lo: float | None = None,
    hi: float | None = None,
) -> float | None:
    """One cell as a number (None when empty), checked against its bounds."""
    if text == "" or text.lower() in ("na", "nan", "null"):
        return None
    kind = "a whole number" if whole else "a number"
    bounds = []
    if lo is not None:
        bounds.append(f">= {lo:g}")
    if hi is not None:
        bounds.append(f"<= {hi:g}")
    allowed = kind + (" " + " and ".join(bounds) if bounds else "") + " or an empty cell"
    try:
        value = float(text.replace("_", "x"))
    except ValueError:
        raise InputError("not a number", file=file, line=line, key=column, value=text, allowed=allowed) from None
    if not math.isfinite(value):
        raise InputError("not a finite number", file=file, line=line, key=column, value=text, allowed=allowed)
    if whole and not value.is_integer():
        raise InputError("not a whole number", file=file, line=line, key=column, value=text, allowed=allowed)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        problem = "negative" if (lo == 0 and value < 0) else "out of range"
        raise InputError(problem, file=file, line=line, key=column, value=text, allowed=allowed)
    return value
