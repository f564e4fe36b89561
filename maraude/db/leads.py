"""Predictions and leads: what the classifier writes and the workers act on.

The queue order is one rule, shared by the dashboard and ``maraude leads``:

    priority = level + score ÷ (1 + age in days ÷ 7)

with level 10 for a sure crisis, 8 for a possible one (``crisis_level``,
contracts.md) and 0 otherwise, so sure crises come first, then possible ones,
then the other leads (the score term stays within 0–1); among equals, a
higher score wins, and a fresh post beats an old one of the
same score (a week-old lead counts half). The age
is the post's. Priorities are stored, so the queue reads an index; they are
computed when a lead is created or raised and refreshed for every open lead
when the last refresh is older than :data:`REFRESH_SECONDS` (ages move slowly:
ten minutes change a priority by at most 0.1 %). The refresh is incremental:
one reference time for the whole pass, open leads in batches of
:data:`REFRESH_BATCH` ids, one short transaction each, and only the rows whose
priority changes are written; it ends with the priorities a full refresh at
that time would store, hence the same queue order.

A worker with territories (#16) sees, within each level, the leads placed in
their départements first, then the unplaced ones (shown to all alike), then
those placed elsewhere: a sure crisis anywhere still comes before a possible
one at home. Without territories the order is the stored priority alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from maraude.db.core import dumps, now_iso
from maraude.db.dialect import REFRESH_LOCK, try_xact_lock
from maraude.db.duplicates import copies_of, lead_post_id
from maraude.db.schema import OPEN_STATUSES
from maraude.places import departement_of

#: The level term of the priority (the score term adds at most 1).
LEVEL_PRIORITY = {"sure": 10.0, "possible": 8.0}
CRISIS_LEVELS = tuple(LEVEL_PRIORITY)
PRIORITY_SQL = (
    "(CASE crisis_level WHEN 'sure' THEN 10.0 WHEN 'possible' THEN 8.0 ELSE 0.0 END"
    " + score / (1.0 + max(0.0, "
    "julianday('now') - "
    "julianday(coalesce(post_created_at, 'now'))) / 7.0))"
)
REFRESH_SECONDS = 600
#: The priority at a reference time given as the two ``?`` parameters (the same
#: ISO time twice): :data:`PRIORITY_SQL` with that time for ``'now'``.
PRIORITY_AT_SQL = PRIORITY_SQL.replace("'now'", "?")
#: Lead ids per transaction of a refresh (≤ this many rows locked or written
#: at once; at 100,000 leads each transaction stays well under 100 ms).
REFRESH_BATCH = 2000


def queue_order(
    territories: Sequence[str] = (), prefix: str = "l."
) -> tuple[str, list]:
    """SQL ``ORDER BY`` terms of the queue for a worker, and their parameters."""
    if not territories:
        return f"{prefix}priority DESC, {prefix}id", []
    marks = ", ".join("?" for _ in territories)
    return (
        f"CASE {prefix}crisis_level WHEN 'sure' THEN 2 WHEN 'possible' THEN 1 "
        f"ELSE 0 END DESC, CASE WHEN {prefix}departement IN ({marks}) THEN 0 "
        f"WHEN {prefix}departement IS NULL THEN 1 ELSE 2 END, "
        f"{prefix}priority DESC, {prefix}id",
        list(territories),
    )


def refresh_priorities(
    db: Database, *, force: bool = False, batch: int = REFRESH_BATCH
) -> bool:
    """Recompute the stored priority of open leads if the last refresh is old;
    True when this call refreshed them.

    Incremental: the refresh first claims its turn (``priorities_at`` set to
    its reference time, under :data:`REFRESH_LOCK`, so concurrent readers do
    not all refresh at once), then walks the leads by id in batches of
    ``batch`` ids, each in its own short transaction, writing only the open
    leads whose priority at the reference time differs from the stored one.
    Every batch uses the same reference time, so the priorities at the end are
    those a single full update would store. A refresh cut short (a killed
    process) leaves the rest for the next one, ten minutes later.
    """
    last = db.execute("SELECT value FROM meta WHERE key = 'priorities_at'").fetchone()
    now = datetime.now(UTC)
    if not force and last and _fresh(last[0], now):
        return False
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    with db.atomic():
        if not try_xact_lock(db, REFRESH_LOCK):  # another process is refreshing
            return False
        # Write first: SQLite then waits for the write lock (busy timeout)
        # instead of failing "database is locked" on a read-then-write.
        db.execute("UPDATE meta SET value = value WHERE key = 'priorities_at'")
        last = db.execute(
            "SELECT value FROM meta WHERE key = 'priorities_at'"
        ).fetchone()
        if not force and last and _fresh(last[0], now):  # refreshed meanwhile
            return False
        db.execute(
            "INSERT INTO meta(key, value) VALUES ('priorities_at', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [stamp],
        )
    statuses = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    update = (
        f"UPDATE leads SET priority = {PRIORITY_AT_SQL} "
        f"WHERE id > ? AND id <= ? AND status IN ({statuses}) "
        f"AND priority <> {PRIORITY_AT_SQL}"
    )
    low = 0
    while True:
        high = db.execute(
            "SELECT max(id) FROM (SELECT id FROM leads WHERE id > ? "
            "ORDER BY id LIMIT ?) AS b",
            [low, batch],
        ).fetchone()[0]
        if high is None:
            return True
        with db.atomic():
            if not try_xact_lock(db, REFRESH_LOCK):  # a forced refresh runs too
                return False
            db.execute(update, [stamp, stamp, low, high, stamp, stamp])
        low = high


def _fresh(stamp: str, now: datetime) -> bool:
    """True when the refresh stamped ``stamp`` is under REFRESH_SECONDS old."""
    at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (now - at).total_seconds() < REFRESH_SECONDS


def save_predictions(
    db: Database, predictions: Iterable[dict[str, Any]], model_version: str
) -> dict[str, int]:
    """Store predictions and create or raise leads; returns counts.

    Each prediction has ``post_id``, ``distress``, ``crisis``, ``rights``,
    ``labels``, ``crisis_level``, ``rights_topics``, ``non_recours_form``,
    ``minor``, ``explanation``. A post becomes a lead when any label passes. A
    lead a worker touched keeps its status; a new model may only raise its
    priority (a sure crisis stays sure, a possible one may become sure).
    """
    created = raised = 0
    now = now_iso()
    with db.atomic():
        for p in predictions:
            db.execute(
                "INSERT OR REPLACE INTO predictions (post_id, model_version, distress, "
                "crisis, rights, labels, rights_topics, non_recours_form, minor, "
                "explanation, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    p["post_id"],
                    model_version,
                    p["distress"],
                    p["crisis"],
                    p["rights"],
                    dumps(p["labels"]),
                    dumps(p["rights_topics"]),
                    p["non_recours_form"],
                    int(bool(p.get("minor"))),
                    dumps(p["explanation"]),
                    now,
                ],
            )
            if not p["labels"]:
                continue
            crisis = int("crisis" in p["labels"])
            level = p.get("crisis_level") if crisis else None
            if crisis and level not in CRISIS_LEVELS:  # from an older model
                old_review = (p.get("explanation") or {}).get("crisis_review")
                level = "possible" if old_review else "sure"
            # Copies of one post make one lead (maraude.db.duplicates).
            target = lead_post_id(db, p["post_id"])
            existed = db.execute(
                "SELECT 1 FROM leads WHERE post_id = ?", [target]
            ).fetchone()
            score = max(p["distress"], p["crisis"], p["rights"])
            place = None if existed else _place(db, target)
            db.execute(
                "INSERT INTO leads (post_id, crisis, score, labels, rights_topics, "
                "non_recours_form, minor, model_version, created_at, updated_at, "
                "post_created_at, crisis_level, departement) VALUES (?,?,?,?,?,?,?,?,"
                "?,?,(SELECT coalesce(created_at, fetched_at) FROM posts "
                "WHERE id = ?),?,?)"
                " ON CONFLICT(post_id) DO UPDATE SET "
                "crisis = max(leads.crisis, excluded.crisis), "
                "score = max(leads.score, excluded.score), "
                "labels = CASE WHEN leads.touched = 1 THEN leads.labels "
                "ELSE excluded.labels END, "
                "rights_topics = CASE WHEN leads.touched = 1 THEN leads.rights_topics "
                "ELSE excluded.rights_topics END, "
                "non_recours_form = CASE WHEN leads.touched = 1 "
                "THEN leads.non_recours_form "
                "ELSE excluded.non_recours_form END, "
                "minor = max(leads.minor, excluded.minor), "
                "crisis_level = CASE WHEN 'sure' IN (leads.crisis_level, "
                "excluded.crisis_level) THEN 'sure' WHEN 'possible' IN "
                "(leads.crisis_level, excluded.crisis_level) THEN 'possible' END, "
                "model_version = excluded.model_version, "
                "updated_at = excluded.updated_at",
                [
                    target,
                    crisis,
                    score,
                    dumps(p["labels"]),
                    dumps(p["rights_topics"]),
                    p["non_recours_form"],
                    int(bool(p.get("minor"))),
                    model_version,
                    now,
                    now,
                    target,
                    level,
                    place,
                ],
            )
            db.execute(
                f"UPDATE leads SET priority = {PRIORITY_SQL} WHERE post_id = ?",
                [target],
            )
            if existed:
                raised += 1
            else:
                created += 1
    return {"leads_created": created, "leads_updated": raised}


def _place(db: Database, post_id: int) -> str | None:
    """The département the post names (its title and own words), if any."""
    row = db.execute(
        "SELECT coalesce(title, '') || char(10) || coalesce(text, '') FROM posts "
        "WHERE id = ?",
        [post_id],
    ).fetchone()
    return departement_of(row[0]) if row else None


def _lead_row(row: dict[str, Any]) -> dict[str, Any]:
    row["labels"] = json.loads(row["labels"])
    row["rights_topics"] = json.loads(row["rights_topics"])
    row["priority"] = round(row["priority"], 4)
    return row


def list_leads(
    db: Database,
    *,
    statuses: Sequence[str] = OPEN_STATUSES,
    limit: int | None = 100,
    offset: int = 0,
    label: str | None = None,
    right: str | None = None,
    platform: str | None = None,
    search: str | None = None,
    territories: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Leads in queue order (see the module docstring), with their post;
    ``territories`` (département codes) come first within each level."""
    refresh_priorities(db)
    if tuple(statuses) == OPEN_STATUSES:
        # Literal values, so SQLite can use the partial index of the open queue.
        where = ["l.status IN ('new', 'claimed', 'escalated')"]
        params: list[Any] = []
    else:
        where = [f"l.status IN ({', '.join('?' for _ in statuses)})"]
        params = list(statuses)
    more, more_params = _filters(label, right, platform, search)
    where += more
    params += more_params
    order, order_params = queue_order(territories)
    sql = (
        "SELECT l.id, l.post_id, l.priority, l.labels, "
        "l.rights_topics, l.non_recours_form, l.minor, l.status, l.claimed_by, "
        "l.claim_expires_at, l.score, l.crisis, l.crisis_level, p.platform, "
        "p.source, p.url, l.departement, l.created_at AS queued_at, "
        "p.created_at, p.title, p.text FROM leads l JOIN posts p ON p.id = l.post_id "
        f"WHERE {' AND '.join(where)} ORDER BY {order} "
        "LIMIT ? OFFSET ?"
    )
    params += [*order_params, -1 if limit is None else limit, offset]
    return [_lead_row(r) for r in db.query(sql, params)]


