"""What the catalogue's three parts share: their folders, issues and checks of links.

The rights (:mod:`maraude.rights`), the places directory
(:mod:`maraude.places`) and the reply templates (:mod:`maraude.templates`)
import this module and never each other in a circle; the check of all three
together is :func:`maraude.catalogue.check_catalogue`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from maraude.config import PROJECT_ROOT

CATALOGUE_DIR = PROJECT_ROOT / "config" / "rights"
TEMPLATES_DIR = PROJECT_ROOT / "config" / "templates"
PLACES_DIR = PROJECT_ROOT / "config" / "places"


@dataclass(frozen=True)
class Issue:
    """One problem found by :func:`check_catalogue`, naming its file and key."""

    severity: str  # "error" or "warning"
    file: str
    key: str
    message: str

    @property
    def is_error(self) -> bool:
        """Whether this issue makes ``maraude rights check`` fail."""
        return self.severity == "error"

    def __str__(self) -> str:
        where = f"{self.file} [{self.key}]" if self.key else self.file
        return f"{self.severity}: {where}: {self.message}"


def display_path(path: Path | str) -> str:
    """A path relative to the project when it is inside it (for messages)."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}")


def is_https_url(url: object) -> bool:
    """An absolute https URL with a real host name, no spaces, no credentials."""
    if not isinstance(url, str) or not url or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    host = parts.hostname or ""
    return (
        parts.scheme == "https"
        and "@" not in parts.netloc
        and _HOST.fullmatch(host) is not None
    )
