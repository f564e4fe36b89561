"""Where each forum engine puts its posts, and how to read them off a page.

An :class:`Engine` is a set of CSS selectors. Every field is a tuple of
alternatives tried in order (an engine's versions and themes differ); the first
that matches wins. A source names an ``engine`` or gives its own ``selectors``
(``thread_link``, ``post``, ``author``, ``text``, ``date``, ``next_page``, and
optionally ``title``, ``permalink``, ``post_id``, ``thread_row``,
``thread_marker``, ``forum_link``, ``prev_page``), each a CSS string or a list
of them; with ``engine`` too, they override that engine's.

Selectors ending in ``::attr(…)``/``::text`` give strings; others give elements,
read as their text (``author``) or inner HTML (``text``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from parsel import Selector, SelectorList

from crawlers.text import attr
from maraude import vocab

if TYPE_CHECKING:
    from scrapy.http import TextResponse

Css = tuple[str, ...]
#: The selectors a board without an engine must give (the same rule as the
#: source check of maraude.sources: a source that loads can be crawled).
REQUIRED = vocab.FORUM_REQUIRED_SELECTORS
SESSION_PARAMS = frozenset({"s", "sid", "phpsessid", "sessionid", "osCsid"})
_DIGITS = re.compile(r"(\d+)(?!.*\d)")  # the last group of digits
_SESSION_IN_TEXT = re.compile(r"([?&;])(?:s|sid|phpsessid)=[0-9a-f]{16,}&?", re.I)


@dataclass(frozen=True)
class Engine:
    """Selectors of one forum engine (see the module's docstring)."""

    name: str
    post: Css
    text: Css
    author: Css = ()
    date: Css = ()
    post_id: Css = ()
    permalink: Css = ()
    title: Css = ()
    next_page: Css = ()
    prev_page: Css = ()
    thread_link: Css = ()
    thread_row: Css = ()  # a thread list's rows, each holding one thread link
    thread_marker: Css = ()  # in a row: what changes when someone replies
    forum_link: Css = ()  # links from a board index to its forums
    thread_id: tuple[str, ...] = ()  # regular expressions over a thread's URL
    skip_ids: frozenset[str] = field(default_factory=frozenset)
    # False when the engine marks dead paging links rel=next/prev (Invision).
    rel_links: bool = True

    def paging(self, name: str) -> Css:
        """``next_page``/``prev_page`` with the ``rel`` links every engine has."""
        fallbacks = {"next_page": NEXT, "prev_page": PREV}[name]
        return (*getattr(self, name), *(fallbacks if self.rel_links else ()))

    def all(self, name: str, fallbacks: Css = ()) -> Css:
        return (*getattr(self, name), *fallbacks)


# Fallbacks every engine shares.
NEXT = ("link[rel=next]::attr(href)", "a[rel=next]::attr(href)")
PREV = ("link[rel=prev]::attr(href)", "a[rel=prev]::attr(href)")
TITLE = ('meta[property="og:title"]::attr(content)', "title::text")
DATE = ("time::attr(datetime)", "[data-time]::attr(data-time)")
POST_ID_ATTRS = (
    "id",
    "data-content",
    "data-post-id",
    "data-pid",
    "data-commentid",
    "data-id",
)

ENGINES: dict[str, Engine] = {
    "phpbb": Engine(
        name="phpbb",
        post=("div.post[id^=p]",),
        text=("div.content",),
        author=(
            ".postprofile a.username",
            ".postprofile a.username-coloured",
            "p.author strong",
        ),
        date=("p.author time::attr(datetime)",),
        permalink=(
            'p.author a[href*="#p"]::attr(href)',
            'h3 a[href*="#p"]::attr(href)',
        ),
        title=("h2.topic-title a", "h2 a"),
        next_page=(
            ".pagination li.next a::attr(href)",
            ".pagination a.next::attr(href)",
        ),
        prev_page=(".pagination li.previous a::attr(href)",),
        thread_link=("a.topictitle",),
        thread_row=("ul.topiclist li.row", "li.row", "tr"),
        thread_marker=(
            'dd.lastpost a[href*="#p"]::attr(href)',
            "dd.lastpost time::attr(datetime)",
            "dd.posts::text",
        ),
        forum_link=("a.forumtitle",),
        thread_id=(r"[?&]t=(\d+)",),
    ),
    "vbulletin": Engine(
        name="vbulletin",
        post=("li.postcontainer[id^=post_]", "div[id^=edit] table[id^=post]"),
        text=("blockquote.postcontent", "div[id^=post_message_]"),
        author=("a.username strong", "a.username", "a.bigusername"),
        date=("time::attr(datetime)", "span.date abbr::attr(title)"),
        permalink=("a.postcounter::attr(href)", 'a[href*="#post"]::attr(href)'),
        title=("#pagetitle h1", "h1 a"),
        thread_link=("a.title[id^=thread_title_]", "a[id^=thread_title_]"),
        thread_row=("li.threadbit", "tbody[id^=threadbits] > tr"),
        thread_marker=('a[href*="#post"]::attr(href)', "dl.threadlastpost dd"),
        forum_link=("h2.forumtitle a", 'a[href*="forumdisplay.php"]'),
        thread_id=(r"[?&]t=(\d+)", r"/threads/(\d+)", r"/(\d+)-[^/]*$"),
    ),
    "xenforo": Engine(
        name="xenforo",
        post=("article.message--post", "li.message[id^=post-]"),
        text=(".message-body .bbWrapper", ".messageText"),
        author=("::attr(data-author)", ".message-name .username", ".username"),
        date=("time.u-dt::attr(datetime)", ".DateTime::attr(data-time)"),
        post_id=("::attr(data-content)",),
        permalink=(
            'header a[href*="/post-"]::attr(href)',
            'a[href*="/posts/"]::attr(href)',
        ),
        title=("h1.p-title-value", ".titleBar h1"),
        next_page=("a.pageNav-jump--next::attr(href)",),
        prev_page=("a.pageNav-jump--prev::attr(href)",),
        thread_link=('.structItem-title a[href*="/threads/"]', "h3.title a"),
        thread_row=(".structItem--thread", "li.discussionListItem"),
        thread_marker=(
            ".structItem-cell--meta dl:not(.structItem-minor) dd::text",
            ".structItem-cell--latest time::attr(data-time)",
            ".lastPost .DateTime::attr(data-time)",
        ),
        forum_link=(".node-title a", "h3.nodeTitle a"),
        thread_id=(r"/threads/(?:[^/]*\.)?(\d+)",),
    ),
    "forumotion": Engine(  # Forumactif in France
        name="forumotion",
        post=("div.post[id^=p]", "tr.post"),
        text=("div.post-entry", "div.postbody div.content", "div.postbody"),
        author=(".postprofile-head strong", ".postprofile strong", ".name strong"),
        permalink=('h3 a[href*="#"]::attr(href)', 'h2 a[href*="#"]::attr(href)'),
        title=("h1.page-title", "h1 a"),
        thread_link=("a.topictitle",),
        thread_row=("li.row", "tr"),
        thread_marker=('dd.lastpost a[href*="#"]::attr(href)', "dd.posts::text"),
        forum_link=("a.forumtitle", "a.forumlink"),
        thread_id=(r"/t(\d+)(?:p\d+)?-",),
        skip_ids=frozenset({"0"}),  # "Sponsored content": an ad in a post's place
    ),
    "smf": Engine(
        name="smf",
        post=("div.windowbg[id^=msg]", "div.post_wrapper"),
        text=("div.inner[id^=msg_]", "div.post div.inner"),
        author=("div.poster h4 a", "div.poster h4"),
        post_id=("div.inner::attr(data-msgid)", "div.inner::attr(id)"),
        permalink=('.keyinfo a[href*="#msg"]::attr(href)',),
        title=("#top_subject",),
        thread_link=('span[id^=msg_] a[href*="topic="]',),
        thread_row=("#topic_container .windowbg", "#messageindex tr"),
        thread_marker=('.lastpost a[href*="#msg"]::attr(href)', ".board_stats p::text"),
        forum_link=('a.subject[href*="board="]',),
        thread_id=(r"topic[=,](\d+)",),
    ),
    "invision": Engine(
        name="invision",
        post=("article[id^=elComment_]", "article.cPost"),
        text=('div[data-role="commentContent"]', "div.cPost_contentWrap"),
        author=(".cAuthorPane_author a", ".cAuthorPane_author"),
        date=(".ipsComment_meta time::attr(datetime)",),
        permalink=('.ipsComment_meta a[href*="comment="]::attr(href)',),
        title=("h1.ipsType_pageTitle",),
        next_page=("li.ipsPagination_next:not(.ipsPagination_inactive) a::attr(href)",),
        prev_page=("li.ipsPagination_prev:not(.ipsPagination_inactive) a::attr(href)",),
        thread_link=('.ipsDataItem_title a[href*="/topic/"]',),
        thread_row=("li.ipsDataItem",),
        thread_marker=(
            ".ipsDataItem_lastPoster time::attr(datetime)",
            ".ipsDataItem_stats li:first-child .ipsDataItem_stats_number::text",
        ),
        forum_link=('.ipsDataItem_title a[href*="/forum/"]',),
        thread_id=(r"/topic/(\d+)",),
        rel_links=False,
    ),
}


def engine_for(settings: dict[str, Any]) -> Engine:
    """The source's engine, with its own ``selectors`` applied.

    Raises ValueError with a message for the user when it cannot build one.
    """
    name = settings.get("engine")
    selectors = settings.get("selectors") or {}
    if name is not None and name not in ENGINES:
        raise ValueError(
            f"unknown forum engine {name!r}: use one of {', '.join(sorted(ENGINES))}, "
            "or give CSS selectors instead"
        )
    known = {f.name for f in fields(Engine)} - {
        "name",
        "skip_ids",
        "thread_id",
        "rel_links",
    }
    unknown = set(selectors) - known
    if unknown:
        raise ValueError(
            f"unknown selector(s) {', '.join(sorted(unknown))}: "
            f"known ones are {', '.join(sorted(known))}"
        )
    if name is None:
        missing = [k for k in REQUIRED if not selectors.get(k)]
        if missing:
            raise ValueError(
                "a forum needs an engine or the selectors "
                f"{', '.join(REQUIRED)} (missing: {', '.join(missing)})"
            )
        base = Engine(name="custom", post=(), text=())
    else:
        base = ENGINES[name]
    given: dict[str, Any] = {k: _as_css(v) for k, v in selectors.items()}
    return replace(base, **given)


def _as_css(value: Any) -> Css:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"a selector must be a CSS string or a list of them: {value!r}")


