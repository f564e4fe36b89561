"""Reply-time targets (#16): which target a lead falls under, and how late it is.

The targets are configured in ``[targets]`` (``config/default.toml``): a possible
or sure crisis, distress, a right not claimed. The clock starts when the lead
entered the queue (``leads.created_at``, shown as ``queued_at``) and stops when
it is answered or closed: only open leads are ever overdue.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from maraude import vocab
from maraude.config import TargetsConfig

OPEN_STATUSES = vocab.OPEN_STATUSES
#: The target levels, in queue order.
LEVELS = ("crisis", "distress", "rights")


def target_hours(targets: TargetsConfig) -> dict[str, float]:
    """``{"crisis": 4.0, "distress": 24.0, "rights": 72.0}`` from the config."""
    return {
        "crisis": targets.possible_crisis_hours,
        "distress": targets.distress_hours,
        "rights": targets.rights_hours,
    }


def target_level(lead: Mapping[str, Any]) -> str | None:
    """Which reply-time target applies: ``crisis`` (sure or possible),
    ``distress`` or ``rights``; None for a lead with none of these labels."""
    labels = lead.get("labels") or ()
    if lead.get("crisis_level") in ("sure", "possible") or "crisis" in labels:
        return "crisis"
    for label in ("distress", "rights"):
        if label in labels:
            return label
    return None


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def overdue_hours(
    lead: Mapping[str, Any],
    hours: Mapping[str, float],
    now: datetime | None = None,
) -> float | None:
    """Hours an open lead is past its reply-time target, or None if it is not.

    ``hours`` maps :func:`target_level` to hours (:func:`target_hours`).
    """
    level = target_level(lead)
    queued = lead.get("queued_at")
    if level is None or level not in hours or not queued:
        return None
    if lead.get("status") not in OPEN_STATUSES:
        return None
    late = (now or datetime.now(UTC)) - _when(queued) - timedelta(hours=hours[level])
    late_hours = late.total_seconds() / 3600
    return late_hours if late_hours > 0 else None


def within_target(
    level: str | None, queued_at: str, replied_at: str, hours: Mapping[str, float]
) -> bool | None:
    """Whether a reply came within its level's target (None: no target)."""
    if level is None or level not in hours:
        return None
    return _when(replied_at) - _when(queued_at) <= timedelta(hours=hours[level])
