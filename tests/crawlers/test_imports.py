"""`maraude import`: Zeeschuimer NDJSON and our JSON Lines / CSV format.

There is no Zeeschuimer recording in ../shared: tests/data/imports/ holds our
own fixtures, written in the shape Zeeschuimer exports (item_id,
timestamp_collected, source_platform, data = the platform's own item), with
French texts we wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


HOSTILE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "hostile"


@pytest.mark.skipif(
    not (HOSTILE / "import-bad-author.jsonl").is_file(),
    reason="needs ../shared/fixtures/hostile (the shared fixtures checkout)",
)
def test_a_numeric_author_costs_no_other_record(db_path):
    # Issue #11 item 4: this file stopped the import at line 2 with a traceback.
    result = import_file(HOSTILE / "import-bad-author.jsonl", "fb", db_path, SECRET)
    database = mdb.open_db(db_path)
    ids = {r["native_id"] for r in database.query("SELECT native_id FROM posts")}
    assert {"1", "3"} <= ids
    assert ids == {"1", "2", "3"}  # the number became a string, then a hash
    assert result.errors == []
    assert "100004567890" not in "\n".join(database.iterdump())


def test_the_cli_exits_1_on_malformed_records_and_0_on_filtered_ones(db_path, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"platform": "facebook", "native_id": "1", "text": "ok"}\n'
        '{"platform": "facebook", "native_id": "2", "text": "t", "url": ["x"]}\n'
        '{"platform": "facebook", "native_id": "3", "text": "ok trois"}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli, ["import", str(bad), "--source", "s", "--db", str(db_path)]
    )
    assert result.exit_code == 1
    assert "line 2: url is a list" in result.output
    database = mdb.open_db(db_path)
    assert mdb.crawl_runs(database)[0]["status"] == "errors"
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"platform": "facebook", "native_id": "4", "text": "  "}\n')
    result = CliRunner().invoke(
        cli, ["import", str(empty), "--source", "s", "--db", str(db_path)]
    )
    assert result.exit_code == 0, result.output
    assert "1 dropped" in result.output


def test_a_file_with_no_record_is_an_error(db_path, tmp_path):
    odd = tmp_path / "odd.csv"
    odd.write_text("just one line without a newline", encoding="utf-8")
    result = import_file(odd, "s", db_path, SECRET)
    assert result.read == 0
    assert "no record found" in result.errors[0]


def test_posts_in_other_languages_are_counted_not_stored(db_path, tmp_path):
    export = tmp_path / "mixed.jsonl"
    rows = [
        ("fr", "je sais pas si j'ai le droit au rsa, quelqu'un peut m'expliquer ?"),
        ("en", "Does anyone know when the next bus to the stadium leaves tonight?"),
        ("de", "Weiß jemand, wann der nächste Bus zum Stadion heute Abend fährt?"),
    ]
    export.write_text(
        "\n".join(
            json.dumps({"platform": "facebook", "native_id": n, "text": t})
            for n, t in rows
        ),
        encoding="utf-8",
    )
    result = import_file(export, "fb", db_path, SECRET)
    assert (result.new, result.other_language, result.errors) == (1, 2, [])
    stored = mdb.open_db(db_path).execute("SELECT native_id FROM posts").fetchall()
    assert stored == [("fr",)]
    wider = import_file(export, "fb", db_path, SECRET, languages=("fr", "en"))
    assert (wider.new, wider.unchanged, wider.other_language) == (1, 1, 1)
