"""Embedders from specs, and the labelled data (loading, consistency, split)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classifier.dataset import (
    FORMS,
    LABELS,
    Example,
    from_label_rows,
    load_examples,
    load_jsonl,
    load_mapped,
    split,
)
from classifier.embed import FakeEmbedder, load_embedder
from maraude.errors import InputError


def test_fake_embedder_is_deterministic_and_normalised():
    emb = load_embedder({"backend": "fake", "dim": 16})
    a = emb.encode(["bonjour à tous", ""])
    b = FakeEmbedder(dim=16).encode(["bonjour à tous", ""])
    assert a.shape == (2, 16)
    assert a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(a, b)
    assert emb.spec == {"backend": "fake", "dim": 16}


def test_unknown_backend_is_an_input_error():
    with pytest.raises(InputError, match="Unknown embedder backend"):
        load_embedder({"backend": "word2vec"})


def test_sentence_transformers_needs_a_model():
    with pytest.raises(InputError, match="model"):
        load_embedder({"backend": "sentence-transformers"})


def test_default_spec_is_use_and_lazy():
    emb = load_embedder(None)
    assert emb.spec == {"backend": "use"}
    assert emb.name.startswith("use-multilingual-v3")


def test_a_crisis_is_a_distress():
    assert Example("x", crisis=1, distress=0).distress == 1


def test_rights_negative_drops_topics():
    ex = Example("x", rights=0, rights_topics=("rsa",), non_recours_form="non_demande")
    assert ex.rights_topics == ()
    assert ex.non_recours_form is None


def test_load_jsonl_names_the_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "distress": 1}\n{oops\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        load_jsonl(path)


def test_load_mapped_csv_sets_one_label(tmp_path):
    path = tmp_path / "ext.csv"
    path.write_text("body,y\nje vais mal,1\nbelle journée,0\n", encoding="utf-8")
    rows = load_mapped(path, "body", "y", "distress")
    assert [r.distress for r in rows] == [1, 0]
    assert all(r.rights is None and r.crisis is None for r in rows)


def test_not_relevant_labels_are_negatives():
    (ex,) = from_label_rows(
        [{"id": 1, "text": "pub pour un vpn", "origin": "not_relevant", "minor": None}]
    )
    assert (ex.distress, ex.crisis, ex.rights) == (0, 0, 0)


def test_later_duplicates_win(seed_file):
    text = "SUPER MATCH hier soir,  quelle ambiance au stade"
    rows = [{"text": text, "distress": 1, "origin": "moderator"}]
    examples = load_examples([seed_file], extra_labels=rows)
    (ex,) = [e for e in examples if "match" in e.text.lower()]
    assert (ex.text, ex.distress) == (text, 1)


def test_split_is_deterministic_disjoint_and_covers_every_label(examples):
    train, test = split(examples)
    _, test2 = split(list(reversed(examples)))
    assert {e.hash for e in test} == {e.hash for e in test2}
    assert not {e.hash for e in train} & {e.hash for e in test}
    assert len(train) + len(test) == len(examples)
    for name in LABELS:
        assert any(e.label(name) == 1 for e in test), name
    for form in FORMS:
        assert any(e.non_recours_form == form for e in test), form


def test_seed_format_round_trip(seed_file):
    first = json.loads(seed_file.read_text(encoding="utf-8").splitlines()[0])
    assert load_jsonl(seed_file)[0].text == first["text"]
