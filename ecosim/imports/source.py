"""Reading export files with bounds: bytes, rows, ZIP members, gzip, text encodings, CSV and JSON lines.

Every file is read through here, so every bound holds for every format:

- a file (or a ZIP member, or a decompressed gzip stream) larger than :data:`MAX_BYTES` is refused;
- a table with more than :data:`MAX_ROWS` rows is refused;
- a ZIP with more than :data:`MAX_MEMBERS` members, or whose member would expand more than
  :data:`MAX_RATIO` times, is refused (a ZIP bomb), and a truncated ZIP or one with a bad checksum is
  refused naming the member;
- text must be UTF-8 (a byte-order mark is allowed, as Excel writes it) or UTF-16 with a byte-order
  mark; anything else is refused naming the line of the first bad byte.

Rows are checked by pydantic models (:func:`validate_row`), and any problem becomes one
:class:`~ecosim.errors.InputError` naming the file, the row, the column and what is allowed. Values of
columns that identify people are never repeated in a message (:data:`PERSONAL`).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ecosim.errors import InputError

#: The largest file (or ZIP member, or decompressed gzip stream) read: 2 GiB.
MAX_BYTES = 2 * 1024**3
#: The most rows (CSV rows, JSON lines, statements) read from one file.
MAX_ROWS = 20_000_000
#: The most members a ZIP may hold.
MAX_MEMBERS = 10_000
#: The most a ZIP member may expand (uncompressed over compressed size); CSV text compresses about 10 times.
MAX_RATIO = 200
#: The longest CSV field (Engage message bodies can be long; the csv module's default is 131,072).
MAX_FIELD = 1_000_000

#: What a message says instead of repeating a value that identifies a person.
HIDDEN = "the value is not shown: it identifies a person"


@dataclass(frozen=True)
class Source:
    """Bytes read from a file (or a member of a ZIP file), with the name used in messages."""

    name: str
    data: bytes

    def text(self) -> str:
        """The bytes decoded as UTF-8 (a byte-order mark allowed) or UTF-16 with a byte-order mark."""
        return decode(self.data, self.name)


def display_name(path: str | os.PathLike[str]) -> str:
    """The name of a file as messages and reports show it: its name, without the folders above it."""
    return Path(path).name or str(path)


def read_bytes(path: str | os.PathLike[str], *, what: str = "export file") -> Source:
    """The bytes of ``path`` (at most :data:`MAX_BYTES`), gzip-decompressed when they are gzip.

    Raises:
        InputError: the file is missing, not a file, unreadable, too large, empty or a broken gzip.
    """
    name = display_name(path)
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} not found", file=str(path))
    if not p.is_file():
        raise InputError(f"the {what} path is not a file", file=str(path))
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise InputError(
                f"the {what} is too large ({size:,} bytes)", file=name, allowed=f"at most {MAX_BYTES:,} bytes"
            )
        with open(p, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror}", file=str(path)) from None
    if len(data) > MAX_BYTES:
        raise InputError(f"the {what} is too large", file=name, allowed=f"at most {MAX_BYTES:,} bytes")
    if not data:
        raise InputError(f"the {what} is empty", file=name)
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data, name)
    return Source(name, data)


def gunzip(data: bytes, name: str) -> bytes:
    """Decompress gzip ``data``, refusing a truncated or corrupt stream and more than :data:`MAX_BYTES`."""
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while chunk := gz.read(1 << 20):
                out += chunk
                if len(out) > MAX_BYTES:
                    raise InputError(
                        "the gzip file expands to too much data", file=name, allowed=f"at most {MAX_BYTES:,} bytes"
                    )
    except (EOFError, OSError, zlib.error) as exc:
        raise InputError(
            f"a broken or truncated gzip file ({exc})", file=name, allowed="a whole .gz file as downloaded"
        ) from None
    if not out:
        raise InputError("the gzip file holds no data", file=name)
    return bytes(out)


def decode(data: bytes, name: str) -> str:
    """``data`` as text: UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark."""
    try:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be read)",
            file=name,
            line=line,
            allowed="UTF-8 text, as the service exports it (an edited CSV file: save it as 'CSV UTF-8')",
        ) from None


class Zip:
    """A ZIP file whose members are read with bounds (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        src = read_bytes(path, what="ZIP file")
        self.name = src.name
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(src.data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            raise InputError(
                f"not a ZIP file, or a truncated one ({exc})",
                file=self.name,
                allowed="the whole .zip file as downloaded",
            ) from None
        if len(infos) > MAX_MEMBERS:
            raise InputError(
                f"the ZIP file has {len(infos):,} members", file=self.name, allowed=f"at most {MAX_MEMBERS:,}"
            )
        self.members = {i.filename: i for i in infos if not i.is_dir()}

    def find(self, basename: str) -> list[str]:
        """Members named ``basename`` (case-insensitive), at the top level first."""
        found = [m for m in self.members if Path(m).name.lower() == basename.lower()]
        return sorted(found, key=lambda m: (m.count("/"), m))

    def read(self, member: str) -> Source:
        """The bytes of ``member``, checked against the bounds and its checksum."""
        info = self.members[member]
        name = f"{self.name}:{member}"
        if info.file_size > MAX_BYTES:
            raise InputError(
                f"the member expands to {info.file_size:,} bytes", file=name, allowed=f"at most {MAX_BYTES:,} bytes"
            )
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1 << 20:
            raise InputError(
                f"the member would expand {info.file_size / info.compress_size:,.0f} times (a ZIP bomb?)",
                file=name,
                allowed=f"at most {MAX_RATIO} times",
            )
        out = bytearray()
        try:
            with self._zip.open(info) as fh:
                while chunk := fh.read(1 << 20):
                    out += chunk
                    if len(out) > info.file_size or len(out) > MAX_BYTES:
                        raise InputError("the member is larger than the ZIP file says", file=name)
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError) as exc:
            raise InputError(
                f"a broken or truncated ZIP member ({exc})", file=name, allowed="the whole .zip file as downloaded"
            ) from None
        return Source(name, bytes(out))


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


@dataclass
class CsvTable:
    """A CSV file's header (stripped) and its rows, each as ``(line, {column: cell})``."""

    source: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


def read_csv(
    src: Source,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    what: str,
    personal: Sequence[str] = (),
) -> CsvTable:
    """Read ``src`` as CSV with a header naming at least ``required`` (other columns are kept, unchecked).

    Cells are stripped; blank rows are skipped. A header that lacks a column, or names one twice, a
    row with more or fewer cells than the header (a truncated file), more than :data:`MAX_ROWS` rows,
    or a malformed quote is refused naming the file and line.

    Args:
        src: the file's bytes.
        required: columns the header must have.
        optional: columns that may be there (named in the message about missing columns).
        what: what the file should be, for messages ("a Viva Engage activity counts report").
        personal: columns whose values identify people (never repeated in a message).
    """
    try:
        text = src.text()
    except InputError as exc:
        column = _bad_byte_column(src.data)
        if column is not None and exc.key is None:
            exc.key = column
            exc.args = (exc.message(),)
        raise
    if not text.strip():
        raise InputError("the file is empty", file=src.name, allowed=f"{what}, with a header row")
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header_row = next(reader)
        while not any(c.strip() for c in header_row):
            header_row = next(reader)
    except StopIteration:
        raise InputError("the file is empty", file=src.name, allowed=f"{what}, with a header row") from None
    except csv.Error as exc:
        raise InputError(f"not a readable CSV file ({exc})", file=src.name, line=reader.line_num) from None
    header = [h.strip() for h in header_row]
    header_line = reader.line_num
    columns = ", ".join(list(required) + list(optional))
    seen = set()
    for h in header:
        if h and h in seen:
            raise InputError("the column appears twice", file=src.name, line=header_line, key=h, allowed="each once")
        seen.add(h)
    missing = [c for c in required if c not in seen]
    if missing:
        raise InputError(
            f"the header lacks column(s) {', '.join(repr(m) for m in missing)}: this is not {what}",
            file=src.name,
            line=header_line,
            value=",".join(header)[:200],
            allowed=f"the columns {columns}",
        )
    width = len(header)
    rows: list[tuple[int, dict[str, str]]] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(
                f"not a readable CSV row ({exc})", file=src.name, line=reader.line_num, allowed="well-formed CSV"
            ) from None
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) != width:
            raise InputError(
                f"the row has {len(row)} cells but the header has {width} columns (a truncated or edited file?)",
                file=src.name,
                line=line,
                allowed=f"{width} cells per row",
            )
        if len(rows) >= MAX_ROWS:
            raise InputError(f"more than {MAX_ROWS:,} rows", file=src.name, line=line, allowed=f"at most {MAX_ROWS:,}")
        rows.append((line, {h: c.strip() for h, c in zip(header, row) if h}))
    return CsvTable(src.name, header, rows)


