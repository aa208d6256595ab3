"""No name, e-mail address or raw id from an export reaches any output of an import or of a calibration from it.

Every identifier in the synthetic fixtures (HR file, Viva Engage export and usage reports, Slack
member analytics, xAPI statements, pulse survey) is collected, every format is imported, a short
calibration is run from an imported folder and the pulse survey, and every file written (Parquet and SQLite read back as
text, gzip opened), everything printed and everything logged is searched for each of them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import re
import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import SCENARIOS

from ecosim.cli import main
from ecosim.imports.privacy import mailbox_sha1

CC = SCENARIOS / "observed" / "contact_centre"
HR = CC / "hr.csv"

#: Values that are not people even if they sit in an identifying column (e.g. an empty manager id).
NOT_PEOPLE = {""}


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def identifiers() -> set[str]:
    """Every name, e-mail address and account id in the fixtures, each at least 4 characters."""
    found: set[str] = set()

    def add(*values) -> None:
        for v in values:
            v = (v or "").strip()
            if v and v not in NOT_PEOPLE:
                found.add(v)
                if "@" in v:
                    found.add(v.lower())
                    found.add(v.split("@")[0])  # the mailbox's own name ('luca.lund')
                    found.add(mailbox_sha1(v))

    for row in _csv(HR.read_text(encoding="utf-8")):
        add(row["employee_id"], row["name"], row["email"], row["manager_id"])
    with zipfile.ZipFile(CC / "viva_engage_export.zip") as z:
        for row in _csv(z.read("Users.csv").decode("utf-8")):
            add(row["id"], row["name"], row["email"], row["guid"])
        for row in _csv(z.read("Messages.csv").decode("utf-8")):
            add(row["sender_id"], row["sender_name"], row["sender_email"])
    for path in (CC / "engage_usage").glob("*Detail*.csv"):
        for row in _csv(path.read_text(encoding="utf-8-sig")):
            add(row["User Principal Name"], row["Display Name"])
    for path in (CC / "slack" / "member_analytics").glob("*.json.gz"):
        for line in gzip.decompress(path.read_bytes()).decode().splitlines():
            obj = json.loads(line)
            add(obj.get("user_id"), obj.get("enterprise_user_id"), obj.get("email_address"))
    for line in gzip.decompress((CC / "xapi" / "statements.jsonl.gz").read_bytes()).decode().splitlines():
        actor = json.loads(line)["actor"]
        add(actor.get("name"), actor.get("mbox", "").removeprefix("mailto:"), actor.get("mbox_sha1sum"))
        add(actor.get("openid"), (actor.get("account") or {}).get("name"))
    for row in _csv((CC / "survey.csv").read_text(encoding="utf-8")):
        add(row["respondent"])
    return {v for v in found if len(v) >= 4}


def output_text(path: Path) -> str:
    """A written file as text to search: Parquet and SQLite read back, gzip opened, anything else as bytes."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv()
    if path.suffix == ".db":
        with sqlite3.connect(path) as db:
            return "\n".join(db.iterdump())
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("latin-1")


TOKEN = re.compile(r"[A-Za-z0-9@._+\-]{4,}")
NAME = re.compile(r"[A-Z][a-z]+ [A-Z][a-z]+")


def leaks(text: str, ids: set[str]) -> set[str]:
    """The identifiers found in ``text``: as whole tokens, as a 'First Last' name, or inside a longer token."""
    tokens = set(TOKEN.findall(text))
    hits = (tokens & ids) | (set(NAME.findall(text)) & ids)
    long_ids = [i for i in ids if "@" in i or len(i) >= 8]
    for t in tokens:
        if len(t) > 8:
            hits.update(i for i in long_ids if i in t and i != t and len(i) >= 8)
    return hits


@pytest.fixture(scope="module")
def ids() -> set[str]:
    found = identifiers()
    assert len(found) > 5000  # names, e-mail addresses and ids of some 2,000 people
    assert "luca.lund@contoso-contact.example" in found and "CC100001" in found and "Luca Lund" in found
    return found


def test_the_search_finds_an_identifier_where_there_is_one(ids):
    assert leaks("week,who\n1,CC100001\n", ids) == {"CC100001"}
    assert leaks("replied: Luca Lund said", ids) == {"Luca Lund"}
    assert "luca.lund@contoso-contact.example" in leaks("<luca.lund@contoso-contact.example>", ids)
    assert leaks("x=mailto:luca.lund@contoso-contact.example;", ids)


IMPORTS = [
    ("engage-export", [CC / "viva_engage_export.zip"]),
    ("engage-usage", sorted((CC / "engage_usage").glob("*.csv"))),
    ("slack", [CC / "slack" / "workspace_overview.csv"]),
    ("slack", sorted((CC / "slack" / "member_analytics").glob("*.json.gz"))),
    ("xapi", [CC / "xapi" / "statements.jsonl.gz"]),
]


def test_no_output_of_an_import_or_a_calibration_holds_an_identifier(ids, tmp_path, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    folders = []
    printed = []
    for i, (fmt, files) in enumerate(IMPORTS):
        out = tmp_path / f"import-{i}-{fmt}"
        code = main(["import", fmt, *map(str, files), "--hr", str(HR), "--launch", "2025-01-06", "--out", str(out)])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        printed += [captured.out, captured.err]
        folders.append(out)
    cal = tmp_path / "calibration"
    code = main(
        [
            "calibrate",
            str(CC / "contact_centre_synthetic.yaml"),
            "--observed",
            str(folders[0]),
            "--survey",
            str(CC / "survey.csv"),
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
    printed += [captured.out, captured.err]
    folders.append(cal)
    written = [p for f in folders for p in sorted(f.rglob("*")) if p.is_file()]
    assert len(written) >= 30
    assert {p.suffix for p in written} >= {".csv", ".json", ".md", ".parquet", ".db", ".png"}
    found = {}
    for p in written:
        hits = leaks(output_text(p), ids)
        if hits:
            found[str(p.relative_to(tmp_path))] = sorted(hits)[:5]
    for n, text in enumerate(printed + [caplog.text]):
        hits = leaks(text, ids)
        if hits:
            found[f"printed or logged #{n}"] = sorted(hits)[:5]
    assert not found, found
    # and the outputs are about people all the same: the reply graph holds pseudonyms
    graph = pd.read_csv(folders[0] / "reply_graph.csv")
    assert graph["source"].str.fullmatch(r"p[0-9a-f]{20}").all()
