"""Activity figures for the dashboard: leads per day, reply delays, crawl health.

Counts only: no post text, no author. Periods are the last ``days`` days of
``leads.created_at`` (so what the retention purge removed is not counted).
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from maraude import vocab
from maraude.db.core import dumps
from maraude.db.followup import outcome_counts

#: What leads can be counted by: a SQL expression giving one value per row.
_GROUPS = {
    "label": (
        "j.value",
        "leads l, json_each(l.labels) j",
    ),
    "right": (
        "j.value",
        "leads l, json_each(l.rights_topics) j",
    ),
    "platform": (
        "p.platform",
        "leads l JOIN posts p ON p.id = l.post_id",
    ),
}
#: Statuses where a worker has decided something about the lead.
DECIDED = vocab.DECIDED_STATUSES


def since(days: int, now: datetime | None = None) -> str:
    """The ISO-8601 UTC timestamp ``days`` days before ``now`` (default: now)."""
    start = (now or datetime.now(UTC)) - timedelta(days=days)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


def leads_per_day(db: Database, by: str, days: int = 30) -> list[dict[str, Any]]:
    """``[{"day": "2026-11-20", "group": "crisis", "leads": 3}, …]``.

    ``by`` is ``label``, ``right`` or ``platform``. A lead with two labels
    counts once under each.
    """
    if by not in _GROUPS:
        raise ValueError(f"by must be one of {sorted(_GROUPS)}, not {by!r}")
    value, source = _GROUPS[by]
    return list(
        db.query(
            f"SELECT substr(l.created_at, 1, 10) AS day, {value} AS "
            f'"group", count(*) AS leads FROM {source} WHERE l.created_at >= ? '
            "GROUP BY 1, 2 ORDER BY 1, 2",
            [since(days)],
        )
    )


def reply_hours(db: Database, days: int = 30) -> list[float]:
    """Hours from a lead's creation to its reply, for leads replied in the period."""
    rows = db.execute(
        "SELECT (julianday(replied_at) - julianday(created_at)) * 24.0 FROM leads "
        "WHERE replied_at IS NOT NULL AND created_at >= ?",
        [since(days)],
    ).fetchall()
    return [max(0.0, r[0]) for r in rows if r[0] is not None]


def outcome_summary(db: Database, days: int = 30) -> dict[str, Any]:
    """Leads of the period by status, the median reply delay, the share of
    decided leads marked not relevant, and precision as workers see it."""
    counts = dict(
        db.execute(
            "SELECT status, count(*) FROM leads WHERE created_at >= ? GROUP BY status",
            [since(days)],
        ).fetchall()
    )
    decided = sum(counts.get(s, 0) for s in DECIDED)
    hours = reply_hours(db, days)
    share = counts.get("not_relevant", 0) / decided if decided else None
    return {
        "leads": sum(counts.values()),
        "by_status": counts,
        "decided": decided,
        "not_relevant_share": None if share is None else round(share, 4),
        "precision": None if share is None else round(1 - share, 4),
        "replies": len(hours),
        "median_reply_hours": round(statistics.median(hours), 2) if hours else None,
        # What came of the replies (#16): answered, oriented, no_news.
        "outcomes": outcome_counts(db, since(days)),
    }


def crawl_health(db: Database, days: int = 7) -> list[dict[str, Any]]:
    """Per source: its last run (time, status, new posts, errors) and the
    period's totals (runs, failed runs, new posts, errors)."""
    return list(
        db.query(
            """
            SELECT s.source,
                   last.started_at AS last_run_at,
                   last.status AS last_status,
                   last.new_posts AS last_new_posts,
                   last.errors AS last_errors,
                   (SELECT count(*) FROM crawl_runs r WHERE r.source = s.source
                    AND r.started_at >= :since) AS runs,
                   (SELECT count(*) FROM crawl_runs r WHERE r.source = s.source
                    AND r.started_at >= :since
                    AND r.status IN ('failed', 'interrupted')) AS failed_runs,
                   (SELECT coalesce(sum(new_posts), 0) FROM crawl_runs r
                    WHERE r.source = s.source AND r.started_at >= :since)
                    AS new_posts,
                   (SELECT coalesce(sum(errors), 0) FROM crawl_runs r
                    WHERE r.source = s.source AND r.started_at >= :since) AS errors
            FROM (SELECT DISTINCT source FROM crawl_runs) s
            JOIN crawl_runs last ON last.id = (
                SELECT id FROM crawl_runs r WHERE r.source = s.source
                ORDER BY r.started_at DESC, r.id DESC LIMIT 1)
            ORDER BY s.source
            """,
            {"since": since(days)},
        )
    )


