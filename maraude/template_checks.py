"""``maraude rights check``'s part on reply templates (:mod:`maraude.templates`).

Every situation template is rendered for every right, with and without a place
(and for a minor where it matters), and each reply is read for what a reply
must and must not say.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from maraude.catalogue_common import PLACES_DIR
from maraude.errors import ConfigError
from maraude.places import load_directory, resolve_place
from maraude.protocols import PROTOCOLS
from maraude.rights import TEMPLATES_DIR, Issue, Right, display_path
from maraude.templates import (
    DEFAULT_RIGHT_TEMPLATE,
    SAMPLE_ORGANISATION,
    SAMPLE_WORKER,
    SITUATIONS,
    ReplyInputs,
    count_words,
    environment,
    render_template,
    reply_context,
    word_budget,
)

_MARKUP = ("{{", "}}", "{%", "%}", "{#", "#}")
_MARKETING = ("je lis les messages publics", "répondez stop", "(votre structure)")
_PRIVATE = re.compile(r"\b(?:mp|dm|inbox|en priv[ée]|messages? priv[ée]s?)\b", re.I)
_TUTOIEMENT = re.compile(r"\b(?:tu|toi|ton|tes|t'es)\b", re.I)


def _where(error: TemplateError, folder: Path, fallback: str) -> tuple[Path, str]:
    """The template file and line where a rendering error arose."""
    name = getattr(error, "filename", None)
    if name:
        return Path(name), f"line {getattr(error, 'lineno', '?')}"
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith(".j2"):
            return Path(frame.filename), f"line {frame.lineno}"
    return folder / fallback, ""


def _problems(
    text: str, situation: str, context: Mapping[str, Any]
) -> list[tuple[str, str, str]]:
    """(severity, template, message) for one rendered sample reply."""
    right, place = context["right"], context["place"]
    own = f"situations/{situation}.j2"
    found: list[tuple[str, str, str]] = []
    if any(m in text for m in _MARKUP):
        found.append(("error", own, "leftover template markup in the reply"))
    if SAMPLE_WORKER["name"] not in text or SAMPLE_ORGANISATION["name"] not in text:
        found.append(("error", own, "the reply must name the worker and organisation"))
    for phrase in _MARKETING:
        if phrase in text.lower():
            found.append(("error", own, f"marketing formula {phrase!r} in the reply"))
    if right and right["link"] not in text:
        found.append(
            ("error", context["right_template"], "the right's link is missing")
        )
    numbers = set(re.findall(r"\b\d{2,4}\b", text))
    for pid in context["protocol_ids"]:
        if not set(PROTOCOLS[pid].numbers) <= numbers:
            found.append(("error", own, f"the {pid} protocol's numbers are missing"))
    minor_numbers = "119" in text and "0 800 235 236" in text
    if situation == "young" and context["minor"] and not minor_numbers:
        found.append(("error", own, "for a minor, give 119 and Fil Santé Jeunes"))
    if situation == "young" and _PRIVATE.search(text):
        found.append(("error", own, "never invite a young person to talk in private"))
    if _TUTOIEMENT.search(text):
        found.append(("warning", own, "tutoiement? Replies use vous"))
    if place and place["label"] not in text and situation != "crisis":
        found.append(("warning", own, "the local door is not given when a place is"))
    return found


def check_templates(
    catalogue: Mapping[str, Right],
    folder: Path = TEMPLATES_DIR,
    places: Path | None = PLACES_DIR,
) -> list[Issue]:
    """Every situation template rendered for every right, with and without a place.

    Errors: a missing or unparsable template, a placeholder that does not exist
    (StrictUndefined), an unsafe access (sandbox), a reply that does not name the
    worker, give the right's link, the opt-out, or the crisis/minor numbers.
    Warnings: a reply over MAX_WORDS words, tutoiement, a place not used.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return [Issue("error", display_path(folder), "", "templates folder missing")]
    issues: dict[tuple[str, str], Issue] = {}

    def add(severity: str, path: Path, key: str, message: str) -> None:
        issue = Issue(severity, display_path(path), key, message)
        issues.setdefault((issue.file, message), issue)

    needed = [f"situations/{s}.j2" for s in SITUATIONS] + [DEFAULT_RIGHT_TEMPLATE]
    for name in needed:
        if not (folder / name).is_file():
            add("error", folder / name, "", "missing template")
    for path in sorted((folder / "rights").glob("*.j2")):
        if not path.stem.startswith("_") and path.stem not in catalogue:
            add("warning", path, "", f"no right {path.stem!r} in the catalogue")
    env = environment(folder)
    for name in env.list_templates(filter_func=lambda n: n.endswith(".j2")):
        try:
            env.get_template(name)
        except TemplateError as e:
            add("error", *_where(e, folder, name), f"{type(e).__name__}: {e}")
    if issues:
        return list(issues.values())
    sample = None
    if places is not None:
        try:
            sample = resolve_place("Marseille", load_directory(places))
        except ConfigError:
            sample = None  # reported by the places check
    for situation in SITUATIONS:
        longest = (0, "", 0)
        for right in [None, *catalogue.values()]:
            for place in (None, sample) if sample else (None,):
                for minor in (
                    (False, True)
                    if situation in ("crisis", "violence", "young")
                    else (False,)
                ):
                    inputs = ReplyInputs(
                        situation,
                        SAMPLE_WORKER,
                        SAMPLE_ORGANISATION,
                        right=right,
                        place=place,
                        minor=minor,
                    )
                    context = reply_context(inputs, folder, places or PLACES_DIR)
                    try:
                        text = render_template(
                            f"situations/{situation}.j2", context, folder
                        )
                    except TemplateError as e:
                        where = _where(e, folder, f"situations/{situation}.j2")
                        add("error", *where, f"{type(e).__name__}: {e}")
                        continue
                    for severity, name, message in _problems(text, situation, context):
                        add(severity, folder / name, "", message)
                    words = count_words(text)
                    budget = word_budget(context)
                    if words - budget > longest[0] - longest[2]:
                        longest = (words, right.id if right else "no right", budget)
        if longest[0] > longest[2]:
            add(
                "warning",
                folder / f"situations/{situation}.j2",
                "",
                f"up to {longest[0]} words (with {longest[1]}); keep replies "
                f"under {longest[2]} words (MAX_WORDS and room for the protocols)",
            )
    return list(issues.values())
