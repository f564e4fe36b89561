"""Silent or raw failures on the command line (#11, item 10).

Every case ends with a clean message and a non-zero exit code, never a Python
traceback, and a command that only reads a database never creates one.
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from maraude import db as mdb
from maraude.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def _clean_failure(result, *words):
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for word in words:
        assert word in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "args",
    [
        ["leads"],
        ["user", "list"],
        ["purge"],
        ["backup", "copy.db"],
        ["export", "labels"],
        ["classify"],
        ["user", "disable", "camille"],
    ],
    ids=" ".join,
)
def test_a_command_that_reads_never_creates_a_database(tmp_path, args):
    typo = tmp_path / "typo.db"
    dest = [str(tmp_path / a) if a.endswith(".db") else a for a in args]
    result = CliRunner().invoke(cli, [*dest, "--db", str(typo)])
    _clean_failure(result, "No database at")
    assert not typo.exists()


def test_optout_with_an_unknown_platform_is_refused(tmp_path):
    path = tmp_path / "m.db"
    mdb.open_db(path).close()
    result = CliRunner().invoke(
        cli, ["optout", "add", "loutre", "--platform", "redit", "--db", str(path)]
    )
    _clean_failure(result, "redit", "reddit", "mastodon")
    database = mdb.open_db(path)
    assert database.execute("SELECT count(*) FROM optout").fetchone()[0] == 0
    database.close()


def test_optout_accepts_a_platform_seen_in_the_database(tmp_path):
    path = tmp_path / "m.db"
    database = mdb.open_db(path)
    mdb.upsert_post(
        database,
        {
            "platform": "tiktok",
            "site": "www.tiktok.com",
            "source": "import",
            "native_id": "1",
            "text": "t",
            "content_hash": "1",
        },
    )
    database.close()
    result = CliRunner().invoke(
        cli, ["optout", "add", "loutre", "--platform", "TikTok", "--db", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert "Added" in result.output


def test_backup_into_a_missing_folder_is_a_clean_error(tmp_path):
    path = tmp_path / "m.db"
    mdb.open_db(path).close()
    result = CliRunner().invoke(
        cli, ["backup", str(tmp_path / "no" / "such" / "b.db"), "--db", str(path)]
    )
    _clean_failure(result, "does not exist")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[dashboard]\nsession_minutes = 30\n# caf\xe9\n".encode("latin-1"), "UTF-8"),
        (b"x = " + b"[" * 50_000 + b"]" * 50_000 + b"\n", "nested"),
    ],
    ids=["latin-1", "deep-nesting"],
)
def test_a_broken_config_file_is_a_config_error(tmp_path, content, words):
    from maraude.config import load_config
    from maraude.errors import ConfigError

    bad = tmp_path / "bad.toml"
    bad.write_bytes(content)
    with pytest.raises(ConfigError, match=words):
        load_config(bad)
    result = CliRunner().invoke(cli, ["--config", str(bad), "purge", "--dry-run"])
    _clean_failure(result, str(bad))


def _corrupt(path: Path) -> None:
    """Seed posts, then overwrite every page but the first with garbage."""
    database = mdb.open_db(path)
    for i in range(200):
        mdb.upsert_post(
            database,
            {
                "platform": "reddit",
                "site": "www.reddit.com",
                "source": "s",
                "native_id": str(i),
                "text": "texte " * 50,
                "content_hash": str(i),
                "fetched_at": "2000-01-01T00:00:00Z",
            },
        )
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for start in range(page * 3, len(data) - page, page * 2):
        data[start : start + page] = b"\xa5" * page
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", ["purge", "classify", "leads"])
def test_a_damaged_database_is_a_clean_error(tmp_path, command):
    path = tmp_path / "m.db"
    _corrupt(path)
    result = CliRunner().invoke(cli, [command, "--db", str(path)])
    _clean_failure(result, str(path) if command != "purge" else "damaged")


def test_a_damaged_database_error_is_a_maraude_error():
    import sqlite3

    from maraude.cli.common import database_error
    from maraude.errors import DatabaseDamagedError, MaraudeError

    err = database_error(sqlite3.DatabaseError("database disk image is malformed"))
    assert isinstance(err, DatabaseDamagedError)
    assert isinstance(err, MaraudeError)
    assert "maraude backup" in str(err)


def _maraude(*args: str, env: dict | None = None, timeout: float = 120):
    return subprocess.run(
        [sys.executable, "-m", "maraude", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_no_secret_and_no_enabled_source_creates_no_database(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "r"\nplatform = "reddit"\nenabled = false\n'
        'subreddits = ["x"]\n'
    )
    path = tmp_path / "never.db"
    env = {k: v for k, v in os.environ.items() if k != "MARAUDE_SECRET"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "maraude",
            "crawl",
            "--db",
            str(path),
            "--sources",
            str(sources),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert not path.exists()


def test_a_crawl_whose_only_source_refused_the_connection_fails(tmp_path):
    port = _free_port()  # nothing listens there
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[sources]]\nname = "r"\nplatform = "reddit"\n'
        f'base_url = "http://127.0.0.1:{port}"\nsubreddits = ["x"]\n'
    )
    result = _maraude(
        "crawl", "--db", str(tmp_path / "m.db"), "--sources", str(sources)
    )
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "r" in result.stderr


def test_the_crawl_help_example_names_a_configured_source():
    from maraude.sources import load_sources

    help_text = CliRunner().invoke(cli, ["crawl", "--help"]).output
    example = help_text.split("Example:")[1]
    names = {s.name for s in load_sources(ROOT / "config" / "sources.toml")}
    named = example.split("--source ")[1].split()[0]
    assert named in names
    assert "--sources config/sources.toml" in example


class _Healthy(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_a_second_demo_on_a_taken_port_fails_before_saying_ready(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Healthy)  # "the first demo"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        result = _maraude(
            "demo", "--db", str(tmp_path / "d.db"), "--port", str(port), "--no-browser"
        )
    finally:
        server.shutdown()
    assert result.returncode != 0
    assert "Dashboard ready" not in result.stderr
    assert f"Port {port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_to_the_dashboard_command_ends_its_child(tmp_path):
    code = (
        "import subprocess, sys\n"
        "from maraude.cli.serving import wait_for\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; "
        "time.sleep(120)'])\n"
        "print(child.pid, flush=True)\n"
        "wait_for(child)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    child_pid = int(parent.stdout.readline())
    time.sleep(0.5)
    parent.send_signal(signal.SIGTERM)
    parent.wait(timeout=20)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and Path(f"/proc/{child_pid}").exists():
        state = Path(f"/proc/{child_pid}/stat").read_text().split()[2]
        if state == "Z":
            break
        time.sleep(0.1)
    alive = Path(f"/proc/{child_pid}").exists() and (
        Path(f"/proc/{child_pid}/stat").read_text().split()[2] != "Z"
    )
    if alive:
        os.kill(child_pid, signal.SIGKILL)
    assert not alive, "the Streamlit child outlived maraude dashboard"


def _lead_post(database, native_id: str, site: str, source: str) -> None:
    mdb.upsert_post(
        database,
        {
            "platform": "reddit",
            "site": site,
            "source": source,
            "native_id": native_id,
            "text": "t",
            "content_hash": native_id,
        },
    )
    post_id = database.execute(
        "SELECT id FROM posts WHERE native_id = ?", [native_id]
    ).fetchone()[0]
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


def test_recheck_without_reddit_access_is_a_clean_error(tmp_path, monkeypatch):
    import urllib.error

    from crawlers import recheck as rc

    def no_token(user_agent, credentials):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(rc, "_reddit_token", no_token)
    path = tmp_path / "m.db"
    database = mdb.open_db(path)
    _lead_post(database, "demo1", "127.0.0.1", "demo-reddit")  # a replay source
    _lead_post(database, "real1", "www.reddit.com", "gone-from-config")
    database.close()
    result = CliRunner().invoke(cli, ["recheck", "--db", str(path)])
    _clean_failure(result, "Reddit", "MARAUDE_REDDIT_CLIENT_ID")
    database = mdb.open_db(path)
    assert database.execute("SELECT count(*) FROM posts").fetchone()[0] == 2
    database.close()
