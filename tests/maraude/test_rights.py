"""The rights catalogue: loading, and `check_catalogue` on good and broken files.

The catalogue is its files: the tests of the real catalogue run again on a copy
with one more right file, and nothing else needs editing for it to pass.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from maraude.catalogue import check_catalogue
from maraude.errors import ConfigError
from maraude.rights import (
    CATALOGUE_DIR,
    CONTRACT_RIGHT_IDS,
    Issue,
    is_https_url,
    load_catalogue,
)

TODAY = date(2026, 11, 25)

VALID = """\
id = "{id}"
name = "Aide de test (ADT)"
short_name = "ADT"
aliases = ["adt", "aide de test", "aide test", "l adt", "demande adt", "alloc adt"]
summary = "Une aide qui sert aux tests."
for_whom = ["Avoir des ressources faibles", "Vivre en France"]
how_to_apply = "Faites la demande en ligne. Un CCAS peut vous aider."
organisme = "CAF"
tips = ["Une simulation prend quelques minutes.", "Demandez sans attendre."]
situations = ["precarity"]
young = false

[[amounts]]
label = "Montant de base"
value = 100.5
unit = "€/mois"
effective = {effective}
source = "Texte de test"

[[links]]
label = "Fiche officielle"
url = "{url}"

[[simulators]]
label = "Simulateur"
url = "https://www.mesdroitssociaux.gouv.fr/"
"""


def write_right(
    folder: Path,
    rid: str = "adt",
    *,
    effective: str = "2026-04-01",
    url: str = "https://www.service-public.fr/particuliers/vosdroits/N19775",
    drop: str | None = None,
    file_name: str | None = None,
) -> Path:
    text = VALID.format(id=rid, effective=effective, url=url)
    if drop:
        text = "\n".join(
            line for line in text.splitlines() if not line.startswith(f"{drop} =")
        )
    path = folder / f"{file_name or rid}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def check(folder: Path, **kwargs) -> list[Issue]:
    """The catalogue checks only (no templates, no places), for test rights."""
    kwargs.setdefault("emitted_ids", [])
    return check_catalogue(folder, templates=None, places=None, today=TODAY, **kwargs)


def errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.is_error]


# --- the real catalogue, and the real one plus a new right file --------------

NEW_RIGHT = "aide_de_test"


@pytest.fixture(params=["real", "plus_one_file"])
def catalogue(request, tmp_path) -> Path:
    """The real catalogue folder, or a copy of it with one more right file."""
    if request.param == "real":
        return CATALOGUE_DIR
    folder = tmp_path / "rights"
    shutil.copytree(CATALOGUE_DIR, folder)
    write_right(folder, NEW_RIGHT)
    return folder


def test_the_catalogue_is_its_files_and_keeps_the_contract_ids(catalogue):
    files = {p.stem for p in catalogue.glob("*.toml")}
    assert set(load_catalogue(catalogue)) == files
    assert set(CONTRACT_RIGHT_IDS) <= files  # ids are never renamed nor removed


def test_a_new_right_is_one_file(tmp_path):
    folder = tmp_path / "rights"
    shutil.copytree(CATALOGUE_DIR, folder)
    assert errors(check_catalogue(folder, today=TODAY)) == []
    write_right(folder, NEW_RIGHT)
    assert NEW_RIGHT in load_catalogue(folder)
    # Its templates (the default reply) and the places still check clean.
    assert errors(check_catalogue(folder, today=TODAY)) == []
    assert errors(check_catalogue(folder, emitted_ids=[NEW_RIGHT], today=TODAY)) == []


def test_real_catalogue_fields_keep_working(catalogue):
    rsa = load_catalogue(catalogue)["rsa"]
    assert rsa.short_name == "RSA"
    assert rsa.links[0].url.startswith("https://")
    assert all(a.effective for a in rsa.amounts)
    assert "rsa" in rsa.aliases


def test_real_catalogue_templates_and_places_have_no_error(catalogue):
    issues = check_catalogue(catalogue, today=TODAY)
    assert errors(issues) == []


def test_real_catalogue_warnings_are_only_stale_amounts(catalogue):
    issues = check_catalogue(catalogue, today=TODAY)
    assert all("months ago" in i.message for i in issues)


# --- broken catalogues --------------------------------------------------------


def test_a_valid_file_has_no_issue(tmp_path):
    write_right(tmp_path)
    assert check(tmp_path) == []


def test_missing_key_is_an_error(tmp_path):
    write_right(tmp_path, drop="summary")
    (issue,) = errors(check(tmp_path))
    assert issue.key == "summary"
    assert issue.file.endswith("adt.toml")


def test_id_must_equal_the_file_name(tmp_path):
    write_right(tmp_path, rid="adt", file_name="autre")
    assert [i.key for i in errors(check(tmp_path))] == ["id"]


@pytest.mark.parametrize(
    "url",
    ["http://www.caf.fr/", "www.caf.fr", "https://", "https://caf fr/", "ftp://x.fr/"],
)
def test_bad_url_is_an_error(tmp_path, url):
    write_right(tmp_path, url=url)
    (issue,) = errors(check(tmp_path))
    assert issue.key == "links[0].url"
    assert "https" in issue.message


def test_undated_amount_is_an_error(tmp_path):
    path = write_right(tmp_path)
    text = path.read_text(encoding="utf-8").replace("effective = 2026-04-01\n", "")
    path.write_text(text, encoding="utf-8")
    (issue,) = errors(check(tmp_path))
    assert issue.key == "amounts[0].effective"
    assert "dated" in issue.message


def test_amount_date_as_a_string_is_an_error(tmp_path):
    write_right(tmp_path, effective='"2026-04-01"')
    (issue,) = errors(check(tmp_path))
    assert issue.key == "amounts[0].effective"


def test_stale_amount_is_a_warning(tmp_path):
    write_right(tmp_path, effective="2025-01-01")
    (issue,) = check(tmp_path)
    assert issue.severity == "warning"
    assert issue.key == "amounts[0].effective"
    assert "18 months" in issue.message


def test_amount_of_17_months_is_not_stale(tmp_path):
    write_right(tmp_path, effective="2025-06-30")
    assert check(tmp_path) == []


def test_unknown_emitted_id_is_an_error(tmp_path):
    write_right(tmp_path)
    (issue,) = errors(check(tmp_path, emitted_ids=["adt", "rsa_jeune"]))
    assert "rsa_jeune" in issue.message
    assert issue.file.endswith("rsa_jeune.toml")


def test_default_emitted_ids_are_the_contract_ids(tmp_path):
    write_right(tmp_path)
    issues = check_catalogue(tmp_path, templates=None, places=None, today=TODAY)
    assert len(errors(issues)) == len(CONTRACT_RIGHT_IDS)


def test_unknown_situation_tag_is_an_error(tmp_path):
    path = write_right(tmp_path)
    text = path.read_text(encoding="utf-8").replace('["precarity"]', '["precarite"]')
    path.write_text(text, encoding="utf-8")
    (issue,) = errors(check(tmp_path))
    assert issue.key == "situations"


def test_invalid_toml_is_an_error(tmp_path):
    (tmp_path / "casse.toml").write_text('id = "casse\n', encoding="utf-8")
    (issue,) = check(tmp_path)
    assert issue.is_error
    assert "TOML" in issue.message


def test_unknown_key_is_a_warning(tmp_path):
    path = write_right(tmp_path)
    path.write_text('sumary = "typo"\n' + path.read_text(encoding="utf-8"))
    (issue,) = check(tmp_path)
    assert (issue.severity, issue.key) == ("warning", "sumary")


def test_empty_folder_is_an_error(tmp_path):
    (issue,) = check(tmp_path)
    assert issue.is_error


def test_issue_reads_as_one_line_with_file_and_key():
    issue = Issue("error", "config/rights/rsa.toml", "links[0].url", "not https")
    assert str(issue) == "error: config/rights/rsa.toml [links[0].url]: not https"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.caf.fr/", True),
        ("https://www.service-public.fr/particuliers/vosdroits/F12242", True),
        ("http://www.caf.fr/", False),
        ("https://user@caf.fr/", False),
        ("https://localhost/", False),
        ("https://www.caf.fr/a b", False),
        ("", False),
    ],
)
def test_is_https_url(url, ok):
    assert is_https_url(url) is ok


def test_loader_still_raises_on_a_wrong_id(tmp_path):
    write_right(tmp_path, rid="adt", file_name="autre")
    with pytest.raises(ConfigError, match="file name"):
        load_catalogue(tmp_path)


def test_catalogue_dir_is_the_project_folder():
    assert CATALOGUE_DIR.name == "rights"
    assert (CATALOGUE_DIR / "rsa.toml").is_file()
