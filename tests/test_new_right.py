"""A new right is one file.

A copy of ``config/rights/`` gets one more right file (an invented right, in
our own words) and nothing else: ``maraude rights check`` passes on it, the
catalogue tests of ``tests/maraude/test_rights.py`` pass on it, and the rights
tagger finds the new right by its aliases. No Python file is edited for it.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.rights_tagger import RightsTagger
from maraude.catalogue import check_catalogue
from maraude.cli import cli
from maraude.rights import CATALOGUE_DIR, CONTRACT_RIGHT_IDS, load_catalogue
from tests.maraude import test_rights as catalogue_tests

NEW = "aide_essai_itinerance"

# An invented right: the schema of config/rights/README.md, our own sentences.
RIGHT = """\
id = "aide_essai_itinerance"
name = "Aide d'essai à l'itinérance (AEI)"
short_name = "AEI"
aliases = [
    "aei", "l aei", "aide itinerance", "aide a l itinerance", "dossier aei",
    "prime itinerance",
]
summary = "Une aide inventée pour vérifier qu'un droit s'ajoute en un seul fichier."
for_whom = ["Se déplacer souvent pour chercher du travail", "Avoir peu de ressources"]
how_to_apply = "Demandez le formulaire à l'accueil de votre mairie ou d'un CCAS."
organisme = "CCAS"
tips = [
    "La demande se fait avant le départ.",
    "Un travailleur social peut remplir le dossier avec vous.",
]
situations = ["precarity", "work"]
young = false

[[amounts]]
label = "Forfait par trajet"
value = 42.0
unit = "€"
effective = {effective}
source = "Montant inventé pour ce test"

[[links]]
label = "Fiche de test"
url = "https://www.service-public.fr/particuliers/vosdroits/N19775"

[[simulators]]
label = "Simulateur"
url = "https://www.mesdroitssociaux.gouv.fr/"
"""


def write_new_right(folder: Path, text: str = RIGHT) -> Path:
    effective = (date.today() - timedelta(days=30)).isoformat()
    path = folder / f"{NEW}.toml"
    path.write_text(text.replace("{effective}", effective), encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path) -> Path:
    """The project's catalogue plus one right file, and nothing else changed."""
    copy = tmp_path / "rights"
    shutil.copytree(CATALOGUE_DIR, copy)
    write_new_right(copy)
    return copy


def test_rights_check_passes_with_the_new_file(folder):
    result = CliRunner().invoke(cli, ["rights", "check", "--catalogue", str(folder)])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


def test_rights_check_reads_the_new_file(folder):
    """The same command fails, naming the file, once the new right is broken."""
    write_new_right(folder, RIGHT.replace('organisme = "CCAS"\n', ""))
    result = CliRunner().invoke(cli, ["rights", "check", "--catalogue", str(folder)])
    assert result.exit_code == 1
    assert f"{NEW}.toml [organisme]" in result.output


def test_the_catalogue_tests_pass_with_the_new_file(folder):
    catalogue_tests.test_the_catalogue_is_its_files_and_keeps_the_contract_ids(folder)
    catalogue_tests.test_real_catalogue_fields_keep_working(folder)
    catalogue_tests.test_real_catalogue_templates_and_places_have_no_error(folder)
    catalogue_tests.test_real_catalogue_warnings_are_only_stale_amounts(folder)
    right = load_catalogue(folder)[NEW]
    assert right.short_name == "AEI"
    emitted = [*CONTRACT_RIGHT_IDS, NEW]  # the classifier may now emit it too
    assert not [i for i in check_catalogue(folder, emitted_ids=emitted) if i.is_error]


def test_the_rights_tagger_finds_the_new_right(folder):
    tagger = RightsTagger(catalogue_dir=str(folder)).fit()
    found = tagger.find("on m'a parlé de la prime itinerance pour mes trajets")
    assert [m.right for m in found] == [NEW]
