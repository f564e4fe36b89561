"""Crisis alerts: due after the delay, sent once by e-mail and webhook, never the text.

A tiny fake SMTP server (socketserver) and a local HTTP server on 127.0.0.1
stand in for the real ones (aiosmtpd is not a dependency).
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from maraude import alerts
from maraude import db as mdb
from maraude.config import AlertsConfig, Config, load_config
from maraude.db.activity import MAX_ATTEMPTS

POST_TEXT = "je veux en finir ce soir"


# -- local servers ----------------------------------------------------------------


class FakeSMTP(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, MAIL, RCPT, DATA, QUIT (no STARTTLS)."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 fake ESMTP")
        while line := self.rfile.readline():
            verb = line.decode().strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-fake")
                self.reply("250 8BITMIME")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    data += self.rfile.readline()
                message = email.message_from_bytes(
                    data[: -len(b".\r\n")], policy=email.policy.default
                )
                self.server.messages.append(message)  # type: ignore[attr-defined]
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 ok")
            else:
                self.reply("502 not implemented")


@pytest.fixture
def smtp_server() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeSMTP)
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def make_http(status: int) -> Iterator[ThreadingHTTPServer]:
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.received = received  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook() -> Iterator[ThreadingHTTPServer]:
    yield from make_http(200)


@pytest.fixture
def broken_webhook() -> Iterator[ThreadingHTTPServer]:
    yield from make_http(500)


# -- data -------------------------------------------------------------------------


def add_lead(db, name: str, *, crisis: bool, minutes_ago: int) -> int:
    mdb.upsert_post(
        db,
        {
            "platform": "reddit",
            "site": "www.reddit.com",
            "source": "s",
            "native_id": name,
            "url": f"https://www.reddit.com/r/x/{name}",
            "text": POST_TEXT if crisis else "j'ai une question sur la CAF",
            "content_hash": name,
        },
    )
    post_id = next(
        r["id"] for r in db.query("SELECT id FROM posts WHERE native_id = ?", [name])
    )
    labels = ["distress", "crisis"] if crisis else ["rights"]
    mdb.save_predictions(
        db,
        [
            {
                "post_id": post_id,
                "distress": 0.9,
                "crisis": 0.95 if crisis else 0.01,
                "rights": 0.1,
                "labels": labels,
                "crisis_level": "sure" if crisis else None,
                "rights_topics": [],
                "non_recours_form": None,
                "minor": False,
                "explanation": {},
            }
        ],
        "m",
    )
    created = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    db.execute(
        "UPDATE leads SET created_at = ? WHERE post_id = ?",
        [created.strftime("%Y-%m-%dT%H:%M:%SZ"), post_id],
    )
    return next(
        r["id"] for r in db.query("SELECT id FROM leads WHERE post_id = ?", [post_id])
    )


def config_with(**alerts_keys) -> Config:
    base = load_config()
    keys = {"dashboard_url": "https://maraude.example.org", **alerts_keys}
    return dataclasses.replace(base, alerts=AlertsConfig(**keys))


@pytest.fixture
def crisis(db) -> int:
    """One crisis lead unclaimed for 20 minutes, plus leads that are not due."""
    lead = add_lead(db, "old-crisis", crisis=True, minutes_ago=20)
    add_lead(db, "fresh-crisis", crisis=True, minutes_ago=5)
    add_lead(db, "old-rights", crisis=False, minutes_ago=60)
    return lead


# -- tests ------------------------------------------------------------------------


def test_the_default_delay_is_fifteen_minutes():
    assert load_config().alerts.crisis_unclaimed_minutes == 15


def test_only_unclaimed_crises_older_than_the_delay_are_due(db, crisis):
    assert [a["id"] for a in alerts.due_alerts(db, 15)] == [crisis]
    assert alerts.due_alerts(db, 15)[0]["age_minutes"] >= 19
    assert len(alerts.due_alerts(db, 1)) == 2


def test_a_possible_crisis_waits_in_the_queue_and_alerts_nobody(db, crisis):
    db.execute("UPDATE leads SET crisis_level = 'possible' WHERE id = ?", [crisis])
    assert alerts.due_alerts(db, 15) == []
    assert mdb.unclaimed_crises(db, 15) == []  # not in the seniors' banner either
    everything = mdb.unclaimed_crises(db, 15, sure_only=False)
    assert [c["id"] for c in everything] == [crisis]
    assert everything[0]["crisis_level"] == "possible"


def test_a_sure_crisis_alerts(db, crisis):
    due = alerts.due_alerts(db, 15)
    assert [a["id"] for a in due] == [crisis]
    assert due[0]["crisis_level"] == "sure"


def test_a_claimed_crisis_is_not_due_but_an_expired_claim_is(db, crisis):
    mdb.claim_lead(db, crisis, "alice", 45)
    assert alerts.due_alerts(db, 15) == []
    db.execute(
        "UPDATE leads SET claim_expires_at = '2000-01-01T00:00:00Z' WHERE id = ?",
        [crisis],
    )
    assert [a["id"] for a in alerts.due_alerts(db, 15)] == [crisis]


def test_email_and_webhook_are_sent_once_without_the_post_text(
    db, crisis, smtp_server, webhook
):
    config = config_with(
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.server_address[1],
        smtp_starttls=False,
        smtp_from="maraude@example.org",
        smtp_to=("astreinte@example.org",),
        webhook_url=f"http://127.0.0.1:{webhook.server_address[1]}/hook",
    )
    counts = alerts.send_alerts(db, config)
    assert counts["sent"] == 1
    (message,) = smtp_server.messages
    mail = message.get_content()
    (payload,) = webhook.received
    assert message["To"] == "astreinte@example.org"
    assert f"lead {crisis}" in message["Subject"]
    link = f"https://maraude.example.org/lead?lead={crisis}"
    assert link in mail
    assert payload["lead_id"] == crisis
    assert payload["url"] == link
    assert payload["age_minutes"] >= 19
    assert POST_TEXT not in mail
    assert POST_TEXT not in json.dumps(payload, ensure_ascii=False)
    # Sent once: a second run finds nothing due.
    assert alerts.send_alerts(db, config)["due"] == 0
    assert len(smtp_server.messages) == 1
    assert len(webhook.received) == 1
    (row,) = mdb.crisis_alerts(db)
    assert (row["status"], json.loads(row["channels"])) == (
        "sent",
        ["email", "webhook"],
    )
    (audit,) = [e for e in mdb.audit_entries(db) if e["action"] == "crisis_alert"]
    assert (audit["username"], audit["object_id"]) == ("system", str(crisis))
    assert POST_TEXT not in json.dumps(mdb.audit_entries(db), ensure_ascii=False)


def test_a_failed_webhook_is_retried_then_given_up(db, crisis, broken_webhook):
    config = config_with(
        webhook_url=f"http://127.0.0.1:{broken_webhook.server_address[1]}/"
    )
    for _ in range(MAX_ATTEMPTS):
        assert alerts.send_alerts(db, config)["failed"] == 1
    assert alerts.send_alerts(db, config)["due"] == 0
    assert len(broken_webhook.received) == MAX_ATTEMPTS
    (row,) = mdb.crisis_alerts(db)
    assert row["status"] == "failed"
    assert "500" in row["error"]


def test_one_working_channel_is_enough(db, crisis, webhook):
    config = config_with(
        smtp_host="127.0.0.1",
        smtp_port=1,  # nothing listens there
        smtp_to=("astreinte@example.org",),
        webhook_url=f"http://127.0.0.1:{webhook.server_address[1]}/",
    )
    assert alerts.send_alerts(db, config)["sent"] == 1
    (row,) = mdb.crisis_alerts(db)
    assert json.loads(row["channels"]) == ["webhook"]
    assert "email" in row["error"]


def test_starttls_is_required_by_default(db, crisis, smtp_server):
    config = config_with(
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.server_address[1],
        smtp_to=("astreinte@example.org",),
    )
    assert alerts.send_alerts(db, config)["failed"] == 1
    assert smtp_server.messages == []  # nothing sent in clear


def test_without_a_channel_the_alert_is_recorded_for_the_banner(db, crisis):
    assert alerts.send_alerts(db, config_with())["no_channel"] == 1
    assert alerts.send_alerts(db, config_with())["due"] == 0
    # The banner still lists the lead until someone claims it.
    assert [c["id"] for c in mdb.unclaimed_crises(db, 15)] == [crisis]


def test_two_senders_never_send_the_same_alert_twice(db, crisis):
    assert mdb.start_crisis_alert(db, crisis)
    assert not mdb.start_crisis_alert(db, crisis)


def test_a_bad_webhook_scheme_is_an_error_not_a_file_read(db, crisis):
    counts = alerts.send_alerts(db, config_with(webhook_url="file:///etc/passwd"))
    assert counts["failed"] == 1


def test_run_alerts_opens_the_database_by_path(tmp_path, webhook):
    path = tmp_path / "alerts.db"
    database = mdb.open_db(path)
    add_lead(database, "old-crisis", crisis=True, minutes_ago=30)
    database.close()
    config = config_with(webhook_url=f"http://127.0.0.1:{webhook.server_address[1]}/")
    assert alerts.run_alerts(path, config)["sent"] == 1
    assert len(webhook.received) == 1


def test_the_link_defaults_to_the_dashboard_address():
    config = load_config()
    assert alerts.lead_link(config, 7) == "http://127.0.0.1:8501/lead?lead=7"
