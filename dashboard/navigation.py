"""The dashboard's pages, found in ``dashboard/pages/``: each file declares itself.

A page file says at its top, after its imports, what it is::

    PAGE = {"title": "File d'attente", "icon": ":material/inbox:",
            "action": "view", "order": 10}

``title`` is its French name in the sidebar, ``icon`` a Streamlit icon,
``action`` one of :data:`maraude.vocab.PERMISSIONS` (the roles that see the page
are those allowed that action; the operations behind the page check the role
again), ``order`` its place in the sidebar (smallest first, and the first page a
role sees is its home page). Its slug (URL path) is the file's name.

The literal is read with :mod:`ast`, never by importing the file: pages are
Streamlit scripts that render when run. Adding a page is therefore its file
(plus its test), with no other file to edit.
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass
from pathlib import Path

from maraude import vocab
from maraude.errors import ConfigError

logger = logging.getLogger(__name__)

#: The literal every page file declares, and the type of each of its keys.
KEYS: dict[str, type] = {"title": str, "icon": str, "action": str, "order": int}
EXAMPLE = (
    'PAGE = {"title": "Titre en français", "icon": ":material/inbox:", '
    '"action": "view", "order": 100}'
)


@dataclass(frozen=True)
class PageDeclaration:
    """One page of ``dashboard/pages/``, as its ``PAGE`` literal declares it."""

    path: Path
    slug: str
    title: str
    icon: str
    action: str
    order: int


def _problem(path: Path, what: str) -> ConfigError:
    return ConfigError(
        f"Page file {path}: {what}. Write at its top, after its imports: "
        f"{EXAMPLE} (action: one of maraude.vocab.PERMISSIONS, such as view, "
        "label or admin_view; order: its place in the sidebar)."
    )


def _literal(path: Path) -> object:
    """The value of the top-level ``PAGE = …`` of ``path``, evaluated as a literal."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError) as e:
        raise _problem(path, f"cannot be read ({e})") from e
    found: list[ast.expr] = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "PAGE" for t in targets):
            found.append(value)
    if len(found) != 1:
        what = "no PAGE declaration" if not found else "PAGE is assigned twice"
        raise _problem(path, what)
    try:
        return ast.literal_eval(found[0])
    except ValueError as e:
        raise _problem(path, "PAGE is not a plain literal (no names, no calls)") from e


def read_page(path: Path) -> PageDeclaration:
    """The declaration of page file ``path``; :class:`ConfigError` naming the
    file and what to write when it has none, a wrong one, or an unknown action."""
    value = _literal(path)
    if not isinstance(value, dict):
        raise _problem(path, "PAGE is not a dict")
    missing = [k for k in KEYS if k not in value]
    unknown = sorted(str(k) for k in value if k not in KEYS)
    if missing or unknown:
        raise _problem(
            path,
            f"PAGE lacks {', '.join(missing) or 'nothing'} and has unknown "
            f"key(s) {', '.join(unknown) or 'none'}",
        )
    for key, kind in KEYS.items():
        # bool is an int for isinstance: an order of True is a typo.
        if not isinstance(value[key], kind) or isinstance(value[key], bool):
            raise _problem(path, f"PAGE[{key!r}] must be of type {kind.__name__}")
    if value["action"] not in vocab.PERMISSIONS:
        raise _problem(path, f"unknown action {value['action']!r}")
    return PageDeclaration(
        path=path,
        slug=path.stem,
        title=value["title"],
        icon=value["icon"],
        action=value["action"],
        order=value["order"],
    )


def discover(folder: Path) -> list[PageDeclaration]:
    """Every page of ``folder`` (its ``*.py`` but ``__init__.py``), sorted by
    order (then slug); :class:`ConfigError` for the first file that is no page."""
    pages = [read_page(p) for p in sorted(folder.glob("*.py")) if p.stem != "__init__"]
    if not pages:
        raise ConfigError(f"No page in {folder}: the dashboard needs at least one.")
    return sorted(pages, key=lambda page: (page.order, page.slug))


def offered(pages: list[PageDeclaration], role: str) -> list[PageDeclaration]:
    """The pages ``role`` sees, in sidebar order."""
    return [page for page in pages if vocab.allowed(role, page.action)]
