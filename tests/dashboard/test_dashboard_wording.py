"""Formatting and the first reply draft (no Streamlit)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dashboard.widgets import wording
from maraude.rights import Amount, load_catalogue

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_age_in_minutes_hours_then_days():
    assert wording.age("2026-05-01T11:55:00Z", NOW) == "il y a 5 min"
    assert wording.age("2026-04-30T12:00:00Z", NOW) == "il y a 24 h"
    assert wording.age("2026-04-21T12:00:00Z", NOW) == "il y a 10 j"
    assert wording.age(None, NOW) == "date inconnue"


def test_excerpt_is_one_line_and_cut():
    lead = {"title": "Titre", "text": "ligne un\n\nligne   deux " + "x" * 300}
    text = wording.excerpt(lead, 40)
    assert text.startswith("Titre ligne un ligne deux")
    assert len(text) == 40
    assert text.endswith("…")


def test_numbers_are_written_the_french_way():
    assert wording.number(651.69) == "651,69"
    assert wording.number(1115.8) == "1\u202f115,80"
    assert wording.number(1000.0) == "1\u202f000"


def test_latest_amounts_keep_the_newest_per_label():
    right = load_catalogue()["rsa"]
    old = Amount(right.amounts[0].label, 1.0, "€/mois", date(2020, 1, 1))
    latest = wording.latest_amounts(
        type(right)(**{**right.__dict__, "amounts": (old, *right.amounts)})
    )
    assert [a.label for a in latest] == [a.label for a in right.amounts]
    assert latest[0].value == right.amounts[0].value


def test_only_web_links_are_offered():
    assert wording.is_web_url("https://www.reddit.com/r/x/1")
    assert not wording.is_web_url("javascript:alert(1)")
    assert not wording.is_web_url(None)


def test_explanation_lines_are_flat_plain_text():
    lines = wording.explanation_lines(
        {"crisis_phrases": ["en finir"], "rights": {"rsa": ["droit au rsa"]}, "x": []}
    )
    assert lines == ["crisis_phrases: en finir", "rights: rsa: droit au rsa"]
