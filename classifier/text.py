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
from collections.abc import Sequence
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


class _FoldTable(dict):
    """``str.translate`` table that folds each new character on first sight."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(folded) != 1:  # recorded before the table knows it (threads)
            _IRREGULAR.add(chr(code))
        self[code] = folded
        return folded


_TABLE = _FoldTable()
#: Characters whose folded form is not exactly one character ("œ", combining marks).
_IRREGULAR: set[str] = set()


def fold(text: str) -> str:
    """Lower-case, strip accents, apostrophes/hyphens → spaces (length may change)."""
    return text.translate(_TABLE)


@lru_cache(maxsize=256)  # the lexicons and the rights tagger fold the same post
def fold_with_map(text: str) -> tuple[str, Sequence[int]]:
    """``fold(text)`` plus, for each folded character, its index in ``text``.

    Most texts fold character for character, and the map is then a ``range``.
    The returned map is shared between callers: do not modify it.
    """
    folded = fold(text)
    if _IRREGULAR.isdisjoint(text):
        return folded, range(len(text))
    index: list[int] = []
    for i, c in enumerate(text):
        index.extend([i] * len(_TABLE[ord(c)]))
    return folded, index


def original_span(text: str, index: Sequence[int], start: int, end: int) -> str:
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
