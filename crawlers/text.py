"""Text normalisation for crawled posts: plain text, NFC, tidy whitespace, language."""

from __future__ import annotations

import html
import re
import unicodedata

from parsel import Selector

MAX_TEXT_CHARS = 20_000
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_BLANK_LINES = re.compile(r"\n\s*\n+")

_FR = set(
    [
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "de",
        "du",
        "et",
        "est",
        "je",
        "tu",
        "il",
        "elle",
        "on",
        "nous",
        "vous",
        "ils",
        "pas",
        "ne",
        "que",
        "qui",
        "pour",
        "dans",
        "sur",
        "avec",
        "mais",
        "ou",
        "donc",
        "car",
        "ça",
        "ca",
        "mon",
        "ma",
        "mes",
        "ton",
        "ta",
        "suis",
        "ai",
        "j",
        "c'est",
        "moi",
        "toi",
        "plus",
        "tout",
        "très",
        "tres",
        "fait",
        "faire",
        "avoir",
        "être",
        "etre",
        "aussi",
        "quand",
        "comme",
    ]
)
_EN = set(
    [
        "the",
        "a",
        "an",
        "and",
        "is",
        "are",
        "was",
        "were",
        "i",
        "you",
        "he",
        "she",
        "it",
        "we",
        "they",
        "not",
        "that",
        "which",
        "for",
        "in",
        "on",
        "with",
        "but",
        "or",
        "so",
        "my",
        "your",
        "me",
        "to",
        "of",
        "have",
        "has",
        "be",
        "been",
        "this",
        "just",
        "what",
        "when",
        "like",
    ]
)
_WORDS = re.compile(r"[a-zàâçéèêëîïôûùüÿœæ']+")


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: scripts dropped, block elements on new lines."""
    sel = Selector(text=f"<div>{markup}</div>")
    for bad in sel.css("script, style, noscript"):
        bad.drop()
    for br in sel.css("br"):
        br.root.tail = "\n" + (br.root.tail or "")
    parts = []
    for node in sel.xpath("//div[1]/node()"):
        if isinstance(node.root, str):
            parts.append(node.root)
        else:
            tag = getattr(node.root, "tag", "")
            chunk = "".join(node.xpath(".//text()").getall())
            sep = (
                "\n"
                if tag in {"p", "div", "li", "blockquote", "h1", "h2", "h3"}
                else ""
            )
            parts.append(sep + chunk + sep)
    return "".join(parts)


def normalise(text: str, *, is_html: bool = False, limit: int = MAX_TEXT_CHARS) -> str:
    """NFC, no invisible controls, tidy whitespace, at most ``limit`` characters."""
    if is_html:
        text = html_to_text(text)
    text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    if len(text) > limit:
        text = text[:limit].rstrip() + " […]"
    return text


def guess_lang(text: str) -> str | None:
    """``"fr"``, ``"en"`` or None, from common function words (fast, offline)."""
    words = _WORDS.findall(text.lower()[:2000])
    if len(words) < 3:
        return None
    fr = sum(w in _FR for w in words)
    en = sum(w in _EN for w in words)
    if max(fr, en) < 2:
        return None
    return "fr" if fr >= en else "en"
