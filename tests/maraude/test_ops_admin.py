"""Administration (maraude.ops.admin, maraude.ops.users): admin role only
(server-side), audited; handles hashed, never kept. Moved from the dashboard's
admin action tests, assertions kept."""

from __future__ import annotations

import dataclasses
import json

import pytest

from maraude import db as mdb
from maraude.auth import verify_password
from maraude.config import CrawlConfig, load_config
from maraude.errors import InputError, PermissionDenied, SecretMissingError
from maraude.ops import admin
from maraude.ops import users as accounts
from maraude.privacy import author_hash, url_hash
from tests.maraude.ops_fixtures import db as db  # the fixtures
from tests.maraude.ops_fixtures import db_path as db_path
from tests.maraude.ops_fixtures import leads as leads

ADA = {"username": "ada", "role": "admin"}
SECRET = "test-secret-0123456789abcdef"  # noqa: S105 (tests/conftest.py's key)
HANDLE = "loutre_bleue_75"


@pytest.fixture
def config(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "forum-a"\nplatform = "rss"\nurl = "https://a.example/f"\n'
        '\n[[sources]]\nname = "forum-b"\nplatform = "rss"\nenabled = false\n'
        'url = "https://b.example/f"\n',
        encoding="utf-8",
    )
    base = load_config()
    return dataclasses.replace(base, crawl=CrawlConfig(sources_file=str(sources)))


def entries(db, action: str) -> list[dict]:
    return [e for e in mdb.audit_entries(db, 1000) if e["action"] == action]


@pytest.mark.parametrize("role", ["worker", "senior", "moderator"])
@pytest.mark.parametrize(
    ("action", "args"),
    [
        (admin.view, ()),
        (accounts.users, ()),
        (accounts.add_user, ("eve", "admin", "une longue phrase")),
        (accounts.set_role, ("alice", "admin")),
        (accounts.set_enabled, ("alice", False)),
        (admin.set_source, ("forum-a", "rss", False)),
        (admin.optout_counts, ()),
        (admin.add_optout, (HANDLE, "reddit")),
        (admin.requests, ()),
        (admin.log_request, ("2026-11-20", "email", "ticket 1")),
        (admin.confirm_request, (1, "2026-11-21")),
    ],
)
def test_only_an_admin_may_administer(db, role, action, args):
    user = {"username": "intruder", "role": role}
    with pytest.raises(PermissionDenied, match=role):
        action(db, user, *args)
    assert mdb.get_user(db, "eve") is None
    assert mdb.get_user(db, "alice")["role"] == "worker"
    assert mdb.optout_counts(db) == {"author": 0, "url": 0}
    (denied,) = mdb.audit_entries(db)
    assert (denied["username"], denied["action"]) == ("intruder", "denied")


def test_sources_need_the_admin_role_too(db, config):
    with pytest.raises(PermissionDenied):
        admin.sources(db, {"username": "sam", "role": "senior"}, config)


def test_add_a_user_with_a_password(db):
    with pytest.raises(InputError, match="too short"):
        accounts.add_user(db, ADA, "eve", "worker", "court")
    with pytest.raises(InputError, match="username"):
        accounts.add_user(db, ADA, "<b>", "worker", "une longue phrase")
    accounts.add_user(db, ADA, "eve", "moderator", "une longue phrase")
    row = mdb.get_user(db, "eve")
    assert row["role"] == "moderator"
    assert verify_password(row["password_hash"], "une longue phrase")
    (added,) = entries(db, "user_added")
    assert (added["object_id"], json.loads(added["detail"])) == (
        "eve",
        {"role": "moderator"},
    )
    assert "longue" not in json.dumps(mdb.audit_entries(db))


def test_change_a_role_and_disable_then_enable(db):
    accounts.set_role(db, ADA, "alice", "senior")
    assert mdb.get_user(db, "alice")["role"] == "senior"
    accounts.set_enabled(db, ADA, "alice", False)
    assert mdb.get_user(db, "alice")["disabled"] == 1
    accounts.set_enabled(db, ADA, "alice", True)
    assert mdb.get_user(db, "alice")["disabled"] == 0
    assert [e["action"] for e in reversed(mdb.audit_entries(db))] == [
        "user_role_set",
        "user_disabled",
        "user_enabled",
    ]


