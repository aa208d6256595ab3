"""A real organisation's network from CSV files, read into the arrays the core builds its network from.

``network.path`` is an edge list (columns ``source``, ``target``: one tie per row, undirected);
``network.nodes_path`` optionally lists the people (``id``, and ``store``, ``region``, ``role``).
Files as spreadsheets write them are accepted: a UTF-8 byte-order mark (Excel's "CSV UTF-8"), blank
lines, spaces around values. Every row is checked, and any problem is one :class:`InputError` naming
the file, the line, the column and the bad value: a row with the wrong number of values, an empty id,
an id holding a NUL character, a tie from a node to itself, an unterminated quote, a field longer
than the CSV reader's limit, an unknown role, a duplicate node, more rows than a network may have.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecosim.core.network import ROLE_NAMES
from ecosim.errors import InputError
from ecosim.io import file_sha256


@dataclass(frozen=True)
class NetworkArrays:
    """A network as arrays: ties as pairs of row numbers, and each person's store, region and role."""

    n: int
    source: np.ndarray  # int64 row of each tie's first end
    target: np.ndarray  # int64 row of its other end
    store: np.ndarray  # int32 store index of each person (-1: none)
    region: np.ndarray  # int32 region index (-1: none)
    role: np.ndarray  # int8 code into ROLE_NAMES
    labels: np.ndarray  # object array: each row's id in the files
    sha256: dict[str, str] = field(default_factory=dict)  # file -> sha256 of its bytes


def read_network(path: str, nodes_path: str | None = None, *, max_ties: int | None = None) -> NetworkArrays:
    """Read an edge list (and a nodes file) into :class:`NetworkArrays`.

    Node labels are numbered in order of first appearance (nodes file first, then edges).

    Raises:
        InputError: a missing or unreadable file, or any bad row (the message names file and line).
    """
    if max_ties is None:
        from ecosim.scenario.schema import MAX_TIES

        max_ties = MAX_TIES
    labels: dict[str, int] = {}
    attrs: dict[str, tuple[int, dict[str, str]]] = {}
    hashes = {}
    if nodes_path is not None:
        hashes[nodes_path] = _hash(nodes_path)
        header, rows = _rows(nodes_path, required=("id",), optional=("store", "region", "role"))
        for line, row in rows:
            rec = dict(zip(header, row, strict=True))
            ident = rec["id"]
            if ident in labels:
                raise InputError("duplicate node id", file=nodes_path, line=line, key="id", value=ident)
            if rec.get("role") and rec["role"] not in ROLE_NAMES:
                raise InputError(
                    "unknown role",
                    file=nodes_path,
                    line=line,
                    key="role",
                    value=rec["role"],
                    allowed=", ".join(ROLE_NAMES),
                )
            labels[ident] = len(labels)
            attrs[ident] = (line, rec)
    hashes[path] = _hash(path)
    src: list[int] = []
    dst: list[int] = []
    header, rows = _rows(path, required=("source", "target"), optional=())
    i_source, i_target = header.index("source"), header.index("target")
    for line, row in rows:
        a, b = row[i_source], row[i_target]
        if a == b:
            raise InputError(
                "a tie from a node to itself",
                file=path,
                line=line,
                key="target",
                value=b,
                allowed="two different node ids",
            )
        if len(src) >= max_ties:
            raise InputError(
                f"the edge list has more than {max_ties:,} ties",
                file=path,
                line=line,
                allowed=f"at most {max_ties:,} ties",
            )
        ia = labels.setdefault(a, len(labels))
        src.append(ia)
        dst.append(labels.setdefault(b, len(labels)))
    n = len(labels)
    if n < 2:
        raise InputError("the edge list has fewer than two nodes", file=path, allowed="at least one tie")
    store = np.full(n, -1, np.int32)
    region = np.full(n, -1, np.int32)
    role = np.zeros(n, np.int8)
    stores: dict[str, int] = {}
    regions: dict[str, int] = {}
    for ident, (_, rec) in attrs.items():
        row = labels[ident]
        if rec.get("store"):
            store[row] = stores.setdefault(rec["store"], len(stores))
        if rec.get("region"):
            region[row] = regions.setdefault(rec["region"], len(regions))
        if rec.get("role"):
            role[row] = ROLE_NAMES.index(rec["role"])
    return NetworkArrays(
        n=n,
        source=np.array(src, np.int64),
        target=np.array(dst, np.int64),
        store=store,
        region=region,
        role=role,
        labels=np.array(list(labels), dtype=object),
        sha256=hashes,
    )


