"""Labelling: uncertain, diverse batches; double labels, kappa, adjudication; roles."""

from __future__ import annotations

import json

import pytest

from maraude import db as mdb
from maraude.db.labelling import DOUBLE_SQL, cohen_kappa, pick_batch
from maraude.errors import InputError, PermissionDenied
from maraude.ops import labels as la
from tests.dashboard.dashboard_seed import POSTS

MOD = {"username": "mod", "role": "moderator"}
MIA = {"username": "mia", "role": "moderator"}
ADA = {"username": "ada", "role": "admin"}
SAM = {"username": "sam", "role": "senior"}
ALICE = {"username": "alice", "role": "worker"}

NOTHING = {"distress": False, "crisis": False, "rights": False, "minor": False}


def post_id(db, name: str) -> int:
    return next(
        r["id"] for r in db.query("SELECT id FROM posts WHERE native_id = ?", [name])
    )


def add_post(db, native_id: str, text: str, scores=(0.5, 0.0, 0.0)) -> int:
    mdb.upsert_post(
        db,
        {
            "platform": "forum",
            "site": "forum.example.org",
            "source": "forum_test",
            "native_id": native_id,
            "text": text,
            "content_hash": f"hash-{text}",
        },
    )
    pid = post_id(db, native_id)
    d, c, r = scores
    mdb.save_predictions(
        db,
        [
            {
                "post_id": pid,
                "distress": d,
                "crisis": c,
                "rights": r,
                "labels": [],
                "rights_topics": [],
                "non_recours_form": None,
                "minor": False,
                "explanation": {},
            }
        ],
        "test-model",
    )
    return pid


# -- choosing posts -------------------------------------------------------------------


def item(pid: int, text: str, content_hash: str | None = None) -> dict:
    return {"post_id": pid, "title": None, "text": text, "content_hash": content_hash}


def test_a_batch_skips_near_duplicates():
    candidates = [
        item(1, "Je ne sais pas si j'ai droit à la prime d'activité ce mois-ci", "a"),
        item(2, "je ne sais pas si j’ai droit à la prime d’activité ce mois ci !", "b"),
        item(3, "Texte tout à fait différent", "a"),  # same content hash
        item(4, "ce mois-ci je ne sais pas si j'ai droit à la prime d'activité", "c"),
        item(5, "Le chauffage est coupé et on a froid avec les enfants", "d"),
    ]
    assert [c["post_id"] for c in pick_batch(candidates, 10)] == [1, 5]


def test_a_batch_has_at_most_size_items():
    candidates = [item(i, f"message numéro {i} " + "mot" * i, str(i)) for i in range(9)]
    assert len(pick_batch(candidates, 3)) == 3


def test_the_most_uncertain_posts_come_first(db):
    batch = la.next_batch(db, MOD, 10)
    # margins: rights 0.20, hostile 0.30, minor 0.35, crisis 0.45
    names = {post_id(db, n): n for n in POSTS}
    assert [names[i] for i in batch] == ["rights", "hostile", "minor", "crisis"]


def test_a_post_held_by_one_moderator_goes_to_nobody_else(db):
    first = la.next_batch(db, MOD, 2)
    second = la.next_batch(db, MIA, 10)
    assert not set(first) & set(second)
    assert la.next_batch(db, MOD, 2) == first  # the holder gets them back


def test_a_labelled_post_is_never_offered_again_even_under_another_id(db):
    pid = post_id(db, "rights")
    la.save_label(db, MOD, pid, {**NOTHING, "rights": True})
    copy = add_post(db, "copy", POSTS["rights"][3])
    db.execute(
        "UPDATE posts SET content_hash = (SELECT content_hash FROM posts WHERE id = ?)"
        " WHERE id = ?",
        [pid, copy],
    )
    assert pid not in la.next_batch(db, MOD, 10)
    assert copy not in la.next_batch(db, MOD, 10)
    assert not la.still_to_label(db, MOD, pid)
    with pytest.raises(InputError, match="already labelled"):
        la.save_label(db, MOD, pid, NOTHING)


