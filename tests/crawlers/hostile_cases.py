"""The hostile-case corpus of ``tests/data/bad/<entry point>/`` (issue #11).

Each file is one case, in the format its entry point reads. Large payloads are
written as placeholders (``@@BIG@@``…) that :func:`load` expands, so the
repository stays light.
"""

from __future__ import annotations

from pathlib import Path

BAD = Path(__file__).resolve().parent.parent / "data" / "bad"
ENTRY_POINTS = (
    "mastodon",
    "bluesky",
    "reddit",
    "discourse",
    "rss",
    "import",
    "predict",
)

_EXPAND = {
    b"@@BIG@@": b"je cherche de l'aide " * 100_000,  # about 2 MB
    b"@@DEEP_HTML@@": b"<div>" * 5000 + b"au secours" + b"</div>" * 5000,
    b"@@DEEP_JSON@@": b"[" * 100_000 + b"]" * 100_000,
    b"@@LONG_LINE@@": b"x" * (1024 * 1024 + 10),  # over predict/import's 1 MB
    b"@@CSV_FIELD@@": b"x" * (200 * 1024),  # over the csv module's 128 KiB
}


def cases(kind: str) -> list[Path]:
    """The case files of one entry point, in order."""
    return sorted(p for p in (BAD / kind).iterdir() if p.name[:2].isdigit())


def load(path: Path) -> bytes:
    """The case's bytes, placeholders expanded."""
    data = path.read_bytes()
    for token, value in _EXPAND.items():
        data = data.replace(token, value)
    return data
