"""Slack analytics: the workspace overview CSV, or the admin analytics API's member files (JSON lines).

One import reads one of the two (each file is recognised by its content):

- **The workspace overview CSV** (Workspace analytics > Overview > Export; one row per day): ``Date``,
  ``Weekly active members`` and ``Weekly members posting messages`` (seven-day counts, read on each
  week's last day), ``Full members`` (or ``Total membership``) for the headcount, and messages: the
  channel messages (``Messages in public channels`` + ``private`` + ``shared``) where the file has
  them, else ``Messages posted`` (which includes direct messages; a column that never falls is taken
  as a running total and differenced). It gives no replies, first posters, joiners or leavers.
- **Member analytics** (``admin.analytics.getFile`` with ``type=member``: one gzipped JSON-lines file
  per day, one object per member): ``date``, ``user_id`` (or ``enterprise_user_id``),
  ``email_address``, ``is_guest``, ``is_active``, ``messages_posted_count``,
  ``channel_messages_posted_count``, ``date_claimed``. Gives active users, posters, posts (channel
  messages), first posters (when the files start in the launch week), joiners (accounts claimed) and
  the headcount (members listed on the week's last day). Guests are left out (they are not staff).

Dates in the CSV are ``YYYY-MM-DD`` or ``M/D/YYYY``; counts may have thousands separators.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import ClassVar

import pandas as pd
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from ecosim.errors import InputError
from ecosim.imports.fields import COUNT, DAY, FLAG, Count, Day, Flag, Ident
from ecosim.imports.privacy import Pseudonymiser
from ecosim.imports.source import HIDDEN, Source, json_records, read_bytes, read_csv, validate_row
from ecosim.imports.weekly import FileRead, Parsed

FORMAT = "slack"
OVERVIEW_WHAT = "Slack's workspace analytics overview CSV (Workspace analytics > Overview > Export)"
MEMBER_WHAT = "Slack member analytics (admin.analytics.getFile, type=member): one JSON object per member per day"


def _c(*names: str):
    return Field(None, validation_alias=AliasChoices(*names), description=COUNT + " or empty")


class OverviewRow(BaseModel):
    """A day of the workspace overview CSV (the columns ecosim reads)."""

    model_config = ConfigDict(extra="ignore")
    personal: ClassVar[tuple[str, ...]] = ()

    day: Day = Field(..., validation_alias="Date", description=DAY + " or M/D/YYYY")
    full_members: Count = _c("Full members", "Enabled Full Members")
    total: Count = _c("Total membership", "Total enabled membership")
    weekly_active: Count = _c("Weekly active members")
    weekly_posters: Count = _c("Weekly members posting messages")
    messages: Count = _c("Messages posted")
    public: Count = _c("Messages in public channels")
    private: Count = _c("Messages in private channels")
    shared: Count = _c("Messages in shared channels")

    @model_validator(mode="after")
    def _check(self) -> OverviewRow:
        if self.day is None:
            raise ValueError("Date: empty")
        return self


class MemberDay(BaseModel):
    """One member on one day, from the admin analytics API."""

    model_config = ConfigDict(extra="ignore")
    personal: ClassVar[tuple[str, ...]] = ("user_id", "enterprise_user_id", "email_address")

    date: Day = Field(..., description=DAY)
    user_id: Ident = Field(None, description="the member's id")
    enterprise_user_id: Ident = Field(None, description="the member's id")
    email_address: Ident = Field(None, description="an e-mail address")
    is_guest: Flag = Field(False, description=FLAG)
    is_active: Flag = Field(..., description=FLAG)
    messages_posted_count: Count = Field(0, description=COUNT)
    channel_messages_posted_count: Count = Field(None, description=COUNT)
    date_claimed: Count = Field(None, description="a time in Unix seconds")

    @model_validator(mode="after")
    def _check(self) -> MemberDay:
        if self.date is None:
            raise ValueError("date: empty")
        if self.user_id is None and self.enterprise_user_id is None:
            raise ValueError("user_id: missing (and no enterprise_user_id)")
        if self.is_active is None:
            raise ValueError("is_active: empty")
        return self


def _is_json(src: Source) -> bool:
    head = src.data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def read(files: Sequence[str | os.PathLike[str]], pseudo: Pseudonymiser) -> Parsed:
    """Read Slack's overview CSV files, or its member analytics files."""
    parsed = Parsed(FORMAT)
    sources = [read_bytes(p, what="Slack analytics file") for p in files]
    kinds = {_is_json(s) for s in sources}
    if len(kinds) > 1:
        odd = next(s for s in sources if _is_json(s) != _is_json(sources[0]))
        raise InputError(
            "the files mix Slack's overview CSV and member analytics",
            file=odd.name,
            allowed="the overview CSV files, or the member analytics files, in one import",
        )
    if kinds == {True}:
        _members(sources, parsed, pseudo)
    else:
        _overview(sources, parsed)
    return parsed


