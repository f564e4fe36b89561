"""Reply templates (``config/templates/``), rendered in a Jinja2 sandbox.

A reply is a situation template (``situations/<name>.j2``) that includes the block
of the lead's first right (``rights/<id>.j2``, else ``rights/_default.j2``). The
situation follows the lead: crisis > violence > housing emergency > food > debt >
young > first contact (see :func:`choose_situation`).

Only our own files are templates. Whatever comes from a post or a lead (its text,
a place, a name typed by a worker) is passed as *data* and never compiled, so a
post that contains "{{ … }}" is printed as typed. The environment is an
``ImmutableSandboxedEnvironment`` (no dunder attributes, no mutating calls) with
``StrictUndefined`` (a misspelt placeholder is an error, which
``maraude rights check`` reports). Autoescape is off on purpose: a reply is plain
text that a worker copies into a platform's reply box; it is never put into HTML,
where escaping would only mangle the apostrophes and « ».
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from maraude.catalogue_common import PLACES_DIR
from maraude.errors import ConfigError
from maraude.places import Place, load_directory, local_doors, resolve_place
from maraude.protocols import PROTOCOLS, Protocol, fold, protocols_for
from maraude.rights import (
    TEMPLATES_DIR,
    Amount,
    Right,
    format_amount,
    load_catalogue,
)

# In order of precedence: the first that applies to a lead is used.
SITUATIONS = (
    "crisis",
    "violence",
    "housing_emergency",
    "food",
    "debt",
    "young",
    "first_contact",
)
# A right's first `situations` tag, when it is one of these, calls for a situation.
PRIMARY_TAGS = {
    "violence": "violence",
    "homeless": "housing_emergency",
    "food": "food",
    "debt": "debt",
    "youth": "young",
}
DEFAULT_RIGHT_TEMPLATE = "rights/_default.j2"
#: The organisation's name until an admin sets ``[organisation] name``.
ORGANISATION_PLACEHOLDER = "Votre structure"
#: The protocols a situation always carries, whatever the post says.
SITUATION_PROTOCOLS = {
    "crisis": ("suicide",),
    "violence": ("violence",),
    "housing_emergency": ("shelter",),
}
#: non-recours forms with their own guidance in the draft (``_parts.form_help``).
FORMS = ("non_reception", "non_proposition")
# A gas or electricity cut: the chèque énergie and the FSL go together (#16).
ENERGY_RIGHTS = ("cheque_energie", "fsl")
_ENERGY_CUT = re.compile(
    r"\b(?:coupure|coupee?s?|couper|suspendu\w*|limit\w*)\b[^.!?\n]{0,40}"
    r"\b(?:gaz|electricite|courant|edf|engie|chauffage)\b"
    r"|\b(?:gaz|electricite|courant|edf|engie)\b[^.!?\n]{0,40}\bcoupe"
)
_JOB_TAGS = {"unemployment", "work"}
MAX_WORDS = 120
EXTRA_WORDS = 30
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Ý«])")


@lru_cache(maxsize=8)
def environment(folder: Path = TEMPLATES_DIR) -> ImmutableSandboxedEnvironment:
    """The sandboxed environment over one templates folder."""
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(folder)),
        undefined=StrictUndefined,
        autoescape=False,  # plain text for a reply box, never HTML (see above)
        trim_blocks=True,
        lstrip_blocks=True,
    )


def next_step(how_to_apply: str) -> str:
    """The concrete next step: the first sentence of ``how_to_apply``, without its
    asides in brackets (the link gives the details)."""
    first = _SENTENCE_END.split(how_to_apply.strip(), maxsplit=1)[0]
    return re.sub(r"\s*\([^()]*\)", "", first)


def organisation_missing(name: str | None) -> bool:
    """True while ``[organisation] name`` is empty or still the placeholder."""
    stripped = (name or "").strip()
    return not stripped or stripped == ORGANISATION_PLACEHOLDER


def _first_amount(right: Right) -> Amount | None:
    if not right.amounts:
        return None
    label = right.amounts[0].label
    return max(
        (a for a in right.amounts if a.label == label), key=lambda a: a.effective
    )


def right_context(right: Right) -> dict[str, Any]:
    """What a template may use of a right (``{{ right.name }}``, ``.link``…).

    ``amount`` is its first amount as :func:`maraude.rights.format_amount` writes
    it ("montant à vérifier (au …)" when stale), ``amount_label`` its label."""
    link = right.links[0] if right.links else None
    amount = _first_amount(right)
    return {
        "amount": format_amount(amount) if amount else "",
        "amount_label": amount.label if amount else "",
        "id": right.id,
        "name": right.name,
        "short_name": right.short_name,
        "summary": right.summary,
        "next_step": next_step(right.how_to_apply),
        "organisme": right.organisme,
        "link": link.url if link else "",
        "link_label": link.label if link else "",
        "simulator": right.simulators[0].url if right.simulators else "",
        "young": right.young,
    }


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value or ()]


def choose_situation(lead: Mapping[str, Any], rights: Sequence[Right] = ()) -> str:
    """The situation template for a lead.

    Uses the lead's ``situation`` (a worker's choice) when valid; else its
    ``labels`` (crisis), its ``situations`` (template names or catalogue tags),
    the first tag of each of its rights (``homeless`` → housing emergency,
    ``food``, ``debt``, ``violence``, ``youth`` → young) and ``minor``/``young``.
    """
    if lead.get("situation") in SITUATIONS:
        return str(lead["situation"])
    if "violence" in {p.id for p in protocols_for(lead)}:
        return "violence"  # a crisis from violence: 17 and 3919, not 3114 (#16)
    crisis = lead.get("crisis")
    if "crisis" in _as_list(lead.get("labels")) or (
        isinstance(crisis, int) and crisis == 1
    ):
        return "crisis"
    wanted: set[str] = set()
    for tag in _as_list(lead.get("situations")):
        wanted.add(tag if tag in SITUATIONS else PRIMARY_TAGS.get(tag, ""))
    wanted |= {PRIMARY_TAGS.get(r.situations[0], "") for r in rights if r.situations}
    if lead.get("minor") or lead.get("young"):
        wanted.add("young")
    return next((s for s in SITUATIONS if s in wanted), "first_contact")


def _person(value: Mapping[str, Any] | str, *keys: str) -> dict[str, str]:
    data = {"name": value} if isinstance(value, str) else dict(value)
    if not str(data.get("name") or "").strip():
        raise ValueError("a reply must name the worker and the organisation")
    return {k: str(data.get(k) or "").strip() for k in ("name", *keys)}


@dataclass(frozen=True)
class ReplyInputs:
    """What one reply draft is made of, before it becomes template data.

    ``worker`` / ``organisation``: a name, or a mapping with ``name`` (and
    ``role`` / ``url``). ``protocols``: those found in the post; ``also``: the
    rights added beside the first; ``form``: the post's non-recours form.
    """

    situation: str
    worker: Mapping[str, Any] | str
    organisation: Mapping[str, Any] | str
    right: Right | None = None
    place: Place | None = None
    minor: bool = False
    protocols: Sequence[Protocol] = ()
    form: str | None = None
    also: Sequence[Right] = ()


def reply_context(
    inputs: ReplyInputs, folder: Path = TEMPLATES_DIR, places: Path = PLACES_DIR
) -> dict[str, Any]:
    """The data a situation template is rendered with (documented in its README).

    The situation's own protocols (:data:`SITUATION_PROTOCOLS`) are added to
    ``inputs.protocols``, and 119 for a minor in violence."""
    situation, right, place = inputs.situation, inputs.right, inputs.place
    own = Path(folder) / "rights" / f"{right.id}.j2" if right else None
    ids = {p.id for p in inputs.protocols}
    ids |= set(SITUATION_PROTOCOLS.get(situation, ()))
    if inputs.minor and ids & {"violence", "suicide", "danger"}:
        ids.add("minor_danger")
    chosen = [p for name, p in PROTOCOLS.items() if name in ids]
    return {
        "protocols": [{"id": p.id, "draft": p.draft} for p in chosen],
        "protocol_ids": [p.id for p in chosen],
        "form": inputs.form if inputs.form in FORMS else None,
        "also": [right_context(r) for r in inputs.also],
        "situation": situation,
        "worker": _person(inputs.worker, "role"),
        "organisation": _person(inputs.organisation, "url"),
        "right": right_context(right) if right else None,
        "right_template": f"rights/{right.id}.j2"
        if right and own and own.is_file()
        else DEFAULT_RIGHT_TEMPLATE,
        "place": place.as_dict() if place else None,
        "local": local_doors(place, load_directory(places)) if place else None,
        "minor": bool(inputs.minor),
    }


def word_budget(context: Mapping[str, Any]) -> int:
    """The most words a reply should take: :data:`MAX_WORDS`, plus room for each
    protocol woven in and each right added beside the first (#16)."""
    extra = len(context.get("protocols") or ()) + len(context.get("also") or ())
    return MAX_WORDS + EXTRA_WORDS * extra


def count_words(text: str) -> int:
    """Words of a reply: tokens with a letter or digit (a lone ":" or "«" is not)."""
    return sum(1 for token in text.split() if any(c.isalnum() for c in token))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def render_template(
    name: str, context: Mapping[str, Any], folder: Path = TEMPLATES_DIR
) -> str:
    """Render one of our template files with ``context`` as data.

    Raises jinja2's ``TemplateError`` (``UndefinedError``, ``SecurityError``,
    ``TemplateSyntaxError``, ``TemplateNotFound``) when the template is broken.
    """
    return _tidy(environment(Path(folder)).get_template(name).render(**context))


def render_reply(
    lead: Mapping[str, Any],
    worker: Mapping[str, Any] | str,
    organisation: Mapping[str, Any] | str,
    *,
    rights: Sequence[str] | None = None,
    situation: str | None = None,
    place: Place | str | None = None,
    catalogue: Mapping[str, Right] | None = None,
    folder: Path = TEMPLATES_DIR,
) -> str:
    """A draft reply for a lead, for the worker to read, edit and send.

    ``lead``: a lead as ``maraude.db`` returns it (``labels``, ``rights_topics``,
    ``minor``, ``title``, ``text``), or any mapping with those keys.
    ``worker`` / ``organisation``: a name, or a mapping with ``name`` (and
    ``role`` / ``url``). ``rights``: right ids, most likely first (default: the
    lead's ``rights_topics``; unknown ids are skipped). ``situation``: force one of
    :data:`SITUATIONS`. ``place``: a Place, a text to look for one in, or None to
    look in the lead's title and text.

    Example::

        render_reply({"labels": ["rights"], "rights_topics": ["rsa"],
                      "text": "je suis sur Marseille"},
                     {"name": "Camille", "role": "éducatrice"}, "Association X")
    """
    rights_ = catalogue if catalogue is not None else load_catalogue()
    ids = rights if rights is not None else _as_list(lead.get("rights_topics"))
    chosen = [rights_[i] for i in ids if i in rights_]
    post = f"{lead.get('title') or ''}\n{lead.get('text') or ''}"
    protocols = protocols_for(lead)
    if lead.get("minor") and {p.id for p in protocols} & {"violence", "suicide"}:
        # A minor in danger is not offered a job programme first (the CEJ).
        chosen = [r for r in chosen if not set(r.situations) & _JOB_TAGS]
    also = _energy_also(chosen, post, rights_)
    if situation is not None and situation not in SITUATIONS:
        raise ValueError(f"unknown situation {situation!r}; one of {SITUATIONS}")
    situation = situation or choose_situation(lead, chosen)
    if place is None or isinstance(place, str):
        place = resolve_place((place if isinstance(place, str) else "") or post)
    inputs = ReplyInputs(
        situation,
        worker,
        organisation,
        right=chosen[0] if chosen else None,
        place=place,
        minor=bool(lead.get("minor")),
        protocols=protocols,
        form=lead.get("non_recours_form"),
        also=also,
    )
    context = reply_context(inputs, folder)
    try:
        return render_template(f"situations/{situation}.j2", context, folder)
    except TemplateError as e:
        raise ConfigError(
            f"The reply template for {situation!r} cannot be rendered ({e}); "
            "run `maraude rights check` to see what to fix in config/templates/."
        ) from None


def _energy_also(
    chosen: list[Right], post: str, catalogue: Mapping[str, Right]
) -> list[Right]:
    """A gas or electricity cut (or one of the two energy rights) brings the
    other: the chèque énergie pays bills, the FSL pays debts to restore supply.
    The missing one is added to ``chosen`` (first when it is empty) or returned."""
    have = {r.id for r in chosen}
    if not (have & set(ENERGY_RIGHTS) or _ENERGY_CUT.search(fold(post))):
        return []
    missing = [catalogue[i] for i in ENERGY_RIGHTS if i not in have and i in catalogue]
    if not chosen and missing:
        chosen.append(missing.pop(0))
    return missing


# --- checks (in maraude/template_checks.py) -----------------------------------

SAMPLE_WORKER = {"name": "Camille Exemple", "role": "éducatrice"}
SAMPLE_ORGANISATION = {"name": "Association Exemple"}
