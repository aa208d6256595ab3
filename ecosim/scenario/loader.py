"""Loading scenario files: safe YAML, ``extends``, ``--set`` overrides and clear errors.

Every problem becomes a :class:`ScenarioError` that names the file (with line and column where the
file says so), the key path, the bad value and what is allowed. Nothing else escapes for bad input.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from ecosim.errors import InputError
from ecosim.scenario.errors import ScenarioError, ScenarioErrors, did_you_mean
from ecosim.scenario.schema import (
    Scenario,
    canonical_path,
    field_param,
    generic_path,
    is_index,
    iter_params,
    model_at,
)

#: A scenario file larger than this is refused before it is parsed.
MAX_FILE_BYTES = 1_000_000
#: A document that would expand (aliases followed) to more nodes than this is refused.
MAX_NODES = 100_000
#: Longest chain of ``extends``.
MAX_EXTENDS_DEPTH = 32
#: Keys holding file paths, resolved relative to the file that sets them.
PATH_KEYS = (("network", "path"), ("network", "nodes_path"))


class Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading plain values as YAML 1.2's core schema does, not as YAML 1.1.

    YAML 1.1 (PyYAML's default) reads ``yes``, ``no``, ``on`` and ``off`` as booleans, ``010`` as the
    octal 8 and ``1:30`` as the sexagesimal 90, and wants ``1.0e-3`` for ``1e-3``. Here, as in YAML
    1.2: only ``true`` and ``false`` are booleans, ``010`` is ten (``0o10`` is octal, ``0x10`` hex),
    ``1:30`` and ``no`` are text, and ``1e-3`` is a number. Dates (``2025-01-06``) are text too: YAML
    1.2 has no timestamps (PyYAML's crash on ``2024-02-30`` becomes the schema's message about the key).
    """


_BOOL, _INT, _FLOAT = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
Loader.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """A YAML 1.2 integer: decimal (leading zeros allowed), ``0o`` octal or ``0x`` hexadecimal."""
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


Loader.add_constructor(_INT, _construct_int)

KeyPath = tuple[str | int, ...]
Marks = dict[KeyPath, tuple[str, int, int]]
#: Marks hold where each key's value is, under the key's path, and where the key itself is, under
#: ``(KEY_MARK, *path)``: an unknown key is pointed at, a bad value at the value.
KEY_MARK = "\0key"


def dotted(path: Sequence[str | int]) -> str:
    """``('a', 'b', 3)`` -> ``'a.b[3]'``."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += ("." if text else "") + str(key)
    return text


# --------------------------------------------------------------------------------------------
# Safe YAML with limits and positions
# --------------------------------------------------------------------------------------------


def read_yaml_mapping(path: str | os.PathLike[str], *, what: str = "scenario") -> tuple[dict[str, Any], Marks]:
    """Read a YAML file whose top level is a mapping, safely.

    Returns the data and the position (file, line, column; 1-based) of every key path in it.
    Refuses files that are too large, documents that expand too far through aliases (an alias
    bomb), recursive aliases, duplicate keys, non-text keys and any tag that would construct an
    object.
    """
    file = check_path_text(path, what)
    p = Path(path)
    if not p.exists():
        raise ScenarioError(f"{what} file not found", file=file)
    if not p.is_file():
        raise ScenarioError(f"{what} path is not a file", file=file)
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(
            f"{what} file is too large ({size:,} bytes)", file=file, allowed=f"at most {MAX_FILE_BYTES:,} bytes"
        )
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{what} file is not UTF-8 text ({exc.reason} at byte {exc.start})", file=file) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read {what} file: {exc.strerror}", file=file) from None
    return parse_yaml_mapping(text, file=file, what=what)


def check_path_text(path: str | os.PathLike[str], what: str = "scenario") -> str:
    """The path as text, refusing an empty one or one holding a NUL character (no file has such a name)."""
    file = str(path)
    if "\0" in file or not file.strip():
        raise ScenarioError(f"not a {what} file path", file=repr(file), allowed="the path of a YAML file")
    return file


def parse_yaml_mapping(text: str, *, file: str, what: str = "scenario") -> tuple[dict[str, Any], Marks]:
    """Parse YAML text (see :func:`read_yaml_mapping`)."""
    loader = None
    try:
        loader = Loader(text)
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError(f"{what} file is empty", file=file, allowed="a mapping of keys to values")
        _check_size(node, file)
        marks: Marks = {}
        _walk_marks(node, (), file, marks)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        kind = "YAML syntax error"
        if isinstance(exc, yaml.constructor.ConstructorError):
            kind = "unsupported YAML tag (scenario files hold plain data only)"
        raise ScenarioError(
            f"{kind}: {problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.reader.ReaderError as exc:
        raise ScenarioError(
            f"unacceptable character #x{exc.character:04x} in the file (special characters are not allowed)",
            file=file,
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"YAML error: {exc}", file=file) from None
    except RecursionError:
        raise ScenarioError(f"{what} file nests too deeply", file=file) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        raise ScenarioError(
            f"the top level of a {what} file must be a mapping of keys to values",
            file=file,
            line=node.start_mark.line + 1,
            value=data,
        )
    return data, marks


def _check_size(root: yaml.Node, file: str) -> None:
    """Count the nodes the document expands to, following aliases; refuse bombs and cycles."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise ScenarioError(
                "recursive YAML alias", file=file, line=node.start_mark.line + 1, column=node.start_mark.column + 1
            )
        in_progress.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
                if total > MAX_NODES:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                total += size(v)
                if total > MAX_NODES:
                    break
        in_progress.discard(key)
        sizes[key] = total
        if total > MAX_NODES:
            raise ScenarioError(
                f"document expands to more than {MAX_NODES:,} values (an alias bomb?)",
                file=file,
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
                allowed=f"at most {MAX_NODES:,} values after aliases are expanded",
            )
        return total

    size(root)


