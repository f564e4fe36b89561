"""Privacy helpers shared by the stages: keyed author hashes and text masking.

An author is stored only as ``author_hash`` = HMAC-SHA256(secret, platform, site,
handle), so the same handle on two platforms gives two unrelated hashes: nothing
links one person across platforms. E-mail addresses, phone numbers, IBAN-like
strings and ``@mentions`` are masked in stored text; URLs are kept (a worker
replies there), except e-mails and phone numbers inside them (a ``mailto:``, a
``?tel=``, a ``wa.me/`` link), which are masked too.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from maraude.errors import SecretMissingError

SECRET_ENV = "MARAUDE_SECRET"  # noqa: S105 (a variable name, not a secret)
MIN_SECRET_LENGTH = 16

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
# French numbers (06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78, 0612345678)
# and other international numbers with at least 9 digits.
_PHONE = re.compile(
    r"(?<![\w/])(?:(?:\+|00)\d{2,3}[\s.-]?(?:\(0\)[\s.-]?)?\d(?:[\s.-]?\d{2}){4}"
    r"|0\d(?:[\s.-]?\d{2}){4}"
    r"|\+\d{1,3}(?:[\s.-]?\d{2,4}){3,5})(?![\w/])"
)
# @handle or @handle@instance, not preceded by a word character (so never the
# middle of an e-mail address) nor inside a URL.
_MENTION = re.compile(r"(?<![\w/@.])@[A-Za-z0-9_](?:[\w.-]*[\w])?(?:@[\w.-]+\.\w+)?")
_URL = re.compile(r"(?:https?://|mailto:|tel:|sms:)\S+", re.IGNORECASE)
# Inside a URL: an e-mail (also %40-encoded), and a phone number given as a
# parameter value (``?tel=06…``), after ``tel:``/``sms:`` or in a ``wa.me/`` link.
# Path ids (``/comments/1abc234``, ``/status/187…``) are left alone.
_URL_EMAIL = re.compile(
    r"[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE
)
_URL_PHONE = re.compile(
    r"(?:(?<=[=:])|(?<=wa\.me/))(?:\+|%2B|00)?\d(?:(?:[\s.-]|%20)?\d){7,13}(?![\w])",
    re.IGNORECASE,
)
#: Query parameters that only track a share (dropped before hashing a URL).
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_source",
        "share_id",
        "si",
        "s",
        "t_src",
        "_ga",
        "yclid",
    }
)
_DIGIT = re.compile(r"\d")


def get_secret(*, allow_generate: bool = False) -> str:
    """The pseudonymisation key from ``MARAUDE_SECRET``.

    With ``allow_generate`` (the demo only) a random key is made for this process.
    """
    secret = os.environ.get(SECRET_ENV, "")
    if len(secret) >= MIN_SECRET_LENGTH:
        return secret
    if allow_generate:
        return secrets.token_hex(32)
    if secret:
        raise SecretMissingError(
            f"{SECRET_ENV} is too short ({len(secret)} characters): use at least "
            f"{MIN_SECRET_LENGTH}, e.g. export {SECRET_ENV}=$(python -c "
            "'import secrets; print(secrets.token_hex(32))')"
        )
    raise SecretMissingError(
        f"{SECRET_ENV} is not set. Maraude stores authors only as a keyed hash and "
        f"needs a secret key: export {SECRET_ENV}=$(python -c "
        "'import secrets; print(secrets.token_hex(32))') and keep it safe "
        "(the same key must be used for every crawl)."
    )


OLD_SECRETS_ENV = "MARAUDE_OLD_SECRETS"


def old_secrets() -> list[str]:
    """Previous keys (``MARAUDE_OLD_SECRETS``, comma-separated), kept after a key
    rotation so that opt-out entries hashed with them keep matching until the
    register is re-keyed (docs/privacy.md, "Rotating MARAUDE_SECRET")."""
    raw = os.environ.get(OLD_SECRETS_ENV, "")
    return [key.strip() for key in raw.split(",") if key.strip()]


def author_hash(secret: str, platform: str, site: str, handle: str) -> str:
    """Keyed per-platform hash of an author handle (32 hex characters)."""
    message = "\x1f".join((platform, site.lower(), handle.strip().lower()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:32]


def normalise_url(url: str) -> str:
    """The form of a URL that opt-out matching compares: lower case, without
    the ``#fragment``, tracking parameters (``utm_*``, ``fbclid``…) nor a
    trailing slash. Other parameters are kept, in their order."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text.rstrip("/").lower()
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    path = parts.path.rstrip("/")
    normal = urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))
    return normal.rstrip("/").lower()


def url_hash(secret: str, url: str) -> str:
    """Keyed hash of a URL, for the opt-out register (see :func:`normalise_url`;
    a URL with none of what it drops hashes as it always did)."""
    normal = normalise_url(url)
    return hmac.new(secret.encode(), normal.encode(), hashlib.sha256).hexdigest()[:32]


#: The host an author handle belongs to when no site is given (opt-out entries).
DEFAULT_SITES = {
    "reddit": "www.reddit.com",
    "bluesky": "bsky.app",
    "telegram": "t.me",
    "twitch": "www.twitch.tv",
    "youtube": "www.youtube.com",
}


def optout_entry(
    secret: str, value: str, platform: str, site: str | None = None
) -> tuple[str, str]:
    """``(kind, keyed hash)`` of an opt-out value: a post URL or an author handle.

    Hashed exactly as the crawler hashes what it reads, so the entry matches.
    """
    value = value.strip()
    if value.startswith(("http://", "https://")):
        return "url", url_hash(secret, value)
    host = (site or "").strip().lower() or DEFAULT_SITES.get(platform, platform)
    return "author", author_hash(secret, platform, host, value.lstrip("@"))


def mask_text(text: str) -> str:
    """Mask e-mails, phone numbers, IBANs and @mentions; URLs stay intact."""
    has_at = "@" in text
    has_digit = _DIGIT.search(text) is not None
    if not (has_at or has_digit):
        return text  # nothing to mask: the common case, kept fast
    urls: list[str] = []

    def keep_url(m: re.Match[str]) -> str:
        urls.append(_mask_in_url(m.group(0)))
        return f"\x00{len(urls) - 1}\x00"

    if _URL.search(text):
        text = _URL.sub(keep_url, text)
    if has_at:
        text = _MENTION.sub("@[user]", text)
        text = _EMAIL.sub("[email]", text)
    if has_digit:
        text = _IBAN.sub("[iban]", text)
        text = _PHONE.sub("[téléphone]", text)
    if urls:
        text = re.sub(r"\x00(\d+)\x00", lambda m: urls[int(m.group(1))], text)
    return text


def _mask_in_url(url: str) -> str:
    """A URL with the e-mails and phone numbers inside it masked."""
    if "@" in url or "%40" in url.lower():
        url = _URL_EMAIL.sub("[email]", url)
    if _DIGIT.search(url):
        url = _URL_PHONE.sub("[téléphone]", url)
    return url


def content_hash(text: str) -> str:
    """A short SHA-256 of a text (32 hex digits), to spot the same post twice."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]