def crawl_per_day(db: Database, days: int = 7) -> list[dict[str, Any]]:
    """``[{"day", "source", "new_posts", "errors", "runs"}, …]`` for the period."""
    return list(
        db.query(
            "SELECT substr(started_at, 1, 10) AS day, source, "
            "sum(new_posts) AS new_posts, sum(errors) AS errors, count(*) AS runs "
            "FROM crawl_runs WHERE started_at >= ? GROUP BY 1, 2 ORDER BY 1, 2",
            [since(days)],
        )
    )


def unclaimed_crises(
    db: Database, minutes: int, *, sure_only: bool = True
) -> list[dict[str, Any]]:
    """Crisis leads nobody holds (new, or an expired claim) for ``minutes`` or
    more since they became leads, oldest first; ``age_minutes`` for each.
    Only sure crises (the seniors' banner and alerts) unless ``sure_only`` is
    False: possible ones wait in the queue without alerting anyone."""
    now = datetime.now(UTC)
    before = (now - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = list(
        db.query(
            "SELECT l.id, l.post_id, l.created_at, l.status, l.crisis_level, "
            "p.platform, p.source, "
            "CAST((julianday(:now) - julianday(l.created_at)) * 1440 AS INTEGER) "
            "AS age_minutes FROM leads l JOIN posts p ON p.id = l.post_id "
            "WHERE l.crisis = 1 AND l.created_at <= :before "
            + ("AND l.crisis_level = 'sure' " if sure_only else "")
            + "AND (l.status = 'new' "
            "OR (l.status = 'claimed' AND l.claim_expires_at < :now)) "
            "ORDER BY l.created_at, l.id",
            {"now": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "before": before},
        )
    )
    return rows


# -- crisis alerts ----------------------------------------------------------------

#: Sending attempts per alert before giving up (the banner still shows the lead).
MAX_ATTEMPTS = 3
#: An attempt still "sending" after this many minutes died: it may be retried.
STALE_MINUTES = 10


def due_crisis_alerts(db: Database, minutes: int) -> list[dict[str, Any]]:
    """Unclaimed crisis leads (see :func:`unclaimed_crises`) not yet alerted, or
    whose earlier alert failed and may be tried again. Only sure crises alert
    (contracts.md): possible crises (``crisis_level``) wait in the queue after
    them, since an alert for each would teach people to ignore alerts."""
    done = {
        r[0]
        for r in db.execute(
            "SELECT lead_id FROM crisis_alerts WHERE status IN ('sent', 'no_channel') "
            "OR attempts >= ? OR (status = 'sending' AND attempted_at > ?)",
            [
                MAX_ATTEMPTS,
                since(0, datetime.now(UTC) - timedelta(minutes=STALE_MINUTES)),
            ],
        )
    }
    return [lead for lead in unclaimed_crises(db, minutes) if lead["id"] not in done]


def start_crisis_alert(db: Database, lead_id: int) -> bool:
    """Take the alert of ``lead_id`` for sending; False if it is sent, being
    sent by another process, or out of attempts (so it is sent once)."""
    now = datetime.now(UTC)
    stale = since(0, now - timedelta(minutes=STALE_MINUTES))
    cur = db.execute(
        "INSERT INTO crisis_alerts(lead_id, created_at, status, attempted_at) "
        "VALUES (?, ?, 'sending', ?) ON CONFLICT(lead_id) DO UPDATE SET "
        "status = 'sending', attempts = crisis_alerts.attempts + 1, "
        "attempted_at = excluded.attempted_at "
        "WHERE crisis_alerts.attempts < ? AND (crisis_alerts.status = 'failed' OR "
        "(crisis_alerts.status = 'sending' AND crisis_alerts.attempted_at <= ?))",
        [lead_id, since(0, now), since(0, now), MAX_ATTEMPTS, stale],
    )
    return cur.rowcount == 1


def finish_crisis_alert(
    db: Database, lead_id: int, channels: list[str], errors: list[str]
) -> str:
    """Record how sending went; returns the alert's status."""
    if channels:
        status = "sent"
    elif errors:
        status = "failed"
    else:
        status = "no_channel"
    db.execute(
        "UPDATE crisis_alerts SET status = ?, channels = ?, error = ?, "
        "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE lead_id = ?",
        [
            status,
            dumps(channels),
            "; ".join(errors) or None,
            status,
            since(0),
            lead_id,
        ],
    )
    return status


def crisis_alerts(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    """The latest crisis alerts, newest first (at most ``limit``)."""
    return list(
        db.query(
            "SELECT * FROM crisis_alerts ORDER BY created_at DESC LIMIT ?", [limit]
        )
    )
