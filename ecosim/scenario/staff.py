"""The organisation's HR file read into the arrays the core builds an ``hr`` network from.

``network.kind: hr`` with ``network.path`` naming a CSV file, one row per person (for someone who left
and came back, their latest employment):

| column | required | what it holds |
| --- | --- | --- |
| ``employee_id`` | yes | the person's id in the HR system (never written anywhere) |
| ``start_date`` | yes | first day of work, ``YYYY-MM-DD`` |
| ``end_date`` | no | last day of work, empty while employed |
| ``unit`` | no | the team, store, ward or branch the person works in |
| ``site`` | no | the site or region of the unit |
| ``manager_id`` | no | the ``employee_id`` of the person's manager |
| ``role`` | no | the person's role (``network.office_roles`` names the roles that work like head office) |

Other columns (names, e-mail addresses) are not read. The learners are the people employed on
``network.hr_date`` (default: the latest start or end date in the file). Managers are those whom
someone names as manager: ecosim's ``store_manager`` when one of their reports works in their own
unit, else ``area_manager``. The yearly turnover is the leavers per mean head over the year up to
that day, annualised; an HR extract lists leavers from some day on, so the window starts no earlier
than the file's first end date. People are known to ecosim by their line in the file, never by their id.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ecosim.errors import InputError
from ecosim.imports.fields import DAY, Day, Ident
from ecosim.imports.source import HIDDEN, read_bytes, read_csv, validate_row

REQUIRED = ("employee_id", "start_date")
OPTIONAL = ("end_date", "unit", "site", "manager_id", "role", "email")
WHAT = "an HR file (one row per employee: employee_id, start_date, end_date, unit, site, manager_id, role)"


class StaffRow(BaseModel):
    """One employee, as the network reads them."""

    model_config = ConfigDict(extra="ignore")
    personal: ClassVar[tuple[str, ...]] = ("employee_id", "manager_id")

    employee_id: Ident = Field(..., description="the employee's id (not empty)")
    start_date: Day = Field(..., description=DAY)
    end_date: Day = Field(None, description=DAY + ", or empty while employed")
    unit: Ident = Field(None, description="the unit's name, or empty")
    site: Ident = Field(None, description="the site's name, or empty")
    manager_id: Ident = Field(None, description="the manager's employee_id, or empty")
    role: Ident = Field(None, description="the role's name, or empty")

    @model_validator(mode="after")
    def _check(self) -> StaffRow:
        if self.employee_id is None:
            raise ValueError("employee_id: empty")
        if self.start_date is None:
            raise ValueError("start_date: empty")
        return self


@dataclass(frozen=True)
class StaffArrays:
    """The people employed on the day, as arrays (one row per learner), and what the file says of turnover."""

    n: int
    unit: np.ndarray  # int32 unit index (-1: none)
    site: np.ndarray  # int32 site index (-1: none)
    manager: np.ndarray  # int64 row of the person's manager (-1: none, or not employed on the day)
    role: np.ndarray  # int8 code into ecosim.core.network.ROLE_NAMES
    labels: np.ndarray  # object: "line N" of the HR file
    day: dt.date
    rows: int  # rows of the file
    annual_turnover: float  # leavers per mean head per year, over the year up to the day (see the module)
    turnover_days: int = 365  # the days that rate was counted over
    unit_names: tuple[str, ...] = ()
    site_names: tuple[str, ...] = ()
    sha256: dict[str, str] = field(default_factory=dict)

    def unit_sizes(self) -> np.ndarray:
        """People per unit (units with nobody employed on the day left out)."""
        units = self.unit[self.unit >= 0]
        return np.bincount(units)[np.bincount(units) > 0] if units.size else np.zeros(0, np.int64)


def read_staff(
    path: str | os.PathLike[str], *, hr_date: str | dt.date | None = None, office_roles: tuple[str, ...] = ()
) -> StaffArrays:
    """Read and check an HR file (see the module docstring); read once per file version and arguments."""
    p = Path(path)
    try:
        st = p.stat()
        stamp = (str(p.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = (str(p), 0, 0)  # read_bytes says what is wrong
    day = dt.date.fromisoformat(hr_date) if isinstance(hr_date, str) else hr_date
    return _read(str(path), stamp, day, tuple(office_roles))


def check_dates(row, *, file: str, line: int) -> None:
    """Refuse an HR row that ends before it starts (HR rows of a scenario's network and of an import alike)."""
    if row.end_date is not None and row.end_date < row.start_date:
        raise InputError(
            "the end date is before the start date",
            file=file,
            line=line,
            key="end_date",
            value=row.end_date.isoformat(),
            allowed=f"a day on or after {row.start_date.isoformat()}, or empty",
        )


@functools.lru_cache(maxsize=16)
def _read(path: str, stamp: tuple, day: dt.date | None, office_roles: tuple[str, ...]) -> StaffArrays:
    from ecosim.core.network import AREA_MANAGER, ASSOCIATE, HEAD_OFFICE, STORE_MANAGER
    from ecosim.io import file_sha256

    src = read_bytes(path, what="HR file")
    table = read_csv(src, required=REQUIRED, optional=OPTIONAL, what=WHAT)
    if not table.rows:
        raise InputError("the HR file has a header but no rows", file=src.name, allowed="one row per employee")
    people: list[tuple[int, StaffRow]] = []
    line_of: dict[str, int] = {}
    for line, cells in table.rows:
        row = validate_row(StaffRow, cells, file=src.name, line=line)
        check_dates(row, file=src.name, line=line)
        if row.employee_id in line_of:
            raise InputError(
                f"the employee id appears twice (first on line {line_of[row.employee_id]}; {HIDDEN})",
                file=src.name,
                line=line,
                key="employee_id",
                allowed="one row per employee id",
            )
        if row.manager_id is not None and row.manager_id == row.employee_id:
            raise InputError(
                f"the person is their own manager ({HIDDEN})",
                file=src.name,
                line=line,
                key="manager_id",
                allowed="another employee's id, or empty",
            )
        line_of[row.employee_id] = line
        people.append((line, row))
    latest = max(max(r.start_date, r.end_date or r.start_date) for _, r in people)
    day = day or latest
    here = [(line, r) for line, r in people if r.start_date <= day and (r.end_date is None or r.end_date >= day)]
    if len(here) < 2:
        raise InputError(
            f"fewer than two people are employed on {day.isoformat()}",
            file=src.name,
            key="network.hr_date",
            value=day.isoformat(),
            allowed=f"a day on which the file lists staff (its dates run to {latest.isoformat()})",
        )
    n = len(here)
    row_of = {r.employee_id: i for i, (_, r) in enumerate(here)}
    units: dict[str, int] = {}
    sites: dict[str, int] = {}
    unit = np.full(n, -1, np.int32)
    site = np.full(n, -1, np.int32)
    manager = np.full(n, -1, np.int64)
    role = np.full(n, ASSOCIATE, np.int8)
    for i, (_, r) in enumerate(here):
        if r.unit is not None:
            unit[i] = units.setdefault(r.unit, len(units))
        if r.site is not None:
            site[i] = sites.setdefault(r.site, len(sites))
        if r.manager_id is not None:
            manager[i] = row_of.get(r.manager_id, -1)
    has = manager >= 0
    managers = np.unique(manager[has])
    own_unit = np.zeros(n, bool)
    same = has & (unit >= 0) & (unit == np.where(has, unit[np.maximum(manager, 0)], -2))
    own_unit[manager[same]] = True
    role[managers] = np.where(own_unit[managers], STORE_MANAGER, AREA_MANAGER)
    if office_roles:
        office = np.array([r.role in office_roles for _, r in here])
        role[office] = HEAD_OFFICE
    # turnover: leavers per mean head over the year up to the day, annualised; an HR extract lists
    # leavers from some day on, so the window starts no earlier than its first end date
    starts = np.array([r.start_date.toordinal() for _, r in people], np.int64)
    ends = np.array([r.end_date.toordinal() if r.end_date else 10**9 for _, r in people], np.int64)
    first_end = int(ends.min()) if (ends < 10**9).any() else day.toordinal() - 365
    since = max(day.toordinal() - 365, min(first_end - 1, day.toordinal() - 7))
    days = day.toordinal() - since
    leavers = int(((ends > since) & (ends <= day.toordinal())).sum())
    points = day.toordinal() - np.arange(0, days + 1, 7)
    s_sorted, e_sorted = np.sort(starts), np.sort(ends)
    # employed on d: started on or before d, minus those who ended before d
    heads = np.searchsorted(s_sorted, points, side="right") - np.searchsorted(e_sorted, points, side="left")
    mean_head = float(heads.mean())
    turnover = min(52.0, leavers / mean_head * 365.0 / days) if mean_head > 0 else 0.0
    return StaffArrays(
        n=n,
        unit=unit,
        site=site,
        manager=manager,
        role=role,
        labels=np.array([f"line {line}" for line, _ in here], dtype=object),
        day=day,
        rows=len(people),
        annual_turnover=round(turnover, 4),
        turnover_days=int(days),
        unit_names=tuple(units),
        site_names=tuple(sites),
        sha256={path: file_sha256(Path(path))},
    )