def _bad_byte_column(data: bytes) -> str | None:
    """The header name of the CSV column holding the first byte that is not UTF-8, if it can be told."""
    try:
        data.decode("utf-8-sig")
        return None
    except UnicodeDecodeError as exc:
        start = exc.start
    text = data.decode("utf-8-sig", errors="replace")
    try:
        rows = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in next(rows)]
        before = data[:start].decode("utf-8-sig", errors="replace").count("\n")
        for row in rows:
            if rows.line_num > before:
                for name, cell in zip(header, row):
                    if "\ufffd" in cell:
                        return name or None
                return None
    except (csv.Error, StopIteration):
        return None
    return None


def validate_row(model: type[BaseModel], data: dict[str, Any], *, file: str, line: int | None, key_prefix: str = ""):
    """``model.model_validate(data)``, any problem raised as one :class:`InputError` naming the column.

    A field's description says what is allowed; values of fields listed in the model's
    ``personal`` class attribute are not repeated.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise row_error(model, exc, file=file, line=line, key_prefix=key_prefix) from None


def row_error(model: type[BaseModel], exc: ValidationError, *, file: str, line: int | None, key_prefix: str = ""):
    """The first problem of a pydantic ``ValidationError`` as an :class:`InputError`."""
    err = exc.errors()[0]
    loc = [str(p) for p in err.get("loc", ())]
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    fields = _fields_by_name(model)
    if not loc and ": " in msg and msg.split(": ", 1)[0] in fields:
        # a check of the whole row names its column first: "Posted: more than ..."
        name, msg = msg.split(": ", 1)
        loc = [name]
    field_name = loc[0] if loc else None
    info = fields.get(field_name) if field_name else None
    column = field_name
    if info is not None and field_name in model.model_fields:
        column = _column(info, field_name)
    if loc[1:]:
        column = ".".join([column or "", *loc[1:]])
    key = (key_prefix + column) if column else (key_prefix.rstrip(".") or None)
    allowed = (info.description if info is not None else None) or None
    if field_name in fields and info is not None:
        field_name = next((n for n, f in model.model_fields.items() if f is info), field_name)
    if kind == "missing":
        problem = "missing"
    elif kind == "extra_forbidden":
        problem = "unknown field"
    else:
        problem = msg[:1].lower() + msg[1:]
    personal = set(getattr(model, "personal", ())) | {getattr(model, "personal_root", "")}
    is_personal = field_name in personal or any(p in personal for p in loc)
    value: object = ...
    if kind not in ("missing", "extra_forbidden") and "input" in err:
        value = err["input"]
        if is_personal:
            value = ...
            problem += f" ({HIDDEN})"
        elif isinstance(value, dict | list):
            value = ...
    return InputError(problem, file=file, line=line, key=key, value=value, allowed=allowed)


def _column(info: Any, name: str) -> str:
    """The column a field reads: its alias, or the first of its validation aliases, or its name."""
    from pydantic import AliasChoices

    if info.alias:
        return info.alias
    va = info.validation_alias
    if isinstance(va, str):
        return va
    if isinstance(va, AliasChoices) and va.choices:
        return str(va.choices[0])
    return name


def _fields_by_name(model: type[BaseModel]) -> dict[str, Any]:
    """The model's fields by field name and by column name (aliases), for messages."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        out[name] = info
        out[_column(info, name)] = info
    return out


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------


