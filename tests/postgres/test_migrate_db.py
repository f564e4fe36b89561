"""``maraude migrate-db SRC DST``: a SQLite file moved to PostgreSQL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from maraude import db as mdb
from maraude.cli import cli
from maraude.db.migrate import TABLES
from tests.maraude.test_db import add_post, prediction

TEXTS = (
    "Je ne touche plus les allocations familiales depuis mars",
    "Comment demander la prime d'activité quand on est intérimaire ?",
    "Rien à voir : une recette de crêpes",
)


@pytest.fixture
def sqlite_file(tmp_path):
    path = tmp_path / "source.db"
    src = mdb.open_db(path)
    for n, text in enumerate(TEXTS, start=1):
        add_post(src, str(n), text=text)
    mdb.save_predictions(src, [prediction(1), prediction(2)], "m1")
    mdb.add_user(src, "alice", "worker")
    lead = mdb.claim_next(src, "alice")
    label = {"post_id": 3, "text": TEXTS[2], "distress": 0, "crisis": 0, "rights": 0}
    mdb.add_label(src, label, "alice", "moderator")
    mdb.audit(src, "alice", "claim", "lead", str(lead))
    mdb.set_meta(src, "demo", "1")
    src.close()
    return path


def _rows(database, table: str) -> list[dict]:
    cols = ", ".join(c for c in database[table].columns_dict if c != "rowid")
    sql = f"SELECT {cols} FROM {table} ORDER BY 1"  # noqa: S608 (schema names)
    return list(database.query(sql))


def test_a_sqlite_database_moves_to_postgresql(sqlite_file, pg_url):
    result = CliRunner().invoke(cli, ["migrate-db", str(sqlite_file), pg_url])
    assert result.exit_code == 0, result.output
    src, dst = mdb.open_db(sqlite_file), mdb.open_db(pg_url)
    for table in TABLES:
        assert _rows(dst, table) == _rows(src, table), table
    assert mdb.counts(dst) == mdb.counts(src)
    assert mdb.counts(dst)["leads"] == 2
    assert mdb.is_demo(dst)
    # The full-text index was rebuilt: French words match their inflections.
    assert [r["post_id"] for r in mdb.list_leads(dst, search="allocation")] == [1]
    # New rows get new ids after the copied ones.
    new_user = mdb.add_user(dst, "bob", "senior")
    assert new_user > max(r["id"] for r in _rows(src, "users"))
    src.close()
    dst.close()


def test_a_destination_with_posts_is_refused(sqlite_file, pg_url):
    dst = mdb.open_db(pg_url)
    add_post(dst, "9", text="déjà là")
    dst.close()
    result = CliRunner().invoke(cli, ["migrate-db", str(sqlite_file), pg_url])
    assert result.exit_code != 0
    assert "already holds posts" in result.output
    dst = mdb.open_db(pg_url)
    assert mdb.counts(dst)["posts"] == 1
    dst.close()


def test_a_missing_source_is_a_clear_error(tmp_path, pg_url):
    result = CliRunner().invoke(
        cli, ["migrate-db", str(tmp_path / "absent.db"), pg_url]
    )
    assert result.exit_code != 0
    assert "No database at" in result.output
