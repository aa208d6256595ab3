"""xAPI statements from a Learning Record Store: a JSON array, a StatementResult, or JSON lines.

Statements are read by small pydantic models of ecosim's own (not a conformance validator: exports
carry unknown keys, empty names and xAPI 2.0 versions, which ecosim tolerates). What ecosim needs of
a statement: its ``id``, the actor's identifier (exactly one of ``mbox``, ``mbox_sha1sum``,
``openid``, ``account``), the verb's IRI, the object (a ``StatementRef`` makes a reply), the
``context.statement`` it answers, and its ``timestamp`` (else ``stored``).

What each verb means is a mapping (:data:`DEFAULT_VERBS`; ``--verbs FILE`` to change it):

- ``visit``: statements that show the person was on the platform (``all``: every verb not ignored);
- ``post``: statements that are posts; a post that refers to another statement (``context.statement``,
  or an ``object`` of type ``StatementRef``) is a reply to that statement's actor;
- ``ignore``: statements that count for nothing.

``voided`` statements cancel the statement they name, and both are left out. Learning Locker's
documents (each statement under ``statement``) are unwrapped. Actors' names are never read.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Sequence
from typing import Any, ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ecosim.errors import InputError, did_you_mean
from ecosim.imports.fields import TIME, Time
from ecosim.imports.privacy import Pseudonymiser
from ecosim.imports.source import json_records, read_bytes, row_error
from ecosim.imports.weekly import FileRead, Parsed

FORMAT = "xapi"
ADL = "http://adlnet.gov/expapi/verbs/"
VOIDED = ADL + "voided"
WHAT = 'xAPI statements: a JSON array, a StatementResult ({"statements": [...]}) or one statement per line'
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")

#: The default meaning of verbs (short names are ADL verbs: ``commented`` is ``http://adlnet.gov/expapi/verbs/commented``).
DEFAULT_VERBS: dict[str, Any] = {
    "visit": "all",
    "post": ["commented", "shared", "asked", "http://id.tincanapi.com/verb/replied"],
    "ignore": [],
}


class VerbMap(BaseModel):
    """What each verb means for ecosim (a ``--verbs`` file)."""

    model_config = ConfigDict(extra="forbid")

    visit: str | list[str] = Field("all", description="'all' (every verb not ignored) or a list of verbs")
    post: list[str] = Field(default_factory=lambda: list(DEFAULT_VERBS["post"]), description="verbs that are posts")
    ignore: list[str] = Field(default_factory=list, description="verbs that count for nothing")

    @field_validator("visit")
    @classmethod
    def _all(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, str) and v != "all":
            raise ValueError("'all' or a list of verbs")
        return v

    def iris(self) -> tuple[set[str] | None, set[str], set[str]]:
        """The visit (None: every verb), post and ignore verbs as IRIs."""
        visit = None if self.visit == "all" else {_iri(v) for v in self.visit}
        return visit, {_iri(v) for v in self.post}, {_iri(v) for v in self.ignore}


def _iri(verb: str) -> str:
    verb = verb.strip()
    return verb if ":" in verb else ADL + verb


def read_verbs(path: str | os.PathLike[str]) -> VerbMap:
    """Read a verb mapping (YAML: ``visit``, ``post``, ``ignore``), refusing unknown keys with file and line."""
    from ecosim.scenario.loader import read_yaml_mapping

    data, marks = read_yaml_mapping(path, what="verb mapping")
    try:
        return VerbMap.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        mark = marks.get(loc[:1]) if loc else None
        name = str(loc[0]) if loc else None
        hint = did_you_mean(name, VerbMap.model_fields) if err.get("type") == "extra_forbidden" and name else None
        raise InputError(
            "unknown key"
            if err.get("type") == "extra_forbidden"
            else str(err.get("msg", "invalid")).removeprefix("Value error, "),
            file=str(path),
            line=mark[1] if mark else None,
            key=name,
            hint=hint,
            allowed="visit: all or a list of verbs; post: a list; ignore: a list",
        ) from None


class Account(BaseModel):
    """An actor's account on a system."""

    model_config = ConfigDict(extra="ignore")
    homePage: str = Field(..., min_length=1)  # noqa: N815 - xAPI's names
    name: str = Field(..., min_length=1)


