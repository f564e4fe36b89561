"""Scrapy's log lines, without post text or author handles.

Scrapy's default formatter prints every scraped, dropped or failed item in
full at DEBUG or WARNING level; ours names the item by platform and native id
only, so ``--log-level DEBUG`` never writes what a person wrote.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult

# A Bluesky DID names one person for good (did:plc:…, did:web:host): never logged.
_DID = re.compile(r"did(?::|%3A)(?:plc|web)(?::|%3A)[A-Za-z0-9._%-]+", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with Bluesky DIDs replaced by ``did:…``."""
    return _DID.sub("did:…", text)


def _label(item: Any) -> str:
    platform = getattr(item, "platform", "?")
    native_id = redact(str(getattr(item, "native_id", "?")))
    return f"{platform} post {native_id}"


class PrivacyLogFormatter(LogFormatter):
    def crawled(self, request: Any, response: Any, spider: Any) -> LogFormatterResult:
        result = super().crawled(request, response, spider)
        args = dict(result["args"])
        for key in ("request", "referer"):
            if args.get(key) is not None:
                args[key] = redact(str(args[key]))
        return {**result, "args": args}

    def scraped(self, item: Any, response: Any, spider: Any) -> LogFormatterResult:
        url = getattr(response, "url", "")
        return {
            "level": logging.DEBUG,
            "msg": "Scraped %(item)s from %(url)s",
            "args": {"item": _label(item), "url": redact(url)},
        }

    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "Dropped %(item)s: %(reason)s",
            "args": {"item": _label(item), "reason": redact(str(exception))},
        }

    def item_error(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> LogFormatterResult:
        return {
            "level": logging.ERROR,
            "msg": "Error processing %(item)s",
            "args": {"item": _label(item)},
        }
