"""The lead page shows where else its post was seen, as inert links (#15)."""

from __future__ import annotations

from markdown_it import MarkdownIt

from maraude import db as mdb
from tests.dashboard.dashboard_seed import elements

EVIL = "http://127.0.0.1:1"


def _copy(database, post_id, platform, site, url):
    mdb.upsert_post(
        database,
        {
            "platform": platform,
            "site": site,
            "source": platform,
            "native_id": f"copy-{platform}",
            "url": url,
            "text": "copie",
            "content_hash": f"copy-{platform}",
        },
    )
    copy = mdb.post_id(database, platform, site, f"copy-{platform}")
    assert mdb.link_copy(database, copy, post_id, "near", 0.9)


def _lead_page(app, lead_id):
    at = app("alice")
    at.session_state["lead_id"] = lead_id
    return at.switch_page("pages/lead.py").run()


def test_the_lead_page_lists_the_copies_as_inert_links(app, leads, db_path):
    database = mdb.open_db(db_path)
    lead = mdb.get_lead(database, leads["rights"])
    _copy(
        database, lead["post_id"], "rss", "forum.example.org", "https://f.example.org/1"
    )
    _copy(
        database,
        lead["post_id"],
        "reddit",
        f"<img src={EVIL}/x.png>",
        "javascript:alert(1)",
    )
    mdb.link_unstored_copy(
        database,
        lead["post_id"],
        platform="x",
        site="x.com",
        native_id="77",
        url="https://x.com/i/status/77",
    )
    database.close()
    at = _lead_page(app, leads["rights"])
    assert not at.exception
    found = elements(at)
    texts = [text for _, text in found]
    assert "Aussi vu à :" in texts
    buttons = [
        (kind, text) for kind, text in found if kind == "link_button" and " · " in text
    ]
    assert len(buttons) == 2  # the feed copy and the retweet
    assert any("x · x\\.com" in text for _, text in buttons)
    # The copy with no web address is plain text, its hostile site inert.
    assert any(
        kind == "text" and "javascript" not in text and "reddit" in text
        for kind, text in found
    )
    for _, label in buttons:
        for token in MarkdownIt("commonmark").parse(label):
            for t in [token, *(token.children or [])]:
                assert t.type not in ("image", "link_open", "html_inline")


def test_a_lead_without_copies_shows_no_list(app, leads):
    at = _lead_page(app, leads["rights"])
    assert not at.exception
    assert "Aussi vu à :" not in [text for _, text in elements(at)]
