"""Microsoft 365 usage reports for Viva Engage (Yammer): activity counts, user counts, user detail (CSV).

Each file is recognised by its header (and the user counts report, whose header is the activity
counts report's, by ``UserCounts`` in its name, as the Graph function ``getYammerActivityUserCounts``
names it):

- **activity counts** (``Report Refresh Date,Liked,Posted,Read,Report Date,Report Period``): one row
  per day; ``Posted`` is the messages posted that day, which gives posts per week.
- **user counts** (the same header; values are unique users per day): unique users of single days do
  not add up to a week's, so they give no column; the busiest day of each week is reported as a lower
  bound on the week's active users.
- **user detail** (``Report Refresh Date,User Principal Name,Display Name,User State,State Change
  Date,Last Activity Date,Posted Count,Read Count,Liked Count,Assigned Products,Report Period``): one
  row per licensed user with their counts over the report's window, the ``Report Period`` days ending
  on the ``Report Refresh Date``. A weekly pull of the 7-day report (or daily pulls of single days)
  gives active users (anyone who read, posted or liked), posters, posts, first posters (when the
  pulls start in the launch week), the headcount (licensed users not deleted), and joiners and
  leavers (``User State`` with its ``State Change Date``). Longer windows (30, 90 or 180 days) cannot
  be split into weeks and are refused.

Display names are not read. User principal names are pseudonymised as they are read; Microsoft's
concealed names (32 hexadecimal digits, the default since 2021) cannot be matched with an HR file.
No report gives replies or threads.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ecosim.errors import InputError
from ecosim.imports.fields import COUNT, DAY, Count, Day, Ident
from ecosim.imports.privacy import Pseudonymiser
from ecosim.imports.source import HIDDEN, read_bytes, read_csv, validate_row
from ecosim.imports.weekly import FileRead, Parsed

FORMAT = "engage-usage"
COUNTS_COLUMNS = ("Report Refresh Date", "Liked", "Posted", "Read", "Report Date", "Report Period")
DETAIL_COLUMNS = (
    "Report Refresh Date",
    "User Principal Name",
    "User State",
    "State Change Date",
    "Last Activity Date",
    "Posted Count",
    "Read Count",
    "Liked Count",
    "Report Period",
)
CONCEALED = re.compile(r"^[0-9A-Fa-f]{32}$")
STATES = ("Activated", "Deleted", "Suspended")
WHAT = (
    "a Microsoft 365 usage report for Viva Engage: activity counts, user counts or user detail "
    "(Admin centre > Reports > Usage > Viva Engage > Export)"
)


class CountsRow(BaseModel):
    """A day of the activity counts (or user counts) report."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    personal: ClassVar[tuple[str, ...]] = ()

    refresh: Day = Field(..., alias="Report Refresh Date", description=DAY)
    day: Day = Field(..., alias="Report Date", description=DAY)
    liked: Count = Field(..., alias="Liked", description=COUNT)
    posted: Count = Field(..., alias="Posted", description=COUNT)
    read: Count = Field(..., alias="Read", description=COUNT)
    period: Count = Field(..., alias="Report Period", description="the report's days: 7, 30, 90 or 180")

    @model_validator(mode="after")
    def _check(self) -> CountsRow:
        if self.day is None:
            raise ValueError("Report Date: empty")
        return self