def _walk_marks(node: yaml.Node, path: KeyPath, file: str, marks: Marks) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<" merge keys are resolved by the constructor
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                raise ScenarioError(
                    "keys must be plain text",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1,
                    key=dotted(path) or None,
                    value=getattr(key_node, "value", None),
                )
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ScenarioError(
                    f"duplicate key '{key}' (first set on line {seen[key]})",
                    file=file,
                    line=line,
                    column=key_node.start_mark.column + 1,
                    key=dotted((*path, key)),
                )
            seen[key] = line
            child = (*path, key)
            marks[child] = (file, value_node.start_mark.line + 1, value_node.start_mark.column + 1)
            marks[(KEY_MARK, *child)] = (file, line, key_node.start_mark.column + 1)
            _walk_marks(value_node, child, file, marks)
    elif isinstance(node, yaml.SequenceNode):
        for i, value_node in enumerate(node.value):
            child = (*path, i)
            marks[child] = (file, value_node.start_mark.line + 1, value_node.start_mark.column + 1)
            _walk_marks(value_node, child, file, marks)


# --------------------------------------------------------------------------------------------
# extends, overrides
# --------------------------------------------------------------------------------------------


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``over`` into a copy of ``base``: mappings merge key by key, anything else replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_file(path: str | os.PathLike[str], _chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], Marks]:
    """Read a scenario file and everything it ``extends``, merged, before validation."""
    check_path_text(path)
    here = Path(path).resolve()
    if here in _chain:
        cycle = " -> ".join(str(p) for p in (*_chain, here))
        raise ScenarioError(f"'extends' forms a cycle: {cycle}", file=str(_chain[-1]), key="extends")
    if len(_chain) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(
            "'extends' chain is too long", file=str(path), key="extends", allowed=f"at most {MAX_EXTENDS_DEPTH} files"
        )
    data, marks = read_yaml_mapping(path)
    _absolutise_paths(data, here.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data, marks
    if not isinstance(parent, str) or not parent.strip():
        file, line, col = marks.get(("extends",), (str(path), None, None))
        raise ScenarioError(
            "'extends' must name another scenario file",
            file=file,
            line=line,
            column=col,
            key="extends",
            value=parent,
            allowed="a file path relative to this file",
        )
    target = here.parent / parent
    if not target.exists():  # else a scenario shipped with ecosim, by name, as `ecosim run retail` finds it
        target = _shipped(parent) or target
    if not target.exists():
        file, line, col = marks.get(("extends",), (str(path), None, None))
        names = shipped_names()
        raise ScenarioError(
            f"'extends' names a file that does not exist: {target}",
            file=file,
            line=line,
            column=col,
            key="extends",
            value=parent,
            hint=did_you_mean(parent, names),
            allowed="an existing scenario file, relative to this one, or a scenario shipped with ecosim: "
            + ", ".join(n for n in names if "/" not in n),
        )
    base, base_marks = resolve_file(target, (*_chain, here))
    merged_marks = dict(base_marks)
    merged_marks.update(marks)
    return deep_merge(base, data), merged_marks


def absolute_path(path: str | os.PathLike[str]) -> str:
    """``path`` made absolute, symbolic links resolved where they can be (a loop or a NUL is left for the reader)."""
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL character, a name too long
        return os.path.abspath(path)


def _absolutise_paths(data: dict[str, Any], folder: Path) -> None:
    for section, key in PATH_KEYS:
        sub = data.get(section)
        if isinstance(sub, dict) and isinstance(sub.get(key), str) and sub[key]:
            sub[key] = absolute_path(folder / sub[key])


_LEAF_PATHS: list[str] | None = None


def leaf_paths() -> list[str]:
    """Dotted paths of every settable parameter."""
    global _LEAF_PATHS
    if _LEAF_PATHS is None:
        _LEAF_PATHS = [p.path for p in iter_params(entries=True)]
    return _LEAF_PATHS


def parse_override(text: str, *, source: str = "--set") -> tuple[str, Any]:
    """Parse ``dotted.path=value`` (the value as YAML) and check the path exists."""
    if "=" not in text:
        raise ScenarioError(
            "an override must look like dotted.path=value",
            file=source,
            value=text,
            allowed="e.g. goals.mean_alignment=0.3",
        )
    key, raw = text.split("=", 1)
    key = check_param_path(key.strip(), source=source)
    value = parse_value(raw, source=source, key=key) if raw.strip() else ""
    if key in {f"{s}.{k}" for s, k in PATH_KEYS} and isinstance(value, str):
        if "\0" in value or not value.strip():
            raise ScenarioError("not a file path", file=source, key=key, value=value, allowed="the path of a CSV file")
        value = absolute_path(value)
    return key, value


def parse_value(raw: str, *, source: str = "--set", key: str | None = None) -> Any:
    """One value written as YAML (an override's), with the limits of scenario files: size and aliases."""
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            f"the value is too long ({len(raw):,} characters)",
            file=source,
            key=key,
            allowed=f"at most {MAX_FILE_BYTES:,} characters",
        )
    try:
        loader = Loader(raw)
    except yaml.YAMLError:  # a NUL or another character YAML does not allow
        raise ScenarioError(
            "the value holds a character YAML does not allow", file=source, key=key, value=raw
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node, source)
        return loader.construct_document(node)
    except yaml.YAMLError:
        raise ScenarioError("the value is not valid YAML", file=source, key=key, value=raw) from None
    except RecursionError:
        raise ScenarioError("the value nests too deeply", file=source, key=key) from None
    finally:
        loader.dispose()