def test_one_post_in_ten_goes_to_two_moderators(db):
    ids = [add_post(db, f"p{i}", f"message {i} " + "mot " * i) for i in range(40)]
    query = f"SELECT p.id, {DOUBLE_SQL} FROM posts p"  # noqa: S608 (constants)
    in_sql = {pid: bool(flag) for pid, flag in db.execute(query)}
    assert in_sql == {pid: mdb.is_double(pid) for pid in in_sql}
    doubles = [i for i in ids if mdb.is_double(i)]
    assert 1 <= len(doubles) <= 8
    single = next(i for i in ids if not mdb.is_double(i))
    double = doubles[0]
    for pid in (single, double):
        la.save_label(db, MOD, pid, NOTHING)
    offered_to_mia = la.next_batch(db, MIA, 100)
    assert double in offered_to_mia
    assert single not in offered_to_mia
    la.save_label(db, MIA, double, NOTHING)
    assert double not in la.next_batch(db, ADA, 100)  # two labels: done


# -- saving labels ---------------------------------------------------------------------


def test_a_label_is_stored_masked_normalised_and_audited(db):
    pid = post_id(db, "rights")
    la.save_label(
        db,
        MOD,
        pid,
        {
            **NOTHING,
            "crisis": True,
            "rights_topics": ["rsa"],
            "non_recours_form": "non_demande",
        },
    )
    (label,) = mdb.labels(db)
    assert (label["origin"], label["username"], label["post_id"]) == (
        "moderator",
        "mod",
        pid,
    )
    assert (label["distress"], label["crisis"], label["rights"]) == (1, 1, 1)
    assert json.loads(label["rights_topics"]) == ["rsa"]
    assert label["non_recours_form"] == "non_demande"
    assert "[email]" in label["text"]
    assert "jean.exemple@example.org" not in label["text"]
    dumped = json.dumps(mdb.audit_entries(db), ensure_ascii=False)
    assert "RSA" not in dumped
    assert "label" in [e["action"] for e in mdb.audit_entries(db)]


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ({"non_recours_form": "bof"}, "non_recours_form"),
        ({"rights_topics": ["<script>"]}, "right id"),
    ],
)
def test_bad_label_values_are_refused(db, choice, message):
    with pytest.raises(InputError, match=message):
        la.save_label(db, MOD, post_id(db, "rights"), {**NOTHING, **choice})
    assert mdb.labels(db) == []


def test_every_form_of_non_recours_can_be_labelled(db):
    """The four forms of contracts.md, non_proposition included, are accepted
    as they are and named in French on the label page."""
    from classifier.dataset import FORMS as MODEL_FORMS
    from dashboard.widgets.wording import FORMS as SHOWN
    from maraude.db.labelling import FORMS

    assert FORMS == MODEL_FORMS
    assert set(SHOWN) == {None, *FORMS}
    choice = {**NOTHING, "rights": True, "rights_topics": ["prime_activite"]}
    choice["non_recours_form"] = "non_proposition"
    la.save_label(db, MOD, post_id(db, "rights"), choice)
    assert [label["non_recours_form"] for label in mdb.labels(db)] == [
        "non_proposition"
    ]


def test_a_post_deleted_meanwhile_is_a_clear_error(db):
    pid = post_id(db, "rights")
    db.execute("DELETE FROM posts WHERE id = ?", [pid])
    with pytest.raises(InputError, match="no longer exists"):
        la.save_label(db, MOD, pid, NOTHING)


def test_skipping_releases_the_post(db):
    pid = la.next_batch(db, MOD, 1)[0]
    la.skip(db, MOD, pid)
    assert pid in la.next_batch(db, MIA, 10)


# -- agreement and adjudication ------------------------------------------------------


