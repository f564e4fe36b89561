"""Activity charts that do not mislead, and French formats (Paris time, JJ/MM/AAAA,
the explanation as sentences)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard.widgets import charts, french


def days_ago(n: int) -> str:
    return (datetime.now(UTC) - timedelta(days=n)).date().isoformat()


def spec(rows, **kwargs):
    return charts.chart(rows, **kwargs).to_dict()


def test_overlapping_categories_are_side_by_side_never_stacked():
    rows = [
        {"jour": days_ago(1), "catégorie": "crise", "signalements": 3},
        {"jour": days_ago(1), "catégorie": "détresse", "signalements": 5},
    ]
    encoding = spec(rows, y="signalements", color="catégorie")["encoding"]
    assert encoding["y"]["stack"] is None
    assert encoding["xOffset"]["field"] == "catégorie"


def test_labels_keep_the_interface_colours():
    rows = [
        {"jour": days_ago(0), "catégorie": name, "signalements": 1}
        for name in ("crise", "détresse", "droits")
    ]
    scale = spec(rows, y="signalements", color="catégorie")["encoding"]["color"]
    colours = dict(zip(scale["scale"]["domain"], scale["scale"]["range"], strict=True))
    assert colours["crise"] == "#d32f2f"  # red, as the CRISE badge
    assert colours["détresse"] == "#ef6c00"


def test_one_tick_per_day_and_whole_counts_from_zero():
    rows = [
        {"jour": f"{days_ago(d)}T00:00:00", "source": s, "erreurs": 0}
        for d in (2, 1)
        for s in ("a", "b")
    ]
    chart = spec(rows, y="erreurs", color="source")
    assert chart["encoding"]["x"]["type"] == "ordinal"  # one tick per distinct day
    days = {r["jour"] for r in chart["data"]["values"]}
    assert days == {days_ago(2), days_ago(1)}
    y = chart["encoding"]["y"]
    assert y["axis"]["format"] == "d"
    assert y["scale"]["domain"] == [0, 1]  # all zero: never a 0.000000 axis


def test_paris_time_and_french_dates():
    winter = f"{datetime.now(UTC).year}-01-15T12:30:00Z"
    summer = f"{datetime.now(UTC).year}-07-15T12:30:00+00:00"
    assert french.date_time(winter).endswith("/01/" + winter[:4] + " 13:30")
    assert french.clock(summer) == "14:30"
    assert french.date(summer) == f"15/07/{summer[:4]}"
    assert french.date_time(None) == "—"
    assert french.clock("not a time") == "—"


def test_the_explanation_reads_as_french_sentences():
    explanation = {
        "matched_phrases": ["plus de logement"],
        "lexicon_rules": ["crisis:ideation_direct", "right:aides_logement"],
        "nearest_examples": [
            {"text": "un exemple masqué", "labels": ["distress"], "similarity": 0.82}
        ],
    }
    lines = french.explanation_sentences(explanation, {"aides_logement": "APL"})
    assert lines[0] == "Mots repérés : « plus de logement »."
    assert lines[1] == "Repéré par le lexique : crise, droit (APL)."
    assert lines[2] == (
        "Proche de ces exemples : « un exemple masqué » (détresse ; ressemblance 82 %)."
    )
    text = " ".join(lines)
    for raw in ("{", "matched_phrases", "nearest_examples", "ideation", "'"):
        assert raw not in text


def test_older_explanations_have_no_english_keys():
    lines = french.explanation_sentences(
        {"rights": {"rsa": ["droit au rsa"]}, "minor": ["j'ai 14 ans"]}, {"rsa": "RSA"}
    )
    assert lines == [
        "Droits repérés : RSA (« droit au rsa »).",
        "Âge repéré : « j'ai 14 ans ».",
    ]
    assert french.explanation_sentences(None) == []
