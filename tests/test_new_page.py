"""A new dashboard page is its page file (plus its test).

A copy of ``dashboard/`` in a temporary folder gets one more file in
``pages/``, declaring itself with its ``PAGE`` literal and reusing an existing
action: the app offers it to the roles allowed that action and to no other,
with no other file edited (the project's own tree is left untouched). A page
file without a valid declaration is a clear error naming the file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.navigation import discover, read_page
from maraude import vocab
from maraude.errors import ConfigError
from tests.dashboard.dashboard_seed import PASSWORD, seed, sign_in

ROOT = Path(__file__).resolve().parents[1]

HEADER = '"""A page invented for this test."""\n\nimport streamlit as st\n\n'
PAGE = (
    HEADER + 'PAGE = {"title": "Page d\'essai", "icon": ":material/science:",'
    ' "action": "report_view", "order": 85}\n\n'
    'st.title("Page d\'essai")\n'
)


@pytest.fixture
def dashboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of dashboard/ with one more page, and a seeded database."""
    copy = tmp_path / "dashboard"
    shutil.copytree(
        ROOT / "dashboard", copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    (copy / "pages" / "essai.py").write_text(PAGE, encoding="utf-8")
    db_path = tmp_path / "maraude.db"
    monkeypatch.setenv("MARAUDE_DB", str(db_path))
    seed(db_path)
    return copy


def signed_in(app: Path, username: str) -> AppTest:
    at = AppTest.from_file(str(app), default_timeout=30)
    at.run()
    sign_in(at, username, PASSWORD)
    assert not at.exception
    return at


def test_a_new_page_file_is_offered_to_the_roles_allowed_its_action(dashboard):
    assert vocab.roles_for("report_view") == {"senior", "admin"}
    assert "essai" not in {page.slug for page in discover(ROOT / "dashboard" / "pages")}
    pages = discover(dashboard / "pages")
    assert [page.slug for page in pages][-3:] == ["report", "essai", "admin"]

    at = signed_in(dashboard / "app.py", "sam")  # a senior: allowed report_view
    at.switch_page("pages/essai.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Page d'essai"]

    at = signed_in(dashboard / "app.py", "alice")  # a worker: not allowed
    with pytest.raises(ValueError, match="Known pages"):
        at.switch_page("pages/essai.py")
    assert not (ROOT / "dashboard" / "pages" / "essai.py").exists()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (HEADER + 'st.title("sans déclaration")\n', "no PAGE declaration"),
        (PAGE.replace('"report_view"', '"lire"'), "unknown action 'lire'"),
        (PAGE.replace('"order": 85', '"ordre": 85'), "PAGE lacks order"),
        (
            PAGE.replace('"order": 85', '"order": "85"'),
            "PAGE['order'] must be of type int",
        ),
        (PAGE.replace('"Page d\'essai",', 'st.title("x"),'), "not a plain literal"),
        (HEADER + "PAGE = [1]\n", "PAGE is not a dict"),
        (HEADER + "def oops(:\n", "cannot be read"),
    ],
)
def test_a_page_file_without_a_valid_declaration_says_what_to_write(
    tmp_path, text, problem
):
    path = tmp_path / "essai.py"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_page(path)
    message = str(err.value)
    assert str(path) in message
    assert problem in message
    assert 'PAGE = {"title": ' in message  # what to write
    assert "maraude.vocab.PERMISSIONS" in message


def test_the_app_shows_which_page_file_is_wrong(dashboard):
    (dashboard / "pages" / "essai.py").write_text(
        PAGE.replace('"report_view"', '"lire"'), encoding="utf-8"
    )
    at = AppTest.from_file(str(dashboard / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception
    (error,) = at.error
    assert "essai.py" in error.value
    assert "unknown action 'lire'" in error.value
