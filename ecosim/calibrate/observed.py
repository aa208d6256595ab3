"""Observed weekly numbers from a platform's analytics: reading and checking the CSV file.

The file has a ``week`` column (weeks since launch; week 1 is the launch week) and any of
``active_users`` or ``active_share``, ``posters`` or ``contributor_share``, ``posts``, and optionally
``headcount``. Weeks may have gaps and cells may be empty; other columns are ignored with a note.
A folder written by ``ecosim import`` may be given instead of the file: its ``observed.csv`` is read
(the import's other columns, such as replies or joiners, are not compared with the model).
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
#: The last week an observed file may hold: the longest run a scenario may ask for (``weeks``).
MAX_WEEK = 100_000
#: The statistics compared with the model, each with the model's timeseries column it matches.
STATISTICS = names(OBSERVED)
COUNT_COLUMNS = ("active_users", "posters", "posts", "headcount")
SHARE_COLUMNS = ("active_share", "contributor_share")
KNOWN_COLUMNS = ("week", *COUNT_COLUMNS, *SHARE_COLUMNS)
ALLOWED_COLUMNS = "week, active_users or active_share, posters or contributor_share, posts, headcount"
#: Columns of an ``ecosim import`` table that calibrate does not compare, ignored without a note.
IMPORT_COLUMNS = (
    "week_start",
    "replies",
    "threads",
    "first_posters",
    "first_posters_replied",
    "joiners",
    "leavers",
)
#: The table and the manifest of a folder written by ``ecosim import``.
IMPORT_TABLE = "observed.csv"
IMPORT_MANIFEST = "import.json"


@dataclass
class Observed:
    """Checked observed weeks: raw columns by name (NaN where a cell is empty), plus notes for the user."""

    file: str
    weeks: np.ndarray
    columns: dict[str, np.ndarray]
    notes: list[str] = field(default_factory=list)
    #: The line of the file each week is on (for messages).
    lines: np.ndarray | None = None

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
        # a column empty in every week (an import leaves what its format cannot give empty) compares nothing
        return {stat: wv for stat, wv in out.items() if len(wv[0])}

    def check_shares(self, headcount: float | None = None) -> None:
        """Refuse a week whose contributors outnumber its active learners, or whose counts exceed the headcount.

        Shares and counts are compared as shares of the headcount: the row's ``headcount``, else
        ``headcount`` (the scenario's learners; rows without either are checked where both are shares).
        """
        head = self.columns.get("headcount", np.full(len(self.weeks), np.nan))
        if headcount is not None:
            head = np.where(np.isnan(head), float(headcount), head)
        lines = self.lines if self.lines is not None else np.arange(2, len(self.weeks) + 2)

        def share(stat: str, count: str) -> np.ndarray | None:
            if stat in self.columns:
                return self.columns[stat]
            if count in self.columns:
                return self.columns[count] / head
            return None

        active, contributors = share("active_share", "active_users"), share("contributor_share", "posters")
        scenario = headcount is not None and "headcount" not in self.columns
        for name, values in (("active_users", active), ("posters", contributors)):
            if name in self.columns and values is not None and scenario:
                over = np.flatnonzero(values > 1)
                if over.size:
                    i = int(over[0])
                    raise InputError(
                        f"more {name.replace('_', ' ')} than the scenario's {int(headcount):,} learners",
                        file=self.file,
                        line=int(lines[i]),
                        key=name,
                        value=int(self.columns[name][i]),
                        allowed=f"at most {int(headcount):,}, or a headcount column",
                    )
        if active is None or contributors is None:
            return
        over = np.flatnonzero(contributors > active + 1e-12)
        if not over.size:
            return
        i = int(over[0])
        c_name = "contributor_share" if "contributor_share" in self.columns else "posters"
        a_name = "active_share" if "active_share" in self.columns else "active_users"
        given = self.columns[c_name][i]
        raise InputError(
            f"more contributors ({contributors[i]:.3g} of the headcount) than active learners "
            f"({active[i]:.3g} of the headcount, from {a_name}); everyone who posts is active",
            file=self.file,
            line=int(lines[i]),
            key=c_name,
            value=int(given) if c_name == "posters" else float(given),
            allowed=f"{c_name} at most the active learners' share",
        )

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
    """Read and check an observed-data CSV file, or the folder ``ecosim import`` wrote (module docstring)."""
    file = str(path)
    p = Path(path)
    if not p.exists():
        raise InputError(
            "observed data file not found",
            file=file,
            allowed="a CSV file with a week column, or a folder written by ecosim import",
        )
    if p.is_dir():
        return _read_import_folder(p)
    if not p.is_file():
        raise InputError("observed data path is not a file", file=file)
    return _read_csv_file(p)


def _read_import_folder(folder: Path) -> Observed:
    """The observed table of a folder written by ``ecosim import``, with a note saying where it came from."""
    import json

    table, manifest = folder / IMPORT_TABLE, folder / IMPORT_MANIFEST
    if not table.is_file() or not manifest.is_file():
        missing = IMPORT_TABLE if not table.is_file() else IMPORT_MANIFEST
        raise InputError(
            f"the folder has no {missing}: it is not a folder written by ecosim import",
            file=str(folder),
            allowed="an observed CSV file, or the --out folder of ecosim import",
        )
    try:
        info = json.loads(manifest.read_text(encoding="utf-8"))
        fmt, launch = str(info["format"]), str(info["launch"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise InputError(
            "the import's manifest cannot be read",
            file=str(manifest),
            allowed="the import.json that ecosim import wrote (import again with --force)",
        ) from None
    obs = _read_csv_file(table, quiet=IMPORT_COLUMNS)
    obs.notes.insert(0, f"observed weeks from an ecosim import of {fmt} data (week 1 starts on {launch})")
    return obs


def _read_csv_file(p: Path, *, quiet: tuple[str, ...] = ()) -> Observed:
    file = str(p)
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"observed data file is too large ({size:,} bytes)", file=file, allowed=f"at most {MAX_FILE_BYTES:,} bytes"
        )
    try:
        with p.open("rb") as fh:  # no more than the limit, whatever the size said
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise InputError("observed data file is too large", file=file, allowed=f"at most {MAX_FILE_BYTES:,} bytes")
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"observed data file is not UTF-8 text ({exc.reason} at byte {exc.start})", file=file
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read observed data file: {exc.strerror}", file=file) from None
    return parse_observed(text, file=file, quiet=quiet)


def parse_observed(text: str, *, file: str = "<observed>", quiet: tuple[str, ...] = ()) -> Observed:
    """Parse and check observed-data CSV text (see :func:`read_observed`); ``quiet`` columns are ignored unsaid."""
    if not text.strip():
        raise InputError("observed data file is empty", file=file, allowed=f"a header row with {ALLOWED_COLUMNS}")
    reader = csv.reader(io.StringIO(text), strict=True)
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        opened = len(rows) + 1  # the line after the last row read
        if "unexpected end of data" in str(exc):
            raise InputError(
                'a quoted cell is never closed: the " that opens it has no closing "',
                file=file,
                line=opened,
                allowed='cells as plain text, or quoted from " to "',
            ) from None
        raise InputError(f"not a readable CSV file ({exc})", file=file, line=reader.line_num) from None
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
        elif name in quiet:
            continue
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
    lines: list[int] = []
    cols: dict[str, list[float]] = {c: [] for c in index if c != "week"}
    for line, row in data_rows:
        if len(row) > len(header):
            raise InputError(f"row has {len(row)} cells but the header has {len(header)} columns", file=file, line=line)

        def cell(name: str, row: list[str] = row) -> str:
            i = index[name]
            return row[i].strip() if i < len(row) else ""

        week = _number(cell("week"), file=file, line=line, column="week", whole=True, lo=1, hi=MAX_WEEK)
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
        lines.append(line)
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
    if not any(any(not math.isnan(v) for v in cols[c]) for c in usable):
        raise InputError(
            "every cell of " + ", ".join(usable) + " is empty: nothing to compare with the model",
            file=file,
            allowed="a value in at least one week of active_users, active_share, posters, contributor_share or posts",
        )
    for name in usable:
        if all(math.isnan(v) for v in cols[name]):
            notes.append(f"{header[index[name]]} is empty in every week: it is not compared with the model")
    observed = Observed(
        file=file,
        weeks=np.asarray(weeks, dtype=int),
        columns={k: np.asarray(v, dtype=float) for k, v in cols.items()},
        notes=notes,
        lines=np.asarray(lines, dtype=int),
    )
    observed.check_shares()
    return observed


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
