"""YouTube: public comments of configured videos, channels or searches (Data API v3).

Settings: ``videos`` (ids or watch URLs), ``channels`` (channel ids ``UC…``),
``query`` (a search), ``daily_quota`` (API units this source may spend per
day, default :data:`DEFAULT_DAILY_QUOTA`) and ``base_url`` (default
``https://www.googleapis.com/youtube/v3``; a replay server in tests, which
needs no key). Against Google the key comes from ``MARAUDE_YOUTUBE_API_KEY``.

* ``search?part=snippet&type=video&order=date&channelId=…`` (or ``q=…``), one
  page of the newest videos, finds the videos of channels and searches;
* ``commentThreads?part=snippet,replies&videoId=…&order=time`` lists a video's
  comment threads newest first, paged with ``pageToken``. One
  :class:`~crawlers.walk.FeedWalk` per video, ordered by publication time, so
  a second run stops at the newest comment of the last complete one (the
  high-water mark moves only when the spider closes, after storage), and a run
  cut short resumes its backlog.

A top-level comment is a post; each reply the API includes is a post too, with
the thread's comment as ``parent_native_id`` and the video's title (when a
search gave it) as ``thread_title``. Replies to older threads are kept when not
yet stored. ``author`` = the commenter's ``@handle`` (hashed by the pipeline).

Quota: ``commentThreads.list`` costs 1 unit, ``search.list`` 100. Units are
counted per Pacific day (when Google resets quotas) in the source's state; a
request that would go over ``daily_quota`` is not sent, and the run says so.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawlers.env import YOUTUBE_API_KEY, credential
from crawlers.items import PostItem
from crawlers.spiders.base import SourceSpider, load_json
from crawlers.text import iso_date

DEFAULT_BASE_URL = "https://www.googleapis.com/youtube/v3"
KEY_ENV = YOUTUBE_API_KEY  # a setting, filled from the variable of that name
SITE = "www.youtube.com"
DEFAULT_DAILY_QUOTA = 9_000  # of the 10,000 units Google gives a project
COST = {"commentThreads": 1, "search": 100}
_VIDEO = re.compile(
    r"^(?:https?://(?:www\.|m\.)?(?:youtube\.com/(?:watch\?(?:.*&)?v=|shorts/)"
    r"|youtu\.be/))?([A-Za-z0-9_-]{11})(?:[&?#].*)?$"
)
_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")


class YoutubeSpider(SourceSpider):
    name = platform = "youtube"
    # An API: Google's terms and quotas apply, not robots.txt.
    # Annotated as scrapy.Spider declares it (an instance attribute, for mypy).
    custom_settings: dict[str, Any] | None = {"ROBOTSTXT_OBEY": False}  # noqa: RUF012
    handle_httpstatus_list: ClassVar[list[int]] = [403, 404]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        base = self.settings_.get("base_url") or DEFAULT_BASE_URL
        self.base_url = base.rstrip("/")
        self.key: str | None = None
        self.daily_quota = int(self.settings_.get("daily_quota", DEFAULT_DAILY_QUOTA))
        self.titles: dict[str, str] = {}
        self.queued: set[str] = set()
        self.quota_stopped = False

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.settings_.get("base_url"):
            self.key = credential(self.crawler.settings, KEY_ENV) or None
            if not self.key:
                self.logger.error(
                    "source %s: set %s to a YouTube Data API v3 key (Google Cloud "
                    "console → APIs → YouTube Data API v3 → credentials)",
                    self.source.name,
                    KEY_ENV,
                )
                raise CloseSpider("no API key")
        for entry in self.settings_.get("videos") or []:
            match = _VIDEO.match(str(entry).strip())
            if match is None:
                self.logger.error(
                    "source %s: %r is not a YouTube video id or URL",
                    self.source.name,
                    entry,
                )
                continue
            request = self._video_request(match.group(1))
            if request is not None:
                yield request
        for channel in self.settings_.get("channels") or []:
            if not _CHANNEL.match(str(channel)):
                self.logger.error(
                    "source %s: %r is not a channel id (UC… of 24 characters)",
                    self.source.name,
                    channel,
                )
                continue
            request = self._search_request(channelId=str(channel))
            if request is not None:
                yield request
        if self.settings_.get("query"):
            request = self._search_request(q=self.settings_["query"])
            if request is not None:
                yield request

    # -- quota -----------------------------------------------------------------

    def _spend(self, endpoint: str) -> bool:
        """Count the units of one request; False (and say so) when over quota."""
        state = self.state()
        day = _pacific_day()
        quota = state.get("quota") or {}
        used = int(quota.get("used", 0)) if quota.get("day") == day else 0
        cost = COST[endpoint]
        if used + cost > self.daily_quota:
            if not self.quota_stopped:
                self.quota_stopped = True
                self.crawler.stats.set_value("maraude/quota_stopped", 1)
                self.logger.warning(
                    "source %s: YouTube daily quota reached (%d of %d units used "
                    "today, Pacific time): the rest waits for the next run after "
                    "midnight Pacific time",
                    self.source.name,
                    used,
                    self.daily_quota,
                )
            return False
        state["quota"] = {"day": day, "used": used + cost}
        self.save_state(state)
        self.crawler.stats.inc_value("maraude/quota_units", cost)
        return True

    # -- requests --------------------------------------------------------------

    def _url(self, endpoint: str, params: dict[str, Any]) -> str:
        if self.key:
            params = {**params, "key": self.key}
        return f"{self.base_url}/{endpoint}?{urlencode(params)}"

    def _search_request(self, **by: str) -> scrapy.Request | None:
        if self.pages >= self.max_pages or not self._spend("search"):
            return None
        self.pages += 1
        params: dict[str, Any] = {"part": "snippet", "type": "video", "order": "date"}
        params |= {"maxResults": 50, **by}
        return scrapy.Request(
            self._url("search", params),
            callback=self.parse_search,
            errback=self.on_error,
            headers={"Accept": "application/json"},
            meta={"endpoint": "search"},
        )

    def _video_request(
        self, video: str, token: str | None = None
    ) -> scrapy.Request | None:
        if token is None:
            if video in self.queued:
                return None
            self.queued.add(video)
        if self.pages >= self.max_pages or not self._spend("commentThreads"):
            return None
        self.pages += 1
        params: dict[str, Any] = {
            "part": "snippet,replies",
            "videoId": video,
            "order": "time",
            "maxResults": 100,
            "textFormat": "plainText",
        }
        if token:
            params["pageToken"] = token
        return scrapy.Request(
            self._url("commentThreads", params),
            callback=self.parse,
            errback=self.on_error,
            cb_kwargs={"video": video, "token": token},
            headers={"Accept": "application/json"},
            meta={"endpoint": "commentThreads"},
        )

    # -- responses -------------------------------------------------------------

    def _data(self, response: Response) -> dict[str, Any] | None:
        """The JSON body, or None after logging an API error or a malformed body."""
        try:
            data = load_json(response)
            if not isinstance(data, dict):
                raise TypeError("not an object")
        except (ValueError, TypeError):
            self.logger.error(
                "malformed YouTube response for source %s at %s",
                self.source.name,
                _no_key(response.url),
            )
            return None
        if response.status >= 400 or "error" in data:
            self._api_error(response, data)
            return None
        return data

    def _api_error(self, response: Response, data: dict[str, Any]) -> None:
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        reasons = {
            str(e.get("reason"))
            for e in (error or {}).get("errors") or []
            if isinstance(e, dict)
        }
        where = _no_key(response.url)
        if reasons & {"commentsDisabled", "videoNotFound", "forbidden"}:
            self.logger.warning(
                "source %s: no comments to read at %s (%s)",
                self.source.name,
                where,
                ", ".join(sorted(reasons)),
            )
            return
        if reasons & {"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded"}:
            self.quota_stopped = True
            self.crawler.stats.set_value("maraude/quota_stopped", 1)
        self.logger.error(
            "YouTube API error for source %s at %s: HTTP %d %s",
            self.source.name,
            where,
            response.status,
            ", ".join(sorted(reasons)) or "",
        )
        if self.quota_stopped:
            raise CloseSpider("quota")

    def parse_search(self, response: Response) -> Iterator[Any]:
        data = self._data(response)
        if data is None:
            return
        for entry in data.get("items") or []:
            ident = entry.get("id") if isinstance(entry, dict) else None
            video = ident.get("videoId") if isinstance(ident, dict) else None
            if not isinstance(video, str):
                continue
            snippet = entry.get("snippet") or {}
            if isinstance(snippet, dict) and isinstance(snippet.get("title"), str):
                self.titles[video] = snippet["title"]
            request = self._video_request(video)
            if request is not None:
                yield request

    def parse(
        self, response: Response, video: str = "", token: str | None = None
    ) -> Iterator[Any]:
        data = self._data(response)
        if data is None:
            return
        key = f"video:{video}"
        self.checkpoint(key, token)
        threads = [t for t in data.get("items") or [] if _published(t) is not None]
        if len(threads) < len(data.get("items") or []):
            self.reject(
                f"{len(data['items']) - len(threads)} thread(s) without a date",
                _no_key(response.url),
                "malformed",
            )
        nxt = data.get("nextPageToken") or None
        if not isinstance(nxt, str) or nxt == token or not threads:
            nxt = None
        keep, nxt = self.walk(key).page([_published(t) for t in threads], nxt)
        for thread, kept in zip(threads, keep, strict=True):
            yield from self._thread_items(thread, video, kept, response.url)
        if nxt:
            request = self._video_request(video, nxt)
            if request is not None:
                yield request

    def _thread_items(
        self, thread: dict[str, Any], video: str, kept: bool, url: str
    ) -> Iterator[PostItem]:
        what = f"thread {thread.get('id')}"
        if kept:
            top = self.parse_item(self._top_comment, thread, video, url=url, what=what)
            if top is not None:
                yield top
        replies = (thread.get("replies") or {}).get("comments") or []
        for reply in replies:
            item = self.parse_item(
                self._comment, reply, video, url=_no_key(url), what=what
            )
            if item is not None and (kept or not self.seen(SITE, item.native_id)):
                yield item

    def _top_comment(self, thread: dict[str, Any], video: str) -> PostItem:
        comment = thread["snippet"]["topLevelComment"]
        return self._comment(comment, video)

    def _comment(self, comment: dict[str, Any], video: str) -> PostItem:
        snippet = comment["snippet"]
        native_id = str(comment["id"])
        # textOriginal is guaranteed only to the comment's author; requested
        # with textFormat=plainText, textDisplay is plain text too.
        text = snippet.get("textOriginal")
        if not isinstance(text, str):
            text = snippet.get("textDisplay") or ""
        author = snippet.get("authorDisplayName")
        return PostItem(
            platform=self.platform,
            site=SITE,
            source=self.source.name,
            native_id=native_id,
            text=text,
            url=f"https://{SITE}/watch?{urlencode({'v': video, 'lc': native_id})}",
            author=str(author).lstrip("@") if author else None,
            created_at=iso_date(snippet.get("publishedAt")),
            parent_native_id=snippet.get("parentId") or None,
            thread_title=self.titles.get(video),
        )

    def on_error(self, failure: Any) -> None:
        if failure.check(HttpError):
            data = self._data(failure.value.response)
            if data is None:
                return
        self.log_failure(failure)


def _published(thread: Any) -> str | None:
    """The order key of a thread: its comment's publication time (ISO, UTC)."""
    try:
        return iso_date(thread["snippet"]["topLevelComment"]["snippet"]["publishedAt"])
    except (TypeError, KeyError):
        return None


def _pacific_day() -> str:
    """Today in Pacific time, when Google resets API quotas."""
    try:
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo("America/Los_Angeles")).date().isoformat()
    except (ImportError, KeyError, OSError):  # no tz database: UTC, 8 h early
        return datetime.now(UTC).date().isoformat()


def _no_key(url: str) -> str:
    """A request URL fit for the log: without the API key."""
    return re.sub(r"([?&])key=[^&]*", r"\1key=…", url)
