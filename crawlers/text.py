"""Text normalisation for crawled posts: plain text, quotes, dates, language.

:func:`html_to_text` turns a post's HTML into plain text and **marks quotes of
other posts** so they are never taken for the author's own words: a quote
(``<blockquote>``, ``.bbcode_quote``, ``.quote``, ``.bbCodeBlock--quote``,
``.ipsQuote``, ``.bbc_standard_quote``…) becomes a header line followed by its
lines prefixed with ``> `` (nested quotes with ``> > ``)::

    @[user] a écrit :
    > the quoted words
    the author's answer

The header is ``@[user] a écrit :`` when the quote named its author (the name,
in ``<cite>``, ``.bbcode_postedby``, ``.bbCodeBlock-title``… or an "X a écrit :"
line, is dropped) and ``[citation]`` otherwise. A ``<blockquote>`` already
marked that way (the Discourse spider marks its own) is kept as it is.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from parsel import Selector, SelectorList

MAX_TEXT_CHARS = 20_000
QUOTE_ATTRIBUTED = "@[user] a écrit :"
QUOTE_ANONYMOUS = "[citation]"


def _words(names: str) -> frozenset[str]:
    return frozenset(names.split())


_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")

_BLOCK_TAGS = _words(
    "address article aside blockquote details dd div dl dt figcaption figure footer "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tr ul"
)
_CELL_TAGS = frozenset({"td", "th"})
_DROP_TAGS = _words(
    "button embed head iframe input link meta noscript object script select style "
    "svg template textarea title"
)
_QUOTE_CLASSES = _words(
    "bbcode_quote quote bbCodeBlock--quote ipsQuote quotecontent "
    "bbc_standard_quote bbc_alternate_quote"
)
_NOT_QUOTE_CLASSES = frozenset({"postcontent"})  # vBulletin wraps whole posts
# A quote's attribution (it names the quoted person): dropped wherever it is.
_ATTRIBUTION_CLASSES = _words(
    "bbcode_postedby bbCodeBlock-title quoteheader quotetitle ipsQuote_citation"
)
_ATTRIBUTION_IN_QUOTE_CLASSES = frozenset({"title"})  # Discourse's aside.quote
_NOISE_CLASSES = _words(
    "bbCodeBlock-expandLink quotefooter topslice_quote botslice_quote"
)
# Boilerplate each engine puts around or inside a post (never the author's
# words): signatures, attachment boxes and sizes, "edited by" notes, link
# previews of other sites. See BOILERPLATE_LINES for what survives as text.
BOILERPLATE_CLASSES: dict[str, frozenset[str]] = {
    "phpbb": _words("signature attachbox file notice"),
    "vbulletin": _words("signature signaturecontainer attachments lastedited"),
    "xenforo": _words("message-signature message-attachments message-lastEdit"),
    "smf": _words("signature attachments modified"),
    "invision": _words("ipsComment_edited ipsAttachLink_block"),
    "forumotion": _words("signature_div"),
    "discourse": _words("informations filename onebox-body onebox-metadata"),
}
_BOILERPLATE = frozenset().union(*BOILERPLATE_CLASSES.values())
# Invision marks its own "Edited by" notes and signatures this way.
_BOILERPLATE_ATTRS = ("data-excludequote",)
# "X a écrit :", "X said:", "Zitat von X", "Citation de : X le …" as a quote's
# first line.
_ATTRIBUTION_LINE = re.compile(
    r"^(?:.{1,40}?\s)?(?:a écrit|a dit|a posté|wrote|said|schrieb|"
    r"hat geschrieben|hat gesagt)\s*\.?\s*:?\s*$"
    r"|^(?:citation|quote|zitat|citer)\s*(?:(?:de|from|von)\b|:).{0,100}$",
    re.IGNORECASE,
)

# -- HTML → text ------------------------------------------------------------


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: scripts dropped, block elements on new
    lines, quotes of other posts marked (see the module's docstring)."""
    if not markup or not markup.strip():
        return ""
    # type="html": parsel would read "42" or "[1]" as JSON, whose root is no
    # element; lone surrogates cannot reach lxml (it encodes to UTF-8).
    root = Selector(text=clean_str(markup), type="html").root
    body = root.find("body")
    parts: list[str] = []
    try:
        _walk(root if body is None else body, parts, in_quote=False)
    except RecursionError:  # absurdly deep markup: plain text, no quote marks
        return "\n".join(root.itertext())
    return "".join(parts)


def _classes(el: Any) -> set[str]:
    return set((el.get("class") or "").split())


