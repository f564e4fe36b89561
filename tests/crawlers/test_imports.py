"""`maraude import`: Zeeschuimer NDJSON and our JSON Lines / CSV format.

There is no Zeeschuimer recording in ../shared: tests/data/imports/ holds our
own fixtures, written in the shape Zeeschuimer exports (item_id,
timestamp_collected, source_platform, data = the platform's own item), with
French texts we wrote.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from crawlers.imports import import_file
from maraude import db as mdb
from maraude.cli import cli

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
SECRET = "test-secret-0123456789abcdef"  # noqa: S105


def test_zeeschuimer_export(db_path):
    result = import_file(DATA / "zeeschuimer.ndjson", "manual", db_path, SECRET)
    assert (result.read, result.new) == (5, 3)
    assert len(result.errors) == 2
    assert "line 4: not JSON" in result.errors[0]
    assert "line 5: no item id" in result.errors[1]
    database = mdb.open_db(db_path)
    rows = {r["platform"]: r for r in database.query("SELECT * FROM posts")}
    assert set(rows) == {"tiktok", "instagram", "x"}
    assert rows["tiktok"]["created_at"] == "2025-11-23T12:13:20Z"
    assert rows["tiktok"]["url"].endswith("/video/7301234567890123456")
    assert "[email]" in rows["instagram"]["text"]
    assert rows["x"]["text"].startswith("@[user] j'ai jamais")
    assert rows["x"]["created_at"] == "2026-11-24T09:12:00Z"
    dump = "\n".join(database.iterdump())
    for handle in ("nina_b_photo", "etudiant_fauche", "nina.b@example.org"):
        assert handle not in dump
    assert all(len(r["author_hash"]) == 32 for r in rows.values())
    (run,) = mdb.crawl_runs(database)
    assert (run["source"], run["new_posts"], run["errors"]) == ("manual", 3, 2)


def test_a_second_import_adds_nothing(db_path):
    import_file(DATA / "zeeschuimer.ndjson", "manual", db_path, SECRET)
    again = import_file(DATA / "zeeschuimer.ndjson", "manual", db_path, SECRET)
    assert (again.new, again.unchanged) == (0, 3)


def test_json_lines_and_csv(db_path):
    jsonl = import_file(DATA / "posts.jsonl", "fb", db_path, SECRET)
    assert (jsonl.new, len(jsonl.errors)) == (2, 1)
    assert "missing native_id" in jsonl.errors[0]
    csv = import_file(DATA / "posts.csv", "fb", db_path, SECRET)
    assert (csv.new, len(csv.errors)) == (1, 1)  # a row without text is an error
    database = mdb.open_db(db_path)
    row = next(database.query("SELECT * FROM posts WHERE native_id = 'fb-2'"))
    assert row["created_at"] == "2025-11-23T12:13:20Z"
    assert "Marie" not in "\n".join(database.iterdump())


def test_cli_import_reports_counts_and_errors(db_path):
    result = CliRunner().invoke(
        cli,
        [
            "import",
            str(DATA / "zeeschuimer.ndjson"),
            "--source",
            "m",
            "--db",
            str(db_path),
        ],
    )
    # Two malformed lines: the three good ones are stored, then exit 1.
    assert result.exit_code == 1, result.output
    assert "Read 5 records: 3 new" in result.output
    assert "line 4: not JSON" in result.output
