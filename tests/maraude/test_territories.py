"""Territories and teams (#16): placing leads, the worker's queue order, and
reply-time targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from maraude import db as mdb
from maraude.config import TargetsConfig, load_config
from maraude.db import users
from maraude.errors import InputError
from maraude.places import departement_of
from maraude.targets import overdue_hours, target_hours, target_level


def iso(delta: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_post(db, native_id: str, text: str) -> int:
    mdb.upsert_post(
        db,
        {
            "platform": "reddit",
            "site": "www.reddit.com",
            "source": "s",
            "native_id": native_id,
            "text": text,
            "content_hash": f"h-{native_id}",
            "created_at": iso(timedelta(hours=-1)),
        },
    )
    row = db.execute("SELECT id FROM posts WHERE native_id = ?", [native_id])
    return row.fetchone()[0]


def prediction(post_id: int, score: float, level: str | None = None) -> dict:
    labels = ["distress", "crisis"] if level else ["distress"]
    return {
        "post_id": post_id,
        "distress": score,
        "crisis": score if level else 0.0,
        "rights": 0.0,
        "labels": labels,
        "crisis_level": level,
        "rights_topics": [],
        "non_recours_form": None,
        "minor": False,
        "explanation": {},
    }


@pytest.fixture
def queue(db):
    """Six leads: two levels, each with a lead in 13, one unplaced, one in 59."""
    posts = [
        ("a", "je dors dehors à Lille, plus rien", 0.99, None),  # 59, top score
        ("b", "plus de courant, aucune idée de quoi faire", 0.9, None),  # unplaced
        ("c", "jsuis sur marseille et je tiens plus", 0.5, None),  # 13, lowest
        ("d", "à Lille je veux en finir", 0.95, "possible"),  # 59
        ("e", "à Marseille je veux en finir", 0.6, "possible"),  # 13
        ("f", "ce soir j'en finis", 0.4, "sure"),  # unplaced
    ]
    ids = {}
    for native_id, text, score, level in posts:
        ids[native_id] = add_post(db, native_id, text)
        mdb.save_predictions(db, [prediction(ids[native_id], score, level)], "m")
    mdb.add_user(db, "camille", "worker")
    mdb.add_user(db, "sam", "worker")
    return ids


def test_a_post_is_placed_in_the_departement_it_names():
    assert departement_of("jsuis sur marseille") == "13"
    assert departement_of("dans le 93, la caf me répond pas") == "93"
    assert departement_of("plus rien dans le frigo") is None


def test_leads_carry_their_departement(db, queue):
    by_post = {lead["post_id"]: lead["departement"] for lead in mdb.list_leads(db)}
    assert by_post[queue["a"]] == "59"
    assert by_post[queue["c"]] == "13"
    assert by_post[queue["b"]] is None


def test_territory_first_within_each_level_unplaced_next(db, queue):
    order = [lead["post_id"] for lead in mdb.list_leads(db, territories=["13"])]
    q = queue
    # Sure crisis first whatever its place; then possible crises, 13 before 59;
    # then the rest: 13, unplaced, elsewhere (despite the higher scores).
    assert order == [q["f"], q["e"], q["d"], q["c"], q["b"], q["a"]]


def test_without_territories_the_order_is_the_priority(db, queue):
    order = [lead["post_id"] for lead in mdb.list_leads(db)]
    q = queue
    assert order == [q["f"], q["d"], q["e"], q["a"], q["b"], q["c"]]


def test_next_lead_follows_the_workers_territories(db, queue):
    users.set_territories(db, "camille", ["13"])
    db.execute("UPDATE leads SET status = 'replied' WHERE crisis_level IS NOT NULL")
    first = mdb.claim_next(db, "camille")
    assert mdb.get_lead(db, first)["post_id"] == queue["c"]
    second = mdb.claim_next(db, "sam")  # no territories: the best score
    assert mdb.get_lead(db, second)["post_id"] == queue["a"]


def test_territories_and_team_are_checked_and_listed(db):
    mdb.add_user(db, "camille", "worker")
    assert users.set_territories(db, "camille", [" 2a", "13", "1", "13"]) == [
        "01",
        "13",
        "2A",
    ]
    users.set_team(db, "camille", " Nord-Est ")
    row = next(u for u in users.list_users(db) if u["username"] == "camille")
    assert row["territories"] == ["01", "13", "2A"]
    assert row["team"] == "Nord-Est"
    assert users.user_territories(db, "camille") == ["01", "13", "2A"]
    with pytest.raises(InputError, match="Unknown département '99'"):
        users.set_territories(db, "camille", ["99"])
    with pytest.raises(InputError, match="No user"):
        users.set_territories(db, "nobody", ["13"])


def test_the_migration_places_existing_leads(tmp_path):
    from sqlite_utils import Database

    from maraude.db.schema import migrations

    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m010_territories")
    for i, text in enumerate(["à Marseille je suis à la rue", "plus rien"], 1):
        add_post(old, str(i), text)
        old.execute(
            "INSERT INTO leads (post_id, crisis, score, labels, rights_topics, "
            "model_version, created_at, updated_at, priority) "
            "VALUES (?, 0, 0.5, '[\"distress\"]', '[]', 'm', ?, ?, 0.5)",
            [i, iso(), iso()],
        )
    old.close()
    db = mdb.open_db(path)
    rows = db.execute("SELECT post_id, departement FROM leads ORDER BY post_id")
    assert rows.fetchall() == [(1, "13"), (2, None)]


def test_reply_time_targets_come_from_the_config():
    config = load_config()
    assert target_hours(config.targets) == {
        "crisis": 4.0,
        "distress": 24.0,
        "rights": 72.0,
    }


def test_an_open_lead_past_its_target_is_overdue():
    hours = target_hours(TargetsConfig())
    lead = {
        "labels": ["distress", "crisis"],
        "crisis_level": "possible",
        "status": "new",
        "queued_at": iso(timedelta(hours=-5)),
    }
    assert target_level(lead) == "crisis"
    assert overdue_hours(lead, hours) == pytest.approx(1.0, abs=0.01)
    assert overdue_hours({**lead, "status": "replied"}, hours) is None
    distress = {**lead, "labels": ["distress"], "crisis_level": None}
    assert target_level(distress) == "distress"
    assert overdue_hours(distress, hours) is None  # 5 h of 24
    rights = {**distress, "labels": ["rights"], "queued_at": iso(timedelta(days=-4))}
    assert overdue_hours(rights, hours) == pytest.approx(24.0, abs=0.01)


def test_the_cli_sets_territories_and_team(db_path):
    from click.testing import CliRunner

    from maraude.cli import cli

    runner = CliRunner()
    args = ["--db", str(db_path)]
    typed = "un-mot-de-passe-long\nun-mot-de-passe-long\n"
    added = runner.invoke(
        cli,
        [
            "user",
            "add",
            "camille",
            "--role",
            "worker",
            "--territories",
            "13, 2a",
            *args,
        ],
        input=typed,
    )
    assert added.exit_code == 0, added.output
    team = runner.invoke(cli, ["user", "set", "camille", "--team", "Sud", *args])
    assert "Team of camille: Sud." in team.output
    bad = runner.invoke(
        cli,
        ["user", "add", "sam", "--role", "worker", "--territories", "99", *args],
        input=typed,
    )
    assert bad.exit_code == 1
    assert "Unknown département '99'" in bad.output
    changed = runner.invoke(
        cli, ["user", "set", "camille", "--territories", "59", "--team", "", *args]
    )
    assert changed.exit_code == 0, changed.output
    assert "Territories of camille: 59." in changed.output
    database = mdb.open_db(db_path)
    assert users.user_territories(database, "camille") == ["59"]
    assert mdb.get_user(database, "sam") is None  # nothing stored on a bad code
    listing = runner.invoke(cli, ["user", "list", *args]).output
    assert "camille" in listing
    assert " 59 " in listing
    assert "Sud" not in listing


def test_a_broken_places_directory_leaves_leads_unplaced(db, monkeypatch, caplog):
    from maraude import places
    from maraude.errors import ConfigError

    def broken(*args, **kwargs):
        raise ConfigError("config/places/ is missing")

    monkeypatch.setattr(places, "resolve_place", broken)
    monkeypatch.setattr(places, "_UNUSABLE", [])
    assert places.departement_of("à Marseille") is None
    assert places.departement_of("à Lille") is None
    warnings = [r for r in caplog.records if "unplaced" in r.getMessage()]
    assert len(warnings) == 1
