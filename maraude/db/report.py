"""The monthly report for funders and boards (#16): counts and delays only.

``monthly_report(db, "2026-11", hours)`` counts the leads that entered the queue
that month by label, right, form of non-recours, platform and territory
(département), the replies of the month (how long they took, how many within
their level's target, by team) and their outcomes when the database records
them. Never a post's text, an author, a handle or a URL: only labels, ids of
rights and forms, platform names, département codes and usernames' teams.

Leads are deleted ``[privacy] closed_leads_days`` after they are closed, so a
month's report is complete only if it is exported before then.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import statistics
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from maraude.errors import InputError
from maraude.inert import csv_cell
from maraude.targets import LEVELS, target_level, within_target

_MONTH = re.compile(r"(\d{4})-(\d{2})")
#: Sections in report order; each is a list of (key, count) pairs.
SECTIONS = ("totals", "label", "right", "form", "platform", "territory")
UNPLACED = "non localisé"


def month_bounds(month: str) -> tuple[str, str]:
    """``"2026-11"`` → (``"2026-11-01T00:00:00Z"``, ``"2026-12-01T00:00:00Z"``)."""
    m = _MONTH.fullmatch(month.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(f"Month {month!r} is not YYYY-MM (e.g. 2026-11).")
    year, mon = int(m.group(1)), int(m.group(2))
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=UTC)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return start.strftime(fmt), end.strftime(fmt)


def current_month(now: datetime | None = None) -> str:
    """The month of ``now`` (default: now, UTC) as ``YYYY-MM``."""
    return (now or datetime.now(UTC)).strftime("%Y-%m")


def _pairs(db: Database, sql: str, params: list[Any]) -> list[tuple[str, int]]:
    return [(str(k), int(n)) for k, n in db.execute(sql, params).fetchall()]


def _counts(db: Database, start: str, end: str) -> dict[str, list[tuple[str, int]]]:
    period = "l.created_at >= ? AND l.created_at < ?"
    each = "SELECT j.value, count(*) FROM leads l, json_each(l.{col}) j WHERE "
    group = " GROUP BY 1 ORDER BY 2 DESC, 1"
    return {
        "label": _pairs(db, each.format(col="labels") + period + group, [start, end]),
        "right": _pairs(
            db, each.format(col="rights_topics") + period + group, [start, end]
        ),
        "form": _pairs(
            db,
            "SELECT l.non_recours_form, count(*) FROM leads l WHERE "
            f"l.non_recours_form IS NOT NULL AND {period}{group}",
            [start, end],
        ),
        "platform": _pairs(
            db,
            "SELECT p.platform, count(*) FROM leads l JOIN posts p "
            f"ON p.id = l.post_id WHERE {period}{group}",
            [start, end],
        ),
        "territory": _pairs(
            db,
            f"SELECT coalesce(l.departement, '{UNPLACED}'), count(*) FROM leads l "
            f"WHERE {period}{group}",
            [start, end],
        ),
    }


def _replies(
    db: Database, start: str, end: str, hours: Mapping[str, float]
) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    rows = db.execute(
        "SELECT l.labels, l.crisis_level, l.created_at, l.replied_at, u.team "
        "FROM leads l LEFT JOIN users u ON u.username = l.claimed_by "
        "WHERE l.replied_at >= ? AND l.replied_at < ?",
        [start, end],
    ).fetchall()
    delays: list[float] = []
    levels: dict[str, list[int]] = {level: [0, 0] for level in LEVELS}
    teams: Counter[str] = Counter()
    for labels, crisis_level, queued_at, replied_at, team in rows:
        lead = {"labels": json.loads(labels), "crisis_level": crisis_level}
        delay = datetime.fromisoformat(
            replied_at.replace("Z", "+00:00")
        ) - datetime.fromisoformat(queued_at.replace("Z", "+00:00"))
        delays.append(max(0.0, delay.total_seconds() / 3600))
        level = target_level(lead)
        ok = within_target(level, queued_at, replied_at, hours)
        if level in levels and ok is not None:
            levels[level][0] += 1
            levels[level][1] += int(ok)
        teams[team or "sans équipe"] += 1
    deciles = statistics.quantiles(delays, n=10) if len(delays) > 1 else delays
    times = {
        "replied": len(delays),
        "median_hours": round(statistics.median(delays), 1) if delays else None,
        "p90_hours": round(deciles[-1], 1) if delays else None,
        "targets": {
            level: {
                "hours": hours.get(level),
                "replied": n,
                "within": ok,
                "share": round(ok / n, 3) if n else None,
            }
            for level, (n, ok) in levels.items()
        },
    }
    return times, sorted(teams.items(), key=lambda kv: (-kv[1], kv[0]))


def _outcomes(db: Database, start: str, end: str) -> list[tuple[str, int]] | None:
    """Outcomes of the month's replies; None if the database has no outcomes."""
    if "outcome" not in db["leads"].columns_dict:
        return None
    return _pairs(
        db,
        "SELECT coalesce(outcome, 'unknown'), count(*) FROM leads "
        "WHERE replied_at >= ? AND replied_at < ? GROUP BY 1 ORDER BY 2 DESC, 1",
        [start, end],
    )


