"""The organisation's HR file: who worked there and when, for headcount, joiners, leavers and matching.

A CSV file, one row per person (for someone who left and came back, their latest employment):

| column | required | what it holds |
| --- | --- | --- |
| ``employee_id`` | yes | the person's id in the HR system (any text; never written anywhere) |
| ``start_date`` | yes | first day of work, ``YYYY-MM-DD`` |
| ``end_date`` | no | last day of work, empty while employed |
| ``email`` | no | work e-mail address: matches the person with their platform account |
| ``unit``, ``site``, ``manager_id``, ``role`` | no | the organisation's structure (read by other parts of ecosim) |

Other columns (names, for instance) are not read. Identifiers and e-mail addresses are replaced by
pseudonyms as they are read (:mod:`ecosim.imports.privacy`).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ecosim.errors import InputError
from ecosim.imports.fields import DAY, Day, Ident
from ecosim.imports.privacy import Pseudonymiser
from ecosim.imports.source import HIDDEN, read_bytes, read_csv, validate_row
from ecosim.imports.weekly import HrWeeks
from ecosim.scenario.staff import check_dates

REQUIRED = ("employee_id", "start_date")
OPTIONAL = ("end_date", "email", "unit", "site", "manager_id", "role")
WHAT = "an HR file (one row per employee: employee_id, start_date, end_date, email, ...)"


class HrRow(BaseModel):
    """One employee."""

    model_config = ConfigDict(extra="ignore")
    personal: ClassVar[tuple[str, ...]] = ("employee_id", "email", "manager_id")

    employee_id: Ident = Field(..., description="the employee's id (not empty)")
    start_date: Day = Field(..., description=DAY)
    end_date: Day = Field(None, description=DAY + ", or empty while employed")
    email: Ident = Field(None, description="an e-mail address, or empty")

    @model_validator(mode="after")
    def _check(self) -> HrRow:
        if self.employee_id is None:
            raise ValueError("employee_id: empty")
        if self.start_date is None:
            raise ValueError("start_date: empty")
        if self.email is not None and "@" not in self.email:
            raise ValueError("email: not an e-mail address")
        return self


def read_hr(path: str | os.PathLike[str], pseudo: Pseudonymiser) -> HrWeeks:
    """Read and check an HR file; the people are keyed by the pseudonym of their e-mail (or of their id)."""
    src = read_bytes(path, what="HR file")
    table = read_csv(src, required=REQUIRED, optional=OPTIONAL, what=WHAT)
    if not table.rows:
        raise InputError("the HR file has a header but no rows", file=src.name, allowed="one row per employee")
    by_email = "email" in table.header
    people: dict[str, tuple[dt.date, dt.date | None]] = {}
    seen_ids: dict[str, int] = {}
    for line, cells in table.rows:
        row = validate_row(HrRow, cells, file=src.name, line=line)
        check_dates(row, file=src.name, line=line)
        ident = pseudo.person("hr", row.employee_id)
        if ident in seen_ids:
            raise InputError(
                f"the employee id appears twice (first on line {seen_ids[ident]}; {HIDDEN})",
                file=src.name,
                line=line,
                key="employee_id",
                allowed="one row per employee id",
            )
        seen_ids[ident] = line
        if by_email and row.email is None:
            raise InputError(
                "the e-mail address is empty",
                file=src.name,
                line=line,
                key="email",
                allowed="every employee's work e-mail address (to match platform accounts), or no email column",
            )
        person = pseudo.email(row.email) if by_email else ident
        if person in people:
            raise InputError(
                f"the e-mail address appears twice ({HIDDEN})",
                file=src.name,
                line=line,
                key="email",
                allowed="one e-mail address per employee",
            )
        people[person] = (row.start_date, row.end_date)
    return HrWeeks(people=people, by_email=by_email, file=src.name, rows=len(table.rows))
