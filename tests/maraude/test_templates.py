"""Reply templates: rendering, situation choice, sandbox, and `check_templates`."""

from __future__ import annotations

import shutil

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from maraude.errors import ConfigError
from maraude.places import resolve_place
from maraude.rights import TEMPLATES_DIR, load_catalogue
from maraude.template_checks import check_templates
from maraude.templates import (
    EXTRA_WORDS,
    MAX_WORDS,
    SAMPLE_ORGANISATION,
    SAMPLE_WORKER,
    SITUATIONS,
    ReplyInputs,
    choose_situation,
    count_words,
    next_step,
    render_reply,
    render_template,
    reply_context,
)

CATALOGUE = load_catalogue()
WORKER = {"name": "Camille Martin", "role": "éducatrice"}
ORG = {"name": "Association Passerelle"}


@pytest.fixture
def templates(tmp_path):
    """A copy of the real templates, safe to break."""
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, folder)
    return folder


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("place", [None, "Marseille"])
def test_every_situation_renders_for_every_right(situation, place):
    for rid in [None, *CATALOGUE]:
        for minor in (False, True):
            text = render_reply(
                {"minor": minor},
                WORKER,
                ORG,
                rights=[rid] if rid else [],
                situation=situation,
                place=place or "",
            )
            assert "{{" not in text
            assert "{%" not in text
            assert "Camille Martin" in text
            assert "Association Passerelle" in text
            assert "STOP" not in text  # no marketing formula (#16)
            assert "messages publics" not in text
            # room for the protocols woven in and a second energy right
            limit = MAX_WORDS + 3 * EXTRA_WORDS
            assert count_words(text) <= limit, (situation, rid, place)
            if rid:
                assert CATALOGUE[rid].links[0].url in text
            if place and situation != "crisis":
                assert "Marseille" in text


def test_real_templates_pass_the_check():
    assert check_templates(CATALOGUE) == []


def test_crisis_reply_gives_the_numbers_and_still_answers():
    text = render_reply(
        {"labels": ["crisis", "rights"], "rights_topics": ["rsa"]}, WORKER, ORG
    )
    assert text.splitlines()[0] == (
        "Bonjour, je suis Camille Martin, éducatrice (Association Passerelle)."
    )
    numbers = text.index("3114")
    assert "15" in text[numbers:]
    assert "112" in text[numbers:]
    answer = text.index(CATALOGUE["rsa"].links[0].url)
    assert numbers < answer  # the protocol woven in, the answer kept (#16)


def test_young_minor_reply_gives_119_and_fil_sante_jeunes():
    text = render_reply({"minor": 1, "text": "j'ai 16 ans"}, WORKER, ORG)
    assert "119" in text
    assert "0 800 235 236" in text
    for private in ("privé", "mp", "dm", "inbox"):
        assert private not in text.lower().split()


def test_reply_uses_the_place_of_the_post():
    lead = {"rights_topics": ["rsa"], "text": "jsuis sur marseille, au RSA bientôt"}
    text = render_reply(lead, WORKER, ORG)
    assert "CAF des Bouches-du-Rhône" in text
    assert "CCAS de Marseille" in text
    assert "https://www.france-services.gouv.fr/" in text


def test_reply_without_a_place_has_no_local_door():
    text = render_reply(
        {"rights_topics": ["rsa"], "text": "besoin d'aide"}, WORKER, ORG
    )
    assert "Près de chez vous" not in text
    assert "RSA" in text


def test_unknown_right_ids_are_skipped():
    text = render_reply({"rights_topics": ["pas_un_droit", "css"]}, WORKER, ORG)
    assert "Complémentaire santé solidaire" in text


def test_worker_can_be_a_plain_name():
    text = render_reply({}, "Camille", "Passerelle")
    assert text.startswith("Bonjour, je suis Camille (Passerelle).")


def test_a_worker_name_is_required():
    with pytest.raises(ValueError, match="worker"):
        render_reply({}, {"name": ""}, ORG)


def test_unknown_situation_is_refused():
    with pytest.raises(ValueError, match="situation"):
        render_reply({}, WORKER, ORG, situation="urgence")


def test_post_text_is_data_not_a_template():
    lead = {"text": "{{ 7*7 }} {% for x in range(3) %}boom{% endfor %} à Lille"}
    worker = {"name": "{{ 6*7 }}", "role": "{{ worker.__class__ }}"}
    text = render_reply(lead, worker, ORG)
    assert "{{ 6*7 }}" in text
    assert "42" not in text
    assert "{{ worker.__class__ }}" in text


def test_output_is_not_html_escaped():
    text = render_reply({"rights_topics": ["ame"]}, {"name": "Zoé & Léa"}, ORG)
    assert "Zoé & Léa" in text
    assert "l'État" in text
    assert "&amp;" not in text
    assert "&#39;" not in text