def test_the_last_admin_cannot_be_demoted_or_disabled(db):
    with pytest.raises(InputError, match="own account"):
        accounts.set_enabled(db, ADA, "ada", False)
    with pytest.raises(InputError, match="last enabled administrator"):
        mdb.set_user_enabled(db, "ada", False)
    with pytest.raises(InputError, match="last enabled administrator"):
        accounts.set_role(db, ADA, "ada", "worker")
    accounts.set_role(db, ADA, "sam", "admin")
    accounts.set_role(db, ADA, "ada", "worker")  # sam is an admin now
    assert mdb.get_user(db, "ada")["role"] == "worker"


def test_sources_join_the_toml_with_their_state(db, config):
    mdb.start_crawl_run(db, "forum-a", "rss")
    rows = {r["name"]: r for r in admin.sources(db, ADA, config)}
    assert rows["forum-a"]["enabled"] is True
    assert rows["forum-b"]["enabled"] is False
    admin.set_source(db, ADA, "forum-a", "rss", False)
    admin.set_source(db, ADA, "forum-b", "rss", True)
    rows = {r["name"]: r for r in admin.sources(db, ADA, config)}
    assert (rows["forum-a"]["override"], rows["forum-a"]["enabled"]) == (False, False)
    assert (rows["forum-b"]["override"], rows["forum-b"]["enabled"]) == (True, True)
    assert mdb.source_enabled_override(db, "forum-b") is True
    admin.set_source(db, ADA, "forum-b", "rss", None)  # follow the TOML again
    assert mdb.source_enabled_override(db, "forum-b") is None
    overrides = [json.loads(e["detail"]) for e in entries(db, "source_override")]
    assert overrides == [{"enabled": None}, {"enabled": True}, {"enabled": False}]


def test_an_optout_handle_is_hashed_like_the_crawler_does(db):
    assert admin.add_optout(db, ADA, f"@{HANDLE}", "reddit")
    assert not admin.add_optout(db, ADA, HANDLE, "reddit")  # already there
    assert admin.add_optout(db, ADA, "https://forum.example.org/t/1/", "forum")
    hashes = mdb.optout_hashes(db)
    assert author_hash(SECRET, "reddit", "www.reddit.com", HANDLE) in hashes
    assert url_hash(SECRET, "https://forum.example.org/t/1") in hashes
    assert mdb.optout_counts(db) == {"author": 1, "url": 1}
    dumped = json.dumps(mdb.audit_entries(db))
    assert HANDLE not in dumped
    assert "forum.example.org" not in dumped


def test_an_optout_on_a_forum_uses_its_site(db):
    admin.add_optout(db, ADA, HANDLE, "forum", "Forum.Example.org")
    expected = author_hash(SECRET, "forum", "forum.example.org", HANDLE)
    assert mdb.optout_hashes(db) == {expected}


def test_without_the_secret_the_optout_is_refused(db, monkeypatch):
    monkeypatch.delenv("MARAUDE_SECRET")
    assert "MARAUDE_SECRET" in admin.secret_problem()
    with pytest.raises(SecretMissingError):
        admin.add_optout(db, ADA, HANDLE, "reddit")
    assert mdb.optout_hashes(db) == set()


def test_an_optout_request_is_logged_acted_on_and_confirmed(db):
    request = admin.log_request(db, ADA, "2026-11-20", "email", "ticket 2031")
    with pytest.raises(InputError, match="add its register entry first"):
        admin.confirm_request(db, ADA, request, "2026-11-21")
    admin.add_optout(db, ADA, HANDLE, "reddit", request_id=request)
    admin.confirm_request(db, ADA, request, "2026-11-21")
    (row,) = admin.requests(db, ADA)
    assert (row["status"], row["entry_kind"], row["confirmed_on"]) == (
        "confirmed",
        "author",
        "2026-11-21",
    )
    assert HANDLE not in json.dumps(row)
    actions = [e["action"] for e in reversed(mdb.audit_entries(db))]
    assert actions == [
        "optout_request_logged",
        "optout_added",
        "optout_request_confirmed",
    ]


@pytest.mark.parametrize(
    "reference", ["@loutre", "https://reddit.com/u/loutre", "/u/loutre", "  "]
)
def test_a_request_reference_never_holds_a_handle_or_url(db, reference):
    with pytest.raises(InputError):
        admin.log_request(db, ADA, "2026-11-20", "email", reference)
    assert admin.requests(db, ADA) == []


def test_an_unknown_channel_is_refused(db):
    with pytest.raises(InputError, match="channel"):
        admin.log_request(db, ADA, "2026-11-20", "pigeon", "ticket 1")
