"""Privacy helpers shared by the stages: keyed author hashes and text masking.

An author is stored only as ``author_hash`` = HMAC-SHA256(secret, platform, site,
handle), so the same handle on two platforms gives two unrelated hashes: nothing
links one person across platforms. E-mail addresses, phone numbers, IBAN-like
strings and ``@mentions`` are masked in stored text; URLs are kept (a worker
replies there).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets

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
_URL = re.compile(r"https?://\S+")
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


def url_hash(secret: str, url: str) -> str:
    """Keyed hash of a URL, for the opt-out register."""
    normal = url.strip().rstrip("/").lower()
    return hmac.new(secret.encode(), normal.encode(), hashlib.sha256).hexdigest()[:32]


#: The host an author handle belongs to when no site is given (opt-out entries).
DEFAULT_SITES = {"reddit": "www.reddit.com", "bluesky": "bsky.app", "telegram": "t.me"}


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
        urls.append(m.group(0))
        return f"\x00{len(urls) - 1}\x00"

    if "http" in text:
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


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