def _overview(sources: list[Source], parsed: Parsed) -> None:
    days: dict[dt.date, tuple[OverviewRow, str, int]] = {}
    for src in sources:
        table = read_csv(src, required=("Date",), what=OVERVIEW_WHAT)
        useful = {
            "Weekly active members",
            "Weekly members posting messages",
            "Messages posted",
            "Messages in public channels",
        }
        if not useful & set(table.header):
            raise InputError(
                "the header has none of the columns the import reads: this is not the workspace overview",
                file=src.name,
                line=1,
                value=",".join(table.header)[:200],
                allowed="Date with Weekly active members, Weekly members posting messages, Messages posted, "
                "Full members (the Overview tab's export)",
            )
        for line, cells in table.rows:
            row = validate_row(OverviewRow, cells, file=src.name, line=line)
            if row.weekly_active is not None and row.weekly_posters is not None:
                if row.weekly_posters > row.weekly_active:
                    raise InputError(
                        "more members posting than active members (everyone who posts is active)",
                        file=src.name,
                        line=line,
                        key="Weekly members posting messages",
                        value=row.weekly_posters,
                        allowed=f"at most the Weekly active members, {row.weekly_active:,}",
                    )
            seen = days.get(row.day)
            if seen is not None:
                if seen[0] != row:
                    raise InputError(
                        f"the day appears again with other numbers (first in {seen[1]} line {seen[2]})",
                        file=src.name,
                        line=line,
                        key="Date",
                        value=row.day.isoformat(),
                        allowed="one row per day, or the same numbers in overlapping exports",
                    )
                parsed.count("days found again in overlapping exports (duplicates dropped)")
                continue
            days[row.day] = (row, src.name, line)
        parsed.files.append(FileRead(src.name, len(src.data), len(table.rows)))
    if not days:
        raise InputError("the overview has no rows", file=sources[0].name, allowed="one row per day")
    order = sorted(days)
    rows = [days[d][0] for d in order]
    frame = pd.DataFrame(index=order)
    channel = [r.public for r in rows]
    if any(v is not None for v in channel):
        frame["posts"] = [
            None if r.public is None else float(r.public + (r.private or 0) + (r.shared or 0)) for r in rows
        ]
        parsed.sources["posts"] = "Messages in public, private and shared channels, summed over the week's days"
    elif any(r.messages is not None for r in rows):
        values = [r.messages for r in rows]
        present = [v for v in values if v is not None]
        running = len(present) >= 14 and all(b >= a for a, b in zip(present, present[1:])) and present[-1] > present[0]
        if running:
            diffs: list[float | None] = [None]
            for a, b in zip(values, values[1:]):
                diffs.append(None if a is None or b is None else float(b - a))
            frame["posts"] = diffs
            parsed.notes.append("Messages posted never falls from day to day: it was read as a running total")
        else:
            frame["posts"] = [None if v is None else float(v) for v in values]
        parsed.sources["posts"] = "Messages posted (direct messages included), summed over the week's days"
    for col, attr, text in (
        ("weekly_active", "weekly_active", "Weekly active members on the week's last day"),
        ("weekly_posters", "weekly_posters", "Weekly members posting messages on the week's last day"),
    ):
        if any(getattr(r, attr) is not None for r in rows):
            frame[col] = [None if getattr(r, attr) is None else float(getattr(r, attr)) for r in rows]
            parsed.sources["active_users" if col == "weekly_active" else "posters"] = text
    heads = [r.full_members if r.full_members is not None else r.total for r in rows]
    if any(h is not None for h in heads):
        frame["headcount"] = [None if h is None else float(h) for h in heads]
        parsed.sources["headcount"] = "Full members (else Total membership) on the week's last day"
    parsed.daily = frame.astype(float)
    parsed.covered = set(order)
    for c, why in (
        ("replies", "the overview has no threads"),
        ("threads", "the overview has no threads"),
        ("first_posters", "the overview counts people, not who they are"),
        ("first_posters_replied", "the overview counts people, not who they are"),
        ("joiners", "the overview gives the membership, not who joined"),
        ("leavers", "the overview gives the membership, not who left"),
    ):
        parsed.missing[c] = why