def _hash(path: str) -> str:
    p = Path(path)
    if not p.is_file():
        raise InputError("network file not found" if not p.exists() else "network path is not a file", file=path)
    try:
        return file_sha256(p)
    except OSError as exc:
        raise InputError(f"cannot read the network file: {exc.strerror}", file=path) from None


def _rows(
    path: str, *, required: tuple[str, ...], optional: tuple[str, ...]
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header, and each row that is not blank as (line, its values), every row checked."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the generator
    except OSError as exc:
        raise InputError(f"cannot read the network file: {exc.strerror}", file=path) from None
    reader = csv.reader(_decoded(fh), strict=True)
    try:
        header = _next(reader, path)
        while header is not None and _blank(header):
            header = _next(reader, path)
    except BaseException:
        fh.close()
        raise
    if header is None:
        fh.close()
        raise InputError("the file is empty", file=path, allowed="a header row: " + ",".join(required))
    header = [h.strip() for h in header]
    line = reader.line_num
    allowed = "columns " + ", ".join(required + optional)
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required + optional]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    for problem, names in (("lacks column(s)", missing), ("has unknown column(s)", unknown), ("repeats", duplicated)):
        if names:
            fh.close()
            raise InputError(
                f"the header {problem} {', '.join(names)}",
                file=path,
                line=line,
                value=",".join(header),
                allowed=allowed,
            )
    return header, _records(fh, reader, header, path)


def _records(fh, reader, header: list[str], path: str) -> Iterator[tuple[int, list[str]]]:
    """Each row that is not blank as (line, its values stripped), checked: width, empty or NUL ids."""
    width = len(header)
    ids = [(i, h) for i, h in enumerate(header) if h in ("id", "source", "target")]
    with fh:
        while (row := _next(reader, path)) is not None:
            if len(row) != width:
                if _blank(row):
                    continue
                raise InputError(
                    f"expected {width} values, found {len(row)}",
                    file=path,
                    line=reader.line_num,
                    value=",".join(row),
                    allowed=",".join(header),
                )
            row = [v.strip() for v in row]
            for i, key in ids:
                value = row[i]
                if not value:
                    if not any(row):  # a blank row as spreadsheets write it: ",,"
                        break
                    raise InputError("empty node id", file=path, line=reader.line_num, key=key, value=",".join(row))
                if "\0" in value:
                    raise InputError(
                        "a node id holds a NUL character",
                        file=path,
                        line=reader.line_num,
                        key=key,
                        value=value,
                        allowed="text",
                    )
            else:
                yield reader.line_num, row


class _NotUtf8(Exception):
    """A line that is not UTF-8 text."""

    def __init__(self, line: int, error: UnicodeDecodeError) -> None:
        self.line = line
        self.error = error


def _decoded(fh) -> Iterator[str]:
    """The file's lines as text, each decoded alone so that bytes that are not UTF-8 name their line.

    A UTF-8 byte-order mark (Excel's "CSV UTF-8") at the start is dropped.
    """
    for number, raw in enumerate(fh, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _NotUtf8(number, exc) from None


def _next(reader, path: str) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except _NotUtf8 as exc:
        raise InputError(
            f"the file is not UTF-8 text ({exc.error.reason}, byte 0x{exc.error.object[exc.error.start]:02x})",
            file=path,
            line=exc.line,
            allowed="a CSV file saved as UTF-8",
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read the network file: {exc.strerror}", file=path) from None
    except csv.Error as exc:
        text = str(exc)
        if "field larger than field limit" in text:
            text = f"a value is longer than {csv.field_size_limit():,} characters"
        elif "unexpected end of data" in text:
            text = "a quoted value is not closed (unterminated quote)"
        raise InputError(f"not a valid CSV row: {text}", file=path, line=max(reader.line_num, 1)) from None


def _blank(row: list[str]) -> bool:
    return not row or all(not cell.strip() for cell in row)
