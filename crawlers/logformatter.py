"""Scrapy's log lines, without post text or author handles.

Scrapy's default formatter prints every scraped, dropped or failed item in
full at DEBUG or WARNING level; ours names the item by platform and native id
only, so ``--log-level DEBUG`` never writes what a person wrote.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


def _label(item: Any) -> str:
    platform = getattr(item, "platform", "?")
    native_id = getattr(item, "native_id", "?")
    return f"{platform} post {native_id}"


class PrivacyLogFormatter(LogFormatter):
    def scraped(self, item: Any, response: Any, spider: Any) -> LogFormatterResult:
        url = getattr(response, "url", "")
        return {
            "level": logging.DEBUG,
            "msg": "Scraped %(item)s from %(url)s",
            "args": {"item": _label(item), "url": url},
        }

    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "Dropped %(item)s: %(reason)s",
            "args": {"item": _label(item), "reason": str(exception)},
        }

    def item_error(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> LogFormatterResult:
        return {
            "level": logging.ERROR,
            "msg": "Error processing %(item)s",
            "args": {"item": _label(item)},
        }
