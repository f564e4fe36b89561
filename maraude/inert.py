"""Outside text made inert for every place it is shown (issue #11, item 6).

Posts and their fields (``text``, ``title``, ``platform``, ``source``, ``site``,
``url``) come from people we do not know, or from import files anyone can
write. Wherever a renderer interprets markup, they go through one of these:

* :func:`md_escape` for Streamlit elements that render markdown (``st.error``,
  ``st.caption``, labels…): every markdown punctuation character is
  backslash-escaped, so no link, image, emphasis, HTML or autolink survives;
* :func:`chat_text` for webhook messages (Slack, Mattermost): ``&``, ``<`` and
  ``>`` become entities (Slack's rule) and markdown punctuation is escaped
  (Mattermost's), so nothing becomes a link, a mention or an image;
* :func:`plain_line` for one-line plain text (e-mail bodies, logs of ids);
* :func:`csv_cell` for cells a spreadsheet may open: a value starting with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``
  (OWASP's advice against formula injection).

Post text itself is shown with ``st.text``/``st.code`` only (never markdown).
"""

from __future__ import annotations

import re
import unicodedata

# CommonMark lets any ASCII punctuation be backslash-escaped.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'/@%^?;,])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain_line(value: object, limit: int = 200) -> str:
    """``value`` as one line of plain text: control and format characters
    (newlines, bidi overrides, zero-width) removed, cut at ``limit``."""
    text = "" if value is None else str(value)
    text = "".join(
        " " if ch in "\r\n\t" else ch
        for ch in text
        if ch in "\r\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md_escape(value: object, limit: int = 200) -> str:
    """Outside text to embed in markdown: one inert line."""
    return _MD_SPECIAL.sub(r"\\\1", plain_line(value, limit))


def chat_text(value: object, limit: int = 200) -> str:
    """Outside text to embed in a Slack/Mattermost webhook message."""
    text = plain_line(value, limit)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Markdown punctuation (Mattermost), mentions and autolinks (both).
    return re.sub(r"([\\`*_~\[\]()#!|:.@/])", r"\\\1", text)


def csv_cell(value: object) -> object:
    """A cell safe to open in a spreadsheet (numbers and None unchanged)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
