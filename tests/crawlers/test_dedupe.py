"""Copies of one post: found (crawlers.dedupe), linked and made one lead
(maraude.db.duplicates). Texts are our own; dates are relative to now."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from crawlers.dedupe import MIN_WORDS, link_copies, normalise
from maraude import db as mdb

NOW = datetime.now(UTC).replace(microsecond=0)
POST = (
    "Bonjour, je suis au RSA depuis trois mois et la CAF ne répond plus à mes "
    "messages, je ne sais pas comment payer mon loyer ce mois-ci."
)
_ids = itertools.count(1)


def add(
    db,
    text,
    *,
    platform="discourse",
    site="forum.exemple.invalid",
    author="a" * 32,
    days=0.0,
):
    n = next(_ids)
    mdb.upsert_post(
        db,
        {
            "platform": platform,
            "site": site,
            "source": platform,
            "native_id": f"n{n}",
            "url": f"https://{site}/p/{n}",
            "author_hash": author,
            "text": text,
            "content_hash": f"h{n}",
            "created_at": (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    return mdb.post_id(db, platform, site, f"n{n}")


def prediction(post_id, score=0.9, labels=("distress",)):
    return {
        "post_id": post_id,
        "distress": score,
        "crisis": 0.0,
        "rights": 0.1,
        "labels": list(labels),
        "crisis_level": None,
        "rights_topics": [],
        "non_recours_form": None,
        "minor": False,
        "explanation": {},
    }


def links(db):
    return {r["copy_id"]: r for r in db.query("SELECT * FROM post_links")}


def test_normalise_ignores_case_accents_punctuation_links_and_masks():
    assert normalise("Ça VA ? https://x.invalid/a @[user] [email] très-bien") == [
        "ca",
        "va",
        "tres",
        "bien",
    ]


def test_exact_and_near_copies_across_feeds_are_linked_to_the_first(db):
    first = add(db, POST)
    feed = add(db, POST + " Read full topic", platform="rss", author="b" * 32)
    cross = add(db, POST.upper(), platform="reddit", site="www.reddit.invalid")
    other = add(db, "Je cherche une formation de soudeur près de Rennes, des idées ?")
    result = link_copies(db)
    assert (result.checked, result.exact, result.near) == (4, 1, 1)
    found = links(db)
    assert set(found) == {feed, cross}
    assert {r["original_id"] for r in found.values()} == {first}
    assert (found[cross]["kind"], found[feed]["kind"]) == ("exact", "near")
    assert 0.7 <= found[feed]["similarity"] < 1
    assert mdb.original_of(db, other) == other


def test_short_texts_are_never_merged(db):
    add(db, "Merci beaucoup pour votre aide !", author="a" * 32, platform="rss")
    add(db, "Merci beaucoup pour votre aide !", author="b" * 32, platform="reddit")
    assert len(normalise("Merci beaucoup pour votre aide !")) < MIN_WORDS
    assert link_copies(db).exact == 0
    assert links(db) == {}


def test_two_authors_of_one_forum_are_not_copies(db):
    add(db, POST, author="a" * 32)
    add(db, POST, author="b" * 32)
    assert link_copies(db).exact == 0
    assert links(db) == {}


def test_copies_outside_the_time_window_are_not_linked(db):
    add(db, POST, days=30)
    add(db, POST, platform="rss")
    assert link_copies(db).exact == 0


def test_a_second_run_checks_only_new_posts(db):
    add(db, POST)
    assert link_copies(db).checked == 1
    later = add(db, POST, platform="reddit", site="www.reddit.invalid")
    result = link_copies(db)
    assert (result.checked, result.exact) == (1, 1)
    assert later in links(db)
    assert link_copies(db).checked == 0


def test_a_copy_scored_after_linking_raises_the_original_lead(db):
    first = add(db, POST)
    copy = add(db, POST, platform="rss")
    link_copies(db)
    mdb.save_predictions(db, [prediction(first, 0.6), prediction(copy, 0.8)], "m1")
    (lead,) = list(db.query("SELECT * FROM leads"))
    assert (lead["post_id"], lead["score"]) == (first, 0.8)
    shown = mdb.get_lead(db, lead["id"])["copies"]
    assert [(c["platform"], c["kind"]) for c in shown] == [("rss", "exact")]


def test_leads_made_before_linking_are_merged(db):
    first = add(db, POST)
    copy = add(db, POST, platform="rss")
    mdb.save_predictions(db, [prediction(first, 0.6), prediction(copy, 0.8)], "m1")
    assert mdb.counts(db)["leads"] == 2
    assert link_copies(db).leads_merged == 1
    (lead,) = list(db.query("SELECT * FROM leads"))
    assert (lead["post_id"], lead["score"]) == (first, 0.8)


def test_a_touched_lead_is_never_merged_away(db):
    first = add(db, POST)
    copy = add(db, POST, platform="rss")
    mdb.save_predictions(db, [prediction(first), prediction(copy)], "m1")
    lead_of = dict(db.execute("SELECT post_id, id FROM leads").fetchall())
    mdb.claim_lead(db, lead_of[copy], "worker1")
    link_copies(db)
    # The copy's lead was claimed: it stays, the untouched one is folded into it.
    assert dict(db.execute("SELECT post_id, id FROM leads").fetchall()) == {
        copy: lead_of[copy]
    }
    shown = mdb.get_lead(db, lead_of[copy])["copies"]
    assert [c["kind"] for c in shown] == ["original"]
    # A new prediction for either copy raises that lead: still one lead.
    mdb.save_predictions(db, [prediction(first, 0.95)], "m2")
    assert mdb.counts(db)["leads"] == 1


def test_two_touched_leads_both_stay(db):
    first = add(db, POST)
    copy = add(db, POST, platform="rss")
    mdb.save_predictions(db, [prediction(first), prediction(copy)], "m1")
    for post_id, lead_id in db.execute("SELECT post_id, id FROM leads").fetchall():
        mdb.claim_lead(db, lead_id, f"worker{post_id}")
    link_copies(db)
    assert mdb.counts(db)["leads"] == 2


def test_deleting_a_post_deletes_its_links(db):
    first = add(db, POST)
    add(db, POST, platform="rss")
    link_copies(db)
    db.execute("DELETE FROM posts WHERE id = ?", [first])
    assert links(db) == {}


@pytest.mark.parametrize("kind", ["exact", "near", "retweet"])
def test_link_kinds_are_checked(db, kind):
    first = add(db, POST)
    copy = add(db, "Un tout autre texte, assez long pour compter comme un post.")
    assert mdb.link_copy(db, copy, first, kind)
    assert not mdb.link_copy(db, copy, first, kind)  # once
    with pytest.raises(ValueError, match="unknown link kind"):
        mdb.link_copy(db, copy, first, "similar")
