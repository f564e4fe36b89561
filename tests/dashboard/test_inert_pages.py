"""No outside field is ever rendered as markup on any page (#11, item 6).

Every outside field of every post (platform, source, site, title, thread
title, URL) is made hostile; then each page a role can open is rendered and
every element that Streamlit renders as markdown is parsed: no image, link or
HTML may point at the hostile server.
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from maraude import db as mdb
from tests.dashboard.dashboard_seed import elements

EVIL = "http://127.0.0.1:1"
FIELDS = {
    "platform": f"![p]({EVIL}/platform.png)",
    "source": f"[s]({EVIL}/source)",
    "site": f"<img src={EVIL}/site.png>",
    "title": f"**t** ![t]({EVIL}/title.png)",
    "thread_title": f"<script src={EVIL}/x.js></script>",
    "url": "javascript:alert(1)",
}
#: Elements shown with st.text / st.code (inert by construction) or as tables.
INERT_TYPES = {"text", "code", "arrow_data_frame", "dataframe"}


def _active(markdown: str) -> list[str]:
    found = []
    for token in MarkdownIt("commonmark").parse(markdown):
        for t in [token, *(token.children or [])]:
            target = str(t.attrs.get("src") or t.attrs.get("href") or "")
            if (t.type in ("image", "link_open") and EVIL in target) or (
                t.type.startswith("html") and EVIL in t.content
            ):
                found.append(f"{t.type}: {target or t.content}")
    return found


@pytest.fixture
def hostile(rich, db_path):
    database = mdb.open_db(db_path)
    for field, value in FIELDS.items():  # field names are ours, not outside
        database.execute(f"UPDATE posts SET {field} = ? || id", [value + " "])  # noqa: S608
    database.close()
    return rich


def _check(at) -> int:
    assert not at.exception
    checked = 0
    for kind, text in elements(at):
        if kind in INERT_TYPES:
            continue
        checked += 1
        assert _active(text) == [], f"{kind} renders outside markup"
    return checked


def test_the_queue_of_a_senior_renders_no_outside_markup(app, hostile):
    at = app("sam")
    assert at.error  # the unclaimed-crisis banner is there
    assert _check(at) > 0
    assert "platform\\.png" in at.error[0].value  # shown, escaped


def test_every_lead_page_renders_no_outside_markup(app, hostile):
    at = app("alice")
    for lead_id in hostile.values():
        at.session_state["lead_id"] = lead_id
        at.switch_page("pages/lead.py").run()
        _check(at)


@pytest.mark.parametrize(
    ("user", "page"),
    [
        ("mod", "pages/label.py"),
        ("sam", "pages/activity.py"),
        ("sam", "pages/adjudication.py"),
        ("ada", "pages/admin.py"),
    ],
)
def test_other_pages_render_no_outside_markup(app, hostile, user, page):
    at = app(user)
    at.switch_page(page).run()
    _check(at)
