"""Every public function, class and method of the core (``maraude/``) has a docstring.

Read with ``ast`` (nothing is imported). Public means the name does not start
with ``_``: module-level functions and classes, and the methods and nested
classes of a public class (click command functions count: their docstring is
also their ``--help``). Functions nested inside functions are not public, and
``@overload`` stubs share the docstring of their implementation.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "maraude"

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _is_overload(node: Definition) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else None
        if isinstance(target, ast.Name):
            name = target.id
        if name == "overload":
            return True
    return False


def public_definitions(tree: ast.Module) -> Iterator[tuple[str, Definition]]:
    """Yield (qualified name, node) for each public definition of a module."""
    pending: list[tuple[str, ast.AST]] = [("", tree)]
    while pending:
        prefix, parent = pending.pop()
        for node in ast.iter_child_nodes(parent):
            if not isinstance(node, Definition):
                continue
            if node.name.startswith("_") or _is_overload(node):
                continue
            qualified = f"{prefix}{node.name}"
            yield qualified, node
            if isinstance(node, ast.ClassDef):
                pending.append((f"{qualified}.", node))


def missing_docstrings(root: Path = CORE) -> list[str]:
    """``path:line name`` of each undocumented public definition under ``root``."""
    missing = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, node in public_definitions(tree):
            if not ast.get_docstring(node):
                where = path.relative_to(ROOT).as_posix()
                missing.append(f"{where}:{node.lineno} {name}")
    return missing


def test_the_walker_sees_functions_methods_and_nested_classes() -> None:
    tree = ast.parse(
        "def shown():\n    def inner():\n        pass\n"
        "def _hidden():\n    pass\n"
        "class Shown:\n    def method(self):\n        pass\n"
        "    def _private(self):\n        pass\n"
        "    class Nested:\n        pass\n"
        "class _Hidden:\n    def method(self):\n        pass\n"
        "@overload\ndef typed(x: int) -> int: ...\n"
    )
    names = sorted(name for name, _ in public_definitions(tree))
    assert names == ["Shown", "Shown.Nested", "Shown.method", "shown"]


def test_every_public_definition_of_the_core_has_a_docstring() -> None:
    missing = missing_docstrings()
    assert not missing, (
        f"{len(missing)} public definitions of maraude/ have no docstring; add a "
        "short, true one (English) to each:\n" + "\n".join(missing)
    )
