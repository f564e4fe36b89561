"""One post, one lead, measured on a loopback replay (issue #15).

The same French posts (written for this test) are served as a Discourse
``/posts.json``, that forum's RSS feed (with its "read the whole topic" line)
and a Reddit listing (cross-posts). The real crawl (``maraude crawl`` in a
subprocess: Scrapy engine, pipelines, SQLite) stores each post three times and
links the copies; every post then passes the classifier's thresholds, and the
queue holds exactly one lead per post, which shows the two other copies.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html import escape

import pytest

from maraude import db as mdb
from tests.crawlers.test_crawl_integration import run_crawl
from tests.replay import ReplayServer, Reply

pytestmark = pytest.mark.slow

TOPICS = [
    (
        "RSA suspendu sans prévenir",
        "Bonjour, mon RSA a été suspendu ce mois-ci sans aucun courrier de la CAF.",
        "J'ai deux enfants et plus rien sur le compte, je ne sais pas qui appeler.",
    ),
    (
        "APL et colocation",
        "Je vis en colocation à Nantes et on m'a dit que je n'avais pas droit aux APL.",
        "Est-ce que c'est vrai ou est-ce que je peux quand même faire une demande ?",
    ),
    (
        "Plus de chauffage",
        "Depuis trois semaines je ne chauffe plus le studio pour payer les courses.",
        "On m'a parlé du chèque énergie mais je ne l'ai jamais reçu, c'est normal ?",
    ),
    (
        "Fin de droits chômage",
        "Mes droits au chômage s'arrêtent en janvier et j'ai cinquante-huit ans.",
        "Une conseillère a parlé de l'ASS mais personne ne m'a expliqué comment faire.",
    ),
    (
        "Prime d'activité refusée",
        "Bonjour, mon dossier de prime d'activité a été refusé sans explication.",
        "Je travaille à mi-temps, je gagne huit cents euros, je ne comprends pas.",
    ),
    (
        "Dormir dans la voiture",
        "Je dors dans ma voiture depuis dix jours avec mon chien, le 115 est saturé.",
        "Il fait très froid la nuit et je commence à ne plus tenir le coup du tout.",
    ),
]
BASE_ID = 5000


def _when(i: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3 * i + 1)


def _discourse(base: str) -> bytes:
    posts = [
        {
            "id": BASE_ID + i,
            "topic_id": 700 + i,
            "post_number": 1,
            "post_type": 1,
            "topic_slug": f"sujet-{i}",
            "topic_title": title,
            "username": f"membre{i}_demo",
            "created_at": _when(i).isoformat().replace("+00:00", "Z"),
            "cooked": f"<p>{one}</p>\n<p>{two}</p>",
        }
        for i, (title, one, two) in enumerate(TOPICS)
    ]
    return json.dumps({"latest_posts": posts}).encode()


def _rss(base: str) -> bytes:
    items = "".join(
        f"<item><title>{escape(title)}</title>"
        f"<link>{base}/t/sujet-{i}/{700 + i}/1</link>"
        f'<guid isPermaLink="false">forum-post-{BASE_ID + i}</guid>'
        f"<dc:creator>membre{i}_demo</dc:creator>"
        f"<pubDate>{_when(i).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        "<description>"
        + escape(
            f"<p>{one}</p><p>{two}</p>"
            f'<p><a href="{base}/t/sujet-{i}/{700 + i}/1">'
            "Lire le sujet en entier</a></p>"
        )
        + "</description></item>"
        for i, (title, one, two) in enumerate(TOPICS)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Forum</title><link>{base}</link>{items}</channel></rss>"
    ).encode()


def _reddit() -> bytes:
    children = [
        {
            "kind": "t3",
            "data": {
                "id": f"zz{i}",
                "name": f"t3_zz{i}",
                "subreddit": "entraide_demo",
                "title": title,
                "selftext": f"{one}\n\n{two}",
                "author": f"redditeur{i}_demo",
                "created_utc": _when(i).timestamp() + 60,
                "permalink": f"/r/entraide_demo/comments/zz{i}/sujet/",
            },
        }
        for i, (title, one, two) in enumerate(TOPICS)
    ]
    listing = {"kind": "Listing", "data": {"after": None, "children": children}}
    return json.dumps(listing).encode()


@pytest.fixture
def three_feeds():
    with ReplayServer() as server:
        base = server.base_url
        empty = json.dumps({"latest_posts": []}).encode()
        server.add("/posts.json", Reply(200, empty), before=str(BASE_ID - 1))
        server.add("/posts.json", Reply(200, _discourse(base)))
        server.add(
            "/posts.rss",
            Reply(200, _rss(base), {"Content-Type": "application/rss+xml"}),
        )
        server.add("/r/entraide_demo/new", Reply(200, _reddit()))
        yield server


def _sources(base: str) -> str:
    return (
        f'[[sources]]\nname = "forum"\nplatform = "discourse"\nbase_url = "{base}"\n'
        f'[[sources]]\nname = "forum-rss"\nplatform = "rss"\nurl = "{base}/posts.rss"\n'
        f'[[sources]]\nname = "entraide"\nplatform = "reddit"\nbase_url = "{base}"\n'
        'subreddits = ["entraide_demo"]\n'
    )


def _every_post_passes(database) -> None:
    predictions = [
        {
            "post_id": post_id,
            "distress": 0.9,
            "crisis": 0.0,
            "rights": 0.8,
            "labels": ["distress", "rights"],
            "crisis_level": None,
            "rights_topics": ["rsa"],
            "non_recours_form": None,
            "minor": False,
            "explanation": {},
        }
        for (post_id,) in database.execute("SELECT id FROM posts").fetchall()
    ]
    mdb.save_predictions(database, predictions, "test-model")


def test_one_lead_per_post_across_three_feeds(three_feeds, db_path, tmp_path):
    result = run_crawl(db_path, _sources(three_feeds.base_url), tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    platforms = dict(
        database.execute("SELECT platform, count(*) FROM posts GROUP BY 1").fetchall()
    )
    assert platforms == {"discourse": 6, "rss": 6, "reddit": 6}
    groups = dict(
        database.execute(
            "SELECT original_id, count(*) FROM post_links GROUP BY 1"
        ).fetchall()
    )
    assert sorted(groups.values()) == [2] * len(TOPICS)
    kinds = dict(
        database.execute("SELECT kind, count(*) FROM post_links GROUP BY 1").fetchall()
    )
    assert sum(kinds.values()) == 2 * len(TOPICS)
    _every_post_passes(database)
    leads = mdb.list_leads(database, limit=None)
    assert len(leads) == len(TOPICS)  # 18 posts, 6 leads: 0 duplicate leads
    assert len({lead["text"][:40] for lead in leads}) == len(TOPICS)
    for lead in leads:
        seen = mdb.get_lead(database, lead["id"])["copies"]
        others = {c["platform"] for c in seen} | {lead["platform"]}
        assert others == {"discourse", "rss", "reddit"}
        assert all(c["url"] for c in seen)


def test_a_second_crawl_adds_no_lead(three_feeds, db_path, tmp_path):
    run_crawl(db_path, _sources(three_feeds.base_url), tmp_path)
    database = mdb.open_db(db_path)
    _every_post_passes(database)
    database.close()
    result = run_crawl(db_path, _sources(three_feeds.base_url), tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    _every_post_passes(database)
    assert mdb.counts(database)["leads"] == len(TOPICS)