class Actor(BaseModel):
    """An Agent (or an identified Group), known by exactly one inverse functional identifier."""

    model_config = ConfigDict(extra="ignore")

    objectType: str | None = None  # noqa: N815
    mbox: str | None = None
    mbox_sha1sum: str | None = None
    openid: str | None = None
    account: Account | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> Actor:
        given = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if getattr(self, k) not in (None, "")]
        if len(given) != 1:
            raise ValueError(
                "not exactly one identifier"
                + (f" ({', '.join(given)})" if given else " (an anonymous group, or none given)")
            )
        if self.mbox and not (self.mbox.lower().startswith("mailto:") and "@" in self.mbox):
            raise ValueError("mbox: not a mailto: address")
        if self.mbox_sha1sum and not SHA1.match(self.mbox_sha1sum):
            raise ValueError("mbox_sha1sum: not 40 hexadecimal digits")
        return self


class Verb(BaseModel):
    """A verb: its IRI."""

    model_config = ConfigDict(extra="ignore")
    id: str

    @field_validator("id")
    @classmethod
    def _iri(cls, v: str) -> str:
        if not IRI.match(v):
            raise ValueError("not an IRI (e.g. http://adlnet.gov/expapi/verbs/commented)")
        return v


class Ref(BaseModel):
    """An object, or a context's statement reference: its type and id."""

    model_config = ConfigDict(extra="ignore")
    objectType: str | None = None  # noqa: N815
    id: str | None = None


class Context(BaseModel):
    """The part of a context ecosim reads: the statement it refers to."""

    model_config = ConfigDict(extra="ignore")
    statement: Ref | None = None


class Statement(BaseModel):
    """An xAPI statement (the fields ecosim reads; everything else is ignored)."""

    model_config = ConfigDict(extra="ignore")
    personal: ClassVar[tuple[str, ...]] = ("actor",)
    personal_root: ClassVar[str] = "actor"

    id: str | None = Field(None, description="a UUID")
    actor: Actor = Field(..., description="an Agent with one of mbox, mbox_sha1sum, openid, account")
    verb: Verb = Field(..., description="an object with an IRI id")
    object: Ref = Field(..., description="an object (Activity, Agent or StatementRef)")
    context: Context | None = None
    timestamp: Time = Field(None, description=TIME)
    stored: Time = Field(None, description=TIME)
    version: str | None = None

    @model_validator(mode="after")
    def _when(self) -> Statement:
        if self.timestamp is None and self.stored is None:
            raise ValueError("timestamp: missing, and no stored time either")
        return self

    def refers_to(self) -> str | None:
        """The statement this one answers, if any."""
        if self.object.objectType == "StatementRef" and self.object.id:
            return self.object.id
        if self.context is not None and self.context.statement is not None:
            return self.context.statement.id
        return None


def _person(actor: Actor, pseudo: Pseudonymiser, unmatchable: set[str]) -> str:
    if actor.mbox:
        return pseudo.email(actor.mbox)
    if actor.mbox_sha1sum:
        return pseudo.mailbox_sha1(actor.mbox_sha1sum)
    if actor.openid:
        p = pseudo.person("xapi-openid", actor.openid)
    else:
        assert actor.account is not None
        p = pseudo.person("xapi-account", f"{actor.account.homePage}|{actor.account.name}")
    unmatchable.add(p)
    return p