def _walk(el: Any, parts: list[str], *, in_quote: bool, pre: bool = False) -> None:
    """Append ``el``'s content; whitespace collapses as a browser shows it."""
    pre = pre or el.tag == "pre"
    if el.text:
        parts.append(el.text if pre else _HTML_SPACE.sub(" ", el.text))
    for child in el:
        if isinstance(child.tag, str):  # not a comment or processing instruction
            _element(child, parts, in_quote=in_quote, pre=pre)
        if child.tail:
            parts.append(child.tail if pre else _HTML_SPACE.sub(" ", child.tail))


def _element(el: Any, parts: list[str], *, in_quote: bool, pre: bool) -> None:
    tag = el.tag.lower()
    classes = _classes(el)
    if (
        tag in _DROP_TAGS
        or classes & (_NOISE_CLASSES | _ATTRIBUTION_CLASSES | _BOILERPLATE)
        or any(el.get(a) is not None for a in _BOILERPLATE_ATTRS)
        or (in_quote and (tag == "cite" or classes & _ATTRIBUTION_IN_QUOTE_CLASSES))
    ):
        return
    if tag == "br":
        parts.append("\n")
    elif _is_quote(tag, classes):
        parts.append("\n" + _quote(el) + "\n")
    else:
        sep = "\n" if tag in _BLOCK_TAGS else " " if tag in _CELL_TAGS else ""
        parts.append(sep)
        _walk(el, parts, in_quote=in_quote, pre=pre)
        parts.append(sep)


def _is_quote(tag: str, classes: set[str]) -> bool:
    if classes & _NOT_QUOTE_CLASSES:
        return False
    return tag == "blockquote" or bool(classes & _QUOTE_CLASSES)


def _quote(el: Any) -> str:
    """A quote as a header line and ``> `` lines, without the quoted name."""
    parts: list[str] = []
    _walk(el, parts, in_quote=True)
    lines = [line.strip() for line in "".join(parts).split("\n") if line.strip()]
    if not lines:
        return ""
    attributed = _has_attribution(el)
    if _already_marked(lines):
        if attributed:  # e.g. Discourse's aside.quote around a blockquote
            lines[0] = QUOTE_ATTRIBUTED
        return "\n".join(lines)
    if len(lines) > 1 and _ATTRIBUTION_LINE.match(lines[0]):
        attributed, lines = True, lines[1:]
    header = QUOTE_ATTRIBUTED if attributed else QUOTE_ANONYMOUS
    return "\n".join([header, *(f"> {line}" for line in lines)])


def _already_marked(lines: list[str]) -> bool:
    """A quote whose lines are already a header and ``>`` lines (nested or
    marked by a spider): adding a level would only repeat it."""
    return lines[0] in (QUOTE_ATTRIBUTED, QUOTE_ANONYMOUS) and all(
        line.startswith(">") for line in lines[1:]
    )


def _has_attribution(el: Any) -> bool:
    if any(
        el.get(a) for a in ("data-quote", "data-username", "data-ipsquote-username")
    ):
        return True
    before = el.getprevious()  # SMF 2.0: div.quoteheader, then the blockquote
    if before is not None and _classes(before) & _ATTRIBUTION_CLASSES:
        return True
    for child in el.iter():
        if not isinstance(child.tag, str) or child is el:
            continue
        if child.tag == "cite" or _classes(child) & (
            _ATTRIBUTION_CLASSES | _ATTRIBUTION_IN_QUOTE_CLASSES
        ):
            return True
        if _is_quote(child.tag, _classes(child)):
            return False  # an inner quote's attribution is its own
    return False


# -- normalisation ------------------------------------------------------------


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def attr(sel: Selector | SelectorList[Any], name: str) -> str | None:
    """One attribute of an element (a list's first), read on its own.

    ``Selector.attrib`` builds a dict of every attribute and raises on one whose
    name holds a control character; a hostile page must not stop the parser.
    """
    if isinstance(sel, SelectorList):
        if not sel:
            return None
        one: Selector = sel[0]
    else:
        one = sel
    getter = getattr(one.root, "get", None)  # an lxml element; text nodes have none
    value = getter(name) if getter is not None else None
    return value if isinstance(value, str) else None


def clean_str(value: str) -> str:
    """``value`` as valid Unicode: surrogate pairs joined, lone ones replaced.

    JSON may carry ``\\ud83d`` alone (an emoji cut by a length limit); such a
    string cannot be encoded to UTF-8, so hashing or storing it would fail.
    A pair written as two escapes becomes its character; a lone half becomes
    U+FFFD. Other text is returned as it is (fast path).
    """
    if not _SURROGATE.search(value):
        return value
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def normalise(text: str, *, is_html: bool = False, limit: int = MAX_TEXT_CHARS) -> str:
    """NFC, no invisible controls, tidy whitespace, at most ``limit`` characters.

    HTML is turned into text first (its entities are decoded by the parser);
    plain text has its HTML entities decoded.
    """
    text = html_to_text(clean_str(text)) if is_html else html.unescape(text)
    text = clean_str(text)  # entities such as &#xd83d; decode to surrogates too
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    if len(text) > limit:
        text = text[:limit].rstrip() + " […]"
    return text


