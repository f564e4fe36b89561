"""One operations layer (#13): the command line and the dashboard meet the same
rules for the same operation, and every operation writes exactly one audit line."""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from maraude import db as mdb
from maraude import ops
from maraude.cli import cli
from maraude.config import load_config
from maraude.errors import InputError, PermissionDenied
from maraude.ops import Actor, admin, desk, labels
from maraude.ops import users as accounts
from tests.maraude.ops_fixtures import db as db  # the fixtures
from tests.maraude.ops_fixtures import db_path as db_path
from tests.maraude.ops_fixtures import leads as leads

ADA = {"username": "ada", "role": "admin"}
ALICE = {"username": "alice", "role": "worker"}
BOB = {"username": "bob", "role": "worker"}
SAM = {"username": "sam", "role": "senior"}
MOD = {"username": "mod", "role": "moderator"}
MIA = {"username": "mia", "role": "moderator"}
PASSWORD = "une longue phrase"  # noqa: S105 (a test password)
NOTHING = {"distress": False, "crisis": False, "rights": False, "minor": False}


def cli_add(db_path, username: str, password: str = PASSWORD):
    typed = f"{password}\n{password}\n"
    args = ["user", "add", username, "--role", "worker", "--db", str(db_path)]
    return CliRunner().invoke(cli, args, input=typed)


def dashboard_error(call, *args) -> str:
    with pytest.raises(InputError) as caught:
        call(*args)
    return str(caught.value)


def user_count(db) -> int:
    return db.execute("SELECT count(*) FROM users").fetchone()[0]


@pytest.mark.parametrize("username", ["<b>", "x", "y" * 41, "camille martin", "a/b"])
def test_a_bad_username_is_refused_alike_by_the_cli_and_the_dashboard(
    db, db_path, username
):
    before = user_count(db)
    message = dashboard_error(accounts.add_user, db, ADA, username, "worker", PASSWORD)
    assert "2 to 40 letters" in message
    result = cli_add(db_path, username)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert user_count(db) == before


def test_a_short_password_is_refused_alike(db, db_path):
    message = dashboard_error(accounts.add_user, db, ADA, "eve", "worker", "court")
    result = cli_add(db_path, "eve", "court")
    assert result.exit_code == 1
    assert message in result.output
    assert mdb.get_user(db, "eve") is None


def test_a_good_username_is_accepted_alike_and_audited_alike(db, db_path):
    accounts.add_user(db, ADA, "camille.b-2", "worker", PASSWORD)
    result = cli_add(db_path, "dom_3")
    assert result.exit_code == 0, result.output
    added = [e for e in mdb.audit_entries(db) if e["action"] == "user_added"]
    assert [(e["object_id"], json.loads(e["detail"])) for e in added] == [
        ("dom_3", {"role": "worker"}),
        ("camille.b-2", {"role": "worker"}),
    ]
    assert added[0]["username"].startswith("cli")
    assert added[1]["username"] == "ada"


def test_the_last_admin_cannot_be_disabled_from_either_side(db, db_path):
    other_admin = Actor("root", "admin")  # an administrator with no account row
    message = dashboard_error(accounts.set_enabled, db, other_admin, "ada", False)
    assert "last enabled administrator" in message
    result = CliRunner().invoke(cli, ["user", "disable", "ada", "--db", str(db_path)])
    assert result.exit_code == 1
    assert message in result.output
    assert mdb.get_user(db, "ada")["disabled"] == 0


def test_an_optout_on_an_unknown_platform_is_refused_alike(db, db_path):
    message = dashboard_error(admin.add_optout, db, ADA, "loutre", "redit")
    assert "reddit" in message
    result = CliRunner().invoke(
        cli, ["optout", "add", "loutre", "--platform", "redit", "--db", str(db_path)]
    )
    assert result.exit_code == 1
    assert message in result.output
    assert mdb.optout_counts(db) == {"author": 0, "url": 0}
    assert admin.add_optout(db, ADA, "loutre", " Reddit ")  # case and spaces


@pytest.mark.parametrize("who", [ADA, Actor("ada", "admin")])
def test_nobody_disables_their_own_account_whatever_the_actor_type(db, who):
    accounts.set_role(db, ADA, "sam", "admin")  # ada is not the last admin
    message = dashboard_error(accounts.set_enabled, db, who, "ada", False)
    assert message == "You cannot disable your own account."
    assert mdb.get_user(db, "ada")["disabled"] == 0


def test_the_cli_acts_as_an_administrator_named_after_the_system_user():
    actor = ops.command_line()
    assert actor.role == "admin"
    assert actor.username == "cli" or actor.username.startswith("cli:")


