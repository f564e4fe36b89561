"""Protocols for the situation a post describes, woven into the draft (#16)."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from maraude.catalogue_refresh import FORMULAS, compute, refresh, undatable
from maraude.protocols import protocols_for, situation_types
from maraude.rights import CATALOGUE_DIR, Amount, format_amount, load_catalogue

try:  # the check of the whole catalogue moves to maraude.catalogue
    from maraude.catalogue import check_catalogue
except ImportError:  # pragma: no cover
    from maraude.rights import check_catalogue  # type: ignore[attr-defined,no-redef]
from maraude.templates import organisation_missing, render_reply

WORKER = {"name": "Camille Martin", "role": "éducatrice"}
ORG = {"name": "Association Passerelle"}
CATALOGUE = load_catalogue()
PARAMETERS = (
    Path(__file__).resolve().parents[3]
    / "shared/data/rights/openfisca-france-176.1.8/parameters"
)

# Our own wording, written for these tests.
VIOLENCE = {
    "labels": ["crisis", "distress"],
    "crisis_level": "sure",
    "rights_topics": ["hebergement_urgence"],
    "minor": False,
    "text": "Il crie qu'il va me tuer, je suis enfermée dans la salle de bain avec "
    "ma fille.",
    "explanation": {"lexicon_rules": ["crisis:threat"]},
}


def test_violence_draft_gives_17_and_3919_and_no_3114():
    text = render_reply(VIOLENCE, WORKER, ORG)
    assert "17" in text
    assert "3919" in text
    assert "114" in text  # by SMS
    assert "3114" not in text
    assert situation_types(VIOLENCE) == ["violence", "shelter"]


def test_violence_with_suicidal_words_also_gives_3114():
    lead = {**VIOLENCE, "text": VIOLENCE["text"] + " Parfois je pense au suicide."}
    text = render_reply(lead, WORKER, ORG)
    assert "3114" in text
    assert "3919" in text


def test_violence_found_from_the_words_without_a_lexicon_rule():
    lead = {"labels": ["distress"], "text": "Mon conjoint me frappe quand il boit."}
    assert "violence" in situation_types(lead)
    assert "3114" not in render_reply(lead, WORKER, ORG)


def test_suicidal_crisis_gets_3114_not_3919():
    lead = {
        "labels": ["crisis"],
        "rights_topics": ["rsa"],
        "text": "Je veux en finir, je n'y arrive plus avec le RSA coupé.",
        "explanation": {"lexicon_rules": ["crisis:en_finir"]},
    }
    text = render_reply(lead, WORKER, ORG)
    assert "3114" in text
    assert "3919" not in text
    assert CATALOGUE["rsa"].links[0].url in text  # the question is answered too


def test_a_minor_in_danger_gets_119_and_no_job_programme():
    lead = {
        **VIOLENCE,
        "minor": True,
        "text": "J'ai 16 ans, mon père me frappe, je suis partie de chez moi.",
        "rights_topics": ["cej"],
        "explanation": {},
    }
    assert "minor_danger" in situation_types(lead)
    text = render_reply(lead, WORKER, ORG)
    assert "119" in text
    assert "contrat d'engagement" not in text.lower()
    assert CATALOGUE["cej"].links[0].url not in text


def test_nowhere_to_sleep_gives_115_without_a_crisis():
    lead = {"labels": ["distress"], "text": "Je dors dans ma voiture depuis lundi."}
    assert [p.id for p in protocols_for(lead)] == ["shelter"]
    assert "115" in render_reply(lead, WORKER, ORG)


def test_a_plain_rights_question_gets_no_protocol():
    lead = {"labels": ["rights"], "rights_topics": ["rsa"], "text": "Le RSA, comment ?"}
    assert protocols_for(lead) == []


def test_non_reception_explains_how_to_contest():
    lead = {
        "labels": ["rights"],
        "rights_topics": ["aides_logement"],
        "non_recours_form": "non_reception",
        "text": "La CAF me réclame un trop-perçu d'APL.",
    }
    text = render_reply(lead, WORKER, ORG)
    assert "recours amiable" in text
    assert "médiateur de la CAF" in text
    assert "Défenseur des droits" in text
    assert "dès la signature du bail" not in text


def test_non_proposition_explains_how_to_claim():
    lead = {
        "labels": ["rights"],
        "rights_topics": ["prime_activite"],
        "non_recours_form": "non_proposition",
    }
    text = render_reply(lead, WORKER, ORG)
    assert "ne vous a pas été proposée" in text
    assert "réponse écrite" in text


def test_a_gas_cut_gives_the_cheque_energie_and_the_fsl():
    lead = {"labels": ["rights"], "rights_topics": [], "text": "On m'a coupé le gaz."}
    text = render_reply(lead, WORKER, ORG)
    assert CATALOGUE["cheque_energie"].links[0].url in text
    assert CATALOGUE["fsl"].links[0].url in text


def test_replies_are_identified_and_free_of_marketing():
    text = render_reply({"labels": ["rights"], "rights_topics": ["rsa"]}, WORKER, ORG)
    assert text.startswith("Bonjour, je suis Camille Martin, éducatrice")
    assert "Association Passerelle" in text
    assert "STOP" not in text
    assert "Je lis les messages publics" not in text


@pytest.mark.parametrize(
    ("name", "missing"),
    [("", True), ("Votre structure", True), ("  ", True), ("Asso X", False)],
)
def test_organisation_missing(name, missing):
    assert organisation_missing(name) is missing


# --- amounts -------------------------------------------------------------------


def _amount(days_ago: int, checked_days_ago: int | None = None) -> Amount:
    today = date.today()
    checked = today - timedelta(days=checked_days_ago) if checked_days_ago else None
    return Amount(
        "Montant", 651.69, "€/mois", today - timedelta(days=days_ago), "s", checked
    )


def test_a_stale_amount_reads_montant_a_verifier():
    old = _amount(700)
    assert old.stale()
    assert format_amount(old) == f"montant à vérifier (au {old.effective:%d/%m/%Y})"
    assert "651" not in format_amount(old)


def test_a_recent_or_confirmed_amount_is_shown():
    assert format_amount(_amount(30)).startswith("651,69 €/mois (au ")
    confirmed = _amount(2000, checked_days_ago=20)
    assert not confirmed.stale()
    assert f"(au {confirmed.checked:%d/%m/%Y})" in format_amount(confirmed)


def test_drafts_flag_stale_amounts():
    stale = [r for r in CATALOGUE.values() if r.amounts and r.amounts[0].stale()]
    if not stale:
        pytest.skip("no stale amount in the catalogue today")
    text = render_reply({"labels": ["rights"]}, WORKER, ORG, rights=[stale[0].id])
    assert "montant à vérifier (au " in text


def test_rights_check_names_the_amounts_no_source_here_can_date(tmp_path):
    folder = tmp_path / "rights"
    shutil.copytree(CATALOGUE_DIR, folder)
    later = date.today() + timedelta(days=3 * 365)
    issues = check_catalogue(folder, templates=None, places=None, today=later)
    aah = [i for i in issues if i.file.endswith("aah.toml")]
    assert aah
    assert all("no source here can date it" in i.message for i in aah)
    assert ("aah", CATALOGUE["aah"].amounts[0].label) in undatable(CATALOGUE)


def test_every_formula_names_a_catalogue_amount():
    labels = {(r.id, a.label) for r in CATALOGUE.values() for a in r.amounts}
    assert set(FORMULAS) <= labels


@pytest.mark.skipif(
    not PARAMETERS.is_dir(),
    reason="OpenFisca-France's parameters are read from ../shared/data/rights/",
)
def test_refresh_reproduces_the_committed_amounts(tmp_path):
    folder = tmp_path / "rights"
    shutil.copytree(CATALOGUE_DIR, folder)
    rows = refresh(PARAMETERS, "176.1.8", folder, today=date(2026, 12, 6))
    assert len(rows) == len(FORMULAS)
    refreshed = getattr(load_catalogue, "__wrapped__", load_catalogue)(folder)
    for (rid, label), _ in FORMULAS.items():
        got = next(a for a in refreshed[rid].amounts if a.label == label)
        committed = next(a for a in CATALOGUE[rid].amounts if a.label == label)
        assert got == committed
    value, effective, checked = compute(
        FORMULAS[next(k for k in FORMULAS if k[0] == "rsa")],
        PARAMETERS,
        date(2026, 12, 6),
    )
    assert (value, effective, checked) == (651.69, date(2026, 4, 1), date(2026, 4, 1))


@pytest.mark.parametrize(
    ("labels", "text", "expected"),
    [
        (["distress"], "jveux mourir srx", ["suicide"]),
        (["distress"], "envie de disparaître", ["suicide"]),
        (["distress"], "je veux mourir de rire", []),
        (["distress"], "envie de crever de faim", []),
        (["distress"], "le PSG va me tuer", []),
        (["rights"], "je vais me tuer à la tâche", []),
        (["crisis"], "il va me tuer", ["violence"]),
        (["crisis"], "il va me tuer, je veux mourir", ["suicide", "violence"]),
        (["crisis"], "", ["suicide"]),  # a crisis with no danger named
        (["rights"], "on risque de se retrouver à la rue au printemps", []),
        (["distress"], "je suis à la rue depuis mardi", ["shelter"]),
    ],
)
def test_situation_types(labels, text, expected):
    assert situation_types({"labels": labels, "text": text}) == expected
