"""One spider per platform; :data:`SPIDERS` maps a source's ``platform`` to it."""

from __future__ import annotations

from crawlers.spiders.bluesky import BlueskySpider
from crawlers.spiders.discourse import DiscourseSpider
from crawlers.spiders.mastodon import MastodonSpider
from crawlers.spiders.reddit import RedditSpider

SPIDERS = {
    "reddit": RedditSpider,
    "discourse": DiscourseSpider,
    "mastodon": MastodonSpider,
    "bluesky": BlueskySpider,
}
