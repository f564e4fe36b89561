"""The forum spider: saved thread pages parsed directly, then real crawls.

Recorded pages come from ../shared/fixtures/forums_html (real boards, German).
``tests/data/fixtures/phpbb_fr``, ``smf`` and ``invision`` are pages we wrote
ourselves in each engine's real markup (phpBB 3.3 prosilver, SMF 2.1,
Invision Community 4), with fictional French posts and ``*_demo`` names.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawlers.items import PostItem
from crawlers.pipelines import normalise_item
from crawlers.spiders.forum import ForumSpider
from maraude import db as mdb
from maraude.sources import Source
from tests.replay import ReplayServer, Reply

OURS = Path(__file__).resolve().parent.parent / "data" / "fixtures"
PHPBB_FR = OURS / "phpbb_fr"
VB = "fixtures/forums_html/vbulletin_pocketpc.ch.auslieferung.html"
XF = "fixtures/forums_html/xenforo_katzen-forum.net-Pepe.html"
PHPBB = "fixtures/forums_html/phpbb_foren.myoos.de.html"
FORUMOTION = (
    "fixtures/forums_html/forumotion_wolfsrebellen-netz.forumieren.com.regeln.html"
)
BASE = "http://127.0.0.1:9"
VB_URL = (
    "https://www.pocketpc.ch/windows-phone-7-allgemein/"
    "122760-microsoft-beginnt-auslieferung-vorbereitungsupdate-34.html"
)
HANDLES = ["Lucie_demo", "Thomas_demo", "Nadia_demo", "Karim_demo", "Sam_demo"]


def make_spider(db_path, engine="phpbb", start=BASE + "/index.php", **settings):
    config = {"start_urls": [start], **({"engine": engine} if engine else {})}
    source = Source(name="forum-test", platform="forum", settings=config | settings)
    crawler = get_crawler(ForumSpider, {"MARAUDE_DB": str(db_path)})
    return ForumSpider.from_crawler(crawler, source=source)


def page(body: bytes, url: str, content_type: str = "text/html") -> HtmlResponse:
    return HtmlResponse(url=url, body=body, headers={"Content-Type": content_type})


def parse(spider, response, **kwargs):
    out = list(spider.parse(response, **kwargs))
    posts = [o for o in out if isinstance(o, PostItem)]
    return posts, [o.url for o in out if not isinstance(o, PostItem)]


def plain(post: PostItem) -> str:
    return normalise_item(post).text


def warnings(caplog) -> list[str]:
    return [r.levelname for r in caplog.records if r.levelno >= logging.WARNING]


# -- recorded boards ----------------------------------------------------------


def test_vbulletin_page_without_a_charset_header_gives_20_posts_with_accents(
    shared, db_path
):
    body = (shared / VB).read_bytes()
    spider = make_spider(db_path, "vbulletin", start=VB_URL)
    posts, requests = parse(spider, page(body, VB_URL))  # header: no charset
    assert len(posts) == 20
    assert [p.native_id for p in (posts[0], posts[-1])] == ["949757", "949908"]
    texts = [f"{p.quoted}\n{p.text}" for p in map(normalise_item, posts)]
    assert any("müsste" in t for t in texts)  # ISO-8859-1 bytes, meta charset
    assert not any("\ufffd" in t for t in texts)
    assert posts[0].thread_title == (
        "Microsoft beginnt mit der Auslieferung des Vorbereitungsupdate!"
    )
    # Page 34: the thread's first post is elsewhere, so the thread id stands in.
    assert {p.parent_native_id for p in posts} == {"t122760"}
    assert {p.title for p in posts} == {None}
    assert posts[0].url.endswith("-post949757.html#post949757")  # no ?s= session
    assert [p.created_at for p in posts] == [None] * 20  # only local text dates
    assert requests == [VB_URL.replace("-34.html", "-35.html")]


def test_a_wrong_charset_header_is_overruled_by_what_the_bytes_are(
    shared, db_path, caplog
):
    body = (shared / VB).read_bytes()
    spider = make_spider(db_path, "vbulletin", start=VB_URL)
    posts, _ = parse(spider, page(body, VB_URL, "text/html; charset=utf-8"))
    assert len(posts) == 20
    assert not any("\ufffd" in plain(p) for p in posts)
    assert "says utf-8 but is cp1252" in caplog.text
    # And the other way round: UTF-8 bytes sent as ISO-8859-1.
    body = (shared / XF).read_bytes()
    spider = make_spider(db_path, "xenforo", start=BASE + "/t")
    posts, _ = parse(spider, page(body, BASE + "/t", "text/html; charset=iso-8859-1"))
    assert "schläft" in plain(posts[0])


def test_an_undecodable_page_is_an_error(db_path, caplog):
    body = _phpbb_page([(1, "Amélie", "Ça va très mal.")]).encode("latin-1")
    body = body.replace(b'charset="utf-8"', b"")
    spider = make_spider(db_path, start=BASE + "/t")
    posts, _ = parse(spider, page(body, BASE + "/t", "text/html; charset=utf-8"))
    assert len(posts) == 1  # stored anyway, but counted as an error
    assert warnings(caplog) == ["ERROR"]
    assert "is not valid utf-8" in caplog.text


def test_xenforo_page_gives_18_posts(shared, db_path):
    body = (shared / XF).read_bytes()
    url = BASE + "/threads/jede-nacht-verliert-pepe-soviel-dreck-aus-dem-fell.230143/"
    spider = make_spider(db_path, "xenforo", start=url)
    posts, requests = parse(spider, page(body, url))
    assert len(posts) == 18
    first, second = posts[0], posts[1]
    assert (first.native_id, first.author) == ("6331411", "Pepemaus")
    assert (
        first.title
        == first.thread_title
        == ("Jede Nacht verliert Pepe soviel Dreck aus dem Fell")
    )
    assert first.parent_native_id is None
    assert first.created_at == "2018-09-27T12:51:09Z"  # 14:51:09+0200
    assert (second.title, second.parent_native_id) == (None, "6331411")
    assert second.url == url + "post-6331423"
    assert requests == []  # one page, and no next-page link


def test_xenforo_quotes_are_marked_and_lose_the_quoted_name(shared, db_path):
    body = (shared / XF).read_bytes()
    spider = make_spider(db_path, "xenforo", start=BASE + "/t")
    posts, _ = parse(spider, page(body, BASE + "/t"))
    post = normalise_item(next(p for p in posts if p.native_id == "6331617"))
    text = f"{post.quoted}\n{post.text}"  # the quote is kept apart (#15)
    assert text.startswith(
        "@[user] a écrit :\n> yellowkitty die Ohren sind total sauber, kein Dreck\n"
    )
    assert post.text.startswith("Dann hat er wohl keine Milben")
    assert "hat gesagt" not in text
    assert "Zum Vergrößern anklicken" not in text  # the "expand" button


def test_phpbb_page_gives_its_one_post(shared, db_path):
    # The thread "Was ist Freie Software" holds a single post, div.post#p453.
    body = (shared / PHPBB).read_bytes()
    spider = make_spider(db_path, start=BASE + "/viewtopic.php?t=167")
    (post,), requests = parse(spider, page(body, BASE + "/viewtopic.php?t=167"))
    assert (post.native_id, post.author) == ("453", "r23")
    assert post.title == "Was ist Freie Software"
    assert post.url == BASE + "/viewtopic.php?p=453#p453"  # sid dropped
    assert post.created_at is None  # phpBB 3.0 prints a local date only
    quoted = normalise_item(post).quoted  # kept apart from the text (#15)
    assert "[citation]\n> Der fundamentale Akt" in quoted  # an uncited quote
    assert requests == []


def test_forumotion_page_gives_3_posts_and_skips_the_ad(shared, db_path):
    # Four div.post blocks: #p7, #p655, #p702 are posts; #p0 is the
    # "Gesponserte Inhalte" (sponsored content) block Forumotion inserts.
    body = (shared / FORUMOTION).read_bytes()
    spider = make_spider(db_path, "forumotion", start=BASE + "/t7-forums-regeln")
    posts, _ = parse(spider, page(body, BASE + "/t7-forums-regeln"))
    assert [p.native_id for p in posts] == ["7", "655", "702"]
    assert {p.author for p in posts} == {"lupa"}
    assert posts[0].title == "Forums-Regeln"
    assert posts[1].parent_native_id == "7"
    assert posts[1].url == BASE + "/t7-forums-regeln#655"


# -- our own pages: SMF and Invision ------------------------------------------


def test_smf_topic(db_path):
    url = BASE + "/index.php?topic=58.0"
    spider = make_spider(db_path, "smf", start=url)
    body = (OURS / "smf" / "topic58.html").read_bytes()
    posts, requests = parse(spider, page(body, url))
    assert [p.native_id for p in posts] == ["581", "584", "590"]
    assert [p.author for p in posts] == ["Élodie_demo", "Marc_demo", "Élodie_demo"]
    assert posts[0].title == "Dossier MDPH bloqué depuis huit mois"
    assert posts[2].parent_native_id == "581"
    assert posts[1].url.endswith("?topic=58.msg584#msg584")
    post = normalise_item(posts[1])
    text = f"{post.quoted}\n{post.text}"  # the quote is kept apart (#15)
    assert text.startswith("@[user] a écrit :\n> Je ne sais pas si je dois refaire")
    assert ">" not in post.text
    assert "Citation de" not in text
    assert "Élodie" not in text
    assert requests == []


def test_invision_topic(db_path):
    url = BASE + "/topic/4521-cheque-energie-jamais-recu/"
    spider = make_spider(db_path, "invision", start=url)
    body = (OURS / "invision" / "topic4521.html").read_bytes()
    posts, requests = parse(spider, page(body, url))
    assert [p.native_id for p in posts] == ["30811", "30815", "30822"]
    assert posts[0].title == "Chèque énergie jamais reçu"
    assert posts[0].created_at == "2024-03-07T08:30:00Z"
    assert posts[1].author == "Hugo_demo"
    assert posts[1].url.endswith("?do=findComment&comment=30815")
    post = normalise_item(posts[1])
    text = f"{post.quoted}\n{post.text}"  # the quote is kept apart (#15)
    assert text.startswith("@[user] a écrit :\n> Comment savoir si j’y ai droit ?")
    assert ">" not in post.text
    assert "Mathilde" not in text
    assert requests == []  # its "next" link is inactive


# -- lists, threads and incremental runs (our phpBB board) -------------------


def fr(name: str) -> bytes:
    return (PHPBB_FR / name).read_bytes()


def test_board_index_leads_to_its_forum_and_the_forum_to_its_threads(db_path):
    spider = make_spider(db_path)
    posts, requests = parse(spider, page(fr("index.html"), BASE + "/index.php"))
    assert (posts, requests) == ([], [BASE + "/viewforum.php?f=2"])
    posts, requests = parse(spider, page(fr("viewforum.html"), requests[0]))
    assert posts == []
    assert requests == [BASE + f"/viewtopic.php?t={t}" for t in (101, 102, 103)]


def test_thread_pages_give_posts_with_their_thread(db_path):
    spider = make_spider(db_path)
    key = "127.0.0.1/101"
    one, requests = parse(
        spider, page(fr("topic101.html"), BASE + "/viewtopic.php?t=101"), thread=key
    )
    assert [p.native_id for p in one] == ["1001", "1004", "1005"]
    assert requests == [BASE + "/viewtopic.php?t=101&start=3"]
    two, requests = parse(
        spider, page(fr("topic101_page2.html"), requests[0]), thread=key
    )
    assert [p.native_id for p in two] == ["1009", "1012"]
    assert requests == []
    assert one[0].title == "Plus de RSA depuis deux mois, je ne sais plus quoi faire"
    assert {p.parent_native_id for p in one[1:] + two} == {"1001"}
    assert {p.title for p in one[1:] + two} == {None}
    assert one[1].created_at == "2024-03-10T19:15:00Z"
    assert spider.threads[key]["page"] == BASE + "/viewtopic.php?t=101&start=3"


def test_quote_attributions_are_masked(db_path):
    spider = make_spider(db_path)
    posts, _ = parse(spider, page(fr("topic101.html"), BASE + "/viewtopic.php?t=101"))
    post = normalise_item(posts[1])
    text = f"{post.quoted}\n{post.text}"  # the quote is kept apart (#15)
    assert text.split("\n")[:2] == [
        "@[user] a écrit :",
        "> La CAF me dit qu’il manque un papier mais je ne sais pas lequel",
    ]
    assert "Lucie" not in text
    assert "10 mars" not in text  # the quote's date sits in its <cite>


def test_unchanged_threads_are_not_opened_again(db_path):
    spider = make_spider(db_path)
    listing = page(fr("viewforum.html"), BASE + "/viewforum.php?f=2")
    digests = {key: digest for key, _, digest in spider._threads_on(listing)}
    spider.threads = {
        "127.0.0.1/101": {"marker": digests["127.0.0.1/101"], "page": "x"},
        "127.0.0.1/102": {
            "marker": "an older digest",
            "page": BASE + "/viewtopic.php?t=102",
        },
    }
    _, requests = parse(spider, listing)
    # 101 is unchanged; 102 changed (read again where it was left); 103 is new.
    assert requests == [BASE + "/viewtopic.php?t=102", BASE + "/viewtopic.php?t=103"]


def test_posts_already_stored_are_not_yielded_again(db_path):
    database = mdb.open_db(db_path)
    row = {"platform": "forum", "site": "127.0.0.1", "source": "forum-test"}
    mdb.upsert_post(
        database, row | {"native_id": "1004", "text": "x", "content_hash": "x"}
    )
    database.close()
    spider = make_spider(db_path)
    posts, _ = parse(spider, page(fr("topic101.html"), BASE + "/viewtopic.php?t=101"))
    assert [p.native_id for p in posts] == ["1001", "1005"]


def test_the_page_budget_stops_the_crawl(db_path):
    spider = make_spider(db_path)
    spider.pages = spider.max_pages - 1
    _, requests = parse(spider, page(fr("viewforum.html"), BASE + "/viewforum.php?f=2"))
    assert len(requests) == 1


def test_one_request_per_host_goes_out_before_robots_txt_is_read(db_path):
    urls = [BASE + "/a", BASE + "/b", "http://localhost:9/c", BASE + "/d"]
    spider = make_spider(db_path, start=urls[0], start_urls=urls)

    async def starts():
        return [r.url async for r in spider.start()]

    assert asyncio.run(starts()) == [BASE + "/a", "http://localhost:9/c"]
    answer = page(fr("topic103.html"), BASE + "/a")
    answer.request = scrapy.Request(BASE + "/a", meta={"gate": "127.0.0.1"})
    _, requests = parse(spider, answer)
    assert requests == [BASE + "/b", BASE + "/d"]  # released by the answer


def test_custom_selectors_read_any_board(db_path):
    board = """<html><body><h1>Un fil</h1>
      <div class="msg" data-id="m-41"><b class="who">Alex_demo</b>
        <span class="when" data-ts="1710000000"></span>
        <div class="body">Premier</div></div>
      <div class="msg"><b class="who">Sacha_demo</b><div class="body">Second</div></div>
      <a class="suite" href="?page=2">suite</a></body></html>"""
    selectors = {
        "thread_link": "a.fil",
        "post": "div.msg",
        "author": "b.who",
        "text": "div.body",
        "date": "span.when::attr(data-ts)",
        "next_page": "a.suite::attr(href)",
        "title": "h1",
    }
    spider = make_spider(db_path, None, start=BASE + "/fil", selectors=selectors)
    posts, requests = parse(spider, page(board.encode(), BASE + "/fil"))
    assert [p.author for p in posts] == ["Alex_demo", "Sacha_demo"]
    assert posts[0].native_id == "41"
    assert posts[1].native_id.startswith("h")  # no id on the page: a hash
    assert posts[0].created_at == "2024-03-09T16:00:00Z"
    assert posts[0].thread_title == "Un fil"
    assert requests == [BASE + "/fil?page=2"]


def test_post_and_text_are_enough_as_for_the_source_check(db_path):
    """A source the core accepts (post and text only) is one the crawler reads:
    rel=next paging and <time> dates are the fallbacks."""
    from maraude.sources import load_sources

    board = """<html><body>
      <div class="msg"><time datetime="2024-03-09T16:00:00Z"></time>
        <div class="body">Premier</div></div>
      <a rel="next" href="?page=2">suite</a></body></html>"""
    selectors = {"post": "div.msg", "text": "div.body"}
    toml = (
        '[[sources]]\nname = "board"\nplatform = "forum"\n'
        f'start_urls = ["{BASE}/fil"]\n'
        'selectors = { post = "div.msg", text = "div.body" }\n'
    )
    config = db_path.parent / "sources.toml"
    config.write_text(toml, encoding="utf-8")
    assert [s.name for s in load_sources(config)] == ["board"]
    spider = make_spider(db_path, None, start=BASE + "/fil", selectors=selectors)
    posts, requests = parse(spider, page(board.encode(), BASE + "/fil"))
    assert [p.created_at for p in posts] == ["2024-03-09T16:00:00Z"]
    assert requests == [BASE + "/fil?page=2"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"engine": "vbulletin5"}, "unknown forum engine 'vbulletin5'"),
        ({"selectors": {"post": "div"}}, "missing: text"),
        (
            {"engine": "phpbb", "selectors": {"posts": "div"}},
            "unknown selector(s) posts",
        ),
    ],
)
def test_a_bad_configuration_closes_the_spider_with_a_clear_reason(
    db_path, settings, message
):
    source = Source(name="bad", platform="forum", settings={"start_urls": [BASE]})
    crawler = get_crawler(ForumSpider, {"MARAUDE_DB": str(db_path)})
    source.settings.update(settings)
    spider = ForumSpider.from_crawler(crawler, source=source)
    with pytest.raises(CloseSpider) as closed:
        asyncio.run(anext(spider.start()))
    assert message in closed.value.reason


# -- bad input ------------------------------------------------------------------


def _phpbb_page(posts: list[tuple[int, str, str]], *, end: bool = True) -> str:
    blocks = "".join(
        f'<div id="p{n}" class="post"><dl class="postprofile"><dt>'
        f'<a class="username" href="#">{who}</a></dt></dl><div class="postbody">'
        f'<p class="author"><time datetime="2024-03-01T10:00:00+00:00">x</time></p>'
        f'<div class="content">{text}</div></div></div>'
        for n, who, text in posts
    )
    html = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Fil</title></head>'
        f'<body><h2 class="topic-title"><a href="#">Fil</a></h2>{blocks}'
    )
    return html + ("</body></html>" if end else "")


def test_a_truncated_page_loses_only_its_last_post(db_path, caplog):
    body = _phpbb_page([(1, "A_demo", "un"), (2, "B_demo", "deux")], end=False)
    body = body[: body.rindex("deux") + 2]  # cut inside the last post
    spider = make_spider(db_path, start=BASE + "/t")
    posts, _ = parse(spider, page(body.encode(), BASE + "/t"))
    assert [p.native_id for p in posts] == ["1"]
    assert "truncated page at http://127.0.0.1:9/t" in caplog.text
    assert "marker" not in spider.threads[BASE + "/t"]


def test_a_10_mb_post_is_an_error_and_the_others_are_kept(db_path, caplog):
    huge = "Lorem ipsum dolor sit amet. " * 400_000  # ~11 MB
    body = _phpbb_page(
        [(1, "A_demo", "un"), (2, "B_demo", huge), (3, "C_demo", "trois")]
    )
    spider = make_spider(db_path, start=BASE + "/t")
    posts, _ = parse(spider, page(body.encode(), BASE + "/t"))
    assert [p.native_id for p in posts] == ["1", "3"]
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "post 2 at http://127.0.0.1:9/t" in record.getMessage()
    assert "Lorem" not in caplog.text


@pytest.mark.parametrize(
    "response",
    [
        HtmlResponse(BASE + "/t", body=b"<html><body><p>Maintenance</p></body></html>"),
        HtmlResponse(BASE + "/t", body=b"<div class='post'><<<>>>\x00\xff"),
        Response(BASE + "/t", body=b"\x89PNG\r\n\x1a\n\x00\x00"),
    ],
)
def test_a_page_no_selector_matches_is_an_error(db_path, caplog, response):
    spider = make_spider(db_path, start=BASE + "/t")
    assert parse(spider, response) == ([], [])
    assert set(warnings(caplog)) == {"ERROR"}
    assert "source forum-test" in caplog.text


# -- real crawls -----------------------------------------------------------------


def run_crawl(db_path, toml, tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(toml, encoding="utf-8")
    command = [sys.executable, "-m", "maraude", "crawl", "--db", str(db_path)]
    return subprocess.run(
        [*command, "--sources", str(sources)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def forum_toml(name, engine, *urls, **extra):
    lines = [
        "[[sources]]",
        f'name = "{name}"',
        'platform = "forum"',
        f'engine = "{engine}"',
        "start_urls = [" + ", ".join(f'"{u}"' for u in urls) + "]",
        *(f"{k} = {v}" for k, v in extra.items()),
    ]
    return "\n".join(lines) + "\n"


def html(body: bytes, charset: str | None = "utf-8") -> Reply:
    kind = f"text/html; charset={charset}" if charset else "text/html"
    return Reply(200, body, {"Content-Type": kind})


@pytest.fixture
def board():
    """Our French phpBB board: an index, one forum, three threads (8 posts)."""
    with ReplayServer() as server:
        server.add("/index.php", html(fr("index.html")))
        server.add("/viewforum.php", html(fr("viewforum.html")), f="2")
        server.add(
            "/viewtopic.php", html(fr("topic101_page2.html")), t="101", start="3"
        )
        server.add("/viewtopic.php", html(fr("topic101.html")), t="101")
        server.add("/viewtopic.php", html(fr("topic102.html")), t="102")
        server.add("/viewtopic.php", html(fr("topic103.html")), t="103")
        yield server


def page_requests(server) -> list[str]:
    return [r for r in server.requests if r != "/robots.txt"]


@pytest.mark.slow
def test_crawl_of_a_board_stores_every_post_once(board, db_path, tmp_path):
    toml = forum_toml("entraide", "phpbb", board.base_url + "/index.php")
    result = run_crawl(db_path, toml, tmp_path)
    assert result.returncode == 0, result.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == 8
    run = mdb.crawl_runs(database)[0]
    assert (run["status"], run["new_posts"], run["requests"]) == ("ok", 8, 7)
    parents = dict(database.execute("SELECT native_id, parent_native_id FROM posts"))
    assert parents["1012"] == "1001"
    assert parents["1001"] is None


@pytest.mark.slow
def test_a_second_run_opens_only_threads_with_new_replies(board, db_path, tmp_path):
    toml = forum_toml("entraide", "phpbb", board.base_url + "/index.php")
    run_crawl(db_path, toml, tmp_path)
    board.requests.clear()
    result = run_crawl(db_path, toml, tmp_path)
    assert result.returncode == 0, result.stderr
    assert page_requests(board) == ["/index.php", "/viewforum.php?f=2"]
    database = mdb.open_db(db_path)
    assert mdb.crawl_runs(database)[0]["new_posts"] == 0
    database.close()
    # Someone answers in thread 102: only that thread is read again.
    board.add("/viewforum.php", html(fr("viewforum_new_reply.html")), f="2")
    board.add("/viewtopic.php", html(fr("topic102_new_reply.html")), t="102")
    board.routes[:0] = [board.routes.pop(), board.routes.pop()]  # they come first
    board.requests.clear()
    result = run_crawl(db_path, toml, tmp_path)
    assert result.returncode == 0, result.stderr
    assert page_requests(board) == [
        "/index.php",
        "/viewforum.php?f=2",
        "/viewtopic.php?t=102",
    ]
    database = mdb.open_db(db_path)
    assert mdb.crawl_runs(database)[0]["new_posts"] == 1
    assert mdb.counts(database)["posts"] == 9


@pytest.mark.slow
def test_no_handle_is_stored_and_quotes_are_masked(board, db_path, tmp_path):
    toml = forum_toml("entraide", "phpbb", board.base_url + "/index.php")
    run_crawl(db_path, toml, tmp_path)
    database = mdb.open_db(db_path)
    dumped = "\n".join(database.iterdump())
    assert [h for h in HANDLES if h in dumped] == []
    hashes = [r[0] for r in database.execute("SELECT author_hash FROM posts")]
    assert all(len(h) == 32 for h in hashes)
    assert len(set(hashes)) == 5  # five authors, one hash each
    quoted = database.execute(  # kept apart from the text (#15)
        "SELECT quoted FROM posts WHERE native_id = '1004'"
    ).fetchone()[0]
    assert quoted.startswith("@[user] a écrit :\n> La CAF me dit")
    assert "[email]" in dumped  # the address in post 1002


@pytest.mark.slow
@pytest.mark.parametrize(
    ("engine", "fixture", "path", "charset", "count"),
    [
        ("vbulletin", VB, "/f/122760-auslieferung-34.html", None, 20),
        ("xenforo", XF, "/threads/pepe.230143/", "utf-8", 18),
    ],
)
def test_crawl_of_a_recorded_thread_decodes_its_charset_and_reads_it_once(
    shared, db_path, tmp_path, engine, fixture, path, charset, count
):
    with ReplayServer() as server:
        server.add(path, html((shared / fixture).read_bytes(), charset))
        toml = forum_toml(engine, engine, server.base_url + path)
        result = run_crawl(db_path, toml, tmp_path)
        assert result.returncode == 0, result.stderr
        server.requests.clear()
        again = run_crawl(db_path, toml, tmp_path)
        assert page_requests(server) == [path]  # the page read last time, only
    assert again.returncode == 0, again.stderr
    database = mdb.open_db(db_path)
    assert mdb.counts(database)["posts"] == count
    assert sorted(r["new_posts"] for r in mdb.crawl_runs(database)) == [0, count]
    texts = [  # the quotes are kept apart from the text (#15)
        f"{r[0]}\n{r[1]}" for r in database.execute("SELECT quoted, text FROM posts")
    ]
    assert any(word in t for t in texts for word in ("müsste", "schläft"))
    assert not any("\ufffd" in t for t in texts)


@pytest.mark.slow
def test_bad_pages_are_counted_as_errors_and_the_crawl_goes_on(db_path, tmp_path):
    good = _phpbb_page([(1, "A_demo", "Je n’ai plus rien."), (2, "B_demo", "Courage.")])
    cut = _phpbb_page([(3, "C_demo", "un"), (4, "D_demo", "deux")], end=False)
    huge = _phpbb_page([(5, "E_demo", "x" * 10_500_000), (6, "F_demo", "six")])
    with ReplayServer() as server:
        server.add("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /prive/\n"))
        server.add("/good", html(good.encode()))
        server.add("/cut", html(cut[: cut.rindex("deux")].encode()))
        server.add("/huge", html(huge.encode()))
        server.add("/garbage", html(b"<html><body>\x00\xff<<<</body></html>"))
        server.add("/oops", Reply(500, b"oops"))
        urls = ["/good", "/cut", "/huge", "/garbage", "/oops", "/prive/fil"]
        toml = forum_toml("bad", "phpbb", *(server.base_url + u for u in urls))
        result = run_crawl(db_path, toml, tmp_path)
        assert "/prive/fil" not in server.requests
    assert result.returncode == 1, result.stderr  # errors: non-zero, after storing
    database = mdb.open_db(db_path)
    stored = {r[0] for r in database.execute("SELECT native_id FROM posts")}
    assert stored == {"1", "2", "3", "6"}
    run = mdb.crawl_runs(database)[0]
    assert run["status"] == "errors"
    assert run["errors"] >= 5  # cut, huge, garbage, 500 (after retries), robots
    assert "Je n’ai plus rien" not in result.stderr
