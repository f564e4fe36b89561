"""The database schema, as sqlite-utils migrations.

Never edit an applied migration: add a new ``mNNN_…`` function instead. The
first one, ``m001_core`` (the whole original schema), lives in
:mod:`maraude.db.schema_core`; it is registered here, first.
Column names, keys and statuses follow ``contracts.md``.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from maraude import vocab
from maraude.db.schema_core import m001_core

migrations = Migrations("maraude")

# The lists live in maraude.vocab; the migrations below spell them out in SQL
# (never edit an applied one) and tests/test_vocab.py checks that they agree.
LEAD_STATUSES = vocab.LEAD_STATUSES
OPEN_STATUSES = vocab.OPEN_STATUSES
ROLES = vocab.ROLES
#: What came of a reply (#16, docs/contracts.md).
OUTCOMES = vocab.OUTCOMES

#: The first schema (:mod:`maraude.db.schema_core`), applied before the others.
migrations()(m001_core)


@migrations()
def m002_stored_priority(db: Database) -> None:
    """Store each lead's priority (refreshed as leads age): the queue reads an index."""
    db.execute("ALTER TABLE leads ADD COLUMN post_created_at TEXT")
    db.execute("ALTER TABLE leads ADD COLUMN priority REAL NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE leads SET post_created_at = (SELECT coalesce(p.created_at, "
        "p.fetched_at) FROM posts p WHERE p.id = leads.post_id)"
    )
    db.execute("DROP INDEX leads_status")
    db.execute("CREATE INDEX leads_queue ON leads(status, priority DESC, id)")


@migrations()
def m003_open_queue_index(db: Database) -> None:
    """The queue of open leads in priority order, read straight from an index."""
    db.execute(
        "CREATE INDEX leads_open_queue ON leads(priority DESC, id) "
        "WHERE status IN ('new', 'claimed', 'escalated')"
    )


@migrations()
def m004_labelling_alerts_optout_requests(db: Database) -> None:
    """Labelling queue, crisis alerts and the opt-out request log.

    * ``labels.item_key``: the labelled post's ``content_hash``, kept when the
      post is purged, so agreement between moderators outlives the post.
    * ``label_holds``: a post handed to a moderator for a while, so two
      moderators are not given the same single-label item at once.
    * ``crisis_alerts``: one row per crisis lead that was left unclaimed (sent once).
    * ``optout_requests``: opt-out requests received, acted on, confirmed (a
      reference only: never the handle or URL, which go hashed to ``optout``).
    """
    db.execute("ALTER TABLE labels ADD COLUMN item_key TEXT")
    db.execute(
        "UPDATE labels SET item_key = (SELECT p.content_hash FROM posts p "
        "WHERE p.id = labels.post_id) WHERE post_id IS NOT NULL"
    )
    db.execute("CREATE INDEX labels_item ON labels(item_key, origin)")
    db.execute("CREATE INDEX labels_post ON labels(post_id, username)")
    db.execute(
        """
        CREATE TABLE label_holds (
            post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
            username TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            PRIMARY KEY (post_id, username)
        )"""
    )
    db.execute(
        """
        CREATE TABLE crisis_alerts (
            lead_id INTEGER PRIMARY KEY REFERENCES leads(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN
                ('sending', 'sent', 'failed', 'no_channel')),
            attempts INTEGER NOT NULL DEFAULT 1,
            attempted_at TEXT NOT NULL,
            sent_at TEXT,
            channels TEXT NOT NULL DEFAULT '[]',  -- JSON: channels that worked
            error TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE optout_requests (
            id INTEGER PRIMARY KEY,
            received_on TEXT NOT NULL,       -- date (YYYY-MM-DD)
            channel TEXT NOT NULL,
            reference TEXT NOT NULL,         -- e.g. a ticket number: never a handle
            status TEXT NOT NULL DEFAULT 'received' CHECK (status IN
                ('received', 'acted', 'confirmed')),
            logged_by TEXT NOT NULL,
            logged_at TEXT NOT NULL,
            acted_at TEXT,
            acted_by TEXT,
            entry_kind TEXT,                 -- author or url (no value)
            confirmed_on TEXT
        )"""
    )


@migrations()
def m005_crisis_review(db: Database) -> None:
    """Leads the model suspects of a crisis without labelling one ("check first")."""
    db.execute("ALTER TABLE leads ADD COLUMN crisis_review INTEGER NOT NULL DEFAULT 0")


@migrations()
def m006_crisis_level(db: Database) -> None:
    """Crisis levels replace ``crisis_review`` (contracts.md): ``sure`` or
    ``possible`` on a crisis lead, NULL otherwise. A stored crisis with the old
    review flag becomes possible, one without it sure; the old flag on a lead
    that was not a crisis (a suspicion band that no longer exists) is dropped."""
    db.execute("ALTER TABLE leads ADD COLUMN crisis_level TEXT")
    db.execute(
        "UPDATE leads SET crisis_level = CASE WHEN crisis = 0 THEN NULL "
        "WHEN crisis_review = 1 THEN 'possible' ELSE 'sure' END"
    )
    db.execute("ALTER TABLE leads DROP COLUMN crisis_review")
    # Stored priorities counted the old flag: the next read recomputes them.
    db.execute("DELETE FROM meta WHERE key = 'priorities_at'")


