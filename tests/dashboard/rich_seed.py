"""History for the Activity, Label and Admin pages (``seed(path, rich=True)``).

Invented French posts only. Dates are moved into the past with plain SQL here,
in test data: the application itself never writes SQL outside ``maraude.db``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from maraude import db as mdb
from maraude.privacy import content_hash

FMT = "%Y-%m-%dT%H:%M:%SZ"

#: Posts the model hesitates on (not leads): (text, distress, crisis, rights).
POOL = (
    ("Je comprends rien aux papiers de la CAF, je sais pas si je peux demander "
     "quelque chose pour le loyer.", 0.35, 0.02, 0.52),
    ("Je comprends rien aux papiers de la CAF, je sais pas si je peux demander "
     "quelque chose pour le loyer !!", 0.36, 0.02, 0.51),
    ("Depuis que j'ai perdu mon travail je dors mal et je mange plus vraiment.",
     0.47, 0.08, 0.2),
    ("Quelqu'un sait combien de temps met la MDPH pour répondre pour l'AAH ?",
     0.2, 0.01, 0.55),
    ("Ma fille de 16 ans veut partir de la maison, je suis perdue.", 0.58, 0.1, 0.05),
    ("Le chauffage est coupé depuis une semaine, on a froid avec les enfants.",
     0.44, 0.03, 0.4),
    ("Bon plan resto pas cher à Lyon ce week-end ?", 0.02, 0.0, 0.03),
    ("J'ai reçu un courrier de la CPAM que je comprends pas, ça parle de la "
     "complémentaire santé solidaire.", 0.3, 0.0, 0.46),
    ("Plus d'argent sur le compte le 10 du mois, je saute des repas.",
     0.53, 0.05, 0.45),
    ("Mon propriétaire veut me mettre dehors, j'ai nulle part où aller.",
     0.61, 0.12, 0.48),
    ("Je suis étudiant et je sais pas si j'ai droit à une bourse ou pas.",
     0.15, 0.0, 0.57),
    ("Personne ne répond au 115 depuis deux jours.", 0.56, 0.2, 0.42),
)  # fmt: skip

PLATFORMS = ("reddit", "discourse", "mastodon", "forum")
TOPICS = (("rsa",), ("aah",), ("aides_logement",), (), ("cheque_energie",), ("css",))


def _iso(dt: datetime) -> str:
    return dt.strftime(FMT)


def _post(db: Database, platform: str, native_id: str, text: str, when: str) -> int:
    mdb.upsert_post(
        db,
        {
            "platform": platform,
            "site": f"{platform}.example.org",
            "source": f"{platform}_test",
            "native_id": native_id,
            "url": f"https://{platform}.example.org/p/{native_id}",
            "author_hash": content_hash(native_id),
            "title": None,
            "text": text,
            "lang": "fr",
            "created_at": when,
            "content_hash": content_hash(text),
        },
    )
    return db.execute(
        "SELECT id FROM posts WHERE platform = ? AND native_id = ?",
        [platform, native_id],
    ).fetchone()[0]


def _prediction(post_id: int, d: float, c: float, r: float, **extra) -> dict:
    labels = [k for k, v in (("distress", d), ("crisis", c), ("rights", r)) if v > 0.7]
    return {
        "post_id": post_id,
        "distress": d,
        "crisis": c,
        "rights": r,
        "labels": labels,
        "rights_topics": [],
        "non_recours_form": None,
        "minor": False,
        "explanation": {},
        **extra,
    }


def add_pool(db: Database, now: datetime) -> list[int]:
    ids = []
    for i, (text, *_) in enumerate(POOL):
        when = _iso(now - timedelta(hours=i))
        ids.append(_post(db, "forum", f"pool{i}", text, when))
    preds = [_prediction(pid, *POOL[i][1:]) for i, pid in enumerate(ids)]
    mdb.save_predictions(db, preds, "test-model")
    return ids


def add_past_leads(db: Database, now: datetime) -> None:
    """30 leads over ten days: most replied within hours, some not relevant."""
    for i in range(30):
        created = now - timedelta(days=i % 10, hours=3 + i % 7)
        platform = PLATFORMS[i % len(PLATFORMS)]
        topics = list(TOPICS[i % len(TOPICS)])
        crisis = 0.9 if i % 9 == 0 else 0.1
        pid = _post(
            db, platform, f"past{i}", f"Message passé numéro {i}.", _iso(created)
        )
        pred = _prediction(pid, 0.8 if i % 3 else 0.4, crisis, 0.85 if topics else 0.2)
        pred["rights_topics"] = topics
        mdb.save_predictions(db, [pred], "test-model")
        if i % 5 == 4:
            status, replied = "not_relevant", None
        else:
            status, replied = "replied", _iso(created + timedelta(hours=1 + i % 13))
        db.execute(
            "UPDATE leads SET created_at = ?, status = ?, replied_at = ?, "
            "claimed_by = ?, touched = 1, updated_at = ? WHERE post_id = ?",
            [_iso(created), status, replied, "alice", _iso(created), pid],
        )


def add_crawl_runs(db: Database, now: datetime) -> None:
    plan = {
        "reddit-entraide": ("reddit", 0, "ok"),
        "forum-entraide": ("forum", 3, "errors"),
        "mastodon-local": ("mastodon", 0, "failed"),
    }
    for source, (platform, errors, last) in plan.items():
        for k in range(14, -1, -1):  # every 12 hours for a week, oldest first
            run = mdb.start_crawl_run(db, source, platform)
            status = last if k == 0 else ("errors" if errors and k % 4 == 0 else "ok")
            new = 0 if status == "failed" else 4 + (k * 7) % 9
            stats = {"requests": 10, "new": new, "errors": errors if k % 4 == 0 else 0}
            mdb.finish_crawl_run(db, run, status, stats)
            started = now - timedelta(hours=12 * k + 1)
            db.execute(
                "UPDATE crawl_runs SET started_at = ?, finished_at = ? WHERE id = ?",
                [_iso(started), _iso(started + timedelta(minutes=3)), run],
            )
            db.execute(
                "UPDATE sources SET last_run_at = ? WHERE name = ?",
                [_iso(started + timedelta(minutes=3)), source],
            )


def add_labels(db: Database, pool: list[int]) -> None:
    """mod and mia both label three posts and disagree on one."""
    no = {"distress": 0, "crisis": 0, "rights": 0, "minor": 0}
    plan = [
        (pool[3], {**no, "rights": 1, "rights_topics": ["aah"]}, None),
        (pool[6], no, None),
        (pool[4], {**no, "distress": 1, "minor": 0}, {**no, "distress": 1, "minor": 1}),
    ]
    for post_id, first, second in plan:
        item = mdb.label_item(db, post_id)
        mdb.add_item_label(db, item, first, "mod", "moderator")
        mdb.add_item_label(db, item, second or first, "mia", "moderator")


def add_history(db: Database) -> None:
    now = datetime.now(UTC)
    pool = add_pool(db, now)
    add_past_leads(db, now)
    add_crawl_runs(db, now)
    add_labels(db, pool)
    # The seeded crisis has waited 40 minutes; bob holds the minor's lead.
    db.execute(
        "UPDATE leads SET created_at = ? WHERE crisis = 1 AND status = 'new'",
        [_iso(now - timedelta(minutes=40))],
    )
    minor = db.execute("SELECT id FROM leads WHERE minor = 1").fetchone()[0]
    mdb.claim_lead(db, minor, "bob", 45)
    mdb.set_source_enabled(db, "reddit-local", "reddit", True)
    request = mdb.log_optout_request(db, _iso(now)[:10], "email", "ticket 2031", "ada")
    mdb.add_optout(db, "author", content_hash("someone who asked"))
    mdb.mark_optout_acted(db, request, "author", "ada")
    mdb.log_optout_request(db, _iso(now)[:10], "reply", "fil 88, réponse STOP", "ada")
