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
        for line, rec in rows:
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
    _, rows = _rows(path, required=("source", "target"), optional=())
    for line, rec in rows:
        a, b = rec["source"], rec["target"]
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
        for x in (a, b):
            if x not in labels:
                labels[x] = len(labels)
        src.append(labels[a])
        dst.append(labels[b])
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
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header, and each non-blank row as (line, {column: value}), every row checked."""
    try:
        fh = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed by the generator
        fh.read(1 << 16)
        fh.seek(0)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read network file as UTF-8 text: {exc}", file=path) from None
    reader = csv.reader(fh, strict=True)
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


def _records(fh, reader, header: list[str], path: str) -> Iterator[tuple[int, dict[str, str]]]:
    with fh:
        while (row := _next(reader, path)) is not None:
            if _blank(row):
                continue
            line = reader.line_num
            if len(row) != len(header):
                raise InputError(
                    f"expected {len(header)} values, found {len(row)}",
                    file=path,
                    line=line,
                    value=",".join(row),
                    allowed=",".join(header),
                )
            rec = {h: v.strip() for h, v in zip(header, row, strict=True)}
            for key in ("id", "source", "target"):
                if key not in rec:
                    continue
                if not rec[key]:
                    raise InputError("empty node id", file=path, line=line, key=key, value=",".join(row))
                if "\0" in rec[key]:
                    raise InputError(
                        "a node id holds a NUL character", file=path, line=line, key=key, value=rec[key], allowed="text"
                    )
            yield line, rec


def _next(reader, path: str) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        text = str(exc)
        if "field larger than field limit" in text:
            text = f"a value is longer than {csv.field_size_limit():,} characters"
        elif "unexpected end of data" in text:
            text = "a quoted value is not closed (unterminated quote)"
        raise InputError(f"not a valid CSV row: {text}", file=path, line=max(reader.line_num, 1)) from None


def _blank(row: list[str]) -> bool:
    return not row or all(not cell.strip() for cell in row)