# --- situation choice ----------------------------------------------------------


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        ({"labels": ["crisis"], "rights_topics": ["hebergement_urgence"]}, "crisis"),
        ({"crisis": 1}, "crisis"),
        ({"crisis": 0.99}, "first_contact"),  # a score is not the lead's flag
        (
            {"situations": ["violence"], "rights_topics": ["aide_alimentaire"]},
            "violence",
        ),
        (
            {"rights_topics": ["aide_alimentaire", "hebergement_urgence"]},
            "housing_emergency",
        ),
        ({"rights_topics": ["domiciliation"]}, "housing_emergency"),
        ({"rights_topics": ["surendettement", "aide_alimentaire"]}, "food"),
        ({"rights_topics": ["surendettement"], "minor": 1}, "debt"),
        ({"rights_topics": ["rsa"], "minor": 1}, "young"),
        ({"rights_topics": ["cej"]}, "young"),
        ({"rights_topics": ["rsa"]}, "first_contact"),
        ({}, "first_contact"),
        ({"situation": "food", "labels": ["crisis"]}, "food"),
        ({"situations": ["homeless"]}, "housing_emergency"),
    ],
)
def test_choose_situation(lead, expected):
    rights = [CATALOGUE[r] for r in lead.get("rights_topics", [])]
    assert choose_situation(lead, rights) == expected


def test_next_step_is_the_first_sentence_without_asides():
    assert next_step("Appelez le 115 (gratuit). Puis rappelez.") == "Appelez le 115."
    assert next_step("Faites la demande sur caf.fr. Ensuite…") == (
        "Faites la demande sur caf.fr."
    )


# --- broken templates ----------------------------------------------------------


def test_strict_undefined_catches_a_typo(templates):
    default = templates / "rights" / "_default.j2"
    default.write_text(
        default.read_text(encoding="utf-8").replace("right.name", "right.nmae")
    )
    issues = check_templates(CATALOGUE, templates)
    assert any(
        i.is_error and i.file.endswith("_default.j2") and "nmae" in i.message
        for i in issues
    )
    with pytest.raises(ConfigError, match="rights check"):
        render_reply({"rights_topics": ["rsa"]}, WORKER, ORG, folder=templates)


def test_render_template_raises_on_an_undefined_name(templates):
    (templates / "typo.j2").write_text("{{ wroker.name }}", encoding="utf-8")
    with pytest.raises(UndefinedError):
        render_template("typo.j2", {"worker": SAMPLE_WORKER}, templates)


def test_sandbox_refuses_dunder_access(templates):
    (templates / "evil.j2").write_text("{{ ''.__class__.__mro__ }}", encoding="utf-8")
    with pytest.raises(SecurityError):
        render_template("evil.j2", {}, templates)


def test_sandbox_refuses_mutation(templates):
    (templates / "mutate.j2").write_text("{{ items.append(1) }}", encoding="utf-8")
    with pytest.raises(SecurityError):
        render_template("mutate.j2", {"items": []}, templates)


def test_check_reports_an_unsafe_template(templates):
    path = templates / "situations" / "food.j2"
    path.write_text(
        "{{ worker.__class__.__mro__ }}\n" + path.read_text(encoding="utf-8")
    )
    issues = check_templates(CATALOGUE, templates)
    assert any(i.is_error and "SecurityError" in i.message for i in issues)


def test_check_reports_a_syntax_error_with_its_line(templates):
    (templates / "situations" / "debt.j2").write_text("Bonjour\n{% if %}\n")
    (issue,) = check_templates(CATALOGUE, templates)
    assert issue.is_error
    assert issue.file.endswith("debt.j2")
    assert issue.key == "line 2"


def test_check_reports_a_missing_situation(templates):
    (templates / "situations" / "young.j2").unlink()
    (issue,) = check_templates(CATALOGUE, templates)
    assert issue.is_error
    assert issue.file.endswith("young.j2")


def test_check_warns_about_an_override_for_an_unknown_right(templates):
    (templates / "rights" / "ancien_droit.j2").write_text("{{ right.link }}\n")
    (issue,) = check_templates(CATALOGUE, templates)
    assert issue.severity == "warning"


def test_check_refuses_marketing_and_requires_the_worker(templates):
    parts = templates / "_parts.j2"
    text = parts.read_text(encoding="utf-8")
    parts.write_text(
        text.replace("vous pouvez me répondre ici.", "répondez STOP.").replace(
            "worker.name", "'X'"
        )
    )
    messages = {i.message for i in check_templates(CATALOGUE, templates) if i.is_error}
    assert "marketing formula 'répondez stop' in the reply" in messages
    assert "the reply must name the worker and organisation" in messages


def test_check_requires_the_protocol_numbers(templates):
    path = templates / "situations" / "crisis.j2"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{{ parts.safety(protocols) }}", ""))
    messages = {i.message for i in check_templates(CATALOGUE, templates) if i.is_error}
    assert "the suicide protocol's numbers are missing" in messages


def test_check_warns_about_long_replies(templates):
    path = templates / "situations" / "first_contact.j2"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + "mot " * 130)
    (issue,) = check_templates(CATALOGUE, templates)
    assert issue.severity == "warning"
    assert "words" in issue.message


def test_reply_context_shape():
    context = reply_context(
        ReplyInputs(
            "first_contact",
            SAMPLE_WORKER,
            SAMPLE_ORGANISATION,
            right=CATALOGUE["rsa"],
            place=resolve_place("Lille"),
        )
    )
    assert context["right"]["link"].startswith("https://")
    assert context["right_template"] == "rights/_default.j2"
    assert context["local"]["caf"]["name"] == "CAF du Nord"
    assert context["place"]["label"] == "Lille"
    assert context["worker"] == {"name": "Camille Exemple", "role": "éducatrice"}


def test_crisis_reply_for_a_minor_also_gives_119():
    text = render_reply({"labels": ["crisis"], "minor": 1}, WORKER, ORG)
    assert "3114" in text
    assert "119" in text
