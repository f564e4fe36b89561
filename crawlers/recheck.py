"""Deletion sync: ``maraude recheck`` re-checks open leads at their source.

A post its author deleted (or a moderator removed) must disappear here too
(Reddit's Public Content Policy requires it, and so does respect): the post,
its prediction, its lead, its index rows and cached embeddings are deleted.

* Reddit: ``/api/info?id=t3_…`` by batches of 100 — through the official API
  with application-only OAuth, or ``{base_url}/api/info.json`` for a replay
  server. A post missing from the answer, removed, or whose author and text
  read ``[deleted]``/``[removed]`` is gone.
* Other platforms: the post's URL answers 404 or 410.
* Not checked (counted unknown): Twitch chat (its link is the channel's page,
  a message has none) and YouTube (its terms allow the API only, and a
  comment's page answers 200 when it is gone; ``[privacy] platform_days``
  bounds how long its posts are kept).

A network error or any other answer keeps the post (we only delete what we
know is gone). Requests identify Maraude and wait ``delay`` seconds between
them on remote hosts.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawlers.env import (
    REDDIT_CLIENT_ID,
    REDDIT_CLIENT_SECRET,
    credential_settings,
)
from maraude import db as mdb
from maraude.sources import Source

logger = logging.getLogger(__name__)

GONE_TEXTS = {"[deleted]", "[removed]"}
NO_PAGE_CHECK = {"twitch", "youtube"}


@dataclass
class RecheckResult:
    checked: int = 0
    deleted: int = 0
    unknown: int = 0
    deleted_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


Fetch = Callable[[str, dict[str, str]], tuple[int, bytes]]


def _fetch(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def _reddit_base(source: Source | None) -> str | None:
    base = source.settings.get("base_url") if source else None
    return base.rstrip("/") if base else None


def _reddit_token(user_agent: str, credentials: Mapping[str, str]) -> str:
    client_id = credentials.get(REDDIT_CLIENT_ID, "")
    secret = credentials.get(REDDIT_CLIENT_SECRET, "")
    auth = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        "https://www.reddit.com/api/v1/access_token",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {auth}", "User-Agent": user_agent},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())["access_token"]


def _gone_on_reddit(
    posts: list[dict[str, Any]],
    base: str | None,
    headers: dict[str, str],
    fetch: Fetch,
) -> tuple[list[int], int]:
    """(ids of deleted posts, number left unknown) for Reddit posts of one site."""
    gone: list[int] = []
    unknown = 0
    for start in range(0, len(posts), 100):
        batch = posts[start : start + 100]
        ids = ",".join(f"t3_{p['native_id']}" for p in batch)
        url = (
            f"{base}/api/info.json?id={ids}"
            if base
            else f"https://oauth.reddit.com/api/info?id={ids}&raw_json=1"
        )
        try:
            status, body = fetch(url, headers)
            children = json.loads(body)["data"]["children"] if status == 200 else None
        except (OSError, ValueError, KeyError, TypeError):
            children = None
        if children is None:
            unknown += len(batch)
            continue
        alive = {
            c["data"]["id"]
            for c in children
            if not c["data"].get("removed_by_category")
            and not (
                c["data"].get("author") in GONE_TEXTS
                and c["data"].get("selftext") in GONE_TEXTS
            )
        }
        gone += [p["id"] for p in batch if p["native_id"] not in alive]
    return gone, unknown


def recheck(
    db_path: Path,
    sources: list[Source],
    *,
    user_agent: str,
    delay: float = 2.0,
    fetch: Fetch = _fetch,
    credentials: Mapping[str, str] | None = None,
) -> RecheckResult:
    """Re-check every open lead's post at its source; delete what is gone.

    ``credentials``: Reddit's API keys (:func:`crawlers.env.credential_settings`;
    default: read from the environment there).
    """
    if credentials is None:
        credentials = credential_settings()
    database = mdb.open_db(db_path)
    by_name = {s.name: s for s in sources}
    posts = mdb.open_lead_posts(database)
    result = RecheckResult(checked=len(posts))
    headers = {"User-Agent": user_agent}
    reddit: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
    for post in posts:
        if post["platform"] == "reddit":
            base = _reddit_base(by_name.get(post["source"]))
            reddit.setdefault((base, post["site"]), []).append(post)
            continue
        if post["platform"] in NO_PAGE_CHECK:
            result.unknown += 1
            continue
        status = 0
        if post["url"]:
            try:
                status, _ = fetch(post["url"], headers)
            except OSError:
                status = 0
            host = urllib.parse.urlparse(post["url"]).hostname
            if host not in ("127.0.0.1", "localhost"):
                time.sleep(delay)
        if status in (404, 410):
            result.deleted_ids.append(post["id"])
        elif status != 200:
            result.unknown += 1
    for (base, site), group in reddit.items():
        reddit_headers = dict(headers)
        if base is None and not (site or "").endswith("reddit.com"):
            # A replay/demo source no longer in the sources file: nowhere to ask.
            result.unknown += len(group)
            continue
        if base is None:
            try:
                token = _reddit_token(user_agent, credentials)
            except (OSError, ValueError, KeyError) as e:
                result.unknown += len(group)
                result.errors.append(
                    f"Reddit's API refused or could not be reached "
                    f"({type(e).__name__}): {len(group)} Reddit posts left unchecked. "
                    "Set MARAUDE_REDDIT_CLIENT_ID and MARAUDE_REDDIT_CLIENT_SECRET "
                    "(docs/deployment.md) and check the network."
                )
                continue
            reddit_headers["Authorization"] = f"bearer {token}"
        gone, unknown = _gone_on_reddit(group, base, reddit_headers, fetch)
        result.deleted_ids += gone
        result.unknown += unknown
    result.deleted = mdb.delete_posts(database, result.deleted_ids)
    database.close()
    logger.info("rechecked %d posts, %d deleted", result.checked, result.deleted)
    return result