# -- reading a page ---------------------------------------------------------


def select(sel: Selector | TextResponse, alternatives: Css) -> SelectorList[Any]:
    """The matches of the first alternative that matches anything."""
    for css in alternatives:
        found = sel.css(css)
        if found:
            return found
    return SelectorList([])


def first_string(sel: Selector | TextResponse, alternatives: Css) -> str | None:
    """The first non-blank string (an attribute, or an element's text)."""
    for css in alternatives:
        for found in sel.css(css):
            value = found.get() if isinstance(found.root, str) else text_of(found)
            if value and value.strip():
                return value.strip()
    return None


def text_of(sel: Selector) -> str:
    return " ".join(sel.xpath("string()").get("").split())


def inner_html(sel: Selector) -> str:
    return "".join(sel.xpath("node()").getall())


def post_id(post: Selector, engine: Engine) -> str | None:
    """The post's own id (its digits): from the engine's selectors, the post's
    attributes, or the first inner element with an id such as ``msg_123``."""
    candidates = [first_string(post, engine.post_id)] if engine.post_id else []
    candidates += [attr(post, a) for a in POST_ID_ATTRS]
    candidates += post.css("[id]::attr(id)").getall()[:3]
    for value in candidates:
        match = _DIGITS.search(value or "")
        if match:
            return match.group(1)
    return None


