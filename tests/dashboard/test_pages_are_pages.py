"""``dashboard/pages`` holds only pages, and each role is offered the same pages,
titles, icons and order as before pages declared themselves (issue #13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2] / "dashboard"

QUEUE = ("queue.py", "File d'attente", ":material/inbox:", "")  # the default page
LEAD = ("lead.py", "Signalement", ":material/article:", "lead")
MINE = ("mine.py", "Mes signalements", ":material/assignment_ind:", "mine")
ESCALATED = ("escalated.py", "Transmis", ":material/priority_high:", "escalated")
LABEL = ("label.py", "Étiqueter", ":material/label:", "label")
ADJUDICATION = ("adjudication.py", "Arbitrage", ":material/balance:", "adjudication")
ACTIVITY = ("activity.py", "Activité", ":material/monitoring:", "activity")
REPORT = ("report.py", "Rapport mensuel", ":material/summarize:", "report")
ADMIN = ("admin.py", "Administration", ":material/settings:", "admin")

#: Each seeded user (one per role), and the pages offered, in sidebar order:
#: (file, title, icon, URL path). Pinned before the pages declared themselves.
OFFERED = {
    "alice": [QUEUE, LEAD, MINE, ACTIVITY],  # worker
    "sam": [QUEUE, LEAD, MINE, ESCALATED, ADJUDICATION, ACTIVITY, REPORT],  # senior
    "mod": [QUEUE, LEAD, LABEL, ADJUDICATION, ACTIVITY],  # moderator
    "ada": [
        QUEUE, LEAD, MINE, ESCALATED, LABEL, ADJUDICATION, ACTIVITY, REPORT, ADMIN
    ],  # admin
}  # fmt: skip


def offered(at: AppTest) -> list[tuple[str, str, str, str]]:
    """The pages st.navigation registered on the last run, in order."""
    return [
        (
            Path(str(info["script_path"])).name,
            str(info["page_name"]),
            str(info["icon"]),
            str(info["url_pathname"]),
        )
        # AppTest has no public accessor for the registered pages.
        for info in at._registered_pages.values()
    ]


@pytest.mark.parametrize("username", list(OFFERED))
def test_each_role_is_offered_the_same_pages_as_before(app, leads, username):
    at = app(username)
    assert not at.exception
    assert offered(at) == OFFERED[username]


def test_every_file_of_pages_is_offered_to_someone() -> None:
    files = {p.name for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py"}
    pinned = {page[0] for pages in OFFERED.values() for page in pages}
    assert files, "no page found"
    assert files == pinned, (
        f"not pinned: {sorted(files - pinned)}; missing files: {sorted(pinned - files)}"
    )