def test_cohen_kappa_matches_a_hand_computed_value():
    assert cohen_kappa([(1, 1), (1, 1), (0, 0), (0, 1)]) == 0.5
    assert cohen_kappa([(1, 1), (0, 0)]) == 1.0
    assert cohen_kappa([(0, 0), (0, 0)]) is None  # one class: undefined
    assert cohen_kappa([]) is None


def label_both(db, name: str, mod_choice: dict, mia_choice: dict) -> None:
    la.save_label(db, MOD, post_id(db, name), {**NOTHING, **mod_choice})
    la.save_label(db, MIA, post_id(db, name), {**NOTHING, **mia_choice})


def test_kappa_per_label_and_the_disagreements(db):
    label_both(db, "rights", {"rights": True}, {"rights": True})
    label_both(db, "minor", {"distress": True}, {"distress": True, "minor": True})
    figures = la.agreement(db, MOD)
    assert figures["rights"]["n"] == 2
    assert figures["minor"]["agreement"] == 0.5
    (found,) = la.disagreements(db, SAM)
    assert found["fields"] == ["minor"]
    assert found["post_id"] == post_id(db, "minor")
    assert [x["username"] for x in found["labels"]] == ["mod", "mia"]


def test_a_third_person_settles_a_disagreement(db):
    label_both(db, "minor", {"distress": True}, {"distress": True, "minor": True})
    (found,) = la.disagreements(db, SAM)
    for labeller in (MOD, MIA):
        with pytest.raises(InputError, match="someone else"):
            la.adjudicate(db, labeller, found["item_key"], NOTHING)
    la.adjudicate(
        db, SAM, found["item_key"], {**NOTHING, "distress": True, "minor": True}
    )
    assert la.disagreements(db, SAM) == []
    decided = [x for x in mdb.labels(db) if x["origin"] == "adjudication"]
    assert [(x["username"], x["minor"]) for x in decided] == [("sam", 1)]
    with pytest.raises(InputError, match="already settled"):
        la.adjudicate(db, ADA, found["item_key"], NOTHING)
    resolved = mdb.resolved_labels(db)
    assert [(x["origin"], x["minor"]) for x in resolved] == [("adjudication", 1)]


def test_disagreements_outlive_the_purged_post(db):
    label_both(db, "minor", {"distress": True}, {"minor": True})
    db.execute("DELETE FROM posts WHERE id = ?", [post_id(db, "minor")])
    (found,) = la.disagreements(db, SAM)
    assert found["post_id"] is None
    assert "14 ans" in found["text"]
    la.adjudicate(db, SAM, found["item_key"], {**NOTHING, "minor": True})
    assert la.agreement(db, MOD)["minor"]["n"] == 1


# -- roles -----------------------------------------------------------------------------


@pytest.mark.parametrize("user", [ALICE, SAM])
@pytest.mark.parametrize(
    ("action", "args"),
    [
        (la.next_batch, (10,)),
        (la.still_to_label, (1,)),
        (la.view_item, (1,)),
        (la.save_label, (1, NOTHING)),
        (la.skip, (1,)),
    ],
)
def test_only_moderators_and_admins_label(db, user, action, args):
    with pytest.raises(PermissionDenied, match=user["role"]):
        action(db, user, *args)
    assert mdb.labels(db) == []
    (entry,) = mdb.audit_entries(db)
    assert (entry["username"], entry["action"]) == (user["username"], "denied")


@pytest.mark.parametrize(
    ("action", "args"),
    [
        (la.disagreements, ()),
        (la.view_disagreement, ("key",)),
        (la.adjudicate, ("key", NOTHING)),
        (la.agreement, ()),
    ],
)
def test_a_worker_cannot_adjudicate(db, action, args):
    with pytest.raises(PermissionDenied, match="worker"):
        action(db, ALICE, *args)


def test_an_admin_labels_and_a_senior_adjudicates(db):
    la.save_label(db, ADA, post_id(db, "crisis"), {**NOTHING, "crisis": True})
    assert la.disagreements(db, SAM) == []
    assert la.view_item(db, MOD, post_id(db, "crisis"))["post_id"] == post_id(
        db, "crisis"
    )