def check_param_path(key: str, *, source: str) -> str:
    """``key`` written one way (``interventions.00.week`` -> ``interventions.0.week``), if it is a parameter's path.

    Raises:
        ScenarioError: with a suggestion, if ``key`` is not a parameter's dotted path.
    """
    paths = leaf_paths()
    if generic_path(key) in paths:
        return canonical_path(key)
    if len(key) > 200:  # no parameter path is this long; and the message stays one short line
        raise ScenarioError(
            f"unknown parameter ({len(key):,} characters long)",
            file=source,
            value=key[:40] + "...",
            hint="run 'python -m ecosim schema' to list parameters",
        )
    for part in key.split("."):
        if not part.isascii() and any(c.isnumeric() for c in part):  # ², ٣, ３: digits, but not an index
            raise ScenarioError(
                "a list index must be written with the digits 0 to 9",
                file=source,
                key=key,
                value=part,
                allowed="e.g. interventions.0.week",
            )
    hint = did_you_mean(key, paths)
    raise ScenarioError(
        "unknown parameter", file=source, key=key, hint=hint or "run 'python -m ecosim schema' to list parameters"
    )


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``a.b.c`` in nested dicts, creating sections as needed; a whole-number part indexes an existing list.

    ``interventions.0.week`` sets the week of the scenario's first intervention.
    """
    parts = key.split(".")
    node: Any = data
    for depth, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            node = node[_list_index(node, part, parts[:depth])]
            continue
        nxt = node.get(part)
        indexed = isinstance(nxt, list) and is_index(parts[depth + 1])
        if not (isinstance(nxt, dict) or indexed):
            nxt = {}
            node[part] = nxt
        node = nxt
    if isinstance(node, list):
        node[_list_index(node, parts[-1], parts[:-1])] = value
    else:
        node[parts[-1]] = value


def _list_index(items: list[Any], part: str, path: list[str]) -> int:
    """The index ``part`` into ``items`` (at dotted ``path``); a ScenarioError if there is no such entry."""
    if not is_index(part) or int(part) >= len(items):
        raise ScenarioError(
            f"no entry {part} in the list of {len(items)}",
            key=".".join(path),
            allowed=f"an index from 0 to {len(items) - 1}" if items else "nothing: the list is empty",
        )
    if not isinstance(items[int(part)], dict):
        raise ScenarioError(f"entry {part} is not a section", key=".".join(path), value=items[int(part)])
    return int(part)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def validate(data: Mapping[str, Any], *, file: str = "<scenario>", marks: Marks | None = None) -> Scenario:
    """Validate merged scenario data against the schema, turning every problem into clear errors."""
    from ecosim.scenario.limits import check_size

    marks = marks or {}
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        errors = [convert_error(err, model=Scenario, file=file, marks=marks, data=data) for err in exc.errors()]
        errors.sort(key=lambda e: (str(e.file), e.line or 0, e.column or 0))
        raise (errors[0] if len(errors) == 1 else ScenarioErrors(errors)) from None
    if scenario.network.kind == "hr":
        scenario = _hr_scenario(scenario)
    own = Path(file).resolve() if file and not file.startswith("<") else None
    for key in type(scenario.costs).model_fields:
        mark = marks.get(("costs", key))
        if own is not None and mark is not None and mark[1] is not None and Path(mark[0]).resolve() != own:
            scenario._inherited_costs[key] = Path(mark[0]).name
    _check_counts(scenario, file, marks)
    _check_interventions(scenario, file, marks)
    _check_input_files(scenario, file, marks)
    # the size the model would have, before anything is built: named where the file (or --set) sets it
    kind = scenario.network.kind
    section, names = _SIZE_KEYS[kind if kind in _SIZE_KEYS else "other"]
    keys = [(section, k) for k in names if (section, k) in marks]
    keys = [k for k in keys if marks[k][1] is None] + keys  # an override first: it is what changed
    where, line, _ = marks[keys[0]] if keys else (file, None, None)
    check_size(scenario, file=where, line=line, key=dotted(keys[0]) if keys else section)
    _check_facilitators(scenario, file, marks)
    return scenario


def _check_facilitators(scenario: Scenario, file: str, marks: Marks) -> None:
    """Refuse more facilitators than learners, in the scenario or set by an intervention."""
    from ecosim.scenario.limits import estimate, most_facilitators

    size = estimate(scenario)
    if size is None:  # an edge list: its learners are known once it is read
        return
    most, k = most_facilitators(scenario)
    learners = max(size.learners, 1)
    if most <= learners:
        return
    key = ("facilitation", "facilitators") if k is None else ("interventions", k, "set")
    where, line, col = position(key, file, marks)
    raise ScenarioError(
        f"{most:,} facilitators for about {size.learners:,} learners: more facilitators than learners",
        file=where,
        line=line,
        column=col,
        key=dotted(key) if k is None else f"{dotted(key)}.facilitation.facilitators",
        value=most,
        allowed=f"at most one facilitator per learner ({learners:,} here)",
    )


def _check_input_files(scenario: Scenario, file: str, marks: Marks) -> None:
    """The files the scenario reads are regular files that can be opened; nothing is read from them yet."""
    from ecosim.scenario.edgelist import open_input, shown_path

    if scenario.network.kind != "edgelist":
        return
    for key in PATH_KEYS:
        path = getattr(scenario.network, key[1])
        if path is None:
            continue
        try:
            fd, _ = open_input(path, "network file" if key[1] == "path" else "nodes file")
        except InputError as err:
            where, line, col = position(key, file, marks)
            raise ScenarioError(
                err.problem,
                file=where,
                line=line,
                column=col,
                key=dotted(key),
                value=shown_path(path),
                allowed=err.allowed,
            ) from None
        os.close(fd)


def _check_interventions(scenario: Scenario, file: str, marks: Marks) -> None:
    """Refuse an intervention that can never apply within the run's weeks."""
    weeks = scenario.weeks
    for i, item in enumerate(scenario.interventions):
        if item.week is not None and item.week > weeks:
            key = ("interventions", i, "week")
            where, line, col = position(key, file, marks)
            raise ScenarioError(
                f"week {item.week} is after the run's last week ({weeks}): the intervention would never apply",
                file=where,
                line=line,
                column=col,
                key=dotted(key),
                value=item.week,
                allowed=f"a week from 1 to {weeks} (weeks: {weeks})",
            )
        if item.when is not None and item.for_weeks >= weeks:
            key = ("interventions", i, "for_weeks")
            where, line, col = position(key, file, marks)
            raise ScenarioError(
                f"the condition must hold {item.for_weeks} weeks in a row and the run has {weeks}: "
                "the intervention would never apply",
                file=where,
                line=line,
                column=col,
                key=dotted(key),
                value=item.for_weeks,
                allowed=f"for_weeks from 1 to {weeks - 1}" if weeks > 1 else "no condition in a one-week run",
            )


