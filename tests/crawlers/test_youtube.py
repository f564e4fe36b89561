"""YouTube comments: API pages in the documented JSON shape (written by us), replayed.

``commentThreads`` and ``search`` responses follow the YouTube Data API v3
reference (``youtube#commentThreadListResponse``, ``youtube#searchListResponse``);
every comment's text is ours.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from crawlers.spiders.youtube import _VIDEO, _no_key
from maraude import db as mdb
from tests.cassettes import run_crawl
from tests.replay import ReplayServer, Reply

VIDEOS = ["vidAAAAAAA1", "vidBBBBBBB2", "vidCCCCCCC3"]
CHANNEL = "UC" + "x" * 22
PER_VIDEO = 500
PAGE = 100
TEXTS = [
    "je ne savais pas que la caf pouvait aider pour le loyer, merci pour la vidéo",
    "est-ce que quelqu'un a déjà demandé la prime d'activité avec un contrat court",
    "ça fait des mois que je suis seul chez moi et cette vidéo me parle",
    "super explication, je vais enfin faire ma demande de rsa",
]
ENGLISH = "thanks for the video, this is really helpful and I love it"


def comment(video: str, cid: str, text: str, when: datetime, parent=None) -> dict:
    snippet = {
        "channelId": CHANNEL,
        "videoId": video,
        "textDisplay": text,
        "textOriginal": text,
        "authorDisplayName": f"@auteur{cid[-3:]}",
        "authorProfileImageUrl": "https://yt3.ggpht.com/x",
        "authorChannelUrl": f"http://www.youtube.com/@auteur{cid[-3:]}",
        "authorChannelId": {"value": "UC" + cid[-22:].rjust(22, "z")},
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 0,
        "publishedAt": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updatedAt": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if parent:
        snippet["parentId"] = parent
    return {"kind": "youtube#comment", "etag": "e", "id": cid, "snippet": snippet}


def thread(video: str, i: int, now: datetime) -> dict:
    tid = f"Ug{video[3]}{i:05d}"
    when = now - timedelta(minutes=i + 1)
    text = ENGLISH if i % 50 == 7 else f"{TEXTS[i % len(TEXTS)]} ({i})"
    out = {
        "kind": "youtube#commentThread",
        "etag": "e",
        "id": tid,
        "snippet": {
            "channelId": CHANNEL,
            "videoId": video,
            "topLevelComment": comment(video, tid, text, when),
            "canReply": True,
            "totalReplyCount": 0,
            "isPublic": True,
        },
    }
    if i % 25 == 0:  # a thread with two replies
        replies = [
            comment(video, f"{tid}.r{k}", f"{TEXTS[k]} (réponse {k})", when, tid)
            for k in (1, 2)
        ]
        out["snippet"]["totalReplyCount"] = 2
        out["replies"] = {"comments": replies}
    return out


def page_body(threads: list[dict], token: str | None) -> bytes:
    body = {
        "kind": "youtube#commentThreadListResponse",
        "etag": "e",
        "pageInfo": {"totalResults": len(threads), "resultsPerPage": PAGE},
        "items": threads,
    }
    if token:
        body["nextPageToken"] = token
    return json.dumps(body).encode()


def serve_videos(server: ReplayServer, now: datetime) -> None:
    for video in VIDEOS:
        threads = [thread(video, i, now) for i in range(PER_VIDEO)]
        pages = [threads[k : k + PAGE] for k in range(0, PER_VIDEO, PAGE)]
        tokens = [None] + [f"tok{video}{n}" for n in range(1, len(pages))]
        # Routes are matched in order: pages with a token before the first one.
        for n in range(len(pages) - 1, -1, -1):
            nxt = tokens[n + 1] if n + 1 < len(pages) else None
            query = {"videoId": video}
            if tokens[n]:
                query["pageToken"] = tokens[n]
            server.add(
                "/commentThreads",
                Reply(
                    200, page_body(pages[n], nxt), {"Content-Type": "application/json"}
                ),
                **query,
            )


def toml(server: ReplayServer, **keys: str) -> str:
    extra = "".join(f"{k} = {v}\n" for k, v in keys.items())
    return (
        '[[sources]]\nname = "yt"\nplatform = "youtube"\n'
        f'base_url = "{server.base_url}"\nmax_pages = 100\n{extra}'
    )


VIDEO_LIST = json.dumps(VIDEOS)


def counts(db_path) -> tuple[int, int]:
    database = mdb.open_db(db_path)
    total = database.execute("SELECT count(*) FROM posts").fetchone()[0]
    distinct = database.execute(
        "SELECT count(DISTINCT native_id) FROM posts WHERE platform = 'youtube'"
    ).fetchone()[0]
    database.close()
    return total, distinct


EXPECTED = len(VIDEOS) * (PER_VIDEO + 2 * (PER_VIDEO // 25))  # comments + replies


@pytest.mark.slow
def test_three_videos_of_500_comments_are_stored_once_then_nothing(tmp_path, db_path):
    now = datetime.now(UTC).replace(microsecond=0)
    with ReplayServer() as server:
        serve_videos(server, now)
        first = run_crawl(db_path, toml(server, videos=VIDEO_LIST), tmp_path)
        assert first.returncode == 0, first.stderr
        assert counts(db_path) == (EXPECTED, EXPECTED)
        pages_first = len(server.requests)
        second = run_crawl(db_path, toml(server, videos=VIDEO_LIST), tmp_path)
        assert second.returncode == 0, second.stderr
        assert counts(db_path) == (EXPECTED, EXPECTED)
        assert len(server.requests) - pages_first == len(VIDEOS)  # one page each
    assert pages_first == len(VIDEOS) * PER_VIDEO // PAGE
    assert all("key=" not in r for r in server.requests)  # a replay needs no key
    database = mdb.open_db(db_path)
    runs = mdb.crawl_runs(database)
    assert [r["new_posts"] for r in runs] == [0, EXPECTED]
    reply = next(database.query("SELECT * FROM posts WHERE native_id = 'UgA00025.r1'"))
    assert reply["parent_native_id"] == "UgA00025"
    assert reply["url"] == "https://www.youtube.com/watch?v=vidAAAAAAA1&lc=UgA00025.r1"
    assert reply["site"] == "www.youtube.com"
    assert len(reply["author_hash"]) == 32
    langs = dict(
        database.execute(
            "SELECT native_id, lang FROM posts WHERE native_id LIKE 'UgA%'"
        ).fetchall()
    )
    assert langs["UgA00007"] != "fr"
    assert langs["UgA00008"] == "fr"
    assert "auteur" not in json.dumps(list(database.query("SELECT * FROM posts")))
    database.close()


@pytest.mark.slow
def test_a_run_cut_short_resumes_its_backlog(tmp_path, db_path):
    now = datetime.now(UTC).replace(microsecond=0)
    with ReplayServer() as server:
        serve_videos(server, now)
        keys = {"videos": json.dumps(VIDEOS[:1])}
        short = toml(server, **keys).replace("max_pages = 100", "max_pages = 2")
        assert run_crawl(db_path, short, tmp_path).returncode == 0
        assert counts(db_path)[0] == 2 * PAGE + 2 * 8
        for _ in range(3):  # each run: the top page, then one page of backlog
            assert run_crawl(db_path, short, tmp_path).returncode == 0
    assert counts(db_path) == (PER_VIDEO + 2 * 20, PER_VIDEO + 2 * 20)


@pytest.mark.slow
def test_the_daily_quota_stops_the_run_and_says_so(tmp_path, db_path):
    now = datetime.now(UTC).replace(microsecond=0)
    search = {
        "kind": "youtube#searchListResponse",
        "etag": "e",
        "regionCode": "FR",
        "pageInfo": {"totalResults": 1, "resultsPerPage": 50},
        "items": [
            {
                "kind": "youtube#searchResult",
                "etag": "e",
                "id": {"kind": "youtube#video", "videoId": VIDEOS[0]},
                "snippet": {"title": "Le RSA expliqué", "channelId": CHANNEL},
            }
        ],
    }
    with ReplayServer() as server:
        serve_videos(server, now)
        server.add("/search", Reply(200, json.dumps(search).encode()))
        keys = {"channels": json.dumps([CHANNEL]), "daily_quota": "103"}
        result = run_crawl(db_path, toml(server, **keys), tmp_path)
        again = run_crawl(db_path, toml(server, **keys), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "daily quota reached (103 of 103 units" in result.stderr
    assert [r.split("?")[0] for r in server.requests[:4]] == [
        "/search",
        "/commentThreads",
        "/commentThreads",
        "/commentThreads",
    ]
    assert len(server.requests) == 4  # 100 + 3 × 1 units; the second run: none
    assert "daily quota reached" in again.stderr
    database = mdb.open_db(db_path)
    titles = {r[0] for r in database.execute("SELECT thread_title FROM posts")}
    assert titles == {"Le RSA expliqué"}
    database.close()


def test_video_ids_and_urls_are_recognised():
    for entry in (
        "dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
    ):
        assert _VIDEO.match(entry).group(1) == "dQw4w9WgXcQ"
    assert _VIDEO.match("https://evil.example/watch?v=dQw4w9WgXcQ") is None


def test_the_api_key_never_reaches_the_log():
    assert _no_key("https://x/commentThreads?videoId=a&key=SECRET&b=1") == (
        "https://x/commentThreads?videoId=a&key=…&b=1"
    )


def test_without_a_key_the_run_says_what_to_do(tmp_path, db_path, monkeypatch):
    monkeypatch.delenv("MARAUDE_YOUTUBE_API_KEY", raising=False)
    sources = (
        '[[sources]]\nname = "yt"\nplatform = "youtube"\nvideos = ["dQw4w9WgXcQ"]\n'
    )
    result = run_crawl(db_path, sources, tmp_path)
    assert "MARAUDE_YOUTUBE_API_KEY" in result.stderr
    assert counts(db_path) == (0, 0)


def test_youtube_posts_are_purged_after_their_platform_limit(db):
    old = (datetime.now(UTC) - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for platform, site in (
        ("youtube", "www.youtube.com"),
        ("reddit", "www.reddit.com"),
    ):
        mdb.upsert_post(
            db,
            {
                "platform": platform,
                "site": site,
                "source": "s",
                "native_id": "n1",
                "text": "un message",
                "fetched_at": old,
                "content_hash": "h",
            },
        )
    policy = mdb.Policy(posts_days=30, platform_days={"youtube": 5})
    report = mdb.purge(db, policy)
    assert report["of which past their platform's limit"] == 1
    left = [r[0] for r in db.execute("SELECT platform FROM posts")]
    assert left == ["reddit"]


def test_platform_days_come_from_the_config(tmp_path):
    from maraude.config import load_config
    from maraude.errors import ConfigError

    assert load_config().privacy.platform_days == {"youtube": 30}
    user = tmp_path / "c.toml"
    user.write_text("[privacy]\nplatform_days = { twitch = 3 }\n", encoding="utf-8")
    assert load_config(user).privacy.platform_days == {"youtube": 30, "twitch": 3}
    user.write_text("[privacy]\nplatform_days = { youtube = 0 }\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"platform_days\.youtube"):
        load_config(user)


def test_a_comment_becomes_a_post_even_without_its_original_text(db_path):
    from scrapy.utils.test import get_crawler

    from crawlers.spiders.youtube import YoutubeSpider
    from maraude.sources import Source

    source = Source(
        name="yt",
        platform="youtube",
        settings={"base_url": "http://127.0.0.1:9", "videos": ["dQw4w9WgXcQ"]},
    )
    crawler = get_crawler(YoutubeSpider, {"MARAUDE_DB": str(db_path)})
    spider = YoutubeSpider.from_crawler(crawler, source=source)
    when = datetime.now(UTC).replace(microsecond=0)
    raw = comment("dQw4w9WgXcQ", "Ugx12345", "bonjour <3 à tous", when, "Ugx1")
    del raw["snippet"]["textOriginal"]  # only its author is sure to get it
    post = spider._comment(raw, "dQw4w9WgXcQ")
    assert post.text == "bonjour <3 à tous"
    assert post.html is False
    assert post.author == "auteur345"  # the @handle, hashed by the pipeline
    assert post.parent_native_id == "Ugx1"
    assert post.created_at == when.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert post.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=Ugx12345"


def test_recheck_never_fetches_youtube_or_twitch_pages(db_path):
    from crawlers.recheck import recheck

    database = mdb.open_db(db_path)
    for i, (platform, url) in enumerate(
        [
            ("youtube", "https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=Ugx1"),
            ("twitch", "https://www.twitch.tv/chaine"),
        ],
        start=1,
    ):
        mdb.upsert_post(
            database,
            {
                "platform": platform,
                "site": url.split("/")[2],
                "source": "s",
                "native_id": f"n{i}",
                "url": url,
                "text": "un message",
                "content_hash": str(i),
            },
        )
    prediction = {
        "distress": 0.9,
        "crisis": 0.0,
        "rights": 0.0,
        "labels": ["distress"],
        "rights_topics": [],
        "non_recours_form": None,
        "minor": False,
        "explanation": {},
    }
    mdb.save_predictions(database, [{"post_id": i, **prediction} for i in (1, 2)], "m1")
    database.close()
    fetched = []

    def fetch(url, headers):
        fetched.append(url)
        return 404, b""

    result = recheck(db_path, [], user_agent="test", delay=0, fetch=fetch)
    assert fetched == []
    assert (result.checked, result.unknown, result.deleted) == (2, 2, 0)
