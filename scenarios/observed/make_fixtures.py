"""SYNTHETIC exports of a simulated contact centre: the fixtures of ``ecosim import``'s tests and docs.

    python scenarios/observed/make_fixtures.py            # rewrites scenarios/observed/contact_centre/

Nothing here comes from a real organisation. The script runs ecosim's model on
``contact_centre/contact_centre_synthetic.yaml`` (about 2,000 staff, known parameters, seed 2025) for
12 weeks from a launch on Monday 2025-01-06, records every person's week (who visited, who posted
how often, who left and who joined, to whose first post a facilitator replied), makes up names,
e-mail addresses and ids for them (``*.example`` domains), spreads each week's activity over days,
and writes it as each service would export it:

- ``hr.csv``: the HR file (the contact centre's staff; the two facilitators work for L&D elsewhere);
- ``viva_engage_export.zip``: the Viva Engage network data export (Messages.csv, Users.csv,
  Groups.csv, as the admin centre's all-users export), weeks 1-12, with peer replies in teams,
  facilitators' replies to first posts, a few system messages and private conversations;
- ``engage_usage/``: Microsoft 365 usage reports for Viva Engage: activity counts and user counts
  (90 days, so six days before the launch) and the 7-day user detail of weeks 11 and 12;
- ``slack/``: the workspace overview CSV (weeks 1-12) and member analytics of week 1 (gzipped JSON
  lines, one file per day), with three guest accounts;
- ``xapi/statements.jsonl.gz``: xAPI statements of weeks 1-2 (a visit per active day, a comment per
  post, replies referring to the statement they answer; some actors known by ``mbox_sha1sum``, and
  one voided statement);
- ``survey.csv``: a pulse survey of 20% of staff, three 1-5 items answered from each person's
  simulated alignment with noise;
- ``truth.csv``: the true weekly numbers behind the exports (activity counted over staff and
  facilitators; joiners, leavers and headcount of the HR file; ``accounts`` = staff and facilitators).

The same seed gives the same files. Run it again after a change to the model: the fixtures follow.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "contact_centre"
SCENARIO = OUT / "contact_centre_synthetic.yaml"
SEED = 2025
LAUNCH = dt.date(2025, 1, 6)  # a Monday
WEEKS = 12
DOMAIN = "contoso-contact.example"
USAGE_DETAIL_WEEKS = (11, 12)
SLACK_MEMBER_WEEKS = (1,)
XAPI_WEEKS = (1, 2)
SURVEY_SHARE = 0.2
FIRST = (
    "Ana Bo Chen Dara Elif Femi Gita Hana Ivan Jun Kofi Lena Mika Nia Omar Pia Quinn Rosa Sami Tess Umar Vera Wen "
    "Xena Yuki Zane Aiko Bram Cleo Dev Eva Finn Gus Hugo Iris Jade Kai Luca Maya Noor Otto Priya Rafa Sara Teo Uma "
    "Vik Willa Yara Zoe Amir Bea Cyrus Dina Emil Fay Gil Hedy Ines"
).split()
LAST = (
    "Ruiz Li Okafor Novak Sato Kowalski Haddad Berg Moreau Silva Kaur Jensen Rossi Ivanova Mensah Dubois Tanaka "
    "Costa Nilsen Popescu Yilmaz Khan Fischer Garcia Murphy Nakamura Oliveira Petrov Quist Rahman Schmidt Torres "
    "Ueda Vargas Walsh Xu Young Zhang Abara Brandt Castillo Dahl Eze Farah Gomez Holm Ito Jovanovic Kim Lund Mwangi "
    "Nieminen Ortiz Park Reyes Sousa Thorsen Varga Weber"
).split()
PHRASES = (
    "Has anyone found a quicker way to handle refund calls?",
    "Sharing my checklist for the new billing script.",
    "Thanks, that worked for me too.",
    "Which knowledge article covers roaming charges?",
    "Tip: the search box finds old tickets by phone number.",
    "Good point, I will try it on my next shift.",
    "Does the escalation path change for business customers?",
    "Here is how our team handles angry callers.",
)


@dataclass
class Person:
    """A made-up person: names, ids and dates."""

    key: int
    first: str
    last: str
    email: str
    employee_id: str
    engage_id: int
    slack_id: str
    team: int
    site: int
    start: dt.date
    end: dt.date | None = None
    alignment: float = 0.0
    facilitator: bool = False
    guest: bool = False
    days: dict[int, list[int]] = field(default_factory=dict)  # week -> active weekdays (0-6)
    posts: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # week -> [(weekday, second of day)]

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.first} {self.last}"


class Made:
    """Names and ids, unique, from the seeded generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        """Start with no one made."""
        self.rng = rng
        self.emails: set[str] = set()
        self.numbers: set[int] = set()
        self.n = 0

    def person(self, key: int, team: int, site: int, start: dt.date, *, domain: str = DOMAIN) -> Person:
        """A new person with names, an e-mail address and ids nobody else has."""
        first = FIRST[int(self.rng.integers(len(FIRST)))]
        last = LAST[int(self.rng.integers(len(LAST)))]
        base = f"{first}.{last}".lower()
        email, k = f"{base}@{domain}", 1
        while email in self.emails:
            k += 1
            email = f"{base}{k}@{domain}"
        self.emails.add(email)
        self.n += 1
        engage = int(self.rng.integers(1_400_000_000, 1_999_999_999))
        while engage in self.numbers:
            engage += 1
        self.numbers.add(engage)
        slack = "U0" + "".join(self.rng.choice(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"), 9))
        return Person(key, first, last, email, f"CC{100000 + self.n:06d}", engage, slack, team, site, start)


def day_of(week: int, weekday: int) -> dt.date:
    """The day of a week (1 = launch week) and weekday (0 = Monday)."""
    return LAUNCH + dt.timedelta(days=7 * (week - 1) + weekday)


def simulate(rng: np.random.Generator):
    """Run the model week by week; return the people, and per week who got a reply from a facilitator."""
    from ecosim import EcosystemModel

    model = EcosystemModel(str(SCENARIO), seed=SEED, overrides={"weeks": WEEKS})
    made = Made(rng)
    s = model.state
    people: dict[int, Person] = {}
    for r in range(s.n):
        years = float(rng.exponential(3.0))
        start = LAUNCH - dt.timedelta(days=int(30 + years * 365))
        p = made.person(int(s.person[r]), int(s.store[r]), int(s.region[r]), start)
        p.alignment = float(s.alignment[r])
        people[p.key] = p
    facilitators = []
    for i in range(model.params.facilitation.facilitators):
        f = made.person(-1 - i, -1, -1, LAUNCH - dt.timedelta(days=900), domain="contoso-learning.example")
        f.facilitator = True
        facilitators.append(f)
    guests = []
    for i in range(3):
        g = made.person(-10 - i, -1, -1, LAUNCH - dt.timedelta(days=3), domain="partner-vendor.example")
        g.guest = True
        guests.append(g)
    f_cfg = model.params.facilitation
    decay = 0.5 ** (1.0 / f_cfg.facilitation_memory_weeks)
    cum_posts: dict[int, int] = {}
    replied: dict[int, list[int]] = {}  # week -> people whose first post (previous week) got a facilitator reply
    sim_rows = []
    for week in range(1, WEEKS + 1):
        before = s.person.copy()
        pull = s.reply_pull.copy()
        model.step()
        after = s.person
        monday = day_of(week, 0)
        for r in np.flatnonzero(before != after):
            gone = people[int(before[r])]
            gone.end = monday  # their last day: the Monday of the week they leave
            p = made.person(int(after[r]), int(s.store[r]), int(s.region[r]), monday + dt.timedelta(days=1))
            p.alignment = float(s.alignment[r])
            people[p.key] = p
        same = before == after
        jump = same & (s.reply_pull > pull * decay + 0.5 * f_cfg.reply_boost)
        replied[week] = [int(after[r]) for r in np.flatnonzero(jump)]
        lw = model.last_week
        assert len(replied[week]) == int(lw.replies[0]), (week, len(replied[week]), lw.replies)
        for r in range(s.n):
            key = int(after[r])
            p = people[key]
            total = int(s.posts[r])
            n_posts = total - cum_posts.get(key, 0)
            cum_posts[key] = total
            if s.engagement[r] == 0 and n_posts == 0:
                continue
            n_days = 1 + int(rng.binomial(4, 0.35))
            weekdays = sorted(rng.choice(5 if rng.random() < 0.9 else 7, size=min(n_days, 5), replace=False).tolist())
            if p.start > monday:
                weekdays = [d for d in weekdays if d >= 1] or [1]
            p.days[week] = weekdays
            if n_posts:
                p.posts[week] = sorted(
                    (int(rng.choice(weekdays)), int(rng.integers(8 * 3600, 18 * 3600))) for _ in range(n_posts)
                )
        sim_rows.append(
            {
                "week": week,
                "learners": int(s.n),
                "active": int((s.engagement > 0).sum()),
                "contributors": int((s.engagement == 2).sum()),
                "posts": int(lw.posts[0]),
                "new_posters": int(lw.new_posters[0]),
                "facilitator_replies": int(lw.replies[0]),
                "leavers": int(lw.leavers[0]),
            }
        )
    return people, facilitators, guests, replied, sim_rows


@dataclass
class Message:
    """A post on Viva Engage."""

    id: int
    person: Person
    week: int
    time: dt.datetime
    thread: int
    replied_to: int | None
    body: str
    kind: str = "update"
    private: bool = False


def messages(people, facilitators, replied, rng: np.random.Generator) -> list[Message]:
    """Posts as messages: first posts start threads, others reply in the team; facilitators reply to first posts."""
    next_id = [2_100_000_000]

    def new_id() -> int:
        """A new message id."""
        next_id[0] += int(rng.integers(1, 50))
        return next_id[0]

    out: list[Message] = []
    first_post: dict[int, Message] = {}
    by_team: dict[int, list[Message]] = {}
    recent: list[Message] = []
    events = []
    for p in people.values():
        for week, posts in p.posts.items():
            for weekday, sec in posts:
                t = dt.datetime.combine(day_of(week, weekday), dt.time(), dt.UTC) + dt.timedelta(seconds=sec)
                events.append((t, p.key, week))
    events.sort()
    fac_replies: list[tuple[dt.datetime, Person, Message]] = []
    for t, key, week in events:
        p = people[key]
        window = [m for m in recent[-400:] if (t - m.time).days < 14 and m.person is not p]
        if key not in first_post or not window or rng.random() < 0.45:
            mid = new_id()
            m = Message(mid, p, week, t, mid, None, PHRASES[int(rng.integers(len(PHRASES)))])
        else:
            team = [m for m in by_team.get(p.team, []) if (t - m.time).days < 14 and m.person is not p]
            pool = team if team and rng.random() < 0.7 else window
            to = pool[int(rng.integers(len(pool)))]
            m = Message(new_id(), p, week, t, to.thread, to.id, PHRASES[int(rng.integers(len(PHRASES)))])
        out.append(m)
        recent.append(m)
        by_team.setdefault(p.team, []).append(m)
        if key not in first_post:
            first_post[key] = m
    # facilitators reply in week w to first posts of week w - 1 (as the model's facilitation does)
    for week, keys in replied.items():
        for i, key in enumerate(keys):
            first = first_post[key]
            f = facilitators[i % len(facilitators)]
            t = dt.datetime.combine(day_of(week, int(rng.integers(0, 5))), dt.time(10), dt.UTC) + dt.timedelta(
                minutes=int(rng.integers(0, 420))
            )
            fac_replies.append((t, f, first))
            f.days.setdefault(week, [])
            wd = (t.date() - day_of(week, 0)).days
            if wd not in f.days[week]:
                f.days[week] = sorted([*f.days[week], wd])
            f.posts.setdefault(week, []).append(
                (wd, int((t - dt.datetime.combine(t.date(), dt.time(), dt.UTC)).seconds))
            )
    for t, f, first in sorted(fac_replies, key=lambda x: x[0]):
        out.append(
            Message(
                new_id(),
                f,
                (t.date() - LAUNCH).days // 7 + 1,
                t,
                first.thread,
                first.id,
                "Welcome! Thanks for sharing.",
            )
        )
    out.sort(key=lambda m: (m.time, m.id))
    return out


def truth(people, facilitators, msgs: list[Message]) -> list[dict]:
    """The weekly numbers the exports encode, counted from the records above."""
    everyone = [*people.values(), *facilitators]
    rows = []
    first_of: dict[int, Message] = {}
    for m in msgs:
        first_of.setdefault(m.person.key, m)
    for week in range(1, WEEKS + 1):
        end = day_of(week, 6)
        week_msgs = [m for m in msgs if m.week == week]
        firsts = [m for m in first_of.values() if m.week == week]
        deadline = dt.datetime.combine(day_of(week + 1, 6), dt.time(23, 59, 59), dt.UTC)
        got = sum(
            1
            for f in firsts
            if any(
                m.person is not f.person
                and m.time <= deadline
                and (m.replied_to == f.id or (m.thread == f.id and m.id != f.id))
                for m in msgs
            )
        )
        staff = [p for p in people.values()]
        rows.append(
            {
                "week": week,
                "week_start": day_of(week, 0).isoformat(),
                "active_users": sum(1 for p in everyone if week in p.days),
                "posters": len({m.person.key for m in week_msgs}),
                "posts": len(week_msgs),
                "replies": sum(1 for m in week_msgs if m.id != m.thread),
                "threads": sum(1 for m in week_msgs if m.id == m.thread),
                "first_posters": len(firsts),
                "first_posters_replied": got if week < WEEKS else "",
                "joiners": sum(
                    1 for p in staff if p.start > LAUNCH - dt.timedelta(days=1) and day_of(week, 0) <= p.start <= end
                ),
                "leavers": sum(1 for p in staff if p.end is not None and day_of(week, 0) <= p.end <= end),
                "headcount": sum(1 for p in staff if p.start <= end and (p.end is None or p.end >= end)),
                "accounts": sum(1 for p in everyone if p.start <= end and (p.end is None or p.end >= end)),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------------------------


def csv_text(header: list[str], rows: list[list], *, bom: bool = False) -> bytes:
    """CSV bytes as the services write them (CRLF; a byte-order mark where Microsoft writes one)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def write(path: Path, data: bytes) -> None:
    """Write bytes, making the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def stamp(t: dt.datetime | dt.date) -> str:
    """An ISO 8601 UTC time (a day becomes 09:00 that day)."""
    if isinstance(t, dt.datetime):
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.datetime.combine(t, dt.time(9), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_hr(people) -> None:
    """hr.csv: the contact centre's staff (names are in HR files; the import does not read them)."""
    staff = sorted(people.values(), key=lambda p: p.employee_id)
    # who manages whom (no random draws): the hub's longest-serving person heads the centre; in each
    # team, the longest-serving person who has not left leads it and reports to the head; the hub's
    # other staff report to the head too
    stay = sorted((p for p in staff if p.end is None), key=lambda p: (p.start, p.employee_id))
    head = next(p for p in stay if p.team < 0)
    leads: dict[int, Person] = {}
    for p in stay:
        if p.team >= 0:
            leads.setdefault(p.team, p)
    rows = []
    for p in staff:
        if p is head:
            manager, role = "", "head of centre"
        elif p.team < 0:
            manager, role = head.employee_id, "support"
        elif leads.get(p.team) is p:
            manager, role = head.employee_id, "team lead"
        else:
            manager, role = (leads[p.team].employee_id if p.team in leads else ""), "agent"
        rows.append(
            [
                p.employee_id,
                p.name,
                p.email,
                f"team {p.team + 1}" if p.team >= 0 else "hub",
                f"site {p.site + 1}" if p.site >= 0 else "hub",
                manager,
                role,
                p.start.isoformat(),
                p.end.isoformat() if p.end else "",
            ]
        )
    write(
        OUT / "hr.csv",
        csv_text(
            ["employee_id", "name", "email", "unit", "site", "manager_id", "role", "start_date", "end_date"], rows
        ),
    )


class Fixed:
    """Writes ZIP members with a fixed time, so that the same seed gives the same bytes."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        """Write into ``zf``."""
        self.zf = zf

    def writestr(self, name: str, data: str | bytes) -> None:
        """Add a member."""
        info = zipfile.ZipInfo(name, date_time=(2025, 4, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zf.writestr(info, data)


def accounts_joined(p: Person) -> dt.date:
    """When a person's platform account was made: provisioning three days before launch, or their start."""
    return max(p.start, LAUNCH - dt.timedelta(days=3))


def write_engage(people, facilitators, msgs: list[Message], rng) -> None:
    """viva_engage_export.zip: Messages.csv, Users.csv, Groups.csv as the all-users export."""
    header = (
        "id,replied_to_id,parent_id,thread_id,conversation_id,group_id,group_name,participants,in_private_group,"
        "in_private_conversation,sender_id,sender_type,sender_name,sender_email,body,delegate_id,api_url,attachments,"
        "deleted_by_id,deleted_by_type,created_at,deleted_at,title,html_body,message_type,gdpr_delete_url"
    ).split(",")
    groups = [(310, "Contact Centre Community"), (311, "Billing tips"), (312, "New starters")]
    rows = []
    for m in msgs:
        g = groups[0] if m.person.team < 0 or m.person.team % 3 else groups[1 + (m.person.team % 2)]
        rows.append(
            [
                m.id,
                m.replied_to or "",
                m.replied_to or "",
                m.thread,
                "",
                g[0],
                g[1],
                "",
                "false",
                "false",
                m.person.engage_id,
                "user",
                m.person.name,
                m.person.email,
                m.body,
                "",
                f"https://www.yammer.com/api/v1/messages/{m.id}",
                "",
                "",
                "",
                stamp(m.time),
                "",
                "",
                "",
                "update",
                f"https://www.yammer.com/messages/{m.id}/hard_delete_confirmation",
            ]
        )
    everyone = [*people.values(), *facilitators]
    # a few private conversations and system messages, which are not posts
    for i in range(25):
        a, b = (everyone[int(k)] for k in rng.choice(len(everyone), 2, replace=False))
        t = dt.datetime.combine(day_of(int(rng.integers(1, WEEKS + 1)), int(rng.integers(0, 5))), dt.time(12), dt.UTC)
        mid = 3_000_000_000 + i
        rows.append(
            [
                mid,
                "",
                "",
                mid,
                "",
                "",
                "",
                f"user:{a.engage_id},user:{b.engage_id}",
                "false",
                "true",
                a.engage_id,
                "user",
                a.name,
                a.email,
                "Can we swap shifts?",
                "",
                "",
                "",
                "",
                "",
                stamp(t),
                "",
                "",
                "",
                "private",
                "",
            ]
        )
    for i in range(4):
        mid = 3_100_000_000 + i
        rows.append(
            [
                mid,
                "",
                "",
                mid,
                "",
                310,
                groups[0][1],
                "",
                "false",
                "false",
                facilitators[0].engage_id,
                "user",
                facilitators[0].name,
                facilitators[0].email,
                "joined the group",
                "",
                "",
                "",
                "",
                "",
                stamp(dt.datetime.combine(day_of(1, i), dt.time(8), dt.UTC)),
                "",
                "",
                "",
                "system",
                "",
            ]
        )
    users = []
    for p in sorted(everyone, key=lambda p: p.engage_id):
        users.append(
            [
                p.engage_id,
                p.name,
                p.email,
                "Learning facilitator" if p.facilitator else "Customer service agent",
                f"Site {p.site + 1}" if p.site >= 0 else "Remote",
                "L&D" if p.facilitator else "Contact centre",
                "soft_delete" if p.end else "active",
                stamp(accounts_joined(p)),
                "",
                stamp(p.end) if p.end else "",
                str(uuid.UUID(int=p.engage_id)),
                "",
            ]
        )
    group_rows = [
        [g, n, "", "false", "false", "false", stamp(LAUNCH - dt.timedelta(days=3)), stamp(LAUNCH)] for g, n in groups
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        z = Fixed(zf)
        z.writestr("request.txt", "SYNTHETIC export made by scenarios/observed/make_fixtures.py\n")
        z.writestr("log.txt", "synthetic\n")
        z.writestr("Messages.csv", csv_text(header, rows, bom=True))
        z.writestr(
            "Users.csv",
            csv_text(
                [
                    "id",
                    "name",
                    "email",
                    "job_title",
                    "location",
                    "department",
                    "state",
                    "joined_at",
                    "suspended_at",
                    "deleted_at",
                    "guid",
                    "user_cover_image_url",
                ],
                users,
                bom=True,
            ),
        )
        z.writestr(
            "Groups.csv",
            csv_text(
                ["id", "name", "description", "private", "external", "deleted", "created_at", "updated_at"],
                group_rows,
                bom=True,
            ),
        )
    write(OUT / "viva_engage_export.zip", buf.getvalue())


def daily_activity(people, facilitators, guests=()):
    """Per day: who was active, and each person's posts."""
    """Per day: who was active and who posted how much."""
    active: dict[dt.date, set[int]] = {}
    posts: dict[tuple[int, dt.date], int] = {}
    for p in [*people.values(), *facilitators, *guests]:
        for week, days in p.days.items():
            for d in days:
                active.setdefault(day_of(week, d), set()).add(p.key)
        for week, ps in p.posts.items():
            for d, _ in ps:
                posts[(p.key, day_of(week, d))] = posts.get((p.key, day_of(week, d)), 0) + 1
    return active, posts


def write_usage(people, facilitators, rng) -> None:
    """engage_usage/: activity counts, user counts (90 days) and the 7-day user detail of some weeks."""
    active, posts = daily_activity(people, facilitators)
    everyone = {p.key: p for p in [*people.values(), *facilitators]}
    refresh = day_of(WEEKS, 6) + dt.timedelta(days=2)
    reads = {k: int(rng.poisson(2)) + 1 for d, ks in active.items() for k in ((kk, d) for kk in ks)}
    likes = {k: int(rng.poisson(0.6)) for k in reads}
    counts, users = [], []
    for i in range(90):
        day = refresh - dt.timedelta(days=2 + i)
        ks = active.get(day, set())
        day_posts = sum(v for (k, d), v in posts.items() if d == day)
        r = sum(reads.get((k, day), 0) for k in ks)
        lk = sum(likes.get((k, day), 0) for k in ks)
        counts.append([refresh.isoformat(), lk, day_posts, r, day.isoformat(), 90])
        users.append(
            [
                refresh.isoformat(),
                sum(1 for k in ks if likes.get((k, day), 0)),
                len({k for (k, d) in posts if d == day}),
                len(ks),
                day.isoformat(),
                90,
            ]
        )
    head = ["Report Refresh Date", "Liked", "Posted", "Read", "Report Date", "Report Period"]
    write(OUT / "engage_usage" / "YammerActivityCounts.csv", csv_text(head, counts, bom=True))
    write(OUT / "engage_usage" / "YammerActivityUserCounts.csv", csv_text(head, users, bom=True))
    detail_head = [
        "Report Refresh Date",
        "User Principal Name",
        "Display Name",
        "User State",
        "State Change Date",
        "Last Activity Date",
        "Posted Count",
        "Read Count",
        "Liked Count",
        "Assigned Products",
        "Report Period",
    ]
    ever_active: set[int] = set()
    for week in range(1, WEEKS + 1):
        start, end = day_of(week, 0), day_of(week, 6)
        days = [start + dt.timedelta(days=i) for i in range(7)]
        for d in days:
            ever_active |= active.get(d, set())
        if week not in USAGE_DETAIL_WEEKS:
            continue
        rows = []
        for p in everyone.values():
            if p.start > end or (p.end is not None and p.end < start):
                continue
            n_post = sum(posts.get((p.key, d), 0) for d in days)
            n_read = sum(reads.get((p.key, d), 0) for d in days)
            n_like = sum(likes.get((p.key, d), 0) for d in days)
            last = max((d for d in days if p.key in active.get(d, set())), default=None)
            if p.end is not None and p.end <= end:
                state, changed = "Deleted", p.end
            elif p.key in ever_active:
                state, changed = "Activated", accounts_joined(p)
            else:
                state, changed = "", None
            rows.append(
                [
                    end.isoformat(),
                    p.email,
                    p.name,
                    state,
                    changed.isoformat() if changed else "",
                    last.isoformat() if last else "",
                    n_post,
                    n_read,
                    n_like,
                    "MICROSOFT 365 E3",
                    7,
                ]
            )
        write(
            OUT / "engage_usage" / f"YammerActivityUserDetail_{end.isoformat()}.csv",
            csv_text(detail_head, rows, bom=True),
        )


def write_slack(people, facilitators, guests, rng) -> None:
    """slack/: the overview CSV of every day, and member analytics (gzipped JSON lines) of some weeks."""
    active, posts = daily_activity(people, facilitators)
    staff = [*people.values(), *facilitators]
    rows = []
    for i in range(7 * WEEKS):
        day = LAUNCH + dt.timedelta(days=i)
        window = [day - dt.timedelta(days=k) for k in range(7)]
        here = [p for p in staff if p.start <= day and (p.end is None or p.end >= day)]
        week_active = set().union(*(active.get(d, set()) for d in window))
        week_posters = {k for (k, d) in posts if d in window}
        today = sum(v for (k, d), v in posts.items() if d == day)
        dms = int(rng.poisson(0.5 * today)) if today else 0
        rows.append(
            [
                day.isoformat(),
                len(here) + len(guests),
                len(here),
                len(guests),
                len(active.get(day, set())),
                len({k for (k, d) in posts if d == day}),
                len(week_active),
                len(week_posters),
                today,
                0,
                dms,
                today + dms,
            ]
        )
    head = [
        "Date",
        "Total membership",
        "Full members",
        "Guests",
        "Daily active members",
        "Daily members posting messages",
        "Weekly active members",
        "Weekly members posting messages",
        "Messages in public channels",
        "Messages in private channels",
        "Messages in DMs",
        "Messages posted",
    ]
    write(OUT / "slack" / "workspace_overview.csv", csv_text(head, rows))
    claimed = {p.key: int(dt.datetime.combine(accounts_joined(p), dt.time(9), dt.UTC).timestamp()) for p in staff}
    for week in SLACK_MEMBER_WEEKS:
        for wd in range(7):
            day = day_of(week, wd)
            lines = []
            for p in [*staff, *guests]:
                if p.start > day or (p.end is not None and p.end < day):
                    continue
                on = p.key in active.get(day, set())
                n = posts.get((p.key, day), 0)
                lines.append(
                    json.dumps(
                        {
                            "enterprise_id": "E0SYNTH01",
                            "team_id": "T0SYNTH01",
                            "date": day.isoformat(),
                            "user_id": p.slack_id,
                            "email_address": p.email,
                            "is_guest": p.guest,
                            "is_billable_seat": not p.guest,
                            "is_active": on,
                            "is_active_ios": False,
                            "is_active_android": False,
                            "is_active_desktop": on,
                            "reactions_added_count": int(rng.poisson(1)) if on else 0,
                            "messages_posted_count": n + (int(rng.poisson(0.5)) if on else 0),
                            "channel_messages_posted_count": n,
                            "files_added_count": 0,
                            "is_active_apps": False,
                            "is_active_workflows": False,
                            "is_active_slack_connect": False,
                            "total_calls_count": 0,
                            "slack_calls_count": 0,
                            "slack_huddles_count": 0,
                            "search_count": int(rng.poisson(2)) if on else 0,
                            "date_claimed": claimed.get(p.key, claimed[staff[0].key]),
                        },
                        separators=(",", ":"),
                    )
                )
            data = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
            write(OUT / "slack" / "member_analytics" / f"member_analytics_{day.isoformat()}.json.gz", data)


def write_xapi(people, facilitators, msgs: list[Message], rng) -> None:
    """xapi/statements.jsonl.gz: a visit per active day and a comment per post, of some weeks."""
    rnd = np.random.default_rng(SEED + 7)

    def sid() -> str:
        """A new statement id."""
        return str(uuid.UUID(bytes=rnd.bytes(16), version=4))

    def actor(p: Person) -> dict:
        """The actor of a person's statements."""
        if p.key % 10 == 3:  # some LRSs hash mailboxes
            return {"objectType": "Agent", "mbox_sha1sum": hashlib.sha1(f"mailto:{p.email}".encode()).hexdigest()}
        return {"objectType": "Agent", "name": p.name, "mbox": f"mailto:{p.email}"}

    community = "https://learning.contoso-contact.example/community"
    out = []
    ids: dict[int, str] = {}
    for p in [*people.values(), *facilitators]:
        for week, days in p.days.items():
            if week not in XAPI_WEEKS:
                continue
            for d in days:
                t = dt.datetime.combine(day_of(week, d), dt.time(8), dt.UTC) + dt.timedelta(
                    seconds=int(rnd.integers(0, 3600))
                )
                out.append(
                    (
                        t,
                        {
                            "id": sid(),
                            "actor": actor(p),
                            "verb": {
                                "id": "http://adlnet.gov/expapi/verbs/experienced",
                                "display": {"en-US": "experienced"},
                            },
                            "object": {"objectType": "Activity", "id": community},
                            "timestamp": stamp(t),
                            "version": "1.0.3",
                        },
                    )
                )
    for m in msgs:
        if m.week not in XAPI_WEEKS:
            continue
        ids[m.id] = sid()
        st = {
            "id": ids[m.id],
            "actor": actor(m.person),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/commented", "display": {"en-US": "commented"}},
            "object": {
                "objectType": "Activity",
                "id": f"{community}/thread/{m.thread}",
                "definition": {"type": "http://id.tincanapi.com/activitytype/discussion"},
            },
            "timestamp": stamp(m.time),
            "version": "1.0.3",
        }
        if m.replied_to is not None and m.replied_to in ids:
            st["context"] = {"statement": {"objectType": "StatementRef", "id": ids[m.replied_to]}}
        out.append((m.time, st))
    # one comment made by mistake and voided
    p = next(iter(people.values()))
    t = dt.datetime.combine(day_of(1, 2), dt.time(11), dt.UTC)
    wrong = sid()
    out.append(
        (
            t,
            {
                "id": wrong,
                "actor": actor(p),
                "verb": {"id": "http://adlnet.gov/expapi/verbs/commented"},
                "object": {"objectType": "Activity", "id": community},
                "timestamp": stamp(t),
            },
        )
    )
    out.append(
        (
            t + dt.timedelta(minutes=5),
            {
                "id": sid(),
                "actor": actor(facilitators[0]),
                "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                "object": {"objectType": "StatementRef", "id": wrong},
                "timestamp": stamp(t + dt.timedelta(minutes=5)),
            },
        )
    )
    out.sort(key=lambda x: x[0])
    text = "\n".join(json.dumps(st, separators=(",", ":")) for _, st in out) + "\n"
    write(OUT / "xapi" / "statements.jsonl.gz", gzip.compress(text.encode(), mtime=0))


def write_survey(people, rng) -> None:
    """survey.csv: three 1-5 items answered by a fifth of the staff from their simulated alignment."""
    staff = [p for p in people.values() if p.end is None]
    chosen = rng.choice(len(staff), size=int(SURVEY_SHARE * len(staff)), replace=False)
    items = [
        "The platform's content helps me with my own goals (1-5)",
        "What I find there is useful for what I want to get better at (1-5)",
        "The topics on the platform match what I want to learn (1-5)",
    ]
    rows = []
    for i in sorted(chosen.tolist()):
        a = staff[i].alignment
        answers = [int(np.clip(np.rint(1 + 4 * (a + rng.normal(0, 0.12))), 1, 5)) for _ in items]
        if rng.random() < 0.05:
            answers[int(rng.integers(3))] = ""  # an item left blank
        rows.append([staff[i].employee_id, f"{day_of(WEEKS, 2).isoformat()}T12:00:00Z", *answers])
    write(OUT / "survey.csv", csv_text(["respondent", "submitted", *items], rows))


def main() -> None:
    """Simulate and write every fixture."""
    rng = np.random.default_rng(SEED)
    people, facilitators, guests, replied, sim_rows = simulate(rng)
    msgs = messages(people, facilitators, replied, rng)
    rows = truth(people, facilitators, msgs)
    write(OUT / "truth.csv", csv_text(list(rows[0]), [list(r.values()) for r in rows]))
    write(OUT / "simulation.csv", csv_text(list(sim_rows[0]), [list(r.values()) for r in sim_rows]))
    write_hr(people)
    write_engage(people, facilitators, msgs, rng)
    write_usage(people, facilitators, rng)
    write_slack(people, facilitators, guests, rng)
    write_xapi(people, facilitators, msgs, rng)
    write_survey(people, rng)
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"wrote {OUT} ({total / 1e6:.1f} MB): {len(people):,} staff, {len(msgs):,} messages")


if __name__ == "__main__":
    main()