def test_a_refusal_is_audited_for_a_dict_and_an_actor_alike(db, leads):
    for who in (MOD, Actor("mod", "moderator")):
        with pytest.raises(PermissionDenied, match="moderator"):
            desk.claim(db, who, leads["rights"], 45)
    denied = [e for e in mdb.audit_entries(db) if e["action"] == "denied"]
    assert [(e["username"], json.loads(e["detail"])) for e in denied] == [
        ("mod", {"action": "claim"}),
        ("mod", {"action": "claim"}),
    ]


# -- one audit line per operation ------------------------------------------------------

#: Operations that change nothing: they audit a refusal only.
READS = {
    "desk.escalated_list",
    "labels.next_batch",
    "labels.still_to_label",
    "labels.agreement",
    "labels.disagreements",
    "users.users",
    "admin.sources",
    "admin.optout_counts",
    "admin.requests",
}
#: Helpers that take no actor, or only wrap another operation.
HELPERS = {
    "desk.can_act",
    "desk.is_senior",
    "labels.normalise",
    "users.check_username",
    "admin.secret_problem",
    "admin.known_platform",
    "admin.known_platforms",
    "admin.add_optout",  # register_optout's True/False
}


def operations() -> set[str]:
    """Every public function of the operations modules, as ``module.name``."""
    found = set()
    for module in (desk, labels, accounts, admin):
        short = module.__name__.rsplit(".", 1)[1]
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                found.add(f"{short}.{name}")
    return found


def test_every_operation_writes_exactly_one_audit_line(db, leads):
    done: set[str] = set()

    def once(fn, *args, **kwargs):
        before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        result = fn(*args, **kwargs)
        after = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        name = f"{fn.__module__.rsplit('.', 1)[1]}.{fn.__name__}"
        assert after - before == 1, name
        done.add(name)
        return result

    crisis, rights, minor = leads["crisis"], leads["rights"], leads["minor"]
    # the desk
    once(desk.view_lead, db, ALICE, rights)
    once(desk.list_leads, db, ALICE)
    once(desk.page_view, db, ALICE, "activity")
    once(desk.claim, db, ALICE, rights, 45)
    once(desk.release, db, ALICE, rights)
    assert once(desk.next_lead, db, ALICE, 45) == crisis
    once(desk.note, db, ALICE, crisis, "vu")
    once(desk.escalate, db, ALICE, crisis, "besoin d'un avis")
    once(desk.take, db, SAM, crisis)
    once(desk.give_back, db, SAM, crisis)
    desk.take(db, SAM, crisis)
    once(desk.send_back, db, SAM, crisis, "à reprendre")
    desk.claim(db, ALICE, minor, 45)
    once(desk.reply, db, ALICE, minor, "Bonjour")
    once(desk.record_outcome, db, ALICE, minor, "answered")
    desk.claim(db, BOB, rights, 45)
    once(desk.not_relevant, db, BOB, rights)
    desk.claim(db, ALICE, crisis, 45)
    desk.escalate(db, ALICE, crisis, "encore")
    desk.take(db, SAM, crisis)
    once(desk.close, db, SAM, crisis, "fini")
    # labels
    (post,) = labels.next_batch(db, MOD, 1)
    once(labels.view_item, db, MOD, post)
    once(labels.skip, db, MOD, post)
    once(labels.save_label, db, MOD, post, {**NOTHING, "minor": True})
    once(labels.save_label, db, MIA, post, NOTHING)
    (found,) = labels.disagreements(db, SAM)
    once(labels.view_disagreement, db, SAM, found["item_key"])
    once(labels.adjudicate, db, SAM, found["item_key"], NOTHING)
    once(labels.export_labels, db, ADA)
    # accounts
    once(accounts.add_user, db, ADA, "eve", "worker", PASSWORD, territories=["13"])
    once(accounts.set_role, db, ADA, "eve", "senior")
    once(accounts.set_enabled, db, ADA, "eve", False)
    once(accounts.set_password, db, ADA, "eve", "une autre longue phrase")
    once(accounts.set_territories, db, ADA, "eve", ["84"], "Sud")
    once(accounts.set_team, db, ADA, "eve", "Nord")
    # administration
    once(admin.view, db, ADA)
    once(admin.set_source, db, ADA, "forum-a", "rss", False)
    request = once(admin.log_request, db, ADA, "2026-11-20", "email", "ticket 1")
    once(admin.register_optout, db, ADA, "loutre", "reddit", request_id=request)
    once(admin.confirm_request, db, ADA, request, "2026-11-21")
    policy = mdb.Policy(**dataclasses.asdict(load_config().privacy))
    once(admin.purge, db, ADA, policy)
    once(admin.record_recheck, db, ADA, 3, 1)

    assert operations() - READS - HELPERS == done


def test_the_operations_layer_imports_no_stage_and_no_streamlit():
    code = (
        "import sys, maraude.ops.desk, maraude.ops.labels, maraude.ops.users, "
        "maraude.ops.admin\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('streamlit', 'dashboard', 'crawlers', 'classifier', 'torch', 'scrapy'))\n"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
