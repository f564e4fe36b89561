"""Place resolution in informal French, and the local doors directory."""

from __future__ import annotations

import re

import pytest

from maraude.places import (
    FRANCE_SERVICES_URL,
    Place,
    check_directory,
    fold,
    load_directory,
    local_doors,
    postcode_departement,
    resolve_place,
)


@pytest.mark.parametrize(
    ("text", "departement", "commune"),
    [
        ("jsuis sur marseille depuis 2 ans", "13", "Marseille"),
        ("93200", "93", "Saint-Denis"),
        ("a st denis", "93", "Saint-Denis"),
        ("j'habite à St. Denis", "93", "Saint-Denis"),
        ("en corse 2A", "2A", None),
        ("Lille", "59", "Lille"),
        ("j'habite à Besançon", "25", "Besançon"),
        ("j'habite a besancon", "25", "Besançon"),
        ("JE SUIS À BESANÇON", "25", "Besançon"),
        ("je vis en Seine-Saint-Denis", "93", None),
        ("Seine St Denis", "93", None),
        ("dans le 93", "93", None),
        ("dans le 9-3", "93", None),
        ("le neuf trois", "93", None),
        ("je suis du 13", "13", None),
        ("je vis dans le Nord", "59", None),
        ("je vis dans la Somme", "80", None),
        ("département du Lot", "46", None),
        ("en Haute-Garonne", "31", None),
        ("mon code postal 13001", "13", "Marseille"),
        ("20090 Ajaccio", "2A", "Ajaccio"),
        ("20200", "2B", "Bastia"),
        ("97400", "974", "Saint-Denis"),
        ("j'habite à Saint-Denis, à la Réunion", "974", "Saint-Denis"),
        ("j'habite à la Réunion", "974", None),
        ("à Lyon dans le 7e", "69", "Lyon"),
        ("Bondy (93)", "93", "Bondy"),
        ("sur aulnay", "93", "Aulnay-sous-Bois"),
        ("à Tours", "37", "Tours"),
        ("à Nice", "06", "Nice"),
        ("le Mans", "72", "Le Mans"),
        ("Pas-de-Calais", "62", None),
        ("Cenon", "33", "Cenon"),
        ("Dreux", "28", "Dreux"),
        ("Fort-de-France", "972", "Fort-de-France"),
        ("à Mamoudzou", "976", "Mamoudzou"),
    ],
)
def test_resolve_place(text, departement, commune):
    place = resolve_place(text)
    assert place is not None
    assert (place.departement, place.commune) == (departement, commune)


@pytest.mark.parametrize(
    "text",
    [
        "je galère depuis 3 mois, plus rien à manger",
        "j'ai 75000 euros de dettes",
        "75000€ de crédit",
        "il me reste 75000 e à rembourser",
        "salaire 25000 brut par an",
        "appelez-moi au 0612345678",
        "06 12 34 56 78",
        "dossier 93200",
        "numéro allocataire 1234567",
        "dans la somme de 300 euros",
        "en somme je suis perdu",
        "je dois faire la manche",
        "il faut qu'il vienne",
        "c'est trop cher",
        "dans le nord de l'Italie",
        "le 15 je dois payer le loyer",
        "du 12 au 20 mars",
        "j'ai 19 ans",
        "moi (18) je sais plus",
        "j'ai les nerfs à vif",
        "des vannes",
        "it's nice",
        "plusieurs tours",
        "une réunion avec la CAF",
        "je suis à la réunion de parents",
        "",
    ],
)
def test_no_place(text):
    assert resolve_place(text) is None


def test_shared_name_without_a_clue_is_ambiguous():
    place = resolve_place("a st denis")
    assert place is not None
    assert place.ambiguous
    assert resolve_place("93200").ambiguous is False


def test_place_label_is_the_commune_else_the_departement():
    assert resolve_place("à Lille").label == "Lille"
    assert resolve_place("dans le 93").label == "Seine-Saint-Denis"


def test_paris_arrondissement_without_a_city():
    place = resolve_place("j'habite dans le 18e")
    assert (place.departement, place.commune) == ("75", "Paris")


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [
        ("01000", "01"),
        ("75011", "75"),
        ("20000", "2A"),
        ("20167", "2A"),
        ("20290", "2B"),
        ("20600", "2B"),
        ("97110", "971"),
        ("97200", "972"),
        ("97300", "973"),
        ("97400", "974"),
        ("97600", "976"),
        ("97133", None),
        ("97500", None),
        ("98000", None),
        ("96000", None),
        ("00100", None),
        ("2000", None),
    ],
)
def test_postcode_departement(postcode, expected):
    assert postcode_departement(postcode) == expected


def test_fold():
    assert fold("Saint-Étienne") == fold("st etienne") == "saint etienne"
    assert fold("L’Haÿ-les-Roses") == "l hay les roses"
    assert fold("Vandœuvre") == "vandoeuvre"


# --- the directory ------------------------------------------------------------


def test_directory_has_the_101_departements():
    directory = load_directory()
    assert len(directory.departements) == 101
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= set(
        directory.departements
    )
    assert "20" not in directory.departements


def test_directory_check_has_no_issue():
    assert check_directory() == []


def test_every_commune_belongs_to_a_known_departement():
    directory = load_directory()
    assert len(directory.communes) > 500
    assert all(c.dep in directory.departements for c in directory.communes)


def test_caf_urls_are_verified_pages_or_the_national_site():
    for dep in load_directory().departements.values():
        assert dep.caf.startswith(("CAF", "CSSM"))
        if dep.caf_url:
            assert dep.caf_url.startswith("https://www.caf.fr/allocataires/caf-")


def test_local_doors_for_a_departement():
    doors = local_doors("93")
    assert doors["departement"]["name"] == "Seine-Saint-Denis"
    assert doors["caf"]["name"] == "CAF de la Seine-Saint-Denis"
    assert doors["caf"]["url"].endswith("/caf-de-la-seine-saint-denis")
    assert doors["council"]["name"].startswith("Conseil départemental")
    assert doors["france_services"]["url"] == FRANCE_SERVICES_URL
    assert doors["ccas"]["name"] == "CCAS de votre mairie"
    assert doors["mission_locale"]["url"].startswith("https://")


def test_local_doors_fall_back_to_caf_fr():
    assert local_doors("02")["caf"]["url"] == "https://www.caf.fr/"


def test_local_doors_for_a_place_name_the_ccas_of_the_commune():
    assert local_doors(resolve_place("à Lille"))["ccas"]["name"] == "CCAS de Lille"
    assert "CASVP" in local_doors(Place("75", "Paris", "Paris"))["ccas"]["name"]


def test_local_doors_special_councils():
    assert local_doors("2a")["council"]["name"] == "Collectivité de Corse"
    assert "Alsace" in local_doors("68")["council"]["name"]


def test_local_doors_unknown_code():
    with pytest.raises(ValueError, match="unknown"):
        local_doors("20")


def test_every_caf_of_the_aides_jeunes_data_has_its_departement(shared):
    """Our directory agrees with the source's CAF → département facts."""
    institutions = shared / "data/rights/aides-jeunes/data/institutions"
    if not institutions.is_dir():
        pytest.skip("../shared/data/rights/aides-jeunes is absent")
    codes = set()
    for path in institutions.glob("caf_*.yml"):
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'departments:\s*\n\s*-\s*"?([0-9AB]+)', text))
    assert codes == set(load_directory().departements)