def _hr_scenario(scenario: Scenario) -> Scenario:
    """An ``hr`` scenario with the HR file read (and checked) now, its turnover from the file's dates."""
    staff = scenario.network.staff()
    if not scenario.network.hr_turnover:
        return scenario
    turnover = scenario.turnover.model_copy(update={"annual_rate": staff.annual_turnover})
    return scenario.model_copy(update={"turnover": turnover})


def _check_counts(scenario: Scenario, file: str, marks: Marks) -> None:
    """One threshold count per learner, where the number of learners is known before the network is built."""
    counts = scenario.engagement.threshold.counts
    if counts is None:
        return
    net, org = scenario.network, scenario.organisation
    key = ("engagement", "threshold", "counts")
    where, line, col = marks.get(key, (file, None, None))
    if net.kind == "retail" and org.store_size_spread > 0:
        raise ScenarioError(
            "needs one threshold per learner, but store sizes are drawn at random (organisation.store_size_spread)",
            file=where,
            line=line,
            column=col,
            key=dotted(key),
            allowed="organisation.store_size_spread: 0 for a fixed number of learners, or another network kind",
        )
    if net.kind == "retail":
        learners = org.stores * max(1, round(org.staff_per_store)) + org.regions + org.head_office
        source = "the organisation has"
    elif net.kind == "edgelist":
        learners = net.arrays().n  # the files are read (and checked) now rather than when the model is built
        source = f"{net.path} has"
    elif net.kind == "hr":
        learners = net.staff().n
        source = f"{net.path} lists, employed on the day,"
    else:
        learners = net.learners
        source = "network.learners is"
    if len(counts) == learners:
        return
    raise ScenarioError(
        f"needs one threshold per learner: {source} {learners:,}",
        file=where,
        line=line,
        column=col,
        key=dotted(key),
        value=f"{len(counts):,} values",
        allowed=f"a list of {learners:,} whole numbers >= 0",
    )


