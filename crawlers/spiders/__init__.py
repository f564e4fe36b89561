"""One spider per platform; :data:`SPIDERS` maps a source's ``platform`` to it."""

from __future__ import annotations

from crawlers.spiders.reddit import RedditSpider

SPIDERS = {"reddit": RedditSpider}