def read(files: Sequence[str | os.PathLike[str]], pseudo: Pseudonymiser, verbs: VerbMap | None = None) -> Parsed:
    """Read xAPI statements from one or more files."""
    verbs = verbs or VerbMap()
    visit, post, ignore = verbs.iris()
    parsed = Parsed(FORMAT)
    statements: dict[str, tuple[Statement, str, str]] = {}
    raw: dict[str, str] = {}
    voided: set[str] = set()
    n_auto = 0
    for path in files:
        src = read_bytes(path, what="xAPI file")
        n = 0
        for line, where, obj in json_records(src, what=WHAT):
            if isinstance(obj, dict) and isinstance(obj.get("statement"), dict) and "actor" not in obj:
                obj = obj["statement"]  # a Learning Locker document
            if not isinstance(obj, dict):
                raise InputError(
                    "not a statement (a JSON object)", file=src.name, line=line, key=where or None, allowed=WHAT
                )
            try:
                st = Statement.model_validate(obj)
            except ValidationError as exc:
                raise row_error(
                    Statement, exc, file=src.name, line=line, key_prefix=f"{where}." if where else ""
                ) from None
            n += 1
            sid = st.id
            if sid is None:
                n_auto += 1
                sid = f"~{n_auto}"
            text = json.dumps(obj, sort_keys=True)
            if sid in statements:
                if raw[sid] != text:
                    raise InputError(
                        "the statement id appears again with other content",
                        file=src.name,
                        line=line,
                        key=(where + "." if where else "") + "id",
                        value=sid,
                        allowed="each statement once, or the same statement in overlapping exports",
                    )
                parsed.count("statements found again (duplicates dropped)")
                continue
            statements[sid] = (st, src.name, where)
            raw[sid] = text
            if st.verb.id == VOIDED and st.object.id:
                voided.add(st.object.id)
        parsed.files.append(FileRead(src.name, len(src.data), n))
    activity: dict[tuple[str, dt.date], list[int]] = {}
    messages = []
    actor_of: dict[str, str] = {}
    kept: list[tuple[str, Statement, str, dt.date, dt.datetime]] = []
    for sid, (st, _, _) in statements.items():
        if st.verb.id == VOIDED:
            parsed.count("voiding statements left out")
            continue
        if sid in voided:
            parsed.count("voided statements left out")
            continue
        if st.verb.id in ignore:
            parsed.count("statements with an ignored verb")
            continue
        person = _person(st.actor, pseudo, parsed.unmatchable)
        when = st.timestamp or st.stored
        assert when is not None
        actor_of[sid] = person
        kept.append((sid, st, person, when.date(), when))
    if not kept:
        raise InputError("no statement is left to count (all voided or ignored)", file=parsed.files[0].name)
    unmapped = 0
    for sid, st, person, day, when in kept:
        is_post = st.verb.id in post
        is_visit = visit is None or st.verb.id in visit or is_post
        if not (is_post or is_visit):
            unmapped += 1
            continue
        rec = activity.setdefault((person, day), [0, 0])
        rec[0] = 1
        if is_post:
            rec[1] += 1
            to = st.refers_to()
            messages.append((sid, person, day, when, None if to else sid, to, to is not None))
            target = actor_of.get(to) if to else None
            if target is not None and target != person:
                parsed.edges.append((person, target))
    parsed.count("statements whose verb is neither a visit nor a post (left out)", unmapped)
    parsed.activity = pd.DataFrame(
        [(p, d, d, True, r[1] > 0, r[1]) for (p, d), r in activity.items()],
        columns=["person", "first_day", "last_day", "active", "posted", "posts"],
    )
    first = min(d for _, _, _, d, _ in kept)
    last = max(d for _, _, _, d, _ in kept)
    parsed.covered = {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}
    parsed.event_log = True
    parsed.people_start = first
    if messages:
        parsed.messages = pd.DataFrame(
            messages, columns=["id", "person", "day", "time", "thread", "replied_to", "reply"]
        )
        parsed.messages["replied_to"] = parsed.messages["replied_to"].astype(object)
    else:
        parsed.notes.append("no statement is a post (see the verb mapping): posts and posters are zero")
    parsed.sources.update(
        {
            "active_users": "actors of statements whose verb is a visit or a post",
            "posters": "actors of statements whose verb is a post",
            "posts": "statements whose verb is a post",
            "replies": "posts that refer to another statement (context.statement or a StatementRef object)",
            "threads": "posts that refer to no other statement",
            "first_posters": "each actor's first post",
            "first_posters_replied": "a reply by someone else to that first post by the end of the following week",
        }
    )
    for c in ("joiners", "leavers", "headcount"):
        parsed.missing[c] = "statements say what people did, not who works there (give --hr FILE)"
    return parsed
