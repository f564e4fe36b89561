"""Which rights a post is about: a head learned from examples, aliases as evidence.

The lexicon is derived at fit time from the catalogue (``config/rights/*.toml``:
each right's aliases, name and short name), so adding a right is adding a file.
Aliases and posts are both :func:`~classifier.text.fold`-ed (lower case, no
accents, apostrophes and hyphens as spaces) and matched on word boundaries with
any run of spaces between words: "prime d activiter", "Prime d’activité" and
"PRIME D'ACTIVITE" all match the alias "prime d'activiter" / "prime d'activité".

Strength of a match:

- 1.0 ("strong"): an alias with a word of five letters or more, an alias of two
  words or more ("les apl", "le rsa"), or a short acronym written in capitals
  ("RSA", "AME");
- 0.5 ("weak"): a one-word short alias in lower case ("apl", "are", "ass"), which
  may be an ordinary word. An alias made only of short words matches nothing
  when the post spells it with accents ("l'âme" is not "l'AME").

With features (:meth:`RightsTagger.fit` ``features=``), a multi-label head
(:class:`~classifier.rights_head.RightsHead`) learns the rights from the
examples' ``rights_topics`` plus one example per catalogue entry, so a situation
finds its right without naming it ("plus d'électricité" → chèque énergie, FSL).
A right's score is then its head probability plus ``alias_weight`` × the strength
of its alias match (a right without a regression: ``2 × alias_weight`` ×
strength). Topic rule (see :meth:`RightsTagger.topics`): when the rights label
passes, the rights scoring at least ``topic_min``, best first (else the best one,
else the nearest prototype); when it does not pass, only strongly matched rights,
best first. Without a head (models saved before it), aliases come first: all
matched rights, or the right whose prototype is nearest to the post (cosine ≥
``min_similarity``).
A right's prototype is the normalised sum of the embedding of its name + summary
and the mean embedding of the training examples tagged with it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifier.rights_head import RightsHead
from classifier.text import fold, fold_with_map, original_span
from maraude.rights import CATALOGUE_DIR, Right, load_catalogue

logger = logging.getLogger(__name__)

SHORT_ALIAS = 4  # letters; an alias this short and one word long is ambiguous
_PAREN = re.compile(r"\([^)]*\)")


@dataclass(frozen=True)
class RightMatch:
    right: str
    alias: str
    phrase: str
    start: int
    strength: float


def _alias_pattern(alias: str) -> str:
    return r"\s+".join(re.escape(tok) for tok in alias.split())


def _is_short(alias: str) -> bool:
    """An alias made only of short words: "apl", "les apl", "l ame", "a.a.h"."""
    return max(sum(c.isalnum() for c in tok) for tok in alias.split()) <= SHORT_ALIAS


def catalogue_aliases(catalogue: Mapping[str, Right]) -> dict[str, list[str]]:
    """Folded alias → right ids, from aliases, names and short names."""
    out: dict[str, list[str]] = {}
    for right in catalogue.values():
        names = [right.name, *right.short_name.split("/"), *right.aliases]
        for raw in names:
            alias = " ".join(fold(_PAREN.sub(" ", raw)).split())
            if len(alias) < 2:
                continue
            ids = out.setdefault(alias, [])
            if right.id not in ids:
                ids.append(right.id)
    return out


def _prototype_text(right: Right) -> str:
    return f"{right.name}. {right.summary}"


def _catalogue_text(right: Right) -> str:
    """A right's catalogue entry as one training example for the head."""
    return ". ".join([right.name, right.short_name, *right.aliases, right.summary])


