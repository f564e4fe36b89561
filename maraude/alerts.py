"""Crisis alerts: a crisis lead nobody has claimed in time alerts the senior on call.

A crisis lead still unclaimed (``new``, or its claim expired)
``[alerts] crisis_unclaimed_minutes`` after it became a lead raises one alert,
by e-mail (``smtp_*``; password from ``MARAUDE_SMTP_PASSWORD``) and/or a JSON
POST to ``webhook_url``. An alert names the lead, its age and a link to the
dashboard: never the post's text nor its author. Each alert is recorded in
``crisis_alerts`` and sent once (a failed one is retried a few times), and each
sending is written to the audit log (``crisis_alert``).

The scheduler calls :func:`run_alerts` every minute or so::

    from maraude.alerts import run_alerts
    run_alerts(db_path, config)  # {"due": 1, "sent": 1, "failed": 0, ...}
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlite_utils import Database

from maraude import db as mdb
from maraude.config import Config
from maraude.inert import chat_text, plain_line

logger = logging.getLogger(__name__)

SMTP_PASSWORD_ENV = "MARAUDE_SMTP_PASSWORD"  # noqa: S105 (a variable name)
SYSTEM_USER = "system"
TIMEOUT = 10.0


def due_alerts(db: Database, minutes: int) -> list[dict[str, Any]]:
    """Crisis leads unclaimed for ``minutes`` or more and not alerted yet, oldest
    first: ``id``, ``age_minutes``, ``platform``, ``source``, ``status``."""
    return mdb.due_crisis_alerts(db, minutes)


def lead_link(config: Config, lead_id: int) -> str:
    """The dashboard's address of a lead, for the alert."""
    base = (
        config.alerts.dashboard_url
        or f"http://{config.dashboard.address}:{config.dashboard.port}"
    )
    return f"{base.rstrip('/')}/lead?lead={lead_id}"


def describe(alert: dict[str, Any], config: Config) -> dict[str, Any]:
    """What an alert says: ids, age, platform and link only."""
    link = lead_link(config, alert["id"])
    age = int(alert["age_minutes"])
    # ``platform`` is outside text (an import file sets it): Slack and
    # Mattermost render ``text`` as markup, so it is escaped there (issue #11).
    text = (
        f"Maraude : un message de crise attend depuis {age} min sans prise en "
        f"charge (lead {alert['id']}, {chat_text(alert['platform'], 40)}). "
        f"Ouvrez-le : {link}"
    )
    return {
        "event": "crisis_unclaimed",
        "lead_id": alert["id"],
        "age_minutes": age,
        "platform": plain_line(alert["platform"], 40),
        "url": link,
        "text": text,
    }


def email_body(payload: dict[str, Any]) -> str:
    """The e-mail's plain text (no markup: the platform as a plain line)."""
    return (
        f"Maraude : un message de crise attend depuis {payload['age_minutes']} min "
        f"sans prise en charge (lead {payload['lead_id']}, {payload['platform']}). "
        f"Ouvrez-le : {payload['url']}\n\nPrenez-le en charge ou confiez-le à "
        "quelqu'un maintenant. Le texte du message n'est lisible que dans le "
        "tableau de bord.\n"
    )


def send_email(config: Config, payload: dict[str, Any], password: str | None) -> None:
    """One e-mail to ``smtp_to`` (raises :class:`OSError` or an SMTP error)."""
    alerts = config.alerts
    msg = EmailMessage()
    msg["Subject"] = (
        f"[Maraude] Crise non prise en charge : lead {payload['lead_id']} "
        f"({payload['age_minutes']} min)"
    )
    msg["From"] = alerts.smtp_from or f"maraude@{alerts.smtp_host}"
    msg["To"] = ", ".join(alerts.smtp_to)
    msg.set_content(email_body(payload))
    with smtplib.SMTP(alerts.smtp_host, alerts.smtp_port, timeout=TIMEOUT) as smtp:
        if alerts.smtp_starttls:
            smtp.starttls()
        if alerts.smtp_user and password:
            smtp.login(alerts.smtp_user, password)
        smtp.send_message(msg)


def post_webhook(url: str, payload: dict[str, Any]) -> None:
    """POST ``payload`` as JSON to ``url`` (raises :class:`OSError` on failure)."""
    if urlparse(url).scheme not in ("http", "https"):
        raise ValueError("webhook_url must start with http:// or https://")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
        response.read()


def _channels(config: Config) -> list[str]:
    alerts = config.alerts
    out = []
    if alerts.smtp_host and alerts.smtp_to:
        out.append("email")
    if alerts.webhook_url:
        out.append("webhook")
    return out


def _send_one(
    config: Config, payload: dict[str, Any], password: str | None
) -> tuple[list[str], list[str]]:
    sent: list[str] = []
    errors: list[str] = []
    for channel in _channels(config):
        try:
            if channel == "email":
                send_email(config, payload, password)
            else:
                post_webhook(config.alerts.webhook_url, payload)
            sent.append(channel)
        except (OSError, smtplib.SMTPException, ValueError) as e:
            errors.append(f"{channel}: {type(e).__name__}: {e}"[:300])
            logger.warning(
                "crisis alert for lead %d: %s failed (%s)",
                payload["lead_id"],
                channel,
                type(e).__name__,
            )
    return sent, errors


def send_alerts(
    db: Database, config: Config, *, smtp_password: str | None = None
) -> dict[str, int]:
    """Send the due alerts; counts by outcome.

    ``smtp_password`` defaults to ``MARAUDE_SMTP_PASSWORD``. With no channel
    configured an alert is still recorded (``no_channel``): the dashboard's
    banner is then the only warning.
    """
    if smtp_password is None:
        smtp_password = os.environ.get(SMTP_PASSWORD_ENV) or None
    counts = {"due": 0, "sent": 0, "failed": 0, "no_channel": 0, "skipped": 0}
    for alert in due_alerts(db, config.alerts.crisis_unclaimed_minutes):
        counts["due"] += 1
        if not mdb.start_crisis_alert(db, alert["id"]):
            counts["skipped"] += 1  # another process is sending it
            continue
        payload = describe(alert, config)
        sent, errors = _send_one(config, payload, smtp_password)
        status = mdb.finish_crisis_alert(db, alert["id"], sent, errors)
        counts[status] += 1
        mdb.audit(
            db,
            SYSTEM_USER,
            "crisis_alert",
            "lead",
            alert["id"],
            {"status": status, "channels": sent, "age_minutes": payload["age_minutes"]},
        )
        logger.info("crisis alert for lead %d: %s", alert["id"], status)
    return counts


def run_alerts(db_path: str | Path, config: Config) -> dict[str, int]:
    """Open the database, send the due crisis alerts, close it (for the scheduler)."""
    database = mdb.open_db(db_path)
    try:
        return send_alerts(database, config)
    finally:
        database.close()
