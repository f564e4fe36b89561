"""The monthly report (#16): counts and delays only, formula-safe CSV, escaped HTML."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from maraude import db as mdb
from maraude.config import TargetsConfig
from maraude.db import report, users
from maraude.errors import InputError
from maraude.targets import target_hours

HOURS = target_hours(TargetsConfig())
POST_TEXT = "=HYPERLINK(texte privé du message) à Marseille"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def month_start() -> datetime:
    return datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_lead(db, native_id, text, labels, *, level=None, rights=(), form=None):
    mdb.upsert_post(
        db,
        {
            "platform": "reddit",
            "site": "www.reddit.com",
            "source": "s",
            "native_id": native_id,
            "text": text,
            "content_hash": f"h-{native_id}",
            "created_at": iso(datetime.now(UTC)),
        },
    )
    post = db.execute("SELECT id FROM posts WHERE native_id = ?", [native_id])
    post_id = post.fetchone()[0]
    mdb.save_predictions(
        db,
        [
            {
                "post_id": post_id,
                "distress": 0.9 if "distress" in labels else 0.1,
                "crisis": 0.9 if level else 0.0,
                "rights": 0.9 if "rights" in labels else 0.0,
                "labels": list(labels),
                "crisis_level": level,
                "rights_topics": list(rights),
                "non_recours_form": form,
                "minor": False,
                "explanation": {},
            }
        ],
        "m",
    )
    row = db.execute("SELECT id FROM leads WHERE post_id = ?", [post_id])
    return row.fetchone()[0]


def reply(db, lead_id, who, queued: datetime, after: timedelta) -> None:
    db.execute(
        "UPDATE leads SET status = 'replied', claimed_by = ?, created_at = ?, "
        "replied_at = ? WHERE id = ?",
        [who, iso(queued), iso(queued + after), lead_id],
    )


@pytest.fixture
def month(db) -> str:
    start = month_start()
    mdb.add_user(db, "camille", "worker")
    users.set_team(db, "camille", "Équipe Sud")
    crisis = add_lead(db, "1", POST_TEXT, ["distress", "crisis"], level="possible")
    rights = add_lead(db, "2", "la caf", ["rights"], rights=["rsa"], form="non_demande")
    add_lead(db, "3", "rien", ["distress"])
    reply(db, crisis, "camille", start, timedelta(hours=2))  # within 4 h
    reply(db, rights, "camille", start, timedelta(hours=100))  # past 72 h
    db.execute("UPDATE leads SET outcome = 'oriented' WHERE id = ?", [crisis])
    return report.current_month()


def test_the_report_counts_the_month(db, month):
    data = report.monthly_report(db, month, HOURS)
    assert dict(data["totals"])["leads"] == 3
    assert dict(data["totals"])["crisis_possible"] == 1
    assert dict(data["label"]) == {"distress": 2, "crisis": 1, "rights": 1}
    assert dict(data["right"]) == {"rsa": 1}
    assert dict(data["form"]) == {"non_demande": 1}
    assert dict(data["platform"]) == {"reddit": 3}
    assert dict(data["territory"]) == {"13": 1, report.UNPLACED: 2}
    assert dict(data["teams"]) == {"Équipe Sud": 2}
    assert dict(data["outcomes"]) == {"oriented": 1, "unknown": 1}
    times = data["times"]
    assert times["replied"] == 2
    assert times["median_hours"] == 51.0
    assert times["targets"]["crisis"] == {
        "hours": 4.0,
        "replied": 1,
        "within": 1,
        "share": 1.0,
    }
    assert times["targets"]["rights"]["within"] == 0


def test_another_month_is_empty(db, month):
    last_year = str(int(month[:4]) - 1) + month[4:]
    data = report.monthly_report(db, last_year, HOURS)
    assert dict(data["totals"])["leads"] == 0
    assert data["times"]["median_hours"] is None
    assert data["label"] == []


def test_without_outcomes_the_section_is_left_out(db, month):
    db.execute("ALTER TABLE leads DROP COLUMN outcome")
    data = report.monthly_report(db, month, HOURS)
    assert data["outcomes"] is None
    assert all(section != "outcomes" for section, _, _ in report.report_rows(data))


def test_exports_carry_no_text_and_are_inert(db, month):
    db.execute("UPDATE users SET team = '=cmd|calc' WHERE username = 'camille'")
    data = report.monthly_report(db, month, HOURS)
    rows = report.report_rows(data, {"label": "Leads par catégorie"})
    text = report.report_csv(rows, ("rubrique", "élément", "valeur"))
    html = report.report_html("Rapport <b>", rows, "note")
    for export in (text, html):
        assert "privé" not in export
        assert "HYPERLINK" not in export
    parsed = list(csv.reader(io.StringIO(text)))
    assert ["Leads par catégorie", "distress", "2"] in parsed
    assert ["teams", "'=cmd|calc", "2"] in parsed
    assert "<b>" not in html
    assert "Rapport &lt;b&gt;" in html
    assert "<script" not in html


@pytest.mark.parametrize("bad", ["2026-13", "novembre", "2026-1"])
def test_a_bad_month_is_a_clear_error(bad):
    with pytest.raises(InputError, match="YYYY-MM"):
        report.month_bounds(bad)


def test_month_bounds_cross_the_year():
    assert report.month_bounds("2026-12") == (
        "2026-12-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    )
