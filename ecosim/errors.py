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
    match = closest(str(word), [str(c) for c in candidates])
    return f"did you mean '{match}'?" if match else None


def closest(word: str, candidates: list[str]) -> str | None:
    """The candidate ``word`` most likely stands for, or None when nothing is close.

    Dotted paths (``facilitation.facilitators``) are matched on their last part first, the name
    people remember: a candidate whose last part is the word's (``facilitators``), then one in a
    section of that name (``turnover`` is ``turnover.annual_rate``, not ``network.hr_turnover``), then
    one whose last part ends in it (``alignment`` in ``mean_alignment``: a name's last word says what
    it is) or holds it as a word, then the closest spelling of the last part,
    then of the whole path. Within each, a candidate in the word's own section (``goals.``) comes first.
    """
    names = list(dict.fromkeys(candidates))
    section, _, last = word.lower().rpartition(".")

    def tail(name: str) -> str:
        return name.lower().rpartition(".")[2]

    def pick(found: list[str]) -> str:
        same = [n for n in found if n.lower().rpartition(".")[0] == section] or found
        return difflib.get_close_matches(word, same, n=1, cutoff=0.0)[0] if len(same) > 1 else same[0]

    if last:
        for found in (
            [n for n in names if tail(n) == last],
            [n for n in names if last in n.lower().split(".")[:-1]],  # a section's name: turnover.annual_rate
            [n for n in names if tail(n).endswith("_" + last)],
            [n for n in names if last in tail(n).split("_")],
        ):
            if found:
                return pick(found)
        spelt = set(difflib.get_close_matches(last, [tail(n) for n in names], n=3, cutoff=0.6))
        if spelt:
            return pick([n for n in names if tail(n) in spelt])
    matches = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return matches[0] if matches else None
