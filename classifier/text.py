"""Text helpers shared by the classifier: accent folding, hashing, snippets.

``fold`` is what every French pattern (crisis lexicon, rights aliases) is matched
against: lower case, accents stripped, ligatures expanded, apostrophes, hyphens and
underscores turned into spaces. ``fold_with_map`` also returns, for each folded
character, the index of the original character, so a match can be shown in the
writer's own spelling.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

from maraude.db import post_text  # noqa: F401 (one definition, shared with purge)
from maraude.privacy import mask_text

# Apostrophes, quotes used as apostrophes, hyphens and dashes: all become a space,
# so "prime d'activité", "prime d’activite" and "prime d activite" fold alike.
_SEPARATORS = frozenset("'’‘`´ʼʹ′-‐‑‒–—_")
_SPECIAL = {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"}
_WS = re.compile(r"\s+")


def _fold_char(c: str) -> str:
    if c in _SEPARATORS:
        return " "
    low = c.lower()
    if low in _SPECIAL:
        return _SPECIAL[low]
    decomposed = unicodedata.normalize("NFKD", low)
    return "".join(x for x in decomposed if not unicodedata.combining(x))


_CACHE: dict[str, str] = {}


def _folded(c: str) -> str:
    out = _CACHE.get(c)
    if out is None:
        out = _CACHE[c] = _fold_char(c)
    return out


def fold(text: str) -> str:
    """Lower-case, strip accents, apostrophes/hyphens → spaces (length may change)."""
    return "".join(_folded(c) for c in text)


@lru_cache(maxsize=256)  # the lexicons and the rights tagger fold the same post
def fold_with_map(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` plus, for each folded character, its index in ``text``.

    The returned list is shared between callers: do not modify it.
    """
    parts: list[str] = []
    index: list[int] = []
    for i, c in enumerate(text):
        f = _folded(c)
        parts.append(f)
        index.extend([i] * len(f))
    return "".join(parts), index


def original_span(text: str, index: list[int], start: int, end: int) -> str:
    """The substring of ``text`` behind the folded span ``[start, end)``."""
    if end <= start or not index:
        return ""
    return text[index[start] : index[end - 1] + 1]


def normalize(text: str) -> str:
    """Folded text with collapsed whitespace: the input of the n-gram TF-IDF."""
    return _WS.sub(" ", fold(text)).strip()


def text_hash(text: str) -> str:
    """SHA-1 of the normalised text (duplicates and the train/test split)."""
    return hashlib.sha1(
        normalize(text).encode("utf-8"), usedforsecurity=False
    ).hexdigest()


def snippet(text: str, limit: int = 120) -> str:
    """A masked, single-line excerpt of at most ``limit`` characters."""
    flat = _WS.sub(" ", mask_text(text)).strip()
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + "…"