def json_records(src: Source, *, what: str) -> Iterator[tuple[int, str, Any]]:
    """The records of a JSON file: ``(line, where, record)`` for each object.

    Accepts a JSON array of objects, an object holding such an array under ``statements`` (an xAPI
    StatementResult), one object, or JSON lines (one object per line). ``where`` names a record in
    messages (``statements[3]`` for an array, empty for JSON lines, whose line says where).
    """
    text = src.text()
    stripped = text.lstrip()
    if not stripped:
        raise InputError("the file is empty", file=src.name, allowed=what)
    if stripped[0] == "[" or (stripped[0] == "{" and _one_document(stripped)):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON ({exc.msg}; a truncated file?)", file=src.name, line=exc.lineno, allowed=what
            ) from None
        if isinstance(doc, dict) and isinstance(doc.get("statements"), list):
            items, prefix = doc["statements"], "statements"
        elif isinstance(doc, list):
            items, prefix = doc, ""
        elif isinstance(doc, dict):
            yield 1, "", doc
            return
        else:
            raise InputError("the JSON holds no records", file=src.name, line=1, allowed=what)
        if len(items) > MAX_ROWS:
            raise InputError(f"more than {MAX_ROWS:,} records", file=src.name, allowed=f"at most {MAX_ROWS:,}")
        for i, item in enumerate(items):
            yield None, f"{prefix}[{i}]", item
        return
    n = 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        n += 1
        if n > MAX_ROWS:
            raise InputError(
                f"more than {MAX_ROWS:,} lines", file=src.name, line=line_no, allowed=f"at most {MAX_ROWS:,}"
            )
        try:
            yield line_no, "", json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not a JSON object ({exc.msg}; a truncated line?)",
                file=src.name,
                line=line_no,
                allowed="one JSON object per line",
            ) from None


def _one_document(text: str) -> bool:
    """Whether ``text`` starting with ``{`` is one JSON document rather than JSON lines."""
    first = text.split("\n", 1)
    if len(first) == 1:
        return True
    try:
        json.loads(first[0])
    except json.JSONDecodeError:
        return True  # the first line is not a whole object: a pretty-printed document
    rest = first[1].strip()
    return not rest  # one object on the first line and nothing else
