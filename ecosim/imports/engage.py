"""The Viva Engage (Yammer) network data export: a ZIP of ``Messages.csv``, ``Users.csv``, ``Groups.csv``.

What it gives: posts, posters, threads and replies per week, first posters and whether someone replied
to them, joiners, leavers and the headcount (from ``Users.csv``), and the reply graph. What it cannot
give: active users, because the export holds what people wrote, not what they read.

- ``Messages.csv`` (required): one row per message, selected by column name: ``id``, ``thread_id``
  (a thread starter has ``id == thread_id``; the other messages of the thread are replies),
  ``replied_to_id``, ``sender_id``, ``sender_email``, ``created_at``, ``deleted_at``,
  ``message_type`` (``system`` messages are left out), ``in_private_conversation`` (private
  conversations are direct messages, not posts on the platform: left out). Deleted messages count:
  they were posted.
- ``Users.csv`` (optional): ``id``, ``email``, ``state``, ``joined_at``, ``suspended_at``,
  ``deleted_at``. A date-range export lists only the users who joined, left or were suspended in the
  range; the headcount needs the "all users" export, and is left empty when someone who posted is
  missing from ``Users.csv``.
- ``Groups.csv`` (optional): counted in the quality report.

Several ZIPs (successive exports, which overlap) may be given oldest first: a message or user in a
later one replaces its earlier version. Names and message bodies are never read.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ecosim.errors import InputError
from ecosim.imports.fields import FLAG, TIME, Flag, Ident, Time, WholeId
from ecosim.imports.privacy import Pseudonymiser
from ecosim.imports.source import HIDDEN, CsvTable, Zip, read_csv, validate_row
from ecosim.imports.weekly import FileRead, Parsed

FORMAT = "engage-export"
MESSAGE_COLUMNS = ("id", "thread_id", "sender_id", "created_at")
MESSAGE_OPTIONAL = ("replied_to_id", "sender_email", "deleted_at", "message_type", "in_private_conversation")
USER_COLUMNS = ("id",)
USER_OPTIONAL = ("email", "state", "joined_at", "suspended_at", "deleted_at")
NUMERIC_ID = "a numeric id"


class Message(BaseModel):
    """A row of Messages.csv (the columns ecosim reads)."""

    model_config = ConfigDict(extra="ignore")
    personal: ClassVar[tuple[str, ...]] = ("sender_id", "sender_email")

    id: WholeId = Field(..., description=NUMERIC_ID)
    thread_id: WholeId = Field(..., description=NUMERIC_ID)
    replied_to_id: WholeId = Field(None, description=NUMERIC_ID + " or empty")
    sender_id: WholeId = Field(..., description=NUMERIC_ID)
    sender_email: Ident = Field(None, description="an e-mail address or empty")
    created_at: Time = Field(..., description=TIME)
    deleted_at: Time = Field(None, description=TIME + " or empty")
    message_type: str | None = Field(None, description="text, e.g. update or system")
    in_private_conversation: Flag = Field(None, description=FLAG)

    @model_validator(mode="after")
    def _check(self) -> Message:
        for name in ("id", "thread_id", "sender_id", "created_at"):
            if getattr(self, name) is None:
                raise ValueError(f"{name}: empty")
        return self


class User(BaseModel):
    """A row of Users.csv (the columns ecosim reads)."""

    model_config = ConfigDict(extra="ignore")
    personal: ClassVar[tuple[str, ...]] = ("id", "email")

    id: WholeId = Field(..., description=NUMERIC_ID)
    email: Ident = Field(None, description="an e-mail address or empty")
    state: str | None = Field(None, description="active or soft_delete")
    joined_at: Time = Field(None, description=TIME + " or empty")
    suspended_at: Time = Field(None, description=TIME + " or empty")
    deleted_at: Time = Field(None, description=TIME + " or empty")

    @model_validator(mode="after")
    def _check(self) -> User:
        if self.id is None:
            raise ValueError("id: empty")
        return self


def _rows(table: CsvTable, model: type[BaseModel]) -> list[tuple[int, BaseModel]]:
    out = []
    for line, cells in table.rows:
        out.append((line, validate_row(model, cells, file=table.source, line=line)))
    return out


def _once(rows: list[tuple[int, BaseModel]], file: str, what: str, personal: bool) -> dict[str, BaseModel]:
    """The rows by id, refusing an id that appears twice in one file."""
    by_id: dict[str, BaseModel] = {}
    first: dict[str, int] = {}
    for line, row in rows:
        key = row.id  # type: ignore[attr-defined]
        if key in by_id:
            raise InputError(
                f"the {what} id appears twice in the file (first on line {first[key]})"
                + (f"; {HIDDEN}" if personal else ""),
                file=file,
                line=line,
                key="id",
                value=... if personal else key,
                allowed=f"each {what} once per file",
            )
        by_id[key] = row
        first[key] = line
    return by_id


def read(files: Sequence[str | os.PathLike[str]], pseudo: Pseudonymiser) -> Parsed:
    """Read one or more network data export ZIPs (oldest first)."""
    parsed = Parsed(FORMAT)
    messages: dict[str, Message] = {}
    users: dict[str, User] = {}
    groups = 0
    have_users = False
    for path in files:
        z = Zip(path)
        found = z.find("Messages.csv")
        if not found:
            raise InputError(
                "the ZIP has no Messages.csv: this is not a Viva Engage network data export",
                file=z.name,
                allowed="the ZIP from Viva Engage admin centre > Data export (Messages.csv, Users.csv, Groups.csv)",
            )
        src = z.read(found[0])
        table = read_csv(
            src,
            required=MESSAGE_COLUMNS,
            optional=MESSAGE_OPTIONAL,
            what="Viva Engage's Messages.csv",
            personal=Message.personal,
        )
        rows = _once(_rows(table, Message), src.name, "message", personal=False)
        replaced = sum(1 for k in rows if k in messages)
        parsed.count("messages found again in a later export (its version kept; duplicates)", replaced)
        messages.update(rows)
        parsed.files.append(FileRead(src.name, len(src.data), len(table.rows)))
        found = z.find("Users.csv")
        if found:
            have_users = True
            src = z.read(found[0])
            table = read_csv(
                src, required=USER_COLUMNS, optional=USER_OPTIONAL, what="Viva Engage's Users.csv", personal=("id",)
            )
            rows = _once(_rows(table, User), src.name, "user", personal=True)
            parsed.count(
                "users found again in a later export (latest version kept; duplicates)", sum(k in users for k in rows)
            )
            users.update(rows)
            parsed.files.append(FileRead(src.name, len(src.data), len(table.rows)))
        found = z.find("Groups.csv")
        if found:
            src = z.read(found[0])
            table = read_csv(src, required=("id",), what="Viva Engage's Groups.csv")
            groups += len(table.rows)
            parsed.files.append(FileRead(src.name, len(src.data), len(table.rows)))
    if not messages:
        raise InputError("Messages.csv holds no messages", file=parsed.files[0].name, allowed="at least one message")
    # who is who: the e-mail address where the export has one, else the Engage id
    emails: dict[str, str] = {}
    for uid, u in users.items():
        if u.email:
            emails[uid] = u.email
    for m in messages.values():
        if m.sender_email and m.sender_id not in emails:
            emails[m.sender_id] = m.sender_email
    person_of: dict[str, str] = {}

    def person(uid: str) -> str:
        p = person_of.get(uid)
        if p is None:
            if uid in emails:
                p = pseudo.email(emails[uid])
            else:
                p = pseudo.person("engage", uid)
                parsed.unmatchable.add(p)
            person_of[uid] = p
        return p

    rows_out = []
    for m in messages.values():
        if (m.message_type or "").strip().lower() == "system":
            parsed.count("system messages left out")
            continue
        if m.in_private_conversation:
            parsed.count("messages in private conversations left out (direct messages, not posts)")
            continue
        if m.deleted_at is not None:
            parsed.count("deleted messages counted (they were posted)")
        t = m.created_at
        rows_out.append((m.id, person(m.sender_id), t.date(), t, m.thread_id, m.replied_to_id, m.id != m.thread_id))
    if not rows_out:
        raise InputError("Messages.csv holds no posts (only system or private messages)", file=parsed.files[0].name)
    frame = pd.DataFrame(rows_out, columns=["id", "person", "day", "time", "thread", "replied_to", "reply"])
    frame["replied_to"] = frame["replied_to"].astype(object).where(frame["replied_to"].notna(), None)
    parsed.messages = frame
    parsed.event_log = True
    first, last = min(frame["day"]), max(frame["day"])
    parsed.covered = {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}
    parsed.people_start = first
    # the reply graph: who replied to whom (the message replied to, else the thread's starter)
    author = dict(zip(frame["id"], frame["person"]))
    for p, thread, to, reply in zip(frame["person"], frame["thread"], frame["replied_to"], frame["reply"]):
        if not reply:
            continue
        target = author.get(to) if to is not None else None
        if target is None:
            target = author.get(thread)
        if target is not None and target != p:
            parsed.edges.append((p, target))
    parsed.sources.update(
        {
            "posts": "Messages.csv: messages by created_at, without system messages and private conversations",
            "posters": "Messages.csv: distinct senders",
            "replies": "Messages.csv: messages whose id is not their thread_id",
            "threads": "Messages.csv: messages whose id is their thread_id",
            "first_posters": "Messages.csv: each sender's first message",
            "first_posters_replied": "Messages.csv: a reply by someone else to that first message (replied_to_id, "
            "or in its thread) by the end of the following week",
        }
    )
    parsed.missing["active_users"] = "the export lists what people wrote, not what they read"
    if groups:
        parsed.count("groups in Groups.csv", groups)
    # members
    if have_users:
        spans = []
        for uid, u in users.items():
            left = min((t for t in (u.deleted_at, u.suspended_at) if t is not None), default=None)
            state = (u.state or "").strip().lower()
            if state == "soft_delete" and left is None:
                parsed.count("pending users (invited, never joined) left out")
                continue
            spans.append((person(uid), u.joined_at.date() if u.joined_at else None, left.date() if left else None))
        parsed.members = pd.DataFrame(spans, columns=["person", "joined", "left"])
        senders = {m.sender_id for m in messages.values()}
        absent = len(senders - set(users))
        parsed.members_complete = absent == 0
        parsed.sources["joiners"] = "Users.csv: joined_at"
        parsed.sources["leavers"] = "Users.csv: deleted_at or suspended_at"
        if parsed.members_complete:
            parsed.sources["headcount"] = "Users.csv: users who had joined and not left by the week's last day"
        else:
            parsed.missing["headcount"] = (
                f"{absent:,} people who posted are not in Users.csv: a date-range export lists only the users who "
                "joined or left in the range; use the all-users export"
            )
            parsed.notes.append(parsed.missing["headcount"])
    else:
        for c in ("joiners", "leavers", "headcount"):
            parsed.missing[c] = "the ZIP has no Users.csv"
    return parsed