class RightsTagger:
    """Find catalogue rights in texts; rank rights by embedding similarity."""

    def __init__(
        self,
        catalogue_dir: str | None = None,
        min_similarity: float = 0.2,
        alias_weight: float = 0.25,
        topic_min: float = 0.5,
    ) -> None:
        self.catalogue_dir = catalogue_dir
        self.min_similarity = min_similarity
        self.alias_weight = alias_weight
        self.topic_min = topic_min

    def fit(
        self,
        embeddings: np.ndarray | None = None,
        topics: Sequence[Sequence[str]] | None = None,
        *,
        embedder: Any = None,
        catalogue: Mapping[str, Right] | None = None,
        features: Any = None,
        featurize: Callable[[list[str], np.ndarray], Any] | None = None,
    ) -> RightsTagger:
        """Build the alias lexicon and, with an embedder, the right prototypes.

        With an embedder, ``features`` (rows of the training examples, as the
        other heads see them) and ``featurize`` ((texts, embeddings) → such rows,
        for the catalogue entries, embedded as their prototypes), also fit the
        rights head on the examples that name a right.
        """
        if catalogue is None:
            folder = Path(self.catalogue_dir) if self.catalogue_dir else CATALOGUE_DIR
            catalogue = load_catalogue(folder)
        self.aliases_ = catalogue_aliases(catalogue)
        self.right_ids_ = sorted(catalogue)
        self.prototypes_ = None
        cat = None
        if embedder is not None:
            cat = embedder.encode(
                [_prototype_text(catalogue[r]) for r in self.right_ids_]
            )
            protos = np.asarray(cat, dtype=np.float32).copy()
            if embeddings is not None and topics is not None:
                for i, right in enumerate(self.right_ids_):
                    rows = [j for j, t in enumerate(topics) if right in t]
                    if rows:
                        mean = embeddings[rows].mean(axis=0)
                        protos[i] += mean / max(np.linalg.norm(mean), 1e-9)
            norms = np.linalg.norm(protos, axis=1, keepdims=True)
            self.prototypes_ = protos / np.maximum(norms, 1e-9)
        self.head_: RightsHead | None = None
        if (
            features is not None
            and featurize
            and topics is not None
            and cat is not None
        ):
            cat_x = featurize(
                [_catalogue_text(catalogue[r]) for r in self.right_ids_], cat
            )
            self.head_ = self._fit_head(features, topics, cat_x)
        self._compile()
        logger.info(
            "rights tagger: %d rights, %d aliases",
            len(self.right_ids_),
            len(self.aliases_),
        )
        return self

    def _fit_head(
        self, features: Any, topics: Sequence[Sequence[str]], cat_x: Any
    ) -> RightsHead:
        """The head, on the examples naming a right plus one row per right."""
        import scipy.sparse as sp

        rows = [i for i, t in enumerate(topics) if t]
        x = sp.vstack([features[rows], cat_x], format="csr")
        y = [tuple(topics[i]) for i in rows] + [(r,) for r in self.right_ids_]
        return RightsHead().fit(x, y, self.right_ids_)

    def head_scores(self, features: Any) -> np.ndarray | None:
        """The head's probabilities (columns: ``head_.right_ids_``), or None."""
        head = getattr(self, "head_", None)
        return None if head is None else head.scores(features)

    def refresh(self, catalogue: Mapping[str, Right], embedder: Any = None) -> None:
        """Follow the catalogue as it is now, without retraining.

        Aliases are rebuilt from the current files; a right added since training
        gets a prototype from its name and summary (with ``embedder``); a right
        removed is dropped. So adding a right is adding one file.
        """
        self.aliases_ = catalogue_aliases(catalogue)
        keep = [i for i, r in enumerate(self.right_ids_) if r in catalogue]
        ids = [self.right_ids_[i] for i in keep]
        protos = None if self.prototypes_ is None else self.prototypes_[keep]
        new = [r for r in sorted(catalogue) if r not in ids]
        if new and protos is not None and embedder is not None:
            extra = np.asarray(
                embedder.encode([_prototype_text(catalogue[r]) for r in new]),
                dtype=np.float32,
            )
            extra /= np.maximum(np.linalg.norm(extra, axis=1, keepdims=True), 1e-9)
            protos = np.vstack([protos, extra])
            ids += new
        elif new and protos is None:
            ids += new
        self.right_ids_, self.prototypes_ = ids, protos
        self._compile()

    def _compile(self) -> None:
        ordered = sorted(self.aliases_, key=len, reverse=True)
        self._lookup = {re.sub(r"\s+", " ", a): a for a in ordered}
        body = "|".join(_alias_pattern(a) for a in ordered)
        self._regex = re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")

    def find(self, text: str) -> list[RightMatch]:
        """Alias matches in ``text``: one per right, strongest then earliest first."""
        folded, index = fold_with_map(text)
        best: dict[str, RightMatch] = {}
        for m in self._regex.finditer(folded):
            alias = self._lookup.get(re.sub(r"\s+", " ", m.group(0)))
            if alias is None:
                continue
            phrase = original_span(text, index, m.start(), m.end())
            strength = 1.0
            if _is_short(alias):
                if not phrase.isascii():
                    continue  # "âme" is not the AME
                strength = 1.0 if " " in alias or phrase.isupper() else 0.5
            for right in self.aliases_[alias]:
                old = best.get(right)
                if old is None or strength > old.strength:
                    best[right] = RightMatch(right, alias, phrase, m.start(), strength)
        return sorted(best.values(), key=lambda r: (-r.strength, r.start))

    def similar(self, embedding: np.ndarray) -> list[tuple[str, float]]:
        """Rights by cosine similarity of their prototype to ``embedding``."""
        if self.prototypes_ is None:
            return []
        sims = self.prototypes_ @ np.asarray(embedding, dtype=np.float32)
        order = np.argsort(-sims)
        return [(self.right_ids_[i], float(sims[i])) for i in order]

    def ranked(
        self, matches: list[RightMatch], head_scores: np.ndarray
    ) -> list[tuple[str, float]]:
        """Rights by score (head probability plus alias evidence), best first."""
        head = getattr(self, "head_", None)
        if head is None:
            return []
        known = set(self.right_ids_)
        score = {
            r: float(p)
            for r, p in zip(head.right_ids_, head_scores, strict=True)
            if r in known
        }
        for m in matches:
            if m.right in score:
                score[m.right] += self.alias_weight * m.strength
            else:
                score[m.right] = 2 * self.alias_weight * m.strength
        return sorted(score.items(), key=lambda kv: -kv[1])

    def topics(
        self,
        matches: list[RightMatch],
        embedding: np.ndarray,
        rights_pass: bool,
        head_scores: np.ndarray | None = None,
    ) -> list[str]:
        """Right ids for a post, most likely first (rule in the module docstring)."""
        if head_scores is not None and getattr(self, "head_", None) is not None:
            ranked = self.ranked(matches, head_scores)
            if not rights_pass:
                strong = {m.right for m in matches if m.strength >= 1.0}
                return [r for r, _ in ranked if r in strong]
            chosen = [r for r, s in ranked if s >= self.topic_min]
            if chosen:
                return chosen
            if ranked and ranked[0][1] > 0:
                return [ranked[0][0]]
        if not rights_pass:
            return [m.right for m in matches if m.strength >= 1.0]
        if matches:
            return [m.right for m in matches]
        ranked_sim = self.similar(embedding)
        if ranked_sim and ranked_sim[0][1] >= self.min_similarity:
            return [ranked_sim[0][0]]
        return []

    def to_state(self) -> dict[str, Any]:
        """Plain types only, for the skops file."""
        return {
            "params": {
                "catalogue_dir": self.catalogue_dir,
                "min_similarity": self.min_similarity,
                "alias_weight": self.alias_weight,
                "topic_min": self.topic_min,
            },
            "aliases": [[a, list(ids)] for a, ids in self.aliases_.items()],
            "right_ids": list(self.right_ids_),
            "prototypes": self.prototypes_,
            "head": None if self.head_ is None else self.head_.to_state(),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> RightsTagger:
        tagger = cls(**state["params"])
        tagger.aliases_ = {a: list(ids) for a, ids in state["aliases"]}
        tagger.right_ids_ = list(state["right_ids"])
        tagger.prototypes_ = state["prototypes"]
        head = state.get("head")  # absent in models saved before the head
        tagger.head_ = None if head is None else RightsHead.from_state(head)
        tagger._compile()
        return tagger