@migrations()
def m007_post_links(db: Database) -> None:
    """Copies of one post (two feeds, a retweet, a cross-post) linked to the
    first copy stored, so they make one lead (contracts.md, docs/contracts.md).

    ``copy_id`` is the stored copy, or NULL for a copy that is not stored as a
    post (a retweet: only its address is kept). ``kind``: ``exact`` (same
    normalised text), ``near`` (MinHash estimate of the Jaccard similarity of
    word shingles at or above the threshold) or ``retweet``.
    """
    db.execute(
        """
        CREATE TABLE post_links (
            id INTEGER PRIMARY KEY,
            original_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
            copy_id INTEGER UNIQUE REFERENCES posts(id) ON DELETE CASCADE,
            platform TEXT NOT NULL,
            site TEXT NOT NULL,
            native_id TEXT NOT NULL,
            url TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('exact', 'near', 'retweet')),
            similarity REAL,
            linked_at TEXT NOT NULL,
            UNIQUE (platform, site, native_id)
        )"""
    )
    db.execute("CREATE INDEX post_links_original ON post_links(original_id)")


@migrations()
def m008_quoted_other_language(db: Database) -> None:
    """The author's own words apart from what they quote; languages counted.

    * ``posts.quoted``: other people's words a post quotes (``@[user] a écrit :``
      and ``>`` lines), kept for display only: ``text`` holds the author's own
      words, the only ones scored and searched (contracts.md).
    * ``crawl_runs.other_language``: posts of the run in a language outside
      ``[classifier] languages``, counted and never stored.
    """
    db.execute("ALTER TABLE posts ADD COLUMN quoted TEXT")
    db.execute(
        "ALTER TABLE crawl_runs ADD COLUMN other_language INTEGER NOT NULL DEFAULT 0"
    )


@migrations()
def m009_escalation_outcome(db: Database) -> None:
    """Escalation and follow-up (#16, docs/contracts.md):

    * ``leads.escalated_by`` / ``escalated_at``: who last handed the lead to a
      senior, and when (kept after a senior acts, for the worker's own view);
    * ``leads.outcome`` (``answered``, ``oriented``, ``no_news``) and
      ``outcome_at``: what came of a reply, counted on the Activity page.
    """
    db.execute("ALTER TABLE leads ADD COLUMN escalated_by TEXT")
    db.execute("ALTER TABLE leads ADD COLUMN escalated_at TEXT")
    db.execute(
        "ALTER TABLE leads ADD COLUMN outcome TEXT CHECK (outcome IS NULL OR "
        "outcome IN ('answered', 'oriented', 'no_news'))"
    )
    db.execute("ALTER TABLE leads ADD COLUMN outcome_at TEXT")


@migrations()
def m010_territories(db: Database) -> None:
    """Territories and teams (#16):

    * ``users.territories``: JSON list of département codes (``["13", "2A"]``)
      whose leads come first in that worker's queue, level by level;
    * ``users.team``: the worker's team, for the monthly report;
    * ``leads.departement``: the département the post names
      (:func:`maraude.places.departement_of`), NULL when it names none or is
      ambiguous. Existing leads are placed here, new ones when created.
    """
    from maraude.places import departement_of

    db.execute("ALTER TABLE users ADD COLUMN territories TEXT NOT NULL DEFAULT '[]'")
    db.execute("ALTER TABLE users ADD COLUMN team TEXT")
    db.execute("ALTER TABLE leads ADD COLUMN departement TEXT")
    rows = db.execute(
        "SELECT l.id, coalesce(p.title, '') || char(10) || coalesce(p.text, '') "
        "FROM leads l JOIN posts p ON p.id = l.post_id"
    ).fetchall()
    for lead_id, text in rows:
        if code := departement_of(text):
            db.execute("UPDATE leads SET departement = ? WHERE id = ?", [code, lead_id])
    db.execute("CREATE INDEX leads_departement ON leads(departement)")


@migrations()
def m011_source_locks(db: Database) -> None:
    """Per-source crawl leases (#18, :mod:`maraude.db.locks`): one row per source
    being crawled, with its holder and the expiry of its lease, so two crawl
    machines sharing the database never crawl one source at once."""
    db.execute(
        "CREATE TABLE source_locks ("
        " source TEXT PRIMARY KEY,"
        " holder TEXT NOT NULL,"
        " host TEXT NOT NULL,"
        " pid INTEGER NOT NULL,"
        " acquired_at TEXT NOT NULL,"
        " expires_at TEXT NOT NULL)"
    )
