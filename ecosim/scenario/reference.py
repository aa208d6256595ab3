"""The scenario reference (docs/scenarios.md), generated from the schema so the two never drift."""

from __future__ import annotations

import inspect

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ecosim.scenario.schema import INDEX, Scenario, _list_item_model, _num, iter_params

INTRO = """\
# Scenario reference

A scenario is a YAML file. Every key is optional except `name`; a file can start from another with
`extends: other.yaml` (a path relative to the file, else a scenario shipped with ecosim by name, as
in `extends: retail`) and override any of its values (mappings are merged key by key, anything else
is replaced). On the command line, `--set dotted.key=value`
overrides any parameter and `--seed N` the seed. Unknown keys are errors, and every value is
checked against the range below; `python -m ecosim schema` prints the same rules as a JSON Schema for
editors.

This page is generated from the schema (`python -m ecosim schema --markdown`); a test keeps it in
step. Time is in weeks: one model step is one week. Log-odds are weights on the logistic scale of a
weekly decision (1 log-odds roughly multiplies the odds by 2.7).
"""


def _type_name(info) -> str:
    if info.choices:
        return " \\| ".join(f"`{c}`" for c in info.choices)
    ann = info.annotation
    name = getattr(ann, "__name__", None)
    if name in {"int", "float", "bool", "str"}:
        return {"int": "integer", "float": "number", "bool": "true/false", "str": "text"}[name]
    origin = getattr(ann, "__origin__", None)
    if origin is list and _list_item_model(ann) is not None:
        return "list of sections (below)"
    if origin is dict:
        return "mapping of levers to numbers"
    return str(ann).replace("typing.", "").replace("|", "or")


def _range(info) -> str:
    lo = "" if info.lower is None else ("(" if info.gt is not None else "[") + _num(info.lower)
    hi = "" if info.upper is None else _num(info.upper) + (")" if info.lt is not None else "]")
    if not lo and not hi:
        return ""
    return f"{lo or '(-inf'}, {hi or 'inf)'}"


def _default(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):
        return f"`{value}`" if value else '""'
    return f"`{value}`"


def markdown() -> str:
    """docs/scenarios.md."""
    out = [INTRO]
    sections: dict[str, list] = {}
    for info in iter_params(entries=True):
        head = info.path.rsplit(".", 1)[0] if "." in info.path else ""
        sections.setdefault(head, []).append(info)
    for head, infos in sections.items():
        title = f"`{head}`" if head else "Top level"
        out.append(f"\n## {title}\n")
        doc = _section_doc(head)
        if doc:
            out.append(doc + "\n")
        out.append("| key | type | default | range | unit | meaning |")
        out.append("| --- | --- | --- | --- | --- | --- |")
        for info in infos:
            key = info.path.rsplit(".", 1)[-1]
            desc = info.description.replace("|", "\\|").replace("\n", " ")
            if info.mid_run:
                desc = "*Mid-run.* " + desc
            default = "required" if info.default is PydanticUndefined else _default(info.default)
            out.append(f"| `{key}` | {_type_name(info)} | {default} | {_range(info)} | {info.unit} | {desc} |")
    return "\n".join(out) + "\n"


def _section_doc(head: str) -> str:
    model: type[BaseModel] = Scenario
    for part in head.split(".") if head else []:
        if part == INDEX:
            continue
        annotation = model.model_fields[part].annotation
        model = _list_item_model(annotation) or annotation  # type: ignore[assignment]
    doc = inspect.getdoc(model) or ""
    return " ".join(doc.split()) if head else ""
