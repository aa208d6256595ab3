"""The one error type for bad input: scenario and sweep files, edge lists, command-line values, folders.

The command line catches :class:`InputError`, prints its message on one line per problem and exits
with code 2. Scenario files raise the subclass :class:`~ecosim.scenario.errors.ScenarioError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InputError(ValueError):
    """Bad input, described for the person who wrote it.

    The message names the file (and line and column where known), the key path, the bad value and
    what is allowed. The command line prints it on one line per problem and exits with code 2.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
        value: object = ...,
        allowed: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.value = value
        self.allowed = allowed
        self.hint = hint
        super().__init__(self.message())

    def where(self) -> str:
        """Where the problem is, as ``file:line:column`` (as much as is known), or an empty string."""
        if self.file is None:
            return ""
        text = printable(str(self.file))
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text

    def message(self) -> str:
        """The problem on one line: where, the key, what is wrong, the value given, a hint and what is allowed."""
        parts = []
        where = self.where()
        if where:
            parts.append(where + ":")
        if self.key:
            parts.append(f"{self.key}:")
        parts.append(self.problem)
        text = " ".join(parts)
        if self.value is not ...:
            text += f" (got {_show(self.value)})"
        if self.hint:
            text += f"; {self.hint}"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text


class InputErrors(InputError):
    """Several problems found in one file, reported together."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(
            first.problem,
            file=first.file,
            line=first.line,
            column=first.column,
            key=first.key,
            value=first.value,
            allowed=first.allowed,
            hint=first.hint,
        )

    def message(self) -> str:
        """Every problem, one line each."""
        return "\n".join(e.message() for e in self.errors)


def printable(text: str) -> str:
    """``text`` with line breaks and other control characters written as escapes, so a message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt key, or None when nothing is close."""
    matches = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None
