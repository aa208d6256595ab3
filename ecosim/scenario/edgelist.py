"""A real organisation's network from CSV files, read into the arrays the core builds its network from.

``network.path`` is an edge list (columns ``source``, ``target``: one tie per row, undirected);
``network.nodes_path`` optionally lists the people (``id``, and ``store``, ``region``, ``role``).
Files as spreadsheets write them are accepted: a UTF-8 byte-order mark (Excel's "CSV UTF-8"), blank
lines, spaces around values. Every row is checked, and any problem is one :class:`InputError` naming
the file, the line, the column and the bad value: a row with the wrong number of values, an empty id,
an id holding a NUL character, a tie from a node to itself, an unterminated quote, a field longer
than the CSV reader's limit, an unknown role, a duplicate node, more rows than a network may have.

Only regular files are read (:func:`open_input`): a folder, a device, a pipe, a loop of symbolic
links, a path holding a NUL character or longer than the system allows, and a system file that
reports no size (``/proc/...``) are refused before anything is read; no more bytes are read than
the file had when it was opened, and never more than :data:`MAX_FILE_BYTES`. A message never
shows what such a file holds.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ecosim.core.network import ROLE_NAMES
from ecosim.errors import InputError

#: An edge list or nodes file larger than this is refused (the largest network allowed takes about 1 GB).
MAX_FILE_BYTES = 2_000_000_000
#: The longest path accepted, and the longest part of one (the usual system limits).
MAX_PATH, MAX_NAME = 4096, 255


def shown_path(path: str) -> str:
    """A path as messages show it: whole, or its start and length if it is too long to read."""
    return path if len(path) <= 200 else f"{path[:60]}... ({len(path):,} characters)"


def check_path(path: str, what: str = "network file") -> None:
    """Refuse a path that no file can have: a NUL character, too long, or too long a part."""
    if "\0" in path:
        raise InputError(f"the {what} path holds a NUL character", file=repr(path), allowed="a file path")
    if len(path) > MAX_PATH or any(len(part.encode()) > MAX_NAME for part in path.split(os.sep)):
        raise InputError(
            f"the {what} path is too long",
            file=shown_path(path),
            allowed=f"at most {MAX_PATH:,} characters, and {MAX_NAME} bytes between two slashes",
        )


def open_input(path: str, what: str = "network file") -> tuple[int, int]:
    """Open a regular file to read; returns (descriptor, size). InputError for anything else, nothing read.

    Opened without waiting (a pipe or a device would block the open itself), then checked through
    the descriptor, so the file checked is the file read.
    """
    check_path(path, what)
    file = shown_path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        problem = {
            errno.ENOENT: f"{what} not found",
            errno.ELOOP: f"the {what} path is a loop of symbolic links",
            errno.ENAMETOOLONG: f"the {what} path is too long",
            errno.ENOTDIR: f"{what} not found (a part of the path is not a folder)",
        }.get(exc.errno, f"cannot read the {what}: {exc.strerror}")
        raise InputError(problem, file=file) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a device, pipe or socket"
            raise InputError(f"the {what} path is {kind}, not a file", file=file, allowed="a CSV file")
        if info.st_size == 0:  # empty, or a system file (/proc/...) whose size is not known in advance
            raise InputError(
                f"the {what} is empty (or a system file)", file=file, allowed="a CSV file with a header row"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise InputError(
                f"the {what} is too large ({info.st_size:,} bytes)",
                file=file,
                allowed=f"at most {MAX_FILE_BYTES:,} bytes",
            )
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


def _bounded_lines(fh, size: int) -> Iterator[bytes]:
    """The lines of ``fh``, stopping after ``size`` bytes (the size it had when it was opened)."""
    left = size
    while left > 0:
        line = fh.readline(left)
        if not line:
            return
        left -= len(line)
        yield line


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
    fd, size = open_input(path)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "rb") as fh:
            for line in _bounded_lines(fh, size):
                digest.update(line)
    except OSError as exc:
        raise InputError(f"cannot read the network file: {exc.strerror}", file=shown_path(path)) from None
    return digest.hexdigest()


def _rows(
    path: str, *, required: tuple[str, ...], optional: tuple[str, ...]
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header, and each row that is not blank as (line, its values), every row checked."""
    fd, size = open_input(path)
    fh = os.fdopen(fd, "rb")
    reader = csv.reader(_decoded(_bounded_lines(fh, size)), strict=True)
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
            named = all(re.fullmatch(r"[A-Za-z0-9_ .-]{0,40}", h) for h in header) and len(header) <= 20
            listed = ", ".join(names) if named or problem != "has unknown column(s)" else "(not a CSV header)"
            raise InputError(  # the header shown only when it looks like one: never a file's contents
                f"the header {problem} {listed}",
                file=path,
                line=line,
                value=",".join(header) if named else ...,
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