#: Where a scenario's size is set, by network kind: the keys an error about its size points to.
_SIZE_KEYS = {
    "retail": ("organisation", ("stores", "staff_per_store", "head_office", "regions", "store_size_spread")),
    "other": ("network", ("learners", "mean_degree", "neighbours", "attachments")),
    "hr": ("network", ("path", "within_store_tie_prob", "cross_store_ties", "hr_date")),
}


def position(loc: KeyPath, file: str, marks: Marks) -> tuple[str, int | None, int | None]:
    """Where the value at ``loc`` is written (file, line, column), or its nearest written parent."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in marks:
            return marks[loc[:n]]
    return file, None, None


def data_loc(loc: KeyPath, data: Any, model: type[BaseModel]) -> KeyPath:
    """A pydantic error's ``loc`` as a path in the data: tags of unions and keys a shorthand leaves out, dropped."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        union = get_origin(model_at(model, loc[:i])[0]) in (Union, UnionType)
        if isinstance(part, str) and (union or isinstance(data, list)):
            continue
        out.append(part)
        ok = isinstance(data, dict) or (isinstance(data, list) and isinstance(part, int) and part < len(data))
        data = data[part] if ok and (not isinstance(data, dict) or part in data) else None
    return tuple(out)


def convert_error(
    err: Mapping[str, Any],
    *,
    model: type[BaseModel],
    file: str,
    marks: Marks,
    data: Mapping[str, Any],
    error: type[InputError] = ScenarioError,
) -> InputError:
    """One pydantic error as an :class:`InputError` naming the file, line, key, bad value and what is allowed.

    ``model`` is the root model that was validated; what is allowed comes from the field's declaration
    (its type and bounds, or an ``allowed`` text in its ``json_schema_extra``).
    """
    raw: KeyPath = tuple(err["loc"])
    loc = data_loc(raw, data, model)
    at = dict(zip(("file", "line", "column"), position(loc, file, marks)))
    kind = err["type"]
    key = dotted(loc) or None
    value = err.get("input", ...)
    ctx = err.get("ctx", {})
    node, field = model_at(model, raw[:-1] if kind == "extra_forbidden" else raw)
    extra = field.json_schema_extra if field is not None and isinstance(field.json_schema_extra, dict) else {}
    declared = field_param(key or "", field).allowed() if field is not None else None
    allowed = extra.get("allowed") or (declared if declared != "a value" else None)
    if kind in {"extra_forbidden", "model_type", "model_attributes_type", "dict_type"}:
        keys = list(node.model_fields) if isinstance(node, type) and issubclass(node, BaseModel) else []
        allowed = ("keys " + ", ".join(keys)) if keys else extra.get("allowed")
        if kind != "extra_forbidden":
            return error("must be a section of keys and values", **at, key=key, value=value, allowed=allowed)
        hint = did_you_mean(str(loc[-1]), keys)
        at = dict(zip(("file", "line", "column"), marks.get((KEY_MARK, *loc), tuple(at.values())), strict=True))
        return error(f"unknown key '{loc[-1]}'", **at, key=dotted(loc[:-1]) or None, allowed=allowed, hint=hint)
    if kind == "missing":
        return error("required key is missing", **at, key=key, allowed=allowed)
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        name = ctx["discriminator"].strip("'")
        tags = [t.strip(" '") for t in ctx.get("expected_tags", "").split(",") if t.strip()]
        tags = tags or [getattr(t, "__name__", "?").lower() for t in getattr(node, "__args__", ())]
        if kind == "union_tag_not_found":
            return error(f"needs '{name}'", **at, key=key, allowed=f"{name}: one of " + ", ".join(tags))
        tag = str(ctx["tag"])
        hint = did_you_mean(tag, tags)
        return error(
            f"unknown {loc[-1]} {name}", **at, key=key, value=tag, allowed="one of " + ", ".join(tags), hint=hint
        )
    if kind == "value_error":
        exc = ctx.get("error")
        if isinstance(exc, InputError):  # a validator's own words, placed where its value is
            shown = value if exc.value is ... else exc.value
            return error(exc.problem, **at, key=key, value=shown, allowed=exc.allowed, hint=exc.hint)
        # a validator on a section reports the value it is about in its own words
        return error(str(exc) if exc is not None else err["msg"], **at)
    if kind == "list_type" and field is not None and not extra.get("allowed"):
        allowed = "a list of whole numbers" if "list[int]" in str(field.annotation) else "a list"
    problem = err["msg"][0].lower() + err["msg"][1:] if err.get("msg") else "invalid value"
    return error(problem, **at, key=key, value=value, allowed=allowed)


