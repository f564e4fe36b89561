"""The lead page: protocol boxes for the post's situation beside the draft (#16)."""

from __future__ import annotations

from dashboard.widgets import wording
from maraude.rights import format_amount, load_catalogue
from tests.dashboard.dashboard_seed import elements

# Our own wording, written for this test.
VIOLENCE = "Il a dit qu'il va me tuer, il me frappe, je suis enfermée avec ma fille."


def open_lead(at, lead_id: int) -> None:
    at.session_state["lead_id"] = lead_id
    at.switch_page("pages/lead.py")
    at.run()


def claim(at) -> str:
    next(b for b in at.button if b.label == "Prendre en charge").click().run()
    assert not at.exception
    return at.text_area[0].value


def test_a_violence_post_gets_17_and_3919_and_no_3114(app, leads, db):
    db.execute(
        "UPDATE posts SET text = ? WHERE id = (SELECT post_id FROM leads WHERE id = ?)",
        [VIOLENCE, leads["crisis"]],
    )
    at = app("alice")
    open_lead(at, leads["crisis"])
    assert "Violences : 17 / 112, 3919, SMS 114" in at.error[0].value
    draft = claim(at)
    assert "17" in draft
    assert "3919" in draft
    assert "3114" not in draft
    titles = [t for kind, t in elements(at) if kind == "markdown"]
    assert "**Violences : 17 / 112, 3919, SMS 114**" in titles  # beside the draft
    assert "**Idées suicidaires : 3114**" not in titles


def test_a_suicidal_post_gets_3114_beside_the_draft(app, leads):
    at = app("alice")
    open_lead(at, leads["crisis"])
    draft = claim(at)
    assert "3114" in draft
    assert "3919" not in draft
    titles = [t for kind, t in elements(at) if kind == "markdown"]
    assert "**Idées suicidaires : 3114**" in titles


def test_a_draft_names_the_worker_and_their_role_without_marketing(app, leads):
    at = app("alice")
    open_lead(at, leads["rights"])
    draft = claim(at)
    assert draft.startswith("Bonjour, je suis alice, intervenant·e en ligne")
    assert "STOP" not in draft
    assert "messages publics" not in draft
    # the organisation is not configured here: the worker is told to fix it
    assert any("Votre structure" in w.value for w in at.warning)


def test_an_admin_is_told_the_organisation_is_not_set(app, leads):
    at = app("ada")
    at.switch_page("pages/admin.py").run()
    assert not at.exception
    assert any("[organisation] name" in w.value for w in at.warning)


def test_a_configured_organisation_is_named_and_not_warned_about(
    app, leads, tmp_path, monkeypatch
):
    config = tmp_path / "maraude.toml"
    config.write_text('[organisation]\nname = "Association Passerelle"\n')
    monkeypatch.setenv("MARAUDE_CONFIG", str(config))
    at = app("alice")
    open_lead(at, leads["rights"])
    draft = claim(at)
    assert "(Association Passerelle)" in draft
    assert not any("Votre structure" in w.value for w in at.warning)


def test_right_cards_show_amounts_as_format_amount_writes_them(app, leads):
    at = app("alice")
    open_lead(at, leads["rights"])
    shown = " ".join(t for kind, t in elements(at) if kind == "markdown")
    for amount in load_catalogue()["rsa"].amounts:
        assert format_amount(amount) in shown  # "montant à vérifier" once stale


def test_the_crisis_box_lists_only_the_other_numbers_apart():
    text = wording.crisis_protocol(["**Violences**"], {"17", "112", "114", "3919"})
    assert text.startswith("**Message de crise")
    others = next(line for line in text.splitlines() if "autre chose" in line)
    assert "**3114**" in others
    assert "**3919**" not in others
    assert "Transmettre" in text
