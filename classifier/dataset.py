"""Labelled examples: the seed set, external files, moderators' labels; the split.

Every ``classifier/data/*.jsonl`` file is part of the seed set. A line is
``{"text", "distress", "crisis", "rights", "rights_topics", "non_recours_form",
"minor", "style", "group"}``. A label may be missing or null ("unknown"): each
head trains only on the examples where its label is known.

The held-out split is deterministic: an example goes to the test split when the
SHA-1 of its normalised text falls in the first 20 % of the hash space, so a
duplicate can never sit on both sides and adding examples never moves old ones.
If a label would have no positive in the test split, the positives with the
smallest hashes are moved there (a small, deterministic correction).
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.text import text_hash
from maraude import vocab
from maraude.errors import InputError

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
LABELS = vocab.LABELS
FORMS = vocab.FORMS
TEST_FRACTION = 0.2
#: Positives a label needs in the test split (when it has enough overall).
MIN_TEST_POSITIVES = 3

_TRUE = {"1", "true", "yes", "oui", "y", "t"}
_FALSE = {"0", "false", "no", "non", "n", "f", ""}


@dataclass
class Example:
    """One labelled text; a label is 0, 1, or None (unknown)."""

    text: str
    distress: int | None = None
    crisis: int | None = None
    rights: int | None = None
    minor: int | None = None
    rights_topics: tuple[str, ...] = ()
    non_recours_form: str | None = None
    origin: str = ""
    group: str = ""
    #: Measuring only (real-text files): the main right id, the text's kind,
    #: whether both annotators agreed (None: not said).
    right: str = ""
    kind: str = ""
    agreed: bool | None = None
    hash: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.crisis == 1:  # a crisis is always a distress too
            self.distress = 1
        if self.rights_topics and self.rights is None:
            self.rights = 1
        if self.rights == 0:
            self.rights_topics = ()
            self.non_recours_form = None
        if self.non_recours_form not in (None, *FORMS):
            raise ValueError(f"unknown non_recours_form {self.non_recours_form!r}")
        self.hash = self.hash or text_hash(self.text)

    def label(self, name: str) -> int | None:
        return getattr(self, name)

    def positive_labels(self) -> list[str]:
        return [name for name in LABELS if self.label(name) == 1]


def _flag(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool | int | float) and value in (0, 1):
        return int(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return None if text == "" else 0
    raise InputError(f"{where}: label value {value!r} is not 0/1 (or true/false).")


def example_from_dict(data: Mapping[str, Any], origin: str, where: str) -> Example:
    """An :class:`Example` from a seed-style dict; ``where`` names it in errors."""
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f'{where}: needs a non-empty string "text".')
    topics = data.get("rights_topics") or []
    if isinstance(topics, str):
        topics = json.loads(topics) if topics.startswith("[") else [topics]
    try:
        return Example(
            text=text,
            distress=_flag(data.get("distress"), where),
            crisis=_flag(data.get("crisis"), where),
            rights=_flag(data.get("rights"), where),
            minor=_flag(data.get("minor"), where),
            rights_topics=tuple(str(t) for t in topics),
            non_recours_form=data.get("non_recours_form") or None,
            origin=origin,
            group=str(data.get("group") or ""),
            right=str(data.get("right") or ""),
            kind=str(data.get("kind") or ""),
            agreed=None if (a := _flag(data.get("agreed"), where)) is None else a == 1,
        )
    except ValueError as e:
        raise InputError(f"{where}: {e}.") from None


def seed_files() -> list[Path]:
    """The seed set: every ``classifier/data/*.jsonl`` file."""
    return sorted(DATA_DIR.glob("*.jsonl"))


def load_jsonl(path: str | Path) -> list[Example]:
    """Examples of a seed-format JSON Lines file (blank lines are skipped)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Data file {path} does not exist.")
    out = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{n}: invalid JSON ({e.msg}).") from None
            if not isinstance(data, dict):
                raise InputError(f"{path}:{n}: expected a JSON object.")
            out.append(example_from_dict(data, path.name, f"{path}:{n}"))
    return out


def load_mapped(
    path: str | Path, text_col: str, label_col: str, label_name: str
) -> list[Example]:
    """Examples from a CSV/TSV/JSONL file where one column gives one label."""
    path = Path(path)
    if label_name not in LABELS:
        raise InputError(f"--label must be one of {', '.join(LABELS)}.")
    if not path.is_file():
        raise InputError(f"Data file {path} does not exist.")
    rows: Iterable[tuple[int, dict[str, Any]]]
    with path.open(encoding="utf-8", newline="") as f:
        if path.suffix.lower() in (".csv", ".tsv"):
            delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
            rows = list(enumerate(csv.DictReader(f, delimiter=delimiter), 2))
        else:
            rows = [(n, json.loads(x)) for n, x in enumerate(f, 1) if x.strip()]
    out = []
    for n, row in rows:
        where = f"{path}:{n}"
        if text_col not in row or label_col not in row:
            raise InputError(f"{where}: no column {text_col!r} or {label_col!r}.")
        data = {"text": row[text_col], label_name: row[label_col]}
        out.append(example_from_dict(data, path.name, where))
    return out


def from_label_rows(rows: Iterable[Mapping[str, Any]]) -> list[Example]:
    """Examples from moderators' labels (``maraude.db.labels``).

    A "not relevant" mark is a negative for every label it leaves unknown.
    """
    out = []
    for row in rows:
        data = dict(row)
        if data.get("origin") == "not_relevant":
            for name in ("distress", "crisis", "rights"):
                if data.get(name) is None:
                    data[name] = 0
        out.append(example_from_dict(data, "db", f"label {row.get('id', '?')}"))
    return out


def dedupe(examples: Iterable[Example]) -> list[Example]:
    """One example per normalised text; a later one (e.g. a moderator's) wins."""
    by_hash: dict[str, Example] = {}
    for ex in examples:
        by_hash.pop(ex.hash, None)
        by_hash[ex.hash] = ex
    return list(by_hash.values())


def _stratify_keys(ex: Example) -> list[str]:
    keys = ex.positive_labels()
    if ex.non_recours_form:
        keys.append(ex.non_recours_form)
    return keys


def split(
    examples: list[Example], test_fraction: float = TEST_FRACTION
) -> tuple[list[Example], list[Example]]:
    """Deterministic (train, test) split by hash of the normalised text
    (``test_fraction`` 0: everything is for training, no test split)."""
    if test_fraction <= 0:
        return list(examples), []
    cut = int(test_fraction * 16**8)
    test_ids = {id(ex) for ex in examples if int(ex.hash[:8], 16) < cut}
    for key in (*LABELS, *FORMS):
        positives = sorted(
            (ex for ex in examples if key in _stratify_keys(ex)), key=lambda e: e.hash
        )
        wanted = min(MIN_TEST_POSITIVES, len(positives) // 3)
        have = sum(id(ex) in test_ids for ex in positives)
        for ex in positives:
            if have >= wanted:
                break
            if id(ex) not in test_ids:
                test_ids.add(id(ex))
                have += 1
    train = [ex for ex in examples if id(ex) not in test_ids]
    test = [ex for ex in examples if id(ex) in test_ids]
    return train, test


def load_examples(
    data_files: Iterable[str | Path] | None = None,
    *,
    with_seed: bool = False,
    extra_labels: Iterable[Mapping[str, Any]] | None = None,
    text_col: str | None = None,
    label_col: str | None = None,
    label_name: str | None = None,
) -> list[Example]:
    """The training examples: seed set (or files), then moderators' labels.

    ``data_files`` replaces the seed set unless ``with_seed``. With ``text_col``,
    ``label_col`` and ``label_name`` each file maps one column to one label.
    """
    files = list(data_files or [])
    examples: list[Example] = []
    if not files or with_seed:
        for seed in seed_files():
            examples += load_jsonl(seed)
    mapped = text_col or label_col or label_name
    if mapped and not (text_col and label_col and label_name):
        raise InputError("Give --text-col, --label-col and --label together.")
    for path in files:
        if mapped:
            examples += load_mapped(
                path, str(text_col), str(label_col), str(label_name)
            )
        else:
            examples += load_jsonl(path)
    if extra_labels is not None:
        examples += from_label_rows(extra_labels)
    if not examples:
        raise InputError(
            "No training examples: classifier/data/*.jsonl is empty and no --data "
            "file was given."
        )
    unique = dedupe(examples)
    logger.info(
        "loaded %d examples (%d after de-duplication)", len(examples), len(unique)
    )
    return unique
