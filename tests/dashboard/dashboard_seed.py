"""A small seeded database for the dashboard tests, and helpers to read AppTest pages.

To try the dashboard on the same data:
``python -m tests.dashboard.dashboard_seed /tmp/maraude-try.db``, then
``MARAUDE_DB=/tmp/maraude-try.db streamlit run dashboard/app.py``
(users alice, bob: worker; sam: senior; mod, mia: moderators; ada: admin;
password :data:`PASSWORD`). ``--rich`` adds history for the Activity, Label and
Admin pages (past leads and replies, crawl runs, posts to label, two moderators'
labels that disagree, an opt-out request).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from maraude import db as mdb
from maraude.auth import hash_password
from maraude.privacy import content_hash

PASSWORD = "correct horse battery"  # noqa: S105 (a test password)

HOSTILE = (
    "<script>alert(1)</script> ![x](http://127.0.0.1:1/p.png) "
    "**gras** [clique](http://127.0.0.1:1/) <img src=x onerror=alert(2)>"
)

#: name → (platform, hours ago, title, text, prediction)
POSTS = {
    "rights": (
        "discourse",
        1,
        "RSA refusé ?",
        "Je ne sais pas si j'ai droit au RSA, je n'ose pas demander à la CAF. "
        "Écrivez-moi à jean.exemple@example.org",
        {"distress": 0.3, "crisis": 0.01, "rights": 0.92, "labels": ["rights"],
         "rights_topics": ["rsa", "not_in_catalogue"],
         "non_recours_form": "non_demande", "minor": False,
         "explanation": {"rights": {"rsa": ["droit au rsa"]}}},
    ),
    "crisis": (
        "reddit",
        30,
        "plus la force",
        "J'ai mis de côté les cachets, je veux en finir ce soir.",
        {"distress": 0.95, "crisis": 0.97, "rights": 0.05,
         "labels": ["distress", "crisis"], "crisis_level": "sure",
         "rights_topics": [], "non_recours_form": None, "minor": False,
         "explanation": {"crisis_phrases": ["en finir", "les cachets"]}},
    ),
    "hostile": (
        "mastodon",
        2,
        "<b>titre</b> ![t](http://127.0.0.1:1/t.png)",
        HOSTILE,
        {"distress": 0.8, "crisis": 0.02, "rights": 0.1, "labels": ["distress"],
         "rights_topics": [], "non_recours_form": None, "minor": False,
         "explanation": {"phrases": ["<script>"]}},
    ),
    "minor": (
        "reddit",
        3,
        "au collège",
        "J'ai 14 ans et chez moi ça crie tout le temps, je dors plus.",
        {"distress": 0.85, "crisis": 0.1, "rights": 0.0, "labels": ["distress"],
         "rights_topics": [], "non_recours_form": None, "minor": True,
         "explanation": {"minor": ["j'ai 14 ans"]}},
    ),
}  # fmt: skip


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)


USERS = (
    ("alice", "worker"),
    ("bob", "worker"),
    ("sam", "senior"),
    ("mod", "moderator"),
    ("mia", "moderator"),
    ("ada", "admin"),
)


def seed(path: str | Path, *, demo: bool = False, rich: bool = False) -> dict[str, int]:
    """Create the database at ``path``; lead ids by post name."""
    db = mdb.open_db(path)
    now = datetime.now(UTC)
    for name, (platform, hours, title, text, _) in POSTS.items():
        created = (now - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
        mdb.upsert_post(
            db,
            {
                "platform": platform,
                "site": f"{platform}.example.org",
                "source": f"{platform}_test",
                "native_id": name,
                "url": f"https://{platform}.example.org/p/{name}",
                "author_hash": content_hash(name),
                "title": title,
                "text": text,
                "lang": "fr",
                "created_at": created,
                "content_hash": content_hash(text),
            },
        )
    post_ids = {
        r["native_id"]: r["id"] for r in db.query("SELECT id, native_id FROM posts")
    }
    mdb.save_predictions(
        db,
        [{"post_id": post_ids[n], **p[4]} for n, p in POSTS.items()],
        "test-model",
    )
    names = {v: k for k, v in post_ids.items()}
    leads = {names[x["post_id"]]: x["id"] for x in mdb.list_leads(db, limit=None)}
    for username, role in USERS:
        mdb.add_user(db, username, role, password_hash())
    if demo:
        mdb.set_meta(db, "demo", "1")
    if rich:
        from tests.dashboard.rich_seed import add_history

        add_history(db)
    db.close()
    return leads


APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def elements(at: AppTest) -> list[tuple[str, str]]:
    """Every element of the page, in display order, as (type, text)."""
    found: list[tuple[str, str]] = []

    def walk(node: object) -> None:
        if isinstance(node, Block):
            for child in node.children.values():
                walk(child)
            return
        try:
            value = node.value  # type: ignore[attr-defined]
        except Exception:  # some widgets have no value outside a session
            value = None
        if hasattr(value, "to_csv"):  # a dataframe: its cells, as CSV text
            value = value.to_csv(index=False)
        parts = [getattr(node, "label", None), value]
        text = " ".join(str(x) for x in parts if x and not isinstance(x, bool))
        found.append((getattr(node, "type", "?"), text))

    for root in (at.main, at.sidebar):
        walk(root)
    return found


def sign_in(at: AppTest, username: str, password: str) -> None:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    at.run()


if __name__ == "__main__":
    print(seed(sys.argv[1], demo="--demo" in sys.argv, rich="--rich" in sys.argv))
