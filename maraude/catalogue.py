"""``maraude rights check``: the rights, the places directory and the reply templates.

The one module that checks the three parts together, so that none of
:mod:`maraude.rights`, :mod:`maraude.places` and :mod:`maraude.templates` has
to import another in a circle (what they share is in
:mod:`maraude.catalogue_common`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from maraude.catalogue_common import (
    CATALOGUE_DIR,
    PLACES_DIR,
    TEMPLATES_DIR,
    Issue,
    display_path,
)
from maraude.place_directory import check_directory
from maraude.rights import CONTRACT_RIGHT_IDS, Right, check_right_file, read_right
from maraude.template_checks import check_templates


def check_catalogue(
    folder: Path = CATALOGUE_DIR,
    templates: Path | None = TEMPLATES_DIR,
    emitted_ids: Iterable[str] | None = None,
    today: date | None = None,
    places: Path | None = PLACES_DIR,
) -> list[Issue]:
    """Every problem of the catalogue, its templates and the places directory.

    ``emitted_ids``: the right ids the classifier can emit (default
    :data:`~maraude.rights.CONTRACT_RIGHT_IDS`); each must exist in the
    catalogue. ``templates`` or ``places`` set to None skips that part. Errors
    make ``maraude rights check`` fail; warnings (a stale amount, a reply over
    120 words) are shown only.
    """
    folder = Path(folder)
    files = sorted(folder.glob("*.toml"))
    if not files:
        where = display_path(folder)
        return [Issue("error", where, "", "no catalogue file (*.toml) found here")]
    issues: list[Issue] = []
    valid: dict[str, Right] = {}
    for path in files:
        found = check_right_file(path, today)
        issues += found
        if not any(i.is_error for i in found):
            right = read_right(path)
            valid[right.id] = right
    known = {p.stem for p in files}
    for rid in emitted_ids if emitted_ids is not None else CONTRACT_RIGHT_IDS:
        if rid not in known:
            issues.append(
                Issue(
                    "error",
                    display_path(folder / f"{rid}.toml"),
                    "id",
                    f"the classifier can emit {rid!r} but the catalogue has no "
                    "such file: add it (ids are never renamed)",
                )
            )
    if places is not None:
        issues += check_directory(Path(places))
    if templates is not None:
        issues += check_templates(valid, Path(templates), places=places)
    return issues
