"""ecosim and its tests use Mesa's public API only: no name starting with "_" comes from Mesa.

Mesa renames its private names between releases without notice; code that reaches into them fails
on the next release, or, with ``getattr`` defaults, silently does something else.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mesa

ROOT = Path(__file__).resolve().parents[1]
CHECKED = [ROOT / "ecosim", ROOT / "tests", ROOT / "benchmarks"]


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def defined_private_names(files) -> set[str]:
    """Private names a body of code defines: functions, classes, module names and attributes it assigns."""
    names: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return {name for name in names if private(name)}


def python_files() -> list[Path]:
    return sorted(p for folder in CHECKED for p in folder.rglob("*.py"))


def mesa_uses(source: str, name: str, mesa_private: set[str]) -> list[str]:
    """Where the code takes a private name from Mesa: imports, attributes of Mesa modules, Mesa's internals."""
    tree = ast.parse(source, name)
    mesa_names: set[str] = set()  # names bound to Mesa modules or objects in this file
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "mesa":
                    mesa_names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "mesa":
            mesa_names.update(alias.asname or alias.name for alias in node.names)
    found = []
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [
                f"{where} import {a.name}" for a in node.names if a.name.startswith("mesa") and _dotted_private(a.name)
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "mesa":
            if _dotted_private(node.module):
                found.append(f"{where} from {node.module}")
            found += [f"{where} from {node.module} import {a.name}" for a in node.names if private(a.name)]
        elif isinstance(node, ast.Attribute) and private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if (isinstance(base, ast.Name) and base.id in mesa_names) or node.attr in mesa_private:
                found.append(f"{where} .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"getattr", "hasattr"}:
            args = node.args
            if len(args) >= 2 and isinstance(args[1], ast.Constant) and args[1].value in mesa_private:
                found.append(f"{where} {node.func.id}(..., {args[1].value!r})")
    return found


def _dotted_private(module: str) -> bool:
    return any(private(part) for part in module.split("."))


def test_no_private_mesa_name_is_used():
    mesa_files = sorted(Path(mesa.__file__).parent.rglob("*.py"))
    files = python_files()
    # Mesa's private names, less those this project defines for its own objects (its own _rows, say)
    mesa_private = defined_private_names(mesa_files) - defined_private_names(files)
    assert {"_all_agents", "_agents_by_type", "_datasets", "_HardKeyAgentSet", "_collection_steps"} <= mesa_private
    found = [
        use
        for path in files
        if path != Path(__file__)
        for use in mesa_uses(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), mesa_private)
    ]
    assert not found, "private Mesa names used:\n" + "\n".join(found)


def test_the_check_finds_each_way_of_reaching_into_mesa():
    mesa_private = defined_private_names(sorted(Path(mesa.__file__).parent.rglob("*.py")))
    u = "_"  # the probes are assembled, so that a plain grep of the project for private Mesa names stays empty
    bad = {
        f"from mesa.agentset import {u}HardKeyAgentSet": f"import {u}HardKeyAgentSet",
        f"import mesa.agentset.{u}x": f"import mesa.agentset.{u}x",
        "from mesa.visualization import solara_viz\nsolara_viz._check_model_params(1, 2)": "._check_model_params",
        "def f(model):\n    return model._all_agents._agents": "._all_agents",
        "def f(model):\n    return getattr(model, '_batch_context', None)": "'_batch_context'",
        f"import mesa\nmesa.model.{u}mesa_logger": f".{u}mesa_logger",
    }
    for code, what in bad.items():
        found = mesa_uses(code, "probe.py", mesa_private)
        assert any(what in use for use in found), (code, found)
    fine = "import mesa\nmesa.Agent\nclass A:\n    def f(self):\n        return self._mine\n"
    assert mesa_uses(fine, "fine.py", mesa_private) == []
