from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from maraude import db as mdb
from maraude.cli import cli


def all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def test_help_loads_no_stage():
    code = (
        "import sys; from click.testing import CliRunner; from maraude.cli import cli; "
        "r = CliRunner().invoke(cli, ['--help']); assert r.exit_code == 0; "
        "heavy = [m for m in ('scrapy', 'twisted', 'torch', 'sklearn', 'streamlit', "
        "'crawlers', 'classifier', 'dashboard') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "path", [p for p, _ in all_commands(cli)], ids=lambda p: " ".join(p)
)
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"maraude {' '.join(path)} --help"


def seed(db_path):
    database = mdb.open_db(db_path)
    for i, (text, created) in enumerate(
        [
            ("je sais pas si j'ai droit au rsa", "2026-11-24T08:00:00Z"),
            ("je veux en finir", "2026-11-01T08:00:00Z"),
        ],
        start=1,
    ):
        mdb.upsert_post(
            database,
            {
                "platform": "reddit",
                "site": "www.reddit.com",
                "source": "demo",
                "native_id": str(i),
                "url": f"https://www.reddit.com/r/x/comments/{i}/",
                "text": text,
                "content_hash": str(i),
                "created_at": created,
            },
        )
    mdb.save_predictions(
        database,
        [
            {
                "post_id": 1,
                "distress": 0.3,
                "crisis": 0.0,
                "rights": 0.9,
                "labels": ["rights"],
                "rights_topics": ["rsa"],
                "non_recours_form": "non_connaissance",
                "minor": False,
                "explanation": {},
            },
            {
                "post_id": 2,
                "distress": 0.9,
                "crisis": 0.95,
                "rights": 0.1,
                "labels": ["distress", "crisis"],
                "crisis_level": "sure",
                "rights_topics": [],
                "non_recours_form": None,
                "minor": False,
                "explanation": {},
            },
        ],
        "m1",
    )
    database.close()


def test_leads_json_follows_the_contract(db_path):
    seed(db_path)
    result = CliRunner().invoke(
        cli, ["leads", "--db", str(db_path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["post_id"] for r in rows] == [2, 1]  # crisis first
    for key in (
        "id",
        "post_id",
        "priority",
        "labels",
        "rights_topics",
        "status",
        "platform",
        "source",
        "url",
        "created_at",
        "text",
    ):
        assert key in rows[0]
    assert rows[0]["priority"] > rows[1]["priority"]
    assert [r["crisis_level"] for r in rows] == ["sure", None]
    assert rows[1]["rights_topics"] == ["rsa"]
    database = mdb.open_db(db_path)
    assert mdb.audit_entries(database)[0]["action"] == "leads_listed"


def test_leads_table_and_status_filter(db_path):
    seed(db_path)
    result = CliRunner().invoke(cli, ["leads", "--db", str(db_path)])
    assert "crisis" in result.output
    assert "sure" in result.output  # the crisis level column
    result = CliRunner().invoke(
        cli, ["leads", "--db", str(db_path), "--status", "replied"]
    )
    assert result.output.strip() == "No open leads."


def test_a_bad_config_is_a_clean_error(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text("[dashboard]\nport = 'x'\n")
    result = CliRunner().invoke(
        cli, ["--config", str(bad), "classify", "--db", str(tmp_path / "x.db")]
    )
    assert result.exit_code == 1
    assert "key 'dashboard.port' must be int" in result.output
    assert "Traceback" not in result.output


def test_user_add_passwd_disable_list(db_path):
    from maraude.auth import verify_password

    runner = CliRunner()
    args = ["--db", str(db_path)]
    result = runner.invoke(
        cli,
        ["user", "add", "camille", "--role", "worker", *args],
        input="un-mot-de-passe-long\nun-mot-de-passe-long\n",
    )
    assert result.exit_code == 0, result.output
    database = mdb.open_db(db_path)
    assert verify_password(
        mdb.get_user(database, "camille")["password_hash"], "un-mot-de-passe-long"
    )
    result = runner.invoke(
        cli,
        ["user", "passwd", "camille", *args],
        input="autre-mot-de-passe\nautre-mot-de-passe\n",
    )
    assert result.exit_code == 0, result.output
    assert verify_password(
        mdb.get_user(database, "camille")["password_hash"], "autre-mot-de-passe"
    )
    assert runner.invoke(cli, ["user", "disable", "camille", *args]).exit_code == 0
    assert mdb.get_user(database, "camille")["disabled"] == 1
    listing = runner.invoke(cli, ["user", "list", *args]).output
    assert "camille" in listing
    assert "(disabled)" in listing
    again = runner.invoke(
        cli,
        ["user", "add", "camille", "--role", "worker", *args],
        input="un-mot-de-passe-long\nun-mot-de-passe-long\n",
    )
    assert again.exit_code == 1
    assert "already exists" in again.output
    actions = [e["action"] for e in mdb.audit_entries(database)]
    assert actions[:3] == ["user_disabled", "user_password_set", "user_added"]


def test_rights_check_passes_on_the_shipped_catalogue():
    result = CliRunner().invoke(cli, ["rights", "check"])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


@pytest.mark.parametrize("command", [["crawl"], ["schedule", "--once"], ["recheck"]])
def test_the_sources_file_comes_from_maraude_sources_unless_given(
    tmp_path, monkeypatch, command
):
    # The scheduler reads the same variable as the crawl jobs it sends to scrapyd.
    monkeypatch.setenv("MARAUDE_SOURCES", str(tmp_path / "from-env.toml"))
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1
    assert "from-env.toml" in result.output
    assert "MARAUDE_SOURCES" in result.output  # what to do
    given = tmp_path / "given.toml"
    result = CliRunner().invoke(cli, [*command, "--sources", str(given)])
    assert result.exit_code == 1
    assert "given.toml" in result.output
    assert "from-env.toml" not in result.output
