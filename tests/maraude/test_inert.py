"""Outside text rendered as inert text everywhere (#11, item 6)."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from maraude.inert import chat_text, csv_cell, md_escape, plain_line

#: Hostile values for any outside field (platform, source, site, title, URL…).
HOSTILE = [
    "![x](http://127.0.0.1:1/p.png)",
    "[clique](http://127.0.0.1:1/)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "**gras** _it_ ~~barré~~ `code`",
    "# Titre\n\n- liste",
    "<http://127.0.0.1:1/auto>",
    "https://127.0.0.1:1/nu",
    "www.example.com",
    "[x][ref]\n\n[ref]: http://127.0.0.1:1/",
    "<!channel> <@U123> @here",
    "&lt;b&gt; &#x3C;img&#x3E;",
    "reddit\u202e\u200b\x00\r\nfin",
    "\\![x](http://127.0.0.1:1/p.png)",
    ":red[rouge] :material/warning: $x^2$",
    '=HYPERLINK("http://127.0.0.1:1")',
]

_ACTIVE = {"image", "link_open", "html_inline", "html_block", "heading_open"}


def _active_tokens(markdown: str) -> set[str]:
    md = MarkdownIt("commonmark")
    found = set()
    for token in md.parse(markdown):
        for t in [token, *(token.children or [])]:
            if t.type in _ACTIVE or t.type.startswith(("strong", "em", "code")):
                found.add(t.type)
            if t.type == "bullet_list_open":
                found.add(t.type)
    return found


@pytest.mark.parametrize("value", HOSTILE)
def test_md_escape_leaves_nothing_active(value):
    escaped = md_escape(value)
    assert _active_tokens(escaped) == set()
    assert "\n" not in escaped


@pytest.mark.parametrize("value", HOSTILE)
def test_md_escape_shows_the_value_as_written(value):
    html = MarkdownIt("commonmark").renderInline(md_escape(value))
    shown = html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    shown = shown.replace("&amp;", "&")
    assert shown == plain_line(value)


@pytest.mark.parametrize("value", HOSTILE)
def test_chat_text_has_no_link_mention_or_image(value):
    text = chat_text(value)
    assert "<" not in text  # Slack: <url>, <!channel>, <@user>
    assert ">" not in text
    assert _active_tokens(text) == set()  # Mattermost: markdown
    assert "://" not in text  # no autolink either


def test_plain_names_are_unchanged():
    for name in ("reddit", "mastodon", "forum", "tiktok"):
        assert md_escape(name) == chat_text(name) == plain_line(name) == name


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(start):
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"


def test_csv_cells_otherwise_unchanged():
    assert csv_cell("courrier du 3 mars") == "courrier du 3 mars"
    assert csv_cell(-3) == -3
    assert csv_cell(None) is None


def test_the_crisis_alert_escapes_the_platform_in_chat_and_email():
    from maraude.alerts import describe, email_body
    from maraude.config import load_config

    config = load_config(None)
    alert = {"id": 7, "age_minutes": 12, "platform": HOSTILE[0] + "\n" + HOSTILE[10]}
    payload = describe(alert, config)
    assert _active_tokens(payload["text"]) == set()
    assert "<!channel>" not in payload["text"]
    assert "http://127.0.0.1:1" not in payload["text"]
    assert "\n" not in payload["platform"]
    body = email_body(payload)
    assert "lead 7" in body
    assert "\r" not in body.split("\n")[0]
