"""The Scrapy project as an egg, for scrapyd (``addversion.json``).

scrapyd runs a job with ``python -m scrapyd.runner crawl SPIDER …`` in its own
environment: it activates the project's egg and reads from it which settings
module to use (the ``[scrapy] settings`` entry point, ``crawlers.settings``,
as ``scrapy.cfg`` says). The egg holds the ``crawlers`` package; the Maraude
core (``maraude.config``, ``maraude.db``…) must be installed in scrapyd's
environment, from the same commit as the scheduler's (``pip install`` of this
repository): scrapyd appends the egg to ``sys.path``, so a ``crawlers``
package installed in site-packages wins over the egg's copy, while with an
editable install (``pip install -e``) the egg's copy is the one imported.
Either way, keep every crawl machine on the scheduler's commit.

The egg is built here, in memory, instead of ``setup.py bdist_egg`` (deprecated
by setuptools) or ``scrapyd-deploy`` (which needs another package): a zip with
``EGG-INFO/PKG-INFO`` and ``EGG-INFO/entry_points.txt`` is all that scrapyd's
runner reads. Its version is a hash of its contents, so deploying an unchanged
project twice is a no-op.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

PROJECT = "maraude"  # scrapy.cfg [deploy] project
SETTINGS_MODULE = "crawlers.settings"
PACKAGE = Path(__file__).resolve().parent
# Fixed timestamps: the same sources give the same bytes, hence the same version.
_EPOCH = (2020, 1, 1, 0, 0, 0)


def _members() -> list[tuple[str, bytes]]:
    files = sorted(
        p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts and p.is_file()
    )
    return [
        (f"crawlers/{p.relative_to(PACKAGE).as_posix()}", p.read_bytes()) for p in files
    ]


def _metadata(version: str) -> list[tuple[str, bytes]]:
    info = (
        "Metadata-Version: 2.1\n"
        f"Name: {PROJECT}\n"
        f"Version: {version}\n"
        "Summary: Maraude's Scrapy project (crawlers), for scrapyd\n"
    )
    return [
        ("EGG-INFO/PKG-INFO", info.encode()),
        (
            "EGG-INFO/entry_points.txt",
            f"[scrapy]\nsettings = {SETTINGS_MODULE}\n".encode(),
        ),
        ("EGG-INFO/top_level.txt", b"crawlers\n"),
        ("EGG-INFO/not-zip-safe", b"\n"),
    ]


def project_version() -> str:
    """The egg's version: ``r`` and the first 12 hex digits of its sources' hash."""
    digest = hashlib.sha256()
    for name, data in _members():
        digest.update(name.encode() + b"\0" + data + b"\0")
    return f"r{digest.hexdigest()[:12]}"


def build_egg() -> tuple[str, bytes]:
    """The project's egg: ``(version, bytes)``, ready for ``addversion.json``."""
    version = project_version()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as egg:
        for name, data in [*_metadata(version), *_members()]:
            egg.writestr(zipfile.ZipInfo(name, _EPOCH), data, zipfile.ZIP_DEFLATED)
    return version, buffer.getvalue()
