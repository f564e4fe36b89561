"""French formats for the pages (no Streamlit here, so tests call it directly):
Europe/Paris times, JJ/MM/AAAA dates, and the classifier's explanation as
sentences ("Mots repérés : …", "Proche de ces exemples : …").

The explanation holds words of the post and masked snippets of training
examples: the pages show these lines with ``st.text`` only (inert).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
LABELS = {
    "crisis": "crise",
    "distress": "détresse",
    "rights": "droits",
    "minor": "mineur·e",
}
#: Families of the lexicon's rules (``crisis:…``, ``minor:…``, ``right:…``).
RULE_FAMILIES = {"crisis": "crise", "minor": "âge (mineur·e)", "right": "droit"}
#: Keys of the explanation that hold words found in the post.
PHRASE_KEYS = ("matched_phrases", "phrases", "crisis_phrases")
#: Most nearest examples shown, and the length of each snippet.
MAX_EXAMPLES = 3
SNIPPET = 90


def paris(iso: str | None) -> datetime | None:
    """An ISO-8601 time (UTC when it carries no zone) in Europe/Paris."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(PARIS)


def date_time(iso: str | None) -> str:
    """``06/12/2026 07:04`` (Paris time), or ``—`` when unknown."""
    moment = paris(iso)
    return "—" if moment is None else f"{moment:%d/%m/%Y %H:%M}"


def date(iso: str | None) -> str:
    """``06/12/2026`` (the day in Paris), or ``—`` when unknown."""
    moment = paris(iso)
    return "—" if moment is None else f"{moment:%d/%m/%Y}"


def clock(iso: str | None) -> str:
    """``07:04`` (Paris time), or ``—`` when unknown."""
    moment = paris(iso)
    return "—" if moment is None else f"{moment:%H:%M}"


def _quoted(items: Any) -> str:
    values = items if isinstance(items, list | tuple) else [items]
    return ", ".join(f"« {v} »" for v in values if v not in (None, ""))


def _rules(rules: list[str], right_names: dict[str, str]) -> str:
    by_family: dict[str, list[str]] = {}
    for rule in rules:
        family, _, name = str(rule).partition(":")
        if family == "right":
            name = right_names.get(name, name)
        elif family in RULE_FAMILIES:
            name = ""  # internal rule names mean nothing to a worker
        by_family.setdefault(RULE_FAMILIES.get(family, family), [])
        if name and name not in by_family[RULE_FAMILIES.get(family, family)]:
            by_family[RULE_FAMILIES.get(family, family)].append(name)
    return ", ".join(
        f"{family} ({', '.join(names)})" if names else family
        for family, names in by_family.items()
    )


def _example(example: Any, right_names: dict[str, str]) -> str:
    if not isinstance(example, dict):
        return f"« {example} »"
    text = " ".join(str(example.get("text") or "").split())
    text = text if len(text) <= SNIPPET else text[: SNIPPET - 1].rstrip() + "…"
    labels = [LABELS.get(x, right_names.get(x, x)) for x in example.get("labels") or []]
    facts = [", ".join(labels) or "aucune étiquette"]
    if isinstance(example.get("similarity"), int | float):
        facts.append(f"ressemblance {round(example['similarity'] * 100)} %")
    return f"« {text} » ({' ; '.join(facts)})"


def explanation_sentences(
    explanation: Any, right_names: dict[str, str] | None = None
) -> list[str]:
    """Why the post came up, as French sentences (plain text, one per line)."""
    if not isinstance(explanation, dict):
        return []
    names = right_names or {}
    lines: list[str] = []
    words = [w for k in PHRASE_KEYS for w in explanation.get(k) or []]
    if words:
        lines.append(f"Mots repérés : {_quoted(list(dict.fromkeys(words)))}.")
    if rules := explanation.get("lexicon_rules"):
        lines.append(f"Repéré par le lexique : {_rules(list(rules), names)}.")
    rights = explanation.get("rights")
    if isinstance(rights, dict) and rights:
        found = [
            f"{names.get(r, r)} ({_quoted(w)})" if w else str(names.get(r, r))
            for r, w in rights.items()
        ]
        lines.append(f"Droits repérés : {', '.join(found)}.")
    if minor := explanation.get("minor"):
        lines.append(f"Âge repéré : {_quoted(minor)}.")
    if explanation.get("crisis_review"):
        lines.append("Crise possible : le modèle hésite, à vérifier en lisant.")
    examples = explanation.get("nearest_examples") or []
    if examples:
        shown = [_example(e, names) for e in examples[:MAX_EXAMPLES]]
        lines.append("Proche de ces exemples : " + " ; ".join(shown) + ".")
    known = {*PHRASE_KEYS, "lexicon_rules", "rights", "minor", "crisis_review"}
    other = [v for k, v in explanation.items() if k not in known | {"nearest_examples"}]
    flat = [str(x) for v in other for x in (v if isinstance(v, list) else [v]) if x]
    if flat:
        lines.append(f"Autres indices : {', '.join(flat)}.")
    return lines
