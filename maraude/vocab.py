"""The one vocabulary of Maraude: every shared list lives here, nowhere else.

Labels, forms, crisis levels, lead statuses, roles and the permission of each
action, dashboard pages and who sees them, platforms, forum engines. The
database schema, the classifier, the crawlers, the CLI's ``click.Choice`` lists
and the dashboard derive theirs from this module; ``tests/test_vocab.py``
checks that the spider registry, the source schema and the database agree with
it. The names are those of ``docs/contracts.md``.
"""

from __future__ import annotations

from typing import Final

# --- Labels and forms (contracts.md, "Labels and ids") ---------------------

#: What a moderator labels and a model learns: the three output labels, then
#: ``minor`` (the writer says they are under 18). A crisis is always distress.
LABELS: Final = ("distress", "crisis", "rights", "minor")
#: The labels a model scores and a lead carries (``maraude predict``'s scores).
OUTPUT_LABELS: Final = ("distress", "crisis", "rights")
#: The forms of non-recours (``non_recours_form``; null when none).
FORMS: Final = ("non_connaissance", "non_demande", "non_reception", "non_proposition")
#: Crisis levels, surest first: ``sure`` alerts seniors, ``possible`` is reviewed.
CRISIS_LEVELS: Final = ("sure", "possible")

# --- Leads -----------------------------------------------------------------

#: Every status of a lead (the ``leads.status`` CHECK constraint).
LEAD_STATUSES: Final = (
    "new",
    "claimed",
    "replied",
    "not_relevant",
    "escalated",
    "closed",
)
#: Statuses of a lead still to handle: the queue and ``maraude leads`` by default.
OPEN_STATUSES: Final = ("new", "claimed", "escalated")
#: Statuses of a lead decided by someone (the Activity page's "decided" count).
DECIDED_STATUSES: Final = ("replied", "not_relevant", "escalated", "closed")
#: Statuses of a lead finished with: retention may delete its post.
CLOSED_STATUSES: Final = ("replied", "not_relevant", "closed")
#: What came of a reply (the ``leads.outcome`` CHECK constraint).
OUTCOMES: Final = ("answered", "oriented", "no_news")
#: How an opt-out request reached the organisation.
CHANNELS: Final = ("email", "reply", "message", "form", "letter", "phone", "other")
#: How two stored posts are copies of one another (``post_links.kind``).
LINK_KINDS: Final = ("exact", "near", "retweet")

# --- Platforms (contracts.md, "Sources") -----------------------------------

#: The project's own crawled platforms (docs, the opt-out check): one spider
#: each (``crawlers/spiders/<platform>.py``, Scrapy's ``name``), the
#: ``platform`` of a ``[[sources]]`` table. A new platform needs no line here:
#: the crawl finds its spider in Scrapy's registry, the dashboard offers the
#: platforms of the stored posts (tests/test_new_platform.py).
PLATFORMS: Final = (
    "reddit",
    "discourse",
    "mastodon",
    "bluesky",
    "rss",
    "telegram",
    "forum",
    "twitch",
    "youtube",
)
#: Platforms of Zeeschuimer imports (``maraude import``), never crawled.
IMPORT_PLATFORMS: Final = (
    "tiktok",
    "instagram",
    "x",
    "threads",
    "linkedin",
    "facebook",
)
#: Forum engines a ``forum`` source may name (``engine = …``).
FORUM_ENGINES: Final = (
    "phpbb",
    "vbulletin",
    "xenforo",
    "forumotion",
    "smf",
    "invision",
)
#: CSS selectors a ``forum`` source gives instead of an engine (``selectors = {…}``).
FORUM_SELECTORS: Final = ("thread_link", "post", "author", "text", "date", "next_page")
#: The selectors a board without an engine must give (the others have
#: fallbacks: rel=next links, <time> dates; start URLs may be thread pages).
FORUM_REQUIRED_SELECTORS: Final = ("post", "text")

# --- Roles and permissions -------------------------------------------------

#: Dashboard and CLI roles, least to most powerful (contracts.md, users).
ROLES: Final = ("worker", "senior", "moderator", "admin")

_ALL: Final = frozenset(ROLES)
_ACT: Final = frozenset({"worker", "senior", "admin"})
_SENIOR: Final = frozenset({"senior", "admin"})
_LABEL: Final = frozenset({"moderator", "admin"})
_ADJUDICATE: Final = frozenset({"senior", "moderator", "admin"})
_ADMIN: Final = frozenset({"admin"})

#: Each action, with the roles allowed to do it. The operations layer checks
#: it (and audits a refusal); pages are offered from it (each dashboard page
#: names its action in its ``PAGE`` literal: dashboard/navigation.py).
PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    # reading
    "view": _ALL,
    "page_view": _ALL,
    "activity_view": _ALL,
    "leads_listed": _ALL,  # maraude leads: the queue on a terminal
    # the desk: one worker's lead
    "claim": _ACT,
    "release": _ACT,
    "reply": _ACT,
    "not_relevant": _ACT,
    "escalate": _ACT,
    "note": _ACT,
    "outcome": _ACT,
    "mine_view": _ACT,
    # seniors: escalations and the monthly report
    "view_escalated": _SENIOR,
    "take_escalated": _SENIOR,
    "send_back": _SENIOR,
    "close": _SENIOR,
    "give_back": _SENIOR,
    "outcome_any": _SENIOR,
    "report_view": _SENIOR,
    # labelling
    "label": _LABEL,
    "label_view": _LABEL,
    "label_skip": _LABEL,
    "agreement": _LABEL | _ADJUDICATE,
    "adjudication_list": _ADJUDICATE,
    "adjudication_view": _ADJUDICATE,
    "adjudicate": _ADJUDICATE,
    # administration
    "admin_view": _ADMIN,
    "user_list": _ADMIN,
    "user_added": _ADMIN,
    "user_role_set": _ADMIN,
    "user_disabled": _ADMIN,
    "user_enabled": _ADMIN,
    "user_password_set": _ADMIN,
    "user_territories_set": _ADMIN,
    "user_team_set": _ADMIN,
    "source_list": _ADMIN,
    "source_override": _ADMIN,
    "optout_view": _ADMIN,
    "optout_added": _ADMIN,
    "optout_requests": _ADMIN,
    "optout_request_logged": _ADMIN,
    "optout_request_confirmed": _ADMIN,
    # operators (the command line)
    "labels_exported": _ADMIN,
    "purge": _ADMIN,
    "recheck": _ADMIN,
}


def roles_for(action: str) -> frozenset[str]:
    """The roles allowed to do ``action`` (a :class:`KeyError` names a typo)."""
    return PERMISSIONS[action]


def allowed(role: str | None, action: str) -> bool:
    """Whether ``role`` may do ``action``."""
    return role in PERMISSIONS[action]
