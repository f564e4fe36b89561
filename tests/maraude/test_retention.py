"""Retention, opt-out, backup and export: enforced by code (issue 7)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from maraude import db as mdb
from maraude.cli import cli
from maraude.privacy import author_hash

SECRET = "test-secret-0123456789abcdef"  # noqa: S105 (the conftest's test key)


def recent() -> str:
    """A fetch time one day ago, so "fresh" posts stay fresh on any date."""
    return (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def add(
    database,
    native_id,
    *,
    fetched=None,
    author=None,
    url=None,
    text=None,
):
    if fetched is None:  # "recent": yesterday, whatever today's date
        fetched = recent()
    mdb.upsert_post(
        database,
        {
            "platform": "reddit",
            "site": "www.reddit.com",
            "source": "s",
            "native_id": native_id,
            "text": text or f"texte {native_id}",
            "content_hash": native_id,
            "fetched_at": fetched,
            "url": url,
            "author_hash": author
            and author_hash(SECRET, "reddit", "www.reddit.com", author),
        },
    )
    return database.execute(
        "SELECT id FROM posts WHERE native_id = ?", [native_id]
    ).fetchone()[0]


def lead(database, post_id):
    mdb.save_predictions(
        database,
        [
            {
                "post_id": post_id,
                "distress": 0.9,
                "crisis": 0.0,
                "rights": 0.0,
                "labels": ["distress"],
                "rights_topics": [],
                "non_recours_form": None,
                "minor": False,
                "explanation": {},
            }
        ],
        "m1",
    )


def seeded(db_path):
    database = mdb.open_db(db_path)
    old = add(database, "old", fetched="2020-01-01T00:00:00Z")
    add(database, "fresh")
    old_lead = add(database, "old-lead", fetched="2020-01-01T00:00:00Z")
    lead(database, old_lead)
    closed = add(database, "closed")
    lead(database, closed)
    lead_id = mdb.claim_next(database, "alice")
    while lead_id is not None and mdb.get_lead(database, lead_id)["post_id"] != closed:
        lead_id = mdb.claim_next(database, "alice")
    mdb.mark_replied(database, lead_id, "alice", "Bonjour")
    database.execute(
        "UPDATE leads SET updated_at = '2020-01-01T00:00:00Z' WHERE post_id = ?",
        [closed],
    )
    database.execute(
        "INSERT INTO embeddings VALUES ('m', ?, x'00')", [mdb.text_hash("texte old")]
    )
    add(database, "by-opted", author="Loutre_75")
    add(database, "at-opted-url", url="https://www.reddit.com/r/x/comments/zz/")
    return database, old


def native_ids(database):
    return sorted(r[0] for r in database.execute("SELECT native_id FROM posts"))


def test_dry_run_deletes_nothing(db_path):
    database, _ = seeded(db_path)
    before = native_ids(database)
    report = mdb.purge(database, mdb.Policy(), dry_run=True, secret=SECRET)
    assert report["posts"] == 2  # old non-lead, closed lead (nothing opted out yet)
    assert native_ids(database) == before


def test_purge_applies_the_policy_and_clears_caches(db_path):
    database, old = seeded(db_path)
    fts = "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'old NOT lead'"
    assert database.execute(fts).fetchall() == [(old,)]
    report = mdb.purge(database, mdb.Policy(), secret=SECRET)
    assert report["of which old non-leads"] == 1
    assert report["of which closed leads"] == 1
    # An open lead is kept however old; a fresh non-lead is kept.
    assert native_ids(database) == ["at-opted-url", "by-opted", "fresh", "old-lead"]
    assert database.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 0
    assert database.execute(fts).fetchall() == []
    assert database.execute("SELECT count(*) FROM leads").fetchone()[0] == 1


def test_optout_by_handle_and_url_is_honoured_by_purge(db_path):
    database, _ = seeded(db_path)
    runner = CliRunner()
    for value in ("@loutre_75", "https://www.reddit.com/r/x/comments/zz/"):
        result = runner.invoke(
            cli, ["optout", "add", value, "--platform", "reddit", "--db", str(db_path)]
        )
        assert result.exit_code == 0, result.output
    stored = {r[0] for r in database.execute("SELECT value_hash FROM optout")}
    assert not any("loutre" in h for h in stored)
    result = runner.invoke(cli, ["purge", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "2 of which opted out" in result.output
    assert "by-opted" not in native_ids(database)
    assert "at-opted-url" not in native_ids(database)


def test_backup_and_restore(db_path, tmp_path):
    database, _ = seeded(db_path)
    dest = tmp_path / "copy.db"
    result = CliRunner().invoke(cli, ["backup", str(dest), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    restored = mdb.open_db(dest)
    assert native_ids(restored) == native_ids(database)
    assert mdb.status_counts(restored) == mdb.status_counts(database)
    assert sqlite3.connect(dest).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    again = CliRunner().invoke(cli, ["backup", str(dest), "--db", str(db_path)])
    assert again.exit_code == 1


def test_export_labels_is_masked(db_path):
    database = mdb.open_db(db_path)
    mdb.add_label(
        database,
        {"text": "appelez le 06 12 34 56 78, @lou", "distress": 1},
        "mod",
        "moderator",
    )
    result = CliRunner().invoke(cli, ["export", "labels", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if x.startswith("{")]
    row = json.loads(line)
    assert row["text"] == "appelez le [téléphone], @[user]"
    assert row["distress"] == 1
    assert "username" not in row
