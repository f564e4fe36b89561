from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from maraude.errors import ConfigError
from maraude.schedule import make_jobs, run_forever
from maraude.sources import Source

T0 = datetime(2026, 11, 25, 12, 0, 10, tzinfo=UTC).timestamp()


def source(name, schedule, enabled=True):
    return Source(
        name=name,
        platform="rss",
        enabled=enabled,
        schedule=schedule,
        settings={"url": "http://127.0.0.1:1/feed"},
    )


def test_only_enabled_scheduled_sources_become_jobs():
    jobs = make_jobs(
        [
            source("a", "*/15 * * * *"),
            source("b", None),
            source("c", "0 * * * *", enabled=False),
        ],
        T0,
    )
    assert [j.name for j in jobs] == ["a"]
    assert datetime.fromtimestamp(jobs[0].next_at, UTC).minute == 15


def test_a_bad_cron_expression_is_a_clear_error():
    with pytest.raises(ConfigError, match="not a cron expression"):
        make_jobs([source("a", "every day")], T0)


def test_jobs_run_when_due_in_order():
    now = [T0]
    ran: list[tuple[str, int]] = []

    def sleep(seconds):
        now[0] += seconds

    def run(names):
        ran.append((names, int(now[0] - T0)))
        if len(ran) == 4:
            jobs.clear()  # stop the loop
        return 0

    jobs = make_jobs(
        [source("quart", "*/15 * * * *"), source("heure", "0 * * * *")], T0
    )
    run_forever(jobs, run, clock=lambda: now[0], sleep=sleep)
    # Jobs due at one time make one round (one crawl, one classification).
    assert [names for names, _ in ran] == [
        ["quart"],
        ["quart"],
        ["quart"],
        ["quart", "heure"],
    ]
    assert [t // 60 for _, t in ran] == [14, 29, 44, 59]


def test_once_runs_every_job_now():
    ran = []
    jobs = make_jobs([source("a", "0 3 * * *"), source("b", "0 4 * * *")], T0)
    assert run_forever(jobs, lambda names: ran.append(names) or 0, once=True) == 0
    assert ran == [["a", "b"]]  # one round


def test_the_nightly_purge_job():
    from maraude.schedule import PURGE, purge_job

    job = purge_job(T0)
    assert job.name == PURGE
    due = datetime.fromtimestamp(job.next_at, UTC)
    assert (due.hour, due.minute, due.day) == (3, 17, 26)


def test_the_alerts_job_sends_due_crisis_alerts(tmp_path):
    from maraude import db as mdb
    from maraude.schedule import ALERTS, Runner, alerts_job

    job = alerts_job(T0)
    assert job.name == ALERTS
    assert job.next_at - T0 <= 60
    path = tmp_path / "a.db"
    database = mdb.open_db(path)
    mdb.upsert_post(
        database,
        {
            "platform": "reddit",
            "site": "x",
            "source": "s",
            "native_id": "1",
            "text": "t",
            "content_hash": "1",
            "created_at": "2026-01-01T00:00:00Z",
        },
    )
    mdb.save_predictions(
        database,
        [
            {
                "post_id": 1,
                "distress": 0.9,
                "crisis": 0.9,
                "rights": 0.0,
                "labels": ["distress", "crisis"],
                "rights_topics": [],
                "non_recours_form": None,
                "minor": False,
                "explanation": {},
            }
        ],
        "m1",
    )
    database.execute("UPDATE leads SET created_at = '2026-01-01T00:00:00Z'")
    received = []

    class Hook(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            received.append(
                json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            )
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = tmp_path / "c.toml"
    config.write_text(
        f'[alerts]\nwebhook_url = "http://127.0.0.1:{server.server_address[1]}/h"\n'
    )
    try:
        runner = Runner(path, tmp_path / "none.toml", str(config), classify=False)
        assert runner([ALERTS]) == 0
        assert runner([ALERTS]) == 0
    finally:
        server.shutdown()
    assert len(received) == 1  # once per lead, however often the job runs
    assert "texte-du-message-42" not in json.dumps(received)  # no post text


def test_a_listening_source_runs_in_the_background_and_never_overlaps():
    listening = threading.Event()
    release = threading.Event()
    now = [T0]
    ran: list[str] = []

    def sleep(seconds):
        now[0] += seconds

    def run(names):
        (name,) = names  # the chat runs alone, in the background
        ran.append(name)
        if name == "chat":
            listening.set()
            release.wait(10)  # still listening when it is due again
        elif ran.count("rss") == 3:
            jobs.clear()
        return 0

    chat = Source(
        name="chat",
        platform="twitch",
        schedule="*/10 * * * *",
        settings={"channels": ["chaine"]},
    )
    jobs = make_jobs([chat, source("rss", "*/10 * * * *")], T0)
    assert [j.background for j in jobs] == [True, False]
    run_forever(jobs, run, clock=lambda: now[0], sleep=sleep)
    assert listening.wait(5)
    release.set()
    assert ran.count("rss") == 3  # the feeds never waited for the chat
    assert ran.count("chat") == 1  # not started again while it listens


def test_a_round_crawls_every_due_source_in_one_process_then_classifies_once(
    tmp_path, monkeypatch
):
    import subprocess

    from maraude.schedule import PURGE, Runner

    commands = []

    def fake_run(args, check):
        commands.append(args[3:])  # after: python -m maraude
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    db, sources = tmp_path / "m.db", tmp_path / "s.toml"
    assert Runner(db, sources)(["a", "b", "c", PURGE]) == 0
    assert [c[0] for c in commands] == ["crawl", "classify", "recheck", "purge"]
    crawl = commands[0]
    assert [crawl[i + 1] for i, arg in enumerate(crawl) if arg == "--source"] == [
        "a",
        "b",
        "c",
    ]
    commands.clear()
    assert Runner(db, sources, classify=False)(["a"]) == 0
    assert [c[0] for c in commands] == ["crawl"]


def test_a_round_sent_to_scrapyd_waits_for_its_jobs_then_classifies_once(
    tmp_path, monkeypatch
):
    import subprocess

    from maraude.schedule import Runner
    from maraude.scrapyd import Sent

    calls = []

    class FakePool:
        down: dict[str, str] = {}  # noqa: RUF012

        def send(self, jobs):
            calls.append(("send", list(jobs)))
            return [Sent("http://s", source, spider, "j") for spider, source in jobs]

        def wait(self, sent, timeout):
            calls.append(("wait", [s.source for s in sent], timeout))
            return []

    def fake_run(args, check):
        calls.append(("run", args[3]))
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    runner = Runner(
        tmp_path / "m.db",
        tmp_path / "s.toml",
        platforms={"a": "rss", "b": "reddit"},
        pool=FakePool(),
        wait=30.0,
    )
    assert runner(["a", "b"]) == 0
    assert calls == [
        ("send", [("rss", "a"), ("reddit", "b")]),
        ("wait", ["a", "b"], 30.0),
        ("run", "classify"),
    ]