# --------------------------------------------------------------------------------------------
# The public entry points
# --------------------------------------------------------------------------------------------


def load_scenario(
    path: str | os.PathLike[str],
    overrides: Iterable[str] | Mapping[str, Any] = (),
    *,
    seed: int | None = None,
) -> Scenario:
    """Load and validate a scenario file.

    Args:
        path: the YAML file, or the name of a scenario shipped with ecosim (``retail``,
            ``validation/bass``; see :func:`find_scenario`).
        overrides: ``dotted.path=value`` strings (as on the command line) or a mapping of dotted
            paths to values (as in sweeps), applied after ``extends`` is resolved.
        seed: replaces the scenario's seed when given.

    Raises:
        ScenarioError: for any problem with the file or the overrides.
    """
    path = find_scenario(path)
    data, marks = resolve_file(path)
    data = apply_overrides(data, overrides, marks=marks)
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ScenarioError("the seed must be a whole number >= 0", file="--seed", value=seed)
        data["seed"] = seed
        marks.pop(("seed",), None)
    return validate(data, file=str(path), marks=marks)


def shipped_scenarios() -> Path:
    """The folder of the scenarios shipped with ecosim: package data (in a clone, the repository's scenarios/)."""
    return Path(str(resources.files("ecosim").joinpath("scenarios")))


