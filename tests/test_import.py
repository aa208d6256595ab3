"""ecosim import: each format's synthetic fixture read into the observed weekly table, each refusing
malformed files with one line and exit code 2 (nothing written), and calibrate reading the folder."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import SCENARIOS

from ecosim.cli import main

CC = SCENARIOS / "observed" / "contact_centre"
HR = CC / "hr.csv"
TRUTH = pd.read_csv(CC / "truth.csv")
LAUNCH = "2025-01-06"
USAGE = sorted((CC / "engage_usage").glob("*.csv"))
MEMBER = sorted((CC / "slack" / "member_analytics").glob("*.json.gz"))
OVERVIEW = CC / "slack" / "workspace_overview.csv"
EXPORT = CC / "viva_engage_export.zip"
XAPI = CC / "xapi" / "statements.jsonl.gz"


def run_import(fmt: str, files, out: Path, *extra: str) -> int:
    return main(["import", fmt, *map(str, files), "--launch", LAUNCH, "--out", str(out), "--quiet", *extra])


def observed(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "observed.csv")


def same_as_truth(table: pd.DataFrame, columns, weeks=None) -> None:
    truth = TRUTH if weeks is None else TRUTH[TRUTH["week"].isin(weeks)]
    got = table.set_index("week").loc[truth["week"]]
    for c in columns:
        assert got[c].tolist() == truth[c].tolist(), c


# ------------------------------------------------------------------------------------------------
# Each fixture read as exported
# ------------------------------------------------------------------------------------------------


def test_engage_export_gives_the_true_posts_threads_replies_and_first_posters(tmp_path):
    out = tmp_path / "engage"
    assert run_import("engage-export", [EXPORT], out, "--hr", str(HR)) == 0
    t = observed(out)
    assert t["week"].tolist() == list(range(1, 13))
    same_as_truth(t, ["posters", "posts", "replies", "threads", "first_posters", "joiners", "leavers", "headcount"])
    # whether a first post got a reply needs the following week: the last week is left empty
    same_as_truth(t, ["first_posters_replied"], weeks=range(1, 12))
    assert t["first_posters_replied"].isna().iloc[-1]
    # the export holds what people wrote, not what they read: empty, never zero
    assert t["active_users"].isna().all()
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names == [
        "hr_weekly.csv",
        "import.json",
        "observed.csv",
        "quality.json",
        "quality.md",
        "reply_graph.csv",
        "scenario.yaml",
    ]
    q = json.loads((out / "quality.json").read_text())
    assert q["gaps"] == [] and q["partial_weeks"] == []
    assert q["counted"]["system messages left out"] == 4
    graph = pd.read_csv(out / "reply_graph.csv")
    assert list(graph.columns) == ["source", "target"] and len(graph) == q["reply_graph"]["ties"] > 0


def test_with_hr_the_import_writes_a_scenario_of_the_organisation_in_numbers_only(tmp_path):
    from ecosim.scenario import load_scenario

    out = tmp_path / "slack"
    assert run_import("slack", [OVERVIEW], out, "--hr", str(HR)) == 0
    text = (out / "scenario.yaml").read_text()
    sc = load_scenario(out / "scenario.yaml")
    assert sc.organisation.stores == 131 and 14 < sc.organisation.staff_per_store < 17
    assert sc.organisation.regions == 4 and 0.2 < sc.turnover.annual_rate < 0.35
    assert sc.organisation.unit_word == "unit"
    assert "team 1" not in text and "site 1" not in text and "CC1" not in text  # no unit, site or person named
    assert not (tmp_path / "plain").exists()
    assert run_import("slack", [OVERVIEW], tmp_path / "plain") == 0
    assert not (tmp_path / "plain" / "scenario.yaml").exists()


def test_engage_export_without_hr_reads_joiners_leavers_and_headcount_from_users_csv(tmp_path):
    out = tmp_path / "engage"
    assert run_import("engage-export", [EXPORT], out) == 0
    t = observed(out)
    assert t["headcount"].notna().all()
    assert (t["headcount"] >= TRUTH["headcount"]).all()  # accounts: staff and facilitators
    assert not (out / "hr_weekly.csv").exists()


def test_engage_usage_reports_give_posts_every_week_and_people_in_the_weeks_of_the_user_detail(tmp_path):
    out = tmp_path / "usage"
    assert run_import("engage-usage", USAGE, out, "--hr", str(HR)) == 0
    t = observed(out)
    same_as_truth(t, ["posts", "joiners", "leavers", "headcount"])
    same_as_truth(t, ["active_users", "posters"], weeks=[11, 12])
    assert t.loc[t["week"] <= 10, ["active_users", "posters"]].isna().all().all()
    assert t[["replies", "threads", "first_posters_replied"]].isna().all().all()
    q = json.loads((out / "quality.json").read_text())
    assert "daily_unique_users" in q
    assert any("6 day(s) before the launch" in n for n in q["notes"])


def test_slack_overview_gives_weekly_active_members_and_posters(tmp_path):
    out = tmp_path / "slack"
    assert run_import("slack", [OVERVIEW], out, "--hr", str(HR)) == 0
    t = observed(out)
    same_as_truth(t, ["active_users", "posters", "posts", "headcount"])
    assert t[["replies", "first_posters"]].isna().all().all()


def test_slack_member_analytics_of_week_one_give_people_and_leave_out_guests(tmp_path):
    out = tmp_path / "members"
    assert run_import("slack", MEMBER, out, "--hr", str(HR)) == 0
    t = observed(out)
    assert len(t) == 1
    same_as_truth(t, ["active_users", "posters", "posts", "first_posters", "headcount"], weeks=[1])
    q = json.loads((out / "quality.json").read_text())
    assert q["counted"]["guest accounts left out"] == 3


def test_xapi_statements_of_two_weeks_give_replies_and_first_posters(tmp_path):
    out = tmp_path / "xapi"
    assert run_import("xapi", [XAPI], out, "--hr", str(HR)) == 0
    t = observed(out)
    assert len(t) == 2
    same_as_truth(t, ["active_users", "posters", "posts", "replies", "threads", "first_posters"], weeks=[1, 2])
    same_as_truth(t, ["first_posters_replied"], weeks=[1])
    q = json.loads((out / "quality.json").read_text())
    assert q["counted"]["voided statements left out"] == 1


def test_a_verb_mapping_changes_what_counts_as_a_post(tmp_path):
    verbs = tmp_path / "verbs.yaml"
    verbs.write_text("visit: all\npost: [shared]\n")
    out = tmp_path / "xapi"
    assert run_import("xapi", [XAPI], out, "--verbs", str(verbs)) == 0
    t = observed(out)
    assert (t["posts"] == 0).all() and (t["active_users"] > 0).all()


def test_the_same_key_file_gives_the_same_pseudonyms(tmp_path):
    key = tmp_path / "secret" / "import.key"
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert run_import("xapi", [XAPI], a, "--key", str(key)) == 0
    assert key.stat().st_mode & 0o077 == 0
    assert run_import("xapi", [XAPI], b, "--key", str(key)) == 0
    assert run_import("xapi", [XAPI], c) == 0
    ga, gb, gc = (pd.read_csv(d / "reply_graph.csv") for d in (a, b, c))
    assert ga.equals(gb)
    assert set(ga["source"]).isdisjoint(set(gc["source"]))  # a new key: other pseudonyms


def test_the_key_file_may_not_be_inside_the_output_folder(tmp_path, capsys):
    out = tmp_path / "out"
    assert run_import("xapi", [XAPI], out, "--key", str(out / "k")) == 2
    assert "--key" in capsys.readouterr().err
    assert not out.exists()


def test_an_earlier_import_is_replaced_only_with_force(tmp_path, capsys):
    out = tmp_path / "out"
    assert run_import("slack", [OVERVIEW], out) == 0
    assert run_import("slack", [OVERVIEW], out) == 2
    assert "--force" in capsys.readouterr().err
    assert run_import("slack", [OVERVIEW], out, "--force") == 0


# ------------------------------------------------------------------------------------------------
# Malformed files: one line naming the file, the row and the column, and what is allowed; exit 2
# ------------------------------------------------------------------------------------------------


def _text(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8-sig")


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _edit(rows: list[list[str]], column: str, row: int, value: str) -> list[list[str]]:
    out = [list(r) for r in rows]
    out[row][out[0].index(column)] = value
    return out


def _drop(rows: list[list[str]], column: str) -> list[list[str]]:
    i = rows[0].index(column)
    return [r[:i] + r[i + 1 :] for r in rows]


COUNTS = _rows(_text(CC / "engage_usage" / "YammerActivityCounts.csv"))[:30]
DETAIL = _rows(_text(USAGE[-1]))[:40]
OVER = _rows(_text(OVERVIEW))[:30]
MESSAGES = _rows(zipfile.ZipFile(EXPORT).read("Messages.csv").decode("utf-8-sig"))[:200]
USERS = _rows(zipfile.ZipFile(EXPORT).read("Users.csv").decode("utf-8-sig"))[:200]
MEMBER_LINES = _text(MEMBER[0]).splitlines()[:50]
STATEMENTS = _text(XAPI).splitlines()[:200]


def _zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _statement(i: int, **change) -> str:
    obj = json.loads(STATEMENTS[i])
    for k, v in change.items():
        if v is None:
            obj.pop(k, None)
        else:
            obj[k] = v
    return json.dumps(obj)


def _variants():
    """(format, id, files: {name: bytes | text}, fragments the message must hold)."""
    c, d = COUNTS, DETAIL
    usage = [
        ("wrong columns", {"counts.csv": _csv(_drop(c, "Posted"))}, ["counts.csv:1", "'Posted'", "allowed:"]),
        ("bad date", {"counts.csv": _csv(_edit(c, "Report Date", 3, "2025-02-30"))}, ["counts.csv:4", "Report Date"]),
        ("US date", {"counts.csv": _csv(_edit(c, "Report Date", 2, "31/01/2025"))}, ["counts.csv:3", "Report Date"]),
        ("negative", {"counts.csv": _csv(_edit(c, "Posted", 5, "-3"))}, ["counts.csv:6", "Posted", "negative"]),
        (
            "latin-1",
            {"counts.csv": _csv(c).encode("utf-8") + "Zoë,1,1,1,2025-01-01,90\n".encode("latin-1")},
            ["counts.csv:31: Report Refresh Date:", "UTF-8"],
        ),
        ("truncated", {"counts.csv": _csv(c)[:-9]}, ["counts.csv:30", "cells", "allowed:"]),
        (
            "day twice",
            {"counts.csv": _csv(c + [_edit(c, "Posted", 4, "999")[4]])},
            ["counts.csv:31", "Posted", "one count per day"],
        ),
        (
            "30-day detail",
            {"detail.csv": _csv(_edit(d, "Report Period", 7, "30"))},
            ["detail.csv:8", "Report Period", "allowed: 7"],
        ),
        ("user twice", {"detail.csv": _csv(d + [d[3]])}, ["detail.csv:41", "User Principal Name", "not shown"]),
        (
            "bad state",
            {"detail.csv": _csv(_edit(d, "User State", 2, "Gone"))},
            ["detail.csv:3", "User State", "Activated"],
        ),
        (
            "mixed windows",
            {"detail.csv": _csv(_edit(d, "Report Refresh Date", 9, "2025-03-23"))},
            ["detail.csv:10", "Report Refresh Date"],
        ),
        (
            "column twice",
            {"counts.csv": _csv([c[0] + ["Posted"]] + [r + ["1"] for r in c[1:]])},
            ["counts.csv:1", "Posted", "twice"],
        ),
    ]
    m, u = MESSAGES, USERS
    users = _csv(u)
    export = [
        ("truncated zip", {"export.zip": "TRUNCATED"}, ["export.zip", "truncated", "allowed:"]),
        ("not a zip", {"export.zip": b"id,thread_id\n1,1\n"}, ["export.zip", "not a ZIP", "allowed:"]),
        ("no Messages.csv", {"export.zip": {"Users.csv": users}}, ["export.zip", "Messages.csv", "allowed:"]),
        (
            "wrong columns",
            {"export.zip": {"Messages.csv": _csv(_drop(m, "sender_id"))}},
            ["Messages.csv:1", "'sender_id'", "allowed:"],
        ),
        (
            "bad time",
            {"export.zip": {"Messages.csv": _csv(_edit(m, "created_at", 5, "yesterday"))}},
            ["Messages.csv:6", "created_at", "ISO 8601"],
        ),
        (
            "bad id",
            {"export.zip": {"Messages.csv": _csv(_edit(m, "id", 7, "abc"))}},
            ["Messages.csv:8", "id", "numeric id"],
        ),
        (
            "message twice",
            {"export.zip": {"Messages.csv": _csv(m + [m[3]])}},
            ["Messages.csv:201", "id", "appears twice"],
        ),
        (
            "latin-1",
            {"export.zip": {"Messages.csv": _csv(m).encode("utf-8")[:-1] + "é\n".encode("latin-1")}},
            ["Messages.csv:200: gdpr_delete_url:", "UTF-8"],
        ),
        (
            "user twice",
            {"export.zip": {"Messages.csv": _csv(m), "Users.csv": _csv(u + [u[5]])}},
            ["Users.csv:201", "id", "not shown"],
        ),
        (
            "bad joined_at",
            {
                "export.zip": {
                    "Messages.csv": _csv(m),
                    "Users.csv": _csv(_edit(u, "joined_at", 4, "2025-13-01T00:00:00Z")),
                }
            },
            ["Users.csv:5", "joined_at"],
        ),
        (
            "bad flag",
            {"export.zip": {"Messages.csv": _csv(_edit(m, "in_private_conversation", 2, "yes"))}},
            ["Messages.csv:3", "in_private_conversation", "true or false"],
        ),
    ]
    o, lines = OVER, MEMBER_LINES
    member_gz = gzip.compress(("\n".join(lines) + "\n").encode())

    def member(i: int, **change) -> list[str]:
        obj = json.loads(lines[i])
        obj.update(change)
        for k, v in change.items():
            if v is None:
                obj.pop(k)
        return lines[:i] + [json.dumps(obj)] + lines[i + 1 :]

    slack = [
        ("no Date", {"overview.csv": _csv(_drop(o, "Date"))}, ["overview.csv:1", "'Date'", "allowed:"]),
        ("bad date", {"overview.csv": _csv(_edit(o, "Date", 4, "2025-01-32"))}, ["overview.csv:5", "Date", "M/D/YYYY"]),
        (
            "posters above active",
            {"overview.csv": _csv(_edit(o, "Weekly members posting messages", 3, "99999"))},
            ["overview.csv:4: Weekly members posting messages:", "allowed: at most the Weekly active members"],
        ),
        (
            "day twice",
            {"overview.csv": _csv(o + [_edit(o, "Messages posted", 2, "1")[2]])},
            ["overview.csv:31", "Date", "one row per day"],
        ),
        (
            "fraction",
            {"overview.csv": _csv(_edit(o, "Weekly active members", 6, "12.5"))},
            ["overview.csv:7", "Weekly active members", "whole number"],
        ),
        (
            "latin-1",
            {"overview.csv": _csv(o).encode() + "2025-02-05,Zoë\n".encode("latin-1")},
            ["overview.csv:31: Total membership:", "UTF-8"],
        ),
        ("truncated gzip", {"day.json.gz": member_gz[: len(member_gz) // 2]}, ["day.json.gz", "truncated", "allowed:"]),
        ("broken line", {"day.json": "\n".join(lines[:10] + [lines[10][:40]] + lines[11:])}, ["day.json:11", "JSON"]),
        ("no is_active", {"day.json": "\n".join(member(4, is_active=None))}, ["day.json:5", "is_active", "missing"]),
        (
            "member day twice",
            {"day.json": "\n".join(lines + member(2, channel_messages_posted_count=7)[2:3])},
            ["day.json:51", "messages_posted_count", "not shown"],
        ),
        (
            "bad count",
            {"day.json": "\n".join(member(6, messages_posted_count=-1))},
            ["day.json:7", "messages_posted_count", "negative"],
        ),
        (
            "error answer",
            {"day.json": '{"ok": false, "error": "file_not_yet_available"}'},
            ["day.json:1", "error answer", "allowed:"],
        ),
    ]
    s = STATEMENTS
    xapi = [
        (
            "no identifier",
            {"st.json": "\n".join(s[:3] + [_statement(3, actor={"objectType": "Agent", "name": "X"})] + s[4:])},
            ["st.json:4", "actor", "exactly one identifier"],
        ),
        (
            "two identifiers",
            {
                "st.json": "\n".join(
                    s[:5]
                    + [_statement(5, actor={"mbox": "mailto:a@b.example", "openid": "http://x.example/a"})]
                    + s[6:]
                )
            },
            ["st.json:6", "actor"],
        ),
        (
            "bad mbox",
            {"st.json": "\n".join(s[:7] + [_statement(7, actor={"mbox": "a@b.example"})] + s[8:])},
            ["st.json:8", "actor", "mailto"],
        ),
        (
            "bad verb",
            {"st.json": "\n".join(s[:8] + [_statement(8, verb={"id": "commented"})] + s[9:])},
            ["st.json:9", "verb.id", "IRI"],
        ),
        (
            "bad time",
            {"st.json": "\n".join(s[:9] + [_statement(9, timestamp="06/01/2025 08:00")] + s[10:])},
            ["st.json:10", "timestamp", "ISO 8601"],
        ),
        (
            "no time",
            {"st.json": "\n".join(s[:10] + [_statement(10, timestamp=None)] + s[11:])},
            ["st.json:11", "timestamp"],
        ),
        (
            "id twice",
            {"st.json": "\n".join(s + [_statement(2, verb={"id": "http://adlnet.gov/expapi/verbs/shared"})])},
            ["st.json:201", "id", "appears again"],
        ),
        ("truncated array", {"st.json": "[" + ",".join(s[:20])[:-30]}, ["st.json:1", "truncated", "allowed:"]),
        (
            "truncated gzip",
            {"st.jsonl.gz": gzip.compress("\n".join(s).encode())[:3000]},
            ["st.jsonl.gz", "truncated", "allowed:"],
        ),
        (
            "latin-1",
            {
                "st.json": "\n".join(s[:50]).encode()
                + b"\n"
                + _statement(50).replace("Agent", "Ag\u00e9nt").encode("latin-1")
            },
            ["st.json:51", "UTF-8"],
        ),
        ("not an object", {"st.json": "[1, 2]"}, ["st.json", "[0]", "allowed:"]),
        (
            "no verb",
            {"st.json": "\n".join(s[:11] + [_statement(11, verb=None)] + s[12:])},
            ["st.json:12", "verb", "missing"],
        ),
    ]
    for fmt, cases in (("engage-usage", usage), ("engage-export", export), ("slack", slack), ("xapi", xapi)):
        for name, files, fragments in cases:
            yield pytest.param(fmt, files, fragments, id=f"{fmt}-{name}")


def _materialise(tmp_path: Path, files: dict) -> list[Path]:
    paths = []
    for name, data in files.items():
        p = tmp_path / name
        if isinstance(data, dict):
            _zip(p, data)
        elif data == "TRUNCATED":
            whole = EXPORT.read_bytes()
            p.write_bytes(whole[: len(whole) * 2 // 3])
        else:
            p.write_bytes(data.encode() if isinstance(data, str) else data)
        paths.append(p)
    return paths


def _refused(capsys, code: int, out: Path, fragments) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    assert not out.exists(), "nothing is written for a refused import"
    return lines[0]


@pytest.mark.parametrize(("fmt", "files", "fragments"), list(_variants()))
def test_a_malformed_file_is_refused_on_one_line_and_nothing_is_written(tmp_path, capsys, fmt, files, fragments):
    paths = _materialise(tmp_path, files)
    out = tmp_path / "out"
    line = _refused(capsys, run_import(fmt, paths, out), out, fragments)
    for secret in ("contoso-contact.example", "a@b.example", "Zo"):
        assert secret not in line  # no message repeats an e-mail address or a name


def test_each_format_refuses_at_least_ten_malformed_variants():
    by_format: dict[str, int] = {}
    for p in _variants():
        by_format[p.values[0]] = by_format.get(p.values[0], 0) + 1
    assert set(by_format) == {"engage-usage", "engage-export", "slack", "xapi"}
    assert min(by_format.values()) >= 10, by_format


def _hr_rows() -> list[list[str]]:
    return _rows(HR.read_text(encoding="utf-8"))[:100]


HR_VARIANTS = [
    ("no start_date", lambda h: _drop(h, "start_date"), ["hr.csv:1", "'start_date'", "allowed:"]),
    ("bad start", lambda h: _edit(h, "start_date", 4, "2020-02-30"), ["hr.csv:5", "start_date", "YYYY-MM-DD"]),
    ("end before start", lambda h: _edit(h, "end_date", 6, "2001-01-01"), ["hr.csv:7", "end_date", "on or after"]),
    ("id twice", lambda h: h + [h[3]], ["hr.csv:101", "employee_id", "not shown"]),
    ("empty e-mail", lambda h: _edit(h, "email", 8, ""), ["hr.csv:9", "email", "allowed:"]),
    ("not an e-mail", lambda h: _edit(h, "email", 9, "someone"), ["hr.csv:10", "email"]),
]


@pytest.mark.parametrize(("edit", "fragments"), [pytest.param(e, f, id=n) for n, e, f in HR_VARIANTS])
def test_a_malformed_hr_file_is_refused(tmp_path, capsys, edit, fragments):
    hr = tmp_path / "hr.csv"
    hr.write_text(_csv(edit(_hr_rows())))
    out = tmp_path / "out"
    line = _refused(capsys, run_import("slack", [OVERVIEW], out, "--hr", str(hr)), out, fragments)
    assert "CC1" not in line and "contoso" not in line


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--launch", "2025-13-01"], "--launch"),
        (["--until", "2024-01-01"], "--until"),
        (["--verbs", "v.yaml"], "--verbs"),
    ],
)
def test_bad_flags_are_refused_before_anything_is_written(tmp_path, capsys, args, fragment):
    out = tmp_path / "out"
    code = main(["import", "slack", str(OVERVIEW), "--out", str(out), *args])
    _refused(capsys, code, out, [fragment])


# ------------------------------------------------------------------------------------------------
# calibrate reads the imported folder
# ------------------------------------------------------------------------------------------------


def test_calibrate_accepts_the_imported_folder(tmp_path, capsys):
    imported = tmp_path / "imported"
    assert run_import("engage-export", [EXPORT], imported, "--hr", str(HR)) == 0
    cal = tmp_path / "cal"
    code = main(
        [
            "calibrate",
            str(CC / "contact_centre_synthetic.yaml"),
            "--observed",
            str(imported),
            "--fit",
            "goals.mean_alignment",
            "--population",
            "60",
            "--particles",
            "10",
            "--generations",
            "1",
            "--draws",
            "10",
            "--out",
            str(cal),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "ecosim import of engage-export data" in captured.err
    assert "ignored" not in captured.err  # the import's other columns are not noise
    settings = json.loads((cal / "calibration_settings.json").read_text())
    # the export gives posters and posts, not visits: those two statistics, all twelve weeks
    assert sorted(settings["observed"]) == ["contributor_share", "posts_per_head"]
    assert all(len(w) == 12 for w, _ in settings["observed"].values())


def test_calibrate_refuses_a_folder_that_is_not_an_import(tmp_path, capsys):
    folder = tmp_path / "notes"
    folder.mkdir()
    code = main(
        [
            "calibrate",
            str(CC / "contact_centre_synthetic.yaml"),
            "--observed",
            str(folder),
            "--fit",
            "goals.mean_alignment",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "not a folder written by ecosim import" in err and len(err.strip().splitlines()) == 1


def test_an_observed_table_whose_counts_are_all_empty_is_refused():
    from ecosim.calibrate.observed import parse_observed
    from ecosim.errors import InputError

    with pytest.raises(InputError, match="every cell of active_users, posts is empty"):
        parse_observed("week,active_users,posts,headcount\n1,,,10\n2,,,10\n", file="o.csv")
    obs = parse_observed("week,active_users,posts,headcount\n1,,3,10\n2,,4,10\n", file="o.csv")
    assert sorted(obs.statistics()) == ["posts_per_head"]  # an empty column compares nothing