def _members(sources: list[Source], parsed: Parsed, pseudo: Pseudonymiser) -> None:
    seen: dict[tuple[str, dt.date], tuple[tuple, str, int | None, str]] = {}
    claimed: dict[str, dt.date] = {}
    heads: dict[dt.date, set[str]] = {}
    guests: set[str] = set()
    channel_counts = True
    for src in sources:
        n = 0
        for line, where, obj in json_records(src, what=MEMBER_WHAT):
            if isinstance(obj, dict) and obj.get("ok") is False:
                raise InputError(
                    f"the file is Slack's error answer, not member analytics (error: {str(obj.get('error'))[:60]})",
                    file=src.name,
                    line=line,
                    allowed="a member analytics file as admin.analytics.getFile returns it (application/gzip)",
                )
            if not isinstance(obj, dict):
                raise InputError(
                    "not a JSON object", file=src.name, line=line, key=where or None, allowed="one object per member"
                )
            row = validate_row(MemberDay, obj, file=src.name, line=line, key_prefix=f"{where}." if where else "")
            n += 1
            ident = row.user_id or row.enterprise_user_id
            if row.email_address:
                person = pseudo.email(row.email_address)
            else:
                person = pseudo.person("slack", ident)
                parsed.unmatchable.add(person)
            if row.is_guest:
                guests.add(person)
                continue
            posts = row.channel_messages_posted_count
            if posts is None:
                channel_counts = False
                posts = row.messages_posted_count or 0
            record = (bool(row.is_active), posts > 0, int(posts))
            key = (person, row.date)
            old = seen.get(key)
            if old is not None:
                if old[0] != record:
                    raise InputError(
                        f"the member's day appears again with other numbers (first in {old[1]} line {old[2]}; "
                        f"{HIDDEN})",
                        file=src.name,
                        line=line,
                        key=(where + "." if where else "") + "messages_posted_count",
                        allowed="one object per member and day, or the same numbers in overlapping files",
                    )
                parsed.count("member days found again (duplicates dropped)")
                continue
            seen[key] = (record, src.name, line, where)
            heads.setdefault(row.date, set()).add(person)
            if row.date_claimed:
                claimed[person] = dt.datetime.fromtimestamp(row.date_claimed, dt.UTC).date()
        parsed.files.append(FileRead(src.name, len(src.data), n))
    if not seen:
        raise InputError("the files hold no member (other than guests)", file=sources[0].name, allowed=MEMBER_WHAT)
    parsed.count("guest accounts left out", len(guests))
    parsed.activity = pd.DataFrame(
        [(p, d, d, r[0][0], r[0][1], r[0][2]) for (p, d), r in seen.items()],
        columns=["person", "first_day", "last_day", "active", "posted", "posts"],
    )
    parsed.covered = set(heads)
    parsed.activity_days = set(heads)
    parsed.people_start = min(heads)
    parsed.daily = pd.DataFrame({"headcount": pd.Series({d: float(len(v)) for d, v in heads.items()})})
    parsed.members = pd.DataFrame(
        [(p, claimed.get(p), None) for p in {p for p, _ in seen}], columns=["person", "joined", "left"]
    )
    parsed.members_in_activity_weeks = True
    what = "channel_messages_posted_count" if channel_counts else "messages_posted_count (direct messages included)"
    parsed.sources.update(
        {
            "active_users": "is_active",
            "posters": f"members with {what} above zero",
            "posts": f"{what}, summed",
            "first_posters": "each member's first day with a message",
            "joiners": "date_claimed (the day the account was claimed)",
            "headcount": "members (not guests) listed on the week's last day",
        }
    )
    for c, why in (
        ("replies", "member analytics count messages, not replies"),
        ("threads", "member analytics count messages, not threads"),
        ("first_posters_replied", "member analytics count messages, not replies"),
        ("leavers", "member analytics list the members of each day, not who left"),
    ):
        parsed.missing[c] = why
