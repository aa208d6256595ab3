"""Typed cells of export files, for the pydantic models of each format: dates, times, counts, flags, ids.

Each type parses what the services write and nothing else, with a short message when a cell is not
one (pydantic prefixes "Value error, ", which :func:`ecosim.imports.source.row_error` removes).
Empty cells are ``None`` where a model allows them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_US_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_COUNT = re.compile(r"^\d{1,3}(,\d{3})+$|^\d+$")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def parse_day(value: Any) -> dt.date | None:
    """``YYYY-MM-DD`` (or the date part of an ISO 8601 time), or ``M/D/YYYY`` as Slack's older files write it."""
    if _empty(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if len(text) > 10 and text[10] in "T ":
        return parse_time(text).date()
    if _ISO_DAY.match(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError("not a date") from None
    m = _US_DAY.match(text)
    if m:
        try:
            return dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        except ValueError:
            raise ValueError("not a date") from None
    raise ValueError("not a date")


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time (``2024-03-04T09:12:33Z``, ``2024-03-04 09:12:33 +0000``...), in UTC.

    A time without a zone is taken as UTC, as the services document their times.
    """
    if _empty(value):
        return None
    if isinstance(value, dt.datetime):
        t = value
    else:
        text = str(value).strip()
        if len(text) < 10 or len(text) > 40:
            raise ValueError("not a date and time")
        text = text.replace(" UTC", "+00:00").replace("Z", "+00:00")
        if len(text) > 19 and text[19:].startswith(" ") and text[19:].strip()[:1] in "+-":
            text = text[:19] + text[19:].strip()  # '2024-03-04 09:12:33 +0000'
        try:
            t = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("not a date and time") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC)


def parse_count(value: Any) -> int | None:
    """A whole number >= 0 (thousands may be separated by commas, as Slack writes them), or None if empty."""
    if _empty(value):
        return None
    if isinstance(value, bool):
        raise ValueError("not a count")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("negative")
        return value
    if isinstance(value, float):
        if value < 0:
            raise ValueError("negative")
        if not value.is_integer():
            raise ValueError("not a whole number")
        return int(value)
    text = str(value).strip()
    if text.startswith("-") and text[1:].replace(",", "").isdigit():
        raise ValueError("negative")
    if not _COUNT.match(text) or len(text) > 20:
        raise ValueError("not a whole number")
    return int(text.replace(",", ""))


def parse_flag(value: Any) -> bool | None:
    """``true``/``false`` (any case; JSON booleans too), or None if empty."""
    if _empty(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise ValueError("not true or false")


def parse_id(value: Any) -> str | None:
    """An identifier: text of at most 512 characters without control characters, or None if empty."""
    if _empty(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("not an identifier")
    text = str(value).strip()
    if len(text) > 512 or not text.isprintable():
        raise ValueError("not an identifier (too long, or control characters)")
    return text


def parse_whole_id(value: Any) -> str | None:
    """A numeric identifier (Viva Engage's ids are whole numbers), kept as text, or None if empty."""
    text = parse_id(value)
    if text is None:
        return None
    if not text.isdigit() or len(text) > 30:
        raise ValueError("not a numeric id")
    return text


Day = Annotated[dt.date | None, BeforeValidator(parse_day)]
Time = Annotated[dt.datetime | None, BeforeValidator(parse_time)]
Count = Annotated[int | None, BeforeValidator(parse_count)]
Flag = Annotated[bool | None, BeforeValidator(parse_flag)]
Ident = Annotated[str | None, BeforeValidator(parse_id)]
WholeId = Annotated[str | None, BeforeValidator(parse_whole_id)]

DAY = "a date YYYY-MM-DD"
TIME = "an ISO 8601 date and time, e.g. 2024-03-04T09:12:33Z"
COUNT = "a whole number >= 0"
FLAG = "true or false"