class DetailRow(BaseModel):
    """A user of the user detail report."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    personal: ClassVar[tuple[str, ...]] = ("upn",)

    refresh: Day = Field(..., alias="Report Refresh Date", description=DAY)
    upn: Ident = Field(..., alias="User Principal Name", description="the user's principal name (not empty)")
    state: str | None = Field(None, alias="User State", description="Activated, Deleted, Suspended or empty")
    changed: Day = Field(None, alias="State Change Date", description=DAY + " or empty")
    last_activity: Day = Field(None, alias="Last Activity Date", description=DAY + " or empty")
    posted: Count = Field(0, alias="Posted Count", description=COUNT)
    read: Count = Field(0, alias="Read Count", description=COUNT)
    liked: Count = Field(0, alias="Liked Count", description=COUNT)
    period: Count = Field(..., alias="Report Period", description="7 (the 7-day report) or 1 (a single day)")

    @model_validator(mode="after")
    def _check(self) -> DetailRow:
        if self.upn is None:
            raise ValueError("User Principal Name: empty")
        if self.refresh is None:
            raise ValueError("Report Refresh Date: empty")
        if self.state is not None and self.state.strip() == "":
            self.state = None
        if self.state is not None and self.state not in STATES:
            raise ValueError("User State: not a state the report uses")
        return self


def _kind(header: list[str], name: str) -> str:
    if "User Principal Name" in header:
        return "detail"
    if "Report Date" in header:
        return "user counts" if "usercount" in re.sub(r"[^a-z]", "", name.lower()) else "counts"
    return "unknown"


def read(files: Sequence[str | os.PathLike[str]], pseudo: Pseudonymiser) -> Parsed:
    """Read Viva Engage usage reports (any mix of the three kinds)."""
    parsed = Parsed(FORMAT)
    daily_posts: dict[dt.date, tuple[int, str, int]] = {}
    daily_users: dict[dt.date, int] = {}
    activity: dict[tuple[str, dt.date], tuple[dt.date, bool, bool, int, str, int]] = {}
    heads: dict[dt.date, int] = {}
    latest: dict[str, tuple[dt.date, str | None, dt.date | None]] = {}
    activity_days: set[dt.date] = set()
    concealed = 0
    for path in files:
        src = read_bytes(path, what="usage report")
        probe = read_csv(src, required=("Report Refresh Date",), what=WHAT)
        kind = _kind(probe.header, Path(path).name)
        if kind == "unknown":
            raise InputError(
                "not a Viva Engage usage report the import knows: the header has neither Report Date nor "
                "User Principal Name",
                file=src.name,
                line=1,
                value=",".join(probe.header)[:200],
                allowed="the columns "
                + ", ".join(COUNTS_COLUMNS)
                + " (activity or user counts), or "
                + ", ".join(DETAIL_COLUMNS)
                + " (user detail)",
            )
        if kind in ("counts", "user counts"):
            table = read_csv(src, required=COUNTS_COLUMNS, what="a Viva Engage activity counts report")
            for line, cells in table.rows:
                row = validate_row(CountsRow, cells, file=src.name, line=line)
                if kind == "user counts":  # unique readers, posters, likers: the largest is a lower bound
                    daily_users[row.day] = max(
                        daily_users.get(row.day, 0), row.read or 0, row.posted or 0, row.liked or 0
                    )
                    continue
                seen = daily_posts.get(row.day)
                if seen is not None:
                    if seen[0] != row.posted:
                        raise InputError(
                            f"the day appears again with another count (first in {seen[1]} line {seen[2]}, "
                            f"Posted {seen[0]})",
                            file=src.name,
                            line=line,
                            key="Posted",
                            value=row.posted,
                            allowed="one count per day, or the same count in overlapping reports",
                        )
                    parsed.count("days found again in overlapping reports (duplicates dropped)")
                    continue
                daily_posts[row.day] = (row.posted, src.name, line)
            parsed.files.append(FileRead(src.name, len(src.data), len(table.rows)))
            continue
        table = read_csv(src, required=DETAIL_COLUMNS, what="a Viva Engage user detail report")
        if not table.rows:
            raise InputError("the user detail report has no rows", file=src.name, allowed="one row per user")
        window: tuple[dt.date, int] | None = None
        in_file: dict[str, int] = {}
        gone = 0  # deleted or suspended by the refresh date: not in the headcount
        for line, cells in table.rows:
            row = validate_row(DetailRow, cells, file=src.name, line=line)
            if row.period not in (1, 7):
                raise InputError(
                    f"a {row.period}-day window cannot be split into weeks",
                    file=src.name,
                    line=line,
                    key="Report Period",
                    value=row.period,
                    allowed="7 (the 7-day report, pulled once a week) or 1 (single days, Graph's date=)",
                )
            if window is None:
                window = (row.refresh, row.period)
            elif window != (row.refresh, row.period):
                raise InputError(
                    "the file mixes report windows",
                    file=src.name,
                    line=line,
                    key="Report Refresh Date",
                    value=row.refresh.isoformat(),
                    allowed=f"the same Report Refresh Date ({window[0]}) and Report Period on every row",
                )
            if CONCEALED.match(row.upn):
                person = pseudo.person("m365", row.upn.upper())
                parsed.unmatchable.add(person)
                concealed += 1
            else:
                person = pseudo.email(row.upn)
            if person in in_file:
                raise InputError(
                    f"the user appears twice in the report (first on line {in_file[person]}; {HIDDEN})",
                    file=src.name,
                    line=line,
                    key="User Principal Name",
                    allowed="one row per user",
                )
            in_file[person] = line
            if row.state in ("Deleted", "Suspended") and (row.changed is None or row.changed <= row.refresh):
                gone += 1
            start = row.refresh - dt.timedelta(days=row.period - 1)
            active = bool(row.posted or row.read or row.liked)
            record = (row.refresh, active, bool(row.posted), int(row.posted or 0), src.name, line)
            old = activity.get((person, start))
            if old is not None:
                if old[:4] != record[:4]:
                    raise InputError(
                        f"the user's counts differ from those of the same window in {old[4]} line {old[5]} ({HIDDEN})",
                        file=src.name,
                        line=line,
                        key="Posted Count",
                        allowed="the same counts for the same user and window in overlapping reports",
                    )
                parsed.count("user rows found again in overlapping reports (duplicates dropped)")
                continue
            activity[(person, start)] = record
            prev = latest.get(person)
            if prev is None or prev[0] <= row.refresh:
                latest[person] = (row.refresh, row.state, row.changed)
        assert window is not None
        refresh, period = window
        activity_days |= {refresh - dt.timedelta(days=i) for i in range(period)}
        heads[refresh] = len(in_file) - gone
        parsed.files.append(FileRead(src.name, len(src.data), len(table.rows)))
    if daily_posts:
        parsed.covered |= set(daily_posts)
        parsed.sources["posts"] = "activity counts: Posted, summed over the week's days"
    if activity:
        parsed.covered |= activity_days
        parsed.activity_days = activity_days
        parsed.activity = pd.DataFrame(
            [(p, start, rec[0], rec[1], rec[2], rec[3]) for (p, start), rec in activity.items()],
            columns=["person", "first_day", "last_day", "active", "posted", "posts"],
        )
        parsed.people_start = min(activity_days)
        parsed.sources.update(
            {
                "active_users": "user detail: users with a Read, Posted or Liked Count above zero",
                "posters": "user detail: users with a Posted Count above zero",
                "first_posters": "user detail: each user's first week with a Posted Count above zero",
                "headcount": "user detail: licensed users not deleted or suspended by the report's refresh date",
                "joiners": "user detail: users Activated, by State Change Date (weeks the reports cover)",
                "leavers": "user detail: users Deleted or Suspended, by State Change Date (weeks the reports cover)",
            }
        )
        if "posts" not in parsed.sources:
            parsed.sources["posts"] = "user detail: Posted Count, summed over users"
        spans = []
        for person, (_, state, changed) in latest.items():
            joined = changed if state == "Activated" else None
            left = changed if state in ("Deleted", "Suspended") else None
            spans.append((person, joined, left))
        parsed.members = pd.DataFrame(spans, columns=["person", "joined", "left"])
        parsed.members_in_activity_weeks = True
        parsed.daily = pd.DataFrame({"headcount": pd.Series(heads, dtype=float)})
    else:
        for c in ("active_users", "posters", "first_posters", "joiners", "leavers", "headcount"):
            parsed.missing[c] = "it needs the user detail report (one pull a week of the 7-day report)"
    if daily_posts:
        posts = pd.Series({d: float(v[0]) for d, v in daily_posts.items()}, dtype=float)
        parsed.daily = (
            posts.to_frame("posts") if parsed.daily is None else parsed.daily.join(posts.rename("posts"), how="outer")
        )
    if daily_users and not daily_posts and not activity:
        parsed.covered |= set(daily_users)
    for c in ("replies", "threads", "first_posters_replied"):
        parsed.missing[c] = "no usage report says who replied to whom"
    if daily_users:
        parsed.extra["daily_unique_users"] = {d.isoformat(): n for d, n in sorted(daily_users.items())}
        parsed.notes.append(
            "the user counts report gives unique users per day, which do not add up to a week's active users; "
            "quality.json lists them by day (the busiest day of a week is a lower bound on its active users)"
        )
    if concealed:
        parsed.notes.append(
            f"{concealed:,} user rows have concealed names (Microsoft's default since 2021): they are counted, but "
            "cannot be matched with an HR file (Admin centre > Settings > Org settings > Reports shows real names)"
        )
    return parsed
