"""From what an export says, day by day or message by message, to the observed weekly table.

Each format's reader returns :class:`Parsed`: people's activity (per day, or per report window), the
messages with their threads and replies, totals per day, the people on the platform with the days
they joined and left, and the days the export covers. :func:`build` puts it on a calendar of weeks
(week 1 starts on the launch day) and writes one row per week:

``week``, ``week_start``, ``active_users``, ``posters``, ``posts``, ``replies``, ``threads``,
``first_posters``, ``first_posters_replied``, ``joiners``, ``leavers``, ``headcount``.

A column the format cannot give is empty in every row, never zero; a week the export covers only in
part has its counts left empty (the quality report says which weeks, and why).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ecosim.errors import InputError

#: The observed table's columns, in order.
COLUMNS = (
    "week",
    "week_start",
    "active_users",
    "posters",
    "posts",
    "replies",
    "threads",
    "first_posters",
    "first_posters_replied",
    "joiners",
    "leavers",
    "headcount",
)
#: What each column counts, for the quality report and docs/import.md.
MEANINGS = {
    "active_users": "people who visited the platform in the week",
    "posters": "people who posted in the week",
    "posts": "posts written in the week (thread starters and replies)",
    "replies": "posts that reply to another post",
    "threads": "posts that start a thread",
    "first_posters": "people who posted for the first time",
    "first_posters_replied": "of those, people whose first post got a reply from someone else by the end of the "
    "next week",
    "joiners": "people who joined in the week",
    "leavers": "people who left in the week",
    "headcount": "people who could use the platform on the week's last day",
}
#: Columns counted from activity, left empty in weeks the export covers only in part.
ACTIVITY = ("active_users", "posters", "posts", "replies", "threads", "first_posters", "first_posters_replied")


@dataclass
class FileRead:
    """One file read: its name (no folders), bytes and rows."""

    name: str
    bytes: int
    rows: int


@dataclass
class Parsed:
    """What one format's files say, before it is put on weeks (see the module docstring).

    Attributes:
        format: the format's name.
        files: the files read.
        covered: the days the export covers (for partial weeks and gaps).
        activity: person-level activity: ``person, first_day, last_day, active, posted, posts``
            (one row per person and report window; a day's window has first_day == last_day).
        messages: ``id, person, day, time, thread, replied_to, reply`` (one row per post).
        daily: totals per day (index: day): ``posts``, ``weekly_active``, ``weekly_posters``
            (rolling seven-day counts, read on the week's last day), ``headcount``.
        members: ``person, joined, left`` (days, or None), one row per person on the platform.
        members_complete: whether ``members`` lists everyone (so it gives the headcount).
        people_start: the first day person-level data cover (first posters need it to be the launch week).
        unmatchable: people known only by a platform id (no e-mail address to match with the HR file).
        edges: reply pairs ``(who replied, to whom)``.
        sources: column -> where the format's value comes from (the columns it gives).
        missing: column -> why the format cannot give it.
        counts: things counted while reading (duplicates dropped, excluded messages...), in plain words.
        activity_days: the days the person-level data cover, where they cover fewer than the export.
        members_in_activity_weeks: joiners and leavers are counted only in weeks the person-level data
            cover (they come from those reports).
        extra: more facts for the quality report.
        event_log: whether the export is a log of events (messages, statements), which covers every day
            from its first to its last, days without events included.
        notes: remarks for the quality report.
    """

    format: str
    files: list[FileRead] = field(default_factory=list)
    covered: set[dt.date] = field(default_factory=set)
    activity: pd.DataFrame | None = None
    messages: pd.DataFrame | None = None
    daily: pd.DataFrame | None = None
    members: pd.DataFrame | None = None
    members_complete: bool = False
    people_start: dt.date | None = None
    unmatchable: set[str] = field(default_factory=set)
    edges: list[tuple[str, str]] = field(default_factory=list)
    event_log: bool = False
    activity_days: set[dt.date] | None = None
    members_in_activity_weeks: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def count(self, what: str, n: int = 1) -> None:
        """Add ``n`` to the counter ``what`` (a phrase, e.g. "system messages left out")."""
        if n:
            self.counts[what] = self.counts.get(what, 0) + int(n)

    def first_day(self) -> dt.date | None:
        """The first day the export covers."""
        return min(self.covered) if self.covered else None

    def people(self) -> set[str]:
        """Everyone active or posting in the export (pseudonyms)."""
        seen: set[str] = set()
        if self.activity is not None and len(self.activity):
            a = self.activity
            seen.update(a.loc[a["active"].fillna(False) | a["posted"].fillna(False), "person"].tolist())
        if self.messages is not None and len(self.messages):
            seen.update(self.messages["person"].tolist())
        return seen


@dataclass
class Calendar:
    """Weeks since launch: week 1 is the launch day and the six days after it."""

    launch: dt.date

    def week(self, day: dt.date) -> int:
        """The week a day falls in (0 or less: before the launch)."""
        return (day - self.launch).days // 7 + 1

    def start(self, week: int) -> dt.date:
        """The first day of a week."""
        return self.launch + dt.timedelta(days=7 * (int(week) - 1))

    def end(self, week: int) -> dt.date:
        """The last day of a week."""
        return self.start(week) + dt.timedelta(days=6)


@dataclass
class HrWeeks:
    """What an HR file says per week: headcount on the week's last day, joiners and leavers."""

    people: dict[str, tuple[dt.date, dt.date | None]]  # pseudonym -> (start, end)
    by_email: bool  # whether the pseudonyms come from e-mail addresses (so platform accounts can be matched)
    file: str
    rows: int


@dataclass
class Imported:
    """An import: the observed weekly table, the quality report, the reply graph and the HR weeks."""

    table: pd.DataFrame
    quality: dict[str, Any]
    edges: pd.DataFrame | None
    hr_table: pd.DataFrame | None
    scenario: str | None = None  # with an HR file: a scenario of its organisation (YAML)


def build(
    parsed: Parsed,
    *,
    launch: dt.date | None = None,
    until: dt.date | None = None,
    hr: HrWeeks | None = None,
) -> Imported:
    """Put ``parsed`` on weeks since ``launch`` (default: the first day the export covers).

    Args:
        parsed: what the format's reader found.
        launch: the platform's launch day (week 1 starts on it).
        until: the last day the export covers (default: its last day with data).
        hr: the HR file's people, for headcount, joiners and leavers and the people missing from it.
    """
    covered = set(parsed.covered)
    if not covered:
        raise InputError("the export holds no activity at all", file=parsed.files[0].name if parsed.files else None)
    first = min(covered)
    launch_from = "--launch" if launch is not None else "the first day in the export"
    if launch is None:
        launch = first
    if until is not None:
        if until < launch:
            raise InputError(
                "--until is before the launch", file="--until", value=until.isoformat(), allowed="a later day"
            )
        covered = {d for d in covered if d <= until}
        if parsed.event_log:  # an event log covers every day up to the end of the export, quiet or not
            covered |= set(_days(first, until))
    cal = Calendar(launch)
    before = sorted(d for d in covered if d < launch)
    covered = {d for d in covered if d >= launch}
    if not covered:
        raise InputError(
            "the export holds nothing from the launch on",
            file="--launch",
            value=launch.isoformat(),
            allowed=f"a launch day on or before {max(parsed.covered).isoformat()}",
        )
    last_day = max(covered)
    weeks = cal.week(last_day)
    index = np.arange(1, weeks + 1)
    days_in = {w: 0 for w in index}
    for d in covered:
        days_in[cal.week(d)] += 1
    full = {w for w, n in days_in.items() if n == 7}
    full_activity = full if parsed.activity_days is None else _full_weeks(parsed.activity_days, cal, launch)
    cols: dict[str, np.ndarray] = {c: np.full(weeks, np.nan) for c in COLUMNS if c not in ("week", "week_start")}
    notes = list(parsed.notes)

    def put(name: str, values: dict[int, float], weeks_full: set[int] | None = None) -> None:
        arr = cols[name]
        for w in index:
            if w in (full if weeks_full is None else weeks_full):
                arr[w - 1] = float(values.get(w, 0))

    # person-level activity
    if parsed.activity is not None and len(parsed.activity):
        a = parsed.activity
        wk_first = np.array([cal.week(d) for d in a["first_day"]])
        wk_last = np.array([cal.week(d) for d in a["last_day"]])
        if (wk_first != wk_last).any():
            i = int(np.flatnonzero(wk_first != wk_last)[0])
            raise InputError(
                f"a report window ({a['first_day'].iloc[i]} to {a['last_day'].iloc[i]}) spans two weeks since "
                f"the launch on {launch.isoformat()}",
                file="--launch",
                value=launch.isoformat(),
                allowed="a launch day on which the report windows start (each window must fall within one week)",
            )
        a = a.assign(week=wk_first)
        a = a[a["week"] >= 1]
        active = a[a["active"].fillna(False).astype(bool)].groupby("week")["person"].nunique()
        posted = a[a["posted"].fillna(False).astype(bool)].groupby("week")["person"].nunique()
        if "active_users" in parsed.sources:
            put("active_users", active.to_dict(), full_activity)
        if "posters" in parsed.sources:
            put("posters", posted.to_dict(), full_activity)
        if "posts" in parsed.sources and parsed.messages is None:
            put("posts", a.groupby("week")["posts"].sum().to_dict(), full_activity)
        if "first_posters" in parsed.sources:
            firsts = a[a["posted"].fillna(False).astype(bool)].groupby("person")["week"].min()
            if _from_launch(parsed, launch):
                put("first_posters", firsts.value_counts().to_dict(), full_activity)
            else:
                notes.append(
                    "first posters are left empty: the person-level data start after the launch week, so "
                    "who posted for the first time cannot be told"
                )
    # messages
    if parsed.messages is not None:
        m = parsed.messages
        m = m.assign(week=[cal.week(d) for d in m["day"]])
        m = m[m["week"] >= 1]
        put("posts", m.groupby("week").size().to_dict())
        put("posters", m.groupby("week")["person"].nunique().to_dict())
        if "replies" in parsed.sources:
            put("replies", m[m["reply"]].groupby("week").size().to_dict())
            put("threads", m[~m["reply"]].groupby("week").size().to_dict())
        if _from_launch(parsed, launch):
            firsts = m.sort_values(["time", "id"]).drop_duplicates("person")
            put("first_posters", firsts.groupby("week").size().to_dict())
            if "first_posters_replied" in parsed.sources:
                got = _replied(parsed.messages, firsts, cal)
                replied = firsts[firsts["id"].isin(got)].groupby("week").size().to_dict()
                arr = cols["first_posters_replied"]
                for w in index:
                    if w in full and (w + 1) in full:
                        arr[w - 1] = float(replied.get(w, 0))
        else:
            notes.append(
                "first posters are left empty: the messages start after the launch week, so who posted for "
                "the first time cannot be told"
            )
    # totals per day
    if parsed.daily is not None and len(parsed.daily):
        d = parsed.daily
        if "posts" in d and "posts" in parsed.sources and parsed.messages is None:
            by_week: dict[int, float] = defaultdict(float)
            days = set()
            for day, v in d["posts"].dropna().items():
                by_week[cal.week(day)] += float(v)
                days.add(day)
            put("posts", by_week, _full_weeks(days, cal, launch) & full)
        for col, name in (("weekly_active", "active_users"), ("weekly_posters", "posters"), ("headcount", "headcount")):
            if col not in d:
                continue
            for w in index:
                day = cal.end(w)
                if day in d.index and pd.notna(d.at[day, col]):
                    cols[name][w - 1] = float(d.at[day, col])
    # members: joiners, leavers, headcount
    if hr is not None:
        _put_members(cols, cal, weeks, [(s, e) for s, e in hr.people.values()], headcount=True)
    elif parsed.members is not None and len(parsed.members):
        spans = list(zip(parsed.members["joined"], parsed.members["left"]))
        _put_members(cols, cal, weeks, spans, headcount=parsed.members_complete, source=parsed)
        if parsed.members_in_activity_weeks:
            for c in ("joiners", "leavers"):
                for w in index:
                    if w not in full_activity:
                        cols[c][w - 1] = np.nan
    table = pd.DataFrame({"week": index, "week_start": [cal.start(w).isoformat() for w in index]})
    for c in COLUMNS[2:]:
        table[c] = pd.array(np.where(np.isnan(cols[c]), np.nan, cols[c]), dtype="Float64").round().astype("Int64")
    # people seen but not in the HR file
    people = parsed.people()
    hr_info = None
    if hr is not None:
        matchable = people - parsed.unmatchable
        missing = sorted(p for p in matchable if p not in hr.people)
        hr_info = {
            "file": hr.file,
            "rows": hr.rows,
            "matched_by": "e-mail address" if hr.by_email else "nothing: the HR file has no email column",
            "people_in_file": len(hr.people),
            "active_missing_from_hr": len(missing) if hr.by_email else None,
            "active_not_matchable": len(parsed.unmatchable & people) if hr.by_email else len(people),
        }
        over = _headcount_below_activity(table)
        for w in over:
            table.loc[table["week"] == w, "headcount"] = pd.NA
        if over:
            notes.append(
                "the headcount is left empty in week(s) "
                + _weeks_text(over)
                + ": more people were active than the HR file lists (people missing from it)"
            )
    quality = _quality(
        parsed,
        table=table,
        cal=cal,
        launch_from=launch_from,
        days_in=days_in,
        before=before,
        people=people,
        hr=hr,
        hr_info=hr_info,
        notes=notes,
    )
    edges = None
    if parsed.edges:
        pairs = {tuple(sorted(p)) for p in parsed.edges if p[0] != p[1]}
        edges = pd.DataFrame(sorted(pairs), columns=["source", "target"])
        quality["reply_graph"] = {
            "ties": len(edges),
            "people": len(set(edges["source"]) | set(edges["target"])),
            "replies": len(parsed.edges),
        }
    hr_table = None
    if hr is not None:
        hr_table = hr_weeks_table(hr, cal, weeks)
        quality["hr"]["annual_turnover"] = annual_turnover(hr_table)
    return Imported(table=table, quality=quality, edges=edges, hr_table=hr_table)


def _full_weeks(days: set[dt.date], cal: Calendar, launch: dt.date) -> set[int]:
    n: dict[int, int] = defaultdict(int)
    for d in days:
        if d >= launch:
            n[cal.week(d)] += 1
    return {w for w, k in n.items() if k == 7}


def _days(a: dt.date, b: dt.date) -> list[dt.date]:
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def _from_launch(parsed: Parsed, launch: dt.date) -> bool:
    """Whether the person-level data start in the launch week's first day (or before)."""
    start = parsed.people_start if parsed.people_start is not None else parsed.first_day()
    return start is not None and start <= launch


def _replied(messages: pd.DataFrame, firsts: pd.DataFrame, cal: Calendar) -> set[str]:
    """Ids of first posts that got a reply from someone else by the end of the week after theirs."""
    author = dict(zip(messages["id"], messages["person"]))
    first_ids = set(firsts["id"])
    deadline = {i: cal.end(w + 1) for i, w in zip(firsts["id"], firsts["week"])}
    got: set[str] = set()
    for mid, person, day, thread, to in zip(
        messages["id"], messages["person"], messages["day"], messages["thread"], messages["replied_to"]
    ):
        for target in (to, thread):
            if target is None or target == mid or target not in first_ids:
                continue
            if author.get(target) != person and day <= deadline[target]:
                got.add(target)
    return got


def _put_members(cols, cal: Calendar, weeks: int, spans, *, headcount: bool, source: Parsed | None = None) -> None:
    join = np.zeros(weeks)
    leave = np.zeros(weeks)
    head = np.zeros(weeks)
    ends = np.array([cal.end(w) for w in range(1, weeks + 1)])
    for start, end in spans:
        if start is not None and not pd.isna(start):
            w = cal.week(start)
            if 1 <= w <= weeks:
                join[w - 1] += 1
        if end is not None and not pd.isna(end):
            w = cal.week(end)
            if 1 <= w <= weeks:
                leave[w - 1] += 1
        if headcount:
            here = np.ones(weeks, bool)
            if start is not None and not pd.isna(start):
                here &= ends >= start
            if end is not None and not pd.isna(end):
                here &= ends <= end  # a leaver's last day is their end date: gone on the days after it
            head += here
    if source is None or "joiners" in source.sources:
        cols["joiners"][:] = join
    if source is None or "leavers" in source.sources:
        cols["leavers"][:] = leave
    if headcount:
        cols["headcount"][:] = head


def _headcount_below_activity(table: pd.DataFrame) -> list[int]:
    out = []
    for _, row in table.iterrows():
        h = row["headcount"]
        if pd.isna(h):
            continue
        for c in ("active_users", "posters"):
            v = row[c]
            if pd.notna(v) and v > h:
                out.append(int(row["week"]))
                break
    return out


def hr_weeks_table(hr: HrWeeks, cal: Calendar, weeks: int) -> pd.DataFrame:
    """Headcount on each week's last day, joiners and leavers per week, from the HR file's dates."""
    cols = {c: np.full(weeks, np.nan) for c in ("joiners", "leavers", "headcount")}
    _put_members(cols, cal, weeks, list(hr.people.values()), headcount=True)
    out = pd.DataFrame(
        {"week": np.arange(1, weeks + 1), "week_start": [cal.start(w).isoformat() for w in range(1, weeks + 1)]}
    )
    for c in ("headcount", "joiners", "leavers"):
        out[c] = cols[c].astype(np.int64)
    return out


def annual_turnover(hr_table: pd.DataFrame) -> float | None:
    """Leavers per head per year over the weeks: leavers / mean headcount * 52 / weeks."""
    head = float(hr_table["headcount"].mean()) if len(hr_table) else 0.0
    if head <= 0:
        return None
    return round(float(hr_table["leavers"].sum()) / head * 52.0 / len(hr_table), 4)


def _weeks_text(weeks: list[int]) -> str:
    return ", ".join(str(w) for w in weeks)


def _quality(
    parsed: Parsed,
    *,
    table: pd.DataFrame,
    cal: Calendar,
    launch_from: str,
    days_in: dict[int, int],
    before: list[dt.date],
    people: set[str],
    hr: HrWeeks | None,
    hr_info: dict[str, Any] | None,
    notes: list[str],
) -> dict[str, Any]:
    weeks = len(table)
    gaps = [int(w) for w, n in days_in.items() if n == 0]
    partial = [{"week": int(w), "days": int(n)} for w, n in days_in.items() if 0 < n < 7]
    quiet = []
    for _, row in table.iterrows():
        vals = [row[c] for c in ("active_users", "posters", "posts") if pd.notna(row[c])]
        if vals and all(v == 0 for v in vals):
            quiet.append(int(row["week"]))
    columns: dict[str, Any] = {}
    for c in COLUMNS[2:]:
        filled = int(table[c].notna().sum())
        if c in ("joiners", "leavers", "headcount") and hr is not None:
            src = "the HR file's start and end dates"
        else:
            src = parsed.sources.get(c)
        columns[c] = {
            "meaning": MEANINGS[c],
            "source": src,
            "weeks_with_a_value": filled,
            "why_empty": None if filled else (parsed.missing.get(c) or "no week of the export gives it"),
        }
    if before:
        notes.append(f"{len(before)} day(s) before the launch were left out ({before[0]} to {before[-1]})")
    return {
        "format": parsed.format,
        "files": [{"name": f.name, "bytes": f.bytes, "rows": f.rows} for f in parsed.files],
        "launch": cal.launch.isoformat(),
        "launch_from": launch_from,
        "weeks": {
            "count": weeks,
            "first_day": cal.start(1).isoformat(),
            "last_day": cal.end(weeks).isoformat(),
            "full": sum(1 for n in days_in.values() if n == 7),
        },
        "days_covered": int(sum(days_in.values())),
        "gaps": gaps,
        "partial_weeks": partial,
        "weeks_without_activity": quiet,
        "counted": dict(parsed.counts),
        "people": {
            "seen": len(people),
            "known_only_by_a_platform_id": len(parsed.unmatchable & people),
        },
        "hr": hr_info,
        "columns": columns,
        "notes": notes,
        **parsed.extra,
    }


def quality_markdown(quality: dict[str, Any]) -> str:
    """The quality report in plain words (quality.md)."""
    q = quality
    w = q["weeks"]
    lines = [
        f"# Data quality: {q['format']} import",
        "",
        f"Files read: {', '.join(f['name'] + ' (' + format(f['rows'], ',') + ' rows)' for f in q['files'])}.",
        "",
        f"Week 1 starts on {q['launch']} (from {q['launch_from']}). The table has {w['count']} week(s), "
        f"{w['first_day']} to {w['last_day']}; the export covers {q['days_covered']} of their "
        f"{7 * w['count']} days, and {w['full']} week(s) in full.",
        "",
    ]
    if q["gaps"]:
        lines.append(
            f"- **Gaps**: week(s) {_weeks_text(q['gaps'])} have no data at all; their counts are empty (an outage, "
            "or an export that does not cover them)."
        )
    else:
        lines.append("- **Gaps**: none; every week has data.")
    if q["partial_weeks"]:
        parts = ", ".join(f"week {p['week']} ({p['days']} of 7 days)" for p in q["partial_weeks"])
        lines.append(f"- **Partial weeks**: {parts}. Their activity counts are left empty rather than undercounted.")
    else:
        lines.append("- **Partial weeks**: none.")
    if q["weeks_without_activity"]:
        lines.append(
            f"- **Weeks without any activity**: {_weeks_text(q['weeks_without_activity'])} (real silence, or data "
            "missing from the export?)."
        )
    dup = {k: v for k, v in q["counted"].items() if "duplicate" in k or "version" in k}
    other = {k: v for k, v in q["counted"].items() if k not in dup}
    if dup:
        lines.append("- **Duplicates**: " + "; ".join(f"{v:,} {k}" for k, v in dup.items()) + ".")
    else:
        lines.append("- **Duplicates**: none found.")
    if other:
        lines.append(
            "- **Left out or noted while reading**: " + "; ".join(f"{v:,} {k}" for k, v in other.items()) + "."
        )
    p = q["people"]
    lines.append(f"- **People**: {p['seen']:,} people were active or posted.")
    if q["hr"] is not None:
        h = q["hr"]
        if h["active_missing_from_hr"] is None:
            lines.append(
                f"- **HR file** ({h['file']}, {h['people_in_file']:,} people): active people cannot be matched with "
                "it, because it has no email column."
            )
        else:
            text = (
                f"- **HR file** ({h['file']}, {h['people_in_file']:,} people, matched by e-mail address): "
                f"{h['active_missing_from_hr']:,} active people are missing from it"
            )
            if h["active_not_matchable"]:
                text += f", and {h['active_not_matchable']:,} could not be matched (the export has no e-mail for them)"
            lines.append(text + ".")
        if h.get("annual_turnover") is not None:
            lines.append(
                f"- **Turnover** from the HR file's dates: {h['annual_turnover']:.1%} a year over these weeks "
                "(leavers per head, annualised)."
            )
    if "reply_graph" in q:
        g = q["reply_graph"]
        lines.append(
            f"- **Reply graph**: {g['ties']:,} ties between {g['people']:,} people, from {g['replies']:,} replies "
            "(reply_graph.csv)."
        )
    lines += [
        "",
        "## Columns",
        "",
        "| column | what it counts | weeks with a value | from |",
        "| --- | --- | --- | --- |",
    ]
    for c, info in q["columns"].items():
        src = info["source"] or f"empty: {info['why_empty']}"
        lines.append(f"| `{c}` | {info['meaning']} | {info['weeks_with_a_value']} | {src} |")
    if q["notes"]:
        lines += ["", "## Notes", ""]
        lines += [f"- {n}" for n in q["notes"]]
    lines += [
        "",
        "No name, e-mail address or account id is in this folder: people are pseudonyms (a keyed hash "
        "whose key is not stored here).",
        "",
    ]
    return "\n".join(lines)