# -- the author's own words ---------------------------------------------------

# Lines that are never the author's words, whole lines only (case-insensitive):
# feed and forum boilerplate, mobile apps' signatures, "edited" notes,
# attachment sizes.
BOILERPLATE_LINES = re.compile(
    r"^(?:"
    r"\(?(?:read full topic|lire la suite|continue reading|read more|weiterlesen"
    r"|voir plus|afficher la suite)\b.{0,80}?\)?"  # feeds (RSS, Discourse)
    r"|(?:the post|l['’]article) .{1,200} (?:appeared first on|est apparu en "
    r"premier sur) .{1,200}"  # WordPress feeds
    r"|(?:envoy[ée]+|sent|gesendet|inviato|enviado)\b.{0,40}?\b(?:de|depuis|from|"
    r"von|mit|da|desde)\b.{0,60}?"
    r"(?:iphone|ipad|android|samsung|galaxy|mobile|portable|tapatalk|app|smartphone"
    r"|huawei|xiaomi|pixel|handy)\b.{0,40}"  # "Envoyé de mon iPhone"
    r"|mit der .{0,60}\bapp\b.{0,80}geschrieben\.?"  # vBulletin's mobile app
    r"|(?:message |post |beitrag )?(?:édité|edité|edite|modifié|modifie|edited|"
    r"bearbeitet)(?: \d+ fois| \d+ times?)?(?: (?:par|by|von) .{0,60})?"
    r"(?: (?:le|on|am) .{0,60})?\.?"  # "Message édité par X le …"
    r"|(?:dernière|derniere) (?:édition|edition|modification) par .{0,120}"
    r"|last edited(?: by)?:? .{0,120}|zuletzt (?:bearbeitet|von) .{0,120}"
    r"|« (?:last edit|dernière modification)\b.{0,120}»"  # SMF
    r"|(?:pièces? jointes?|attachments?|anhänge?|fichiers? joints?) ?:?"
    r"|.{1,120}\.(?:jpe?g|png|gif|webp|pdf|zip|docx?|mp4|heic)"
    r" ?(?:\d+\s?[×x]\s?\d+ )?\(?[\d.,]+ ?(?:[kmg]i?o|[kmg]i?b|octets|bytes)\b.{0,60}"
    r"|(?:\d+\s?[×x]\s?\d+ )?[\d.,]+ ?(?:[kmg]i?o|[kmg]i?b)"  # Discourse's image size
    r"|(?:vu|viewed|angesehen|téléchargé|downloaded) \d+ (?:fois|times|mal)\.?"
    r")$",
    re.IGNORECASE,
)
_QUOTE_HEADERS = frozenset({QUOTE_ATTRIBUTED, QUOTE_ANONYMOUS})


def own_words(text: str) -> tuple[str, str]:
    """``text`` split into the author's own words and the quoted text.

    ``text`` is normalised text (see :func:`normalise`): quotes are a header
    line (``@[user] a écrit :`` or ``[citation]``) and ``>`` lines, as
    :func:`html_to_text` marks them and as Markdown (Reddit) and e-mail write
    them. Boilerplate lines (:data:`BOILERPLATE_LINES`) are dropped from both.
    The quoted part keeps its marks, one quote per paragraph, for display; it
    is never scored or searched.
    """
    own: list[str] = []
    quoted: list[str] = []
    in_quote = False
    for line in text.split("\n"):
        if BOILERPLATE_LINES.match(line):
            continue
        if line in _QUOTE_HEADERS or line.startswith(">"):
            if not in_quote and quoted:
                quoted.append("")
            quoted.append(line)
            in_quote = True
        else:
            in_quote = in_quote and not line
            own.append(line)
    return _tidy("\n".join(own)), _tidy("\n".join(quoted))


def _tidy(text: str) -> str:
    return _BLANK_LINES.sub("\n\n", text).strip()


def iso_date(value: str | float | None) -> str | None:
    """A machine-readable date as ISO-8601 UTC (``2024-03-12T08:15:00Z``), or None.

    Accepts ISO-8601 (``<time datetime>``, Atom; no offset means UTC), RFC 822
    (RSS ``pubDate``) and Unix timestamps (``data-time``).
    """
    if value is None or isinstance(value, bool):
        return None
    raw = str(value).strip()
    if not raw:
        return None
    when: datetime | None = None
    try:
        if re.fullmatch(r"\d{9,11}(?:\.\d+)?", raw):
            when = datetime.fromtimestamp(float(raw), UTC)
        else:
            when = datetime.fromisoformat(raw.replace("z", "Z"))
    except (ValueError, OverflowError, OSError):
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
