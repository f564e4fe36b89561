"""One spider per platform; :data:`SPIDERS` maps a source's ``platform`` to it."""

from __future__ import annotations

from crawlers.spiders.bluesky import BlueskySpider
from crawlers.spiders.discourse import DiscourseSpider
from crawlers.spiders.forum import ForumSpider
from crawlers.spiders.mastodon import MastodonSpider
from crawlers.spiders.reddit import RedditSpider
from crawlers.spiders.rss import RssSpider
from crawlers.spiders.telegram import TelegramSpider
from crawlers.spiders.twitch import TwitchSpider
from crawlers.spiders.youtube import YoutubeSpider

SPIDERS = {
    "reddit": RedditSpider,
    "discourse": DiscourseSpider,
    "mastodon": MastodonSpider,
    "bluesky": BlueskySpider,
    "rss": RssSpider,
    "forum": ForumSpider,
    "telegram": TelegramSpider,
    "twitch": TwitchSpider,
    "youtube": YoutubeSpider,
}