def get_lead(db: Database, lead_id: int) -> dict[str, Any] | None:
    """One lead with its post, the scores and explanation of the model that
    made it, and the copies of its post; None if there is no such lead."""
    rows = list(
        db.query(
            "SELECT l.*, p.platform, p.site, p.source, "
            "p.url, p.title, p.text, p.quoted, p.thread_title, "
            "p.parent_native_id, p.lang FROM leads l JOIN posts p ON p.id = l.post_id "
            "WHERE l.id = ?",
            [lead_id],
        )
    )
    if not rows:
        return None
    lead = _lead_row(rows[0])
    pred = db.execute(
        "SELECT distress, crisis, rights, explanation FROM predictions "
        "WHERE post_id = ? AND model_version = ?",
        [lead["post_id"], lead["model_version"]],
    ).fetchone()
    lead["scores"] = (
        {"distress": pred[0], "crisis": pred[1], "rights": pred[2]} if pred else {}
    )
    lead["explanation"] = json.loads(pred[3]) if pred else {}
    lead["copies"] = copies_of(db, lead["post_id"])  # "aussi vu à …"
    return lead


def _filters(
    label: str | None,
    right: str | None,
    platform: str | None,
    search: str | None,
) -> tuple[list[str], list[Any]]:
    """The queue's filters as SQL conditions on ``leads l JOIN posts p``."""
    where: list[str] = []
    params: list[Any] = []
    if label:
        where.append("EXISTS (SELECT 1 FROM json_each(l.labels) WHERE value = ?)")
        params.append(label)
    if right:
        where.append(
            "EXISTS (SELECT 1 FROM json_each(l.rights_topics) WHERE value = ?)"
        )
        params.append(right)
    if platform:
        where.append("p.platform = ?")
        params.append(platform)
    if search:
        where.append(
            "l.post_id IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)"
        )
        params.append(search)
    return where, params


def status_counts(
    db: Database,
    *,
    label: str | None = None,
    right: str | None = None,
    platform: str | None = None,
    search: str | None = None,
) -> dict[str, int]:
    """Leads per status, with the queue's filters (the counters follow them)."""
    where, params = _filters(label, right, platform, search)
    if not where:
        rows = db.execute("SELECT status, count(*) FROM leads GROUP BY status")
        return {status: n for status, n in rows.fetchall()}
    rows = db.execute(
        "SELECT l.status, count(*) FROM leads l JOIN posts p ON p.id = l.post_id "
        f"WHERE {' AND '.join(where)} GROUP BY l.status",
        params,
    )
    return {status: n for status, n in rows.fetchall()}
