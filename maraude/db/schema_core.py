"""The first migration, ``m001_core``: the whole schema the project began with.

Registered first in :data:`maraude.db.schema.migrations` (its name, the
function's, is what ``_sqlite_migrations`` records). Never edit it: it is
applied; later changes are new migrations in :mod:`maraude.db.schema`.
"""

from __future__ import annotations

from sqlite_utils import Database


def m001_core(db: Database) -> None:
    """The first schema (posts and search, predictions, leads, labels, users…)."""
    db.execute(
        """
        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            enabled INTEGER,    -- NULL: follow the TOML; 0/1: dashboard override
            state TEXT NOT NULL DEFAULT '{}',  -- JSON: high-water marks, cursors
            last_run_at TEXT,
            last_status TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE crawl_runs (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',  -- ok, errors, failed, interrupted
            requests INTEGER NOT NULL DEFAULT 0,
            new_posts INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            dropped INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE INDEX crawl_runs_source ON crawl_runs(source, started_at)")
    db.execute(
        """
        CREATE TABLE posts (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            site TEXT NOT NULL,
            source TEXT NOT NULL,
            native_id TEXT NOT NULL,
            url TEXT,
            author_hash TEXT,
            title TEXT,
            text TEXT NOT NULL,
            lang TEXT,
            created_at TEXT,
            fetched_at TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            parent_native_id TEXT,
            thread_title TEXT,
            UNIQUE (platform, site, native_id)
        )"""
    )
    db.execute("CREATE INDEX posts_fetched ON posts(fetched_at)")
    # Full-text index on title and text, kept in step by triggers.
    db.execute(
        """
        CREATE VIRTUAL TABLE posts_fts USING fts5(
            title, text, content='posts', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2'
        )"""
    )
    db.execute(
        """
        CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN
            INSERT INTO posts_fts(rowid, title, text)
            VALUES (new.id, new.title, new.text);
        END"""
    )
    db.execute(
        """
        CREATE TRIGGER posts_ad AFTER DELETE ON posts BEGIN
            INSERT INTO posts_fts(posts_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        END"""
    )
    db.execute(
        """
        CREATE TRIGGER posts_au AFTER UPDATE OF title, text ON posts BEGIN
            INSERT INTO posts_fts(posts_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO posts_fts(rowid, title, text)
            VALUES (new.id, new.title, new.text);
        END"""
    )
    db.execute(
        """
        CREATE TABLE predictions (
            post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
            model_version TEXT NOT NULL,
            distress REAL NOT NULL,
            crisis REAL NOT NULL,
            rights REAL NOT NULL,
            labels TEXT NOT NULL,            -- JSON list
            rights_topics TEXT NOT NULL,     -- JSON list, most likely first
            non_recours_form TEXT,
            minor INTEGER NOT NULL DEFAULT 0,
            explanation TEXT NOT NULL,       -- JSON object
            created_at TEXT NOT NULL,
            PRIMARY KEY (post_id, model_version)
        )"""
    )
    db.execute(
        """
        CREATE TABLE leads (
            id INTEGER PRIMARY KEY,
            post_id INTEGER NOT NULL UNIQUE REFERENCES posts(id) ON DELETE CASCADE,
            status TEXT NOT NULL DEFAULT 'new' CHECK (status IN
                ('new','claimed','replied','not_relevant','escalated','closed')),
            crisis INTEGER NOT NULL DEFAULT 0,
            score REAL NOT NULL,
            labels TEXT NOT NULL,
            rights_topics TEXT NOT NULL,
            non_recours_form TEXT,
            minor INTEGER NOT NULL DEFAULT 0,
            model_version TEXT NOT NULL,
            claimed_by TEXT,
            claimed_at TEXT,
            claim_expires_at TEXT,
            replied_at TEXT,
            reply_text TEXT,
            note TEXT,
            touched INTEGER NOT NULL DEFAULT 0,  -- 1 once a worker acted on it
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX leads_status ON leads(status, crisis, score)")
    db.execute(
        """
        CREATE TABLE labels (
            id INTEGER PRIMARY KEY,
            post_id INTEGER REFERENCES posts(id) ON DELETE SET NULL,
            text TEXT NOT NULL,              -- masked text only
            distress INTEGER,
            crisis INTEGER,
            rights INTEGER,
            rights_topics TEXT NOT NULL DEFAULT '[]',
            non_recours_form TEXT,
            minor INTEGER,
            origin TEXT NOT NULL,            -- moderator, not_relevant
            username TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            password_hash TEXT,
            role TEXT NOT NULL CHECK (role IN ('worker','senior','moderator','admin')),
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            username TEXT NOT NULL,
            action TEXT NOT NULL,
            object_type TEXT,
            object_id TEXT,
            detail TEXT
        )"""
    )
    db.execute("CREATE INDEX audit_at ON audit_log(at)")
    db.execute(
        """
        CREATE TABLE optout (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('author', 'url')),
            value_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        """
        CREATE TABLE embeddings (
            model TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            vector BLOB NOT NULL,            -- float32, little-endian
            PRIMARY KEY (model, text_hash)
        )"""
    )
