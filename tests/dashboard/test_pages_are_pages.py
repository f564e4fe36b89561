"""``dashboard/pages`` holds only pages: each file there is a page of the app."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "dashboard"


def _declared_pages() -> set[str]:
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, str) and value.startswith("pages/"):
            found.add(value.removeprefix("pages/"))
    return found


def test_every_file_of_pages_is_a_declared_page() -> None:
    files = {p.name for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py"}
    declared = _declared_pages()
    assert files, "no page found"
    assert files == declared, (
        f"not pages: {sorted(files - declared)}; missing files: "
        f"{sorted(declared - files)}"
    )