def shipped_names() -> list[str]:
    """The names of the shipped scenarios (``retail``, ``validation/bass``), sorted."""
    root = shipped_scenarios()
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.yaml"))


def _shipped(name: str | os.PathLike[str]) -> Path | None:
    """The shipped scenario file ``name`` stands for (with or without ``.yaml``), if there is one."""
    given = Path(name)
    if given.is_absolute() or ".." in given.parts:
        return None
    for candidate in (shipped_scenarios() / given, shipped_scenarios() / f"{given}.yaml"):
        if candidate.is_file():
            return candidate
    return None


def find_scenario(path: str | os.PathLike[str]) -> Path:
    """``path`` if it exists, else the shipped scenario it names (``retail``, ``validation/bass.yaml``).

    Raises:
        ScenarioError: when it is neither, naming the shipped scenarios.
    """
    given = Path(path)
    if given.exists() or given.is_absolute():
        return given
    shipped = _shipped(given)
    if shipped is not None:
        return shipped
    names = shipped_names()
    raise ScenarioError(
        "scenario file not found",
        file=str(path),
        hint=did_you_mean(str(path), names),
        allowed="an existing file, or a scenario shipped with ecosim: " + ", ".join(n for n in names if "/" not in n),
    )


def apply_overrides(
    data: dict[str, Any],
    overrides: Iterable[str] | Mapping[str, Any],
    *,
    marks: Marks | None = None,
    source: str = "--set",
) -> dict[str, Any]:
    """Apply overrides to resolved scenario data (a copy is returned)."""
    out = copy.deepcopy(data)
    items: Iterable[tuple[str, Any]]
    if isinstance(overrides, Mapping):
        named: dict[str, Any] = {}
        written: dict[str, str] = {}
        for key, value in overrides.items():
            path = check_param_path(str(key), source=source)
            if path in named:
                raise ScenarioError(
                    f"names the same parameter as '{written[path]}'",
                    file=source,
                    key=str(key),
                    allowed="each parameter once",
                )
            named[path], written[path] = value, str(key)
        items = named.items()
    else:
        items = [parse_override(text, source=source) for text in overrides]
    for key, value in items:
        set_dotted(out, key, value)
        if marks is not None:
            # the value now comes from the override, not from the file
            path = tuple(key.split("."))
            for k in [k for k in marks if k[: len(path)] == path]:
                del marks[k]
            marks[path] = (source, None, None)  # type: ignore[assignment]
    return out


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The resolved scenario as plain JSON-able data."""
    return scenario.model_dump(mode="json")


def scenario_hash(scenario: Scenario) -> str:
    """sha256 of the resolved scenario and the files it reads: equal hashes mean identical scenarios.

    The files a scenario points to (an edge list, a nodes file) are part of its identity: the hash of
    each file's bytes is hashed with the scenario's canonical JSON, so a file replaced under the same
    name changes the scenario's hash (a scenario that reads no file hashes as its JSON alone).
    """
    data = scenario_to_dict(scenario)
    files = input_files(scenario)
    if files:
        data = {**data, "input_files_sha256": files}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def input_files(scenario: Scenario) -> dict[str, str]:
    """The files a scenario reads, each as ``{path: sha256 of its bytes}`` ("missing" when it does not exist)."""
    out = {}
    for section, key in PATH_KEYS:
        value = getattr(getattr(scenario, section, None), key, None)
        if isinstance(value, str) and value:
            out[value] = path_sha256(value)
    return out


def path_sha256(path: str) -> str:
    """sha256 of the file at ``path``, or "missing" / "unreadable" when it cannot be read."""
    from ecosim.io import file_sha256

    try:
        return file_sha256(path)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "unreadable"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (with the loader's ``extends`` key)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ecosim scenario"
    schema.setdefault("properties", {})["extends"] = {
        "type": "string",
        "description": "Another scenario file (relative to this one, or a shipped scenario by name, e.g. retail) "
        "whose values this file overrides.",
    }
    return schema