def fallback_id(thread_url: str, position: int) -> str:
    """An id for a post the engine gives none: its thread and place in it."""
    digest = hashlib.sha256(f"{thread_url}\x1f{position}".encode()).hexdigest()
    return f"h{digest[:16]}"


def thread_id(url: str, engine: Engine) -> str | None:
    for pattern in engine.thread_id:
        match = re.search(pattern, url)
        if match:
            return match.group(1)
    return None


def marker(row: Selector, engine: Engine) -> str | None:
    """A digest of what a thread list says about a thread's last reply, or None
    when the engine says nothing (the thread is then always revisited)."""
    values: list[str] = []
    for css in engine.thread_marker:
        for found in row.css(css):
            value = found.get() if isinstance(found.root, str) else text_of(found)
            values.append(_SESSION_IN_TEXT.sub(r"\1", value.strip()))
    if not any(values):
        return None
    return hashlib.sha256("\x1f".join(values).encode()).hexdigest()[:16]


def clean_url(url: str) -> str:
    """``url`` without session parameters (``sid``, ``s``…)."""
    parts = urlsplit(url.strip())
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k.lower() not in SESSION_PARAMS]
    if len(kept) == len(pairs):
        return url.strip()
    return urlunsplit(parts._replace(query=urlencode(kept)))


def same_site(host: str, hosts: set[str]) -> bool:
    """True when ``host`` is one of ``hosts``, ``www.`` or not."""
    return host.removeprefix("www.") in {h.removeprefix("www.") for h in hosts}