def monthly_report(
    db: Database, month: str, hours: Mapping[str, float]
) -> dict[str, Any]:
    """The report of ``month`` (``YYYY-MM``); ``hours``: reply-time targets
    (:func:`maraude.targets.target_hours`). Counts only (module docstring)."""
    start, end = month_bounds(month)
    counts = _counts(db, start, end)
    totals = db.execute(
        "SELECT count(*), count(*) FILTER (WHERE status = 'not_relevant'), "
        "count(*) FILTER (WHERE status = 'escalated'), "
        "count(*) FILTER (WHERE crisis_level = 'sure'), "
        "count(*) FILTER (WHERE crisis_level = 'possible') FROM leads "
        "WHERE created_at >= ? AND created_at < ?",
        [start, end],
    ).fetchone()
    times, teams = _replies(db, start, end, hours)
    keys = ("leads", "not_relevant", "escalated", "crisis_sure", "crisis_possible")
    return {
        "month": month,
        "totals": [(k, int(v or 0)) for k, v in zip(keys, totals, strict=True)],
        **counts,
        "times": times,
        "teams": teams,
        "outcomes": _outcomes(db, start, end),
    }


def report_rows(
    report: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> list[tuple[str, str, Any]]:
    """The report flattened to (section, item, value) rows, for a table or a CSV.

    ``names`` translates section and item keys (e.g. ``"label"`` →
    ``"Leads par catégorie"``, ``"crisis"`` → ``"crise"``); unknown keys stay.
    """
    n = names or {}
    rows: list[tuple[str, str, Any]] = []
    for section in (*SECTIONS, "teams", "outcomes"):
        for key, value in report.get(section) or ():
            rows.append((n.get(section, section), n.get(key, key), value))
    times = report["times"]
    section = n.get("times", "times")
    for key in ("replied", "median_hours", "p90_hours"):
        rows.append((section, n.get(key, key), times[key]))
    for level, t in times["targets"].items():
        label = f"{n.get(level, level)} ({n.get('target', 'target')} {t['hours']} h)"
        rows.append((section, label, f"{t['within']}/{t['replied']}"))
    return rows


def report_csv(rows: list[tuple[str, str, Any]], header: tuple[str, ...]) -> str:
    """CSV text of :func:`report_rows`, every cell safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell("" if v is None else v) for v in row])
    return out.getvalue()


def report_html(title: str, rows: list[tuple[str, str, Any]], note: str = "") -> str:
    """A standalone printable page (every value escaped, no script, no request)."""
    e = html.escape
    body: list[str] = []
    current = None
    for section, item, value in rows:
        if section != current:
            if current is not None:
                body.append("</table>")
            body.append(f"<h2>{e(str(section))}</h2><table>")
            current = section
        shown = "—" if value is None else value
        body.append(f"<tr><td>{e(str(item))}</td><td>{e(str(shown))}</td></tr>")
    if current is not None:
        body.append("</table>")
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td{border:1px solid #999;padding:.2em .6em}td+td{text-align:right}"
    )
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title><style>{style}</style></head><body>"
        f"<h1>{e(title)}</h1><p>{e(note)}</p>{''.join(body)}</body></html>"
    )
