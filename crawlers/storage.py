"""The crawl's one SQLite connection per process, shared by spiders and pipelines."""

from __future__ import annotations

from typing import Any

from maraude import db as mdb

_SHARED: dict[str, list[Any]] = {}  # path → [connection, number of users]


def shared_db(path: str) -> Any:
    """The process's connection to ``path``, opened on first use."""
    if path not in _SHARED:
        _SHARED[path] = [mdb.open_db(path), 0]
    _SHARED[path][1] += 1
    return _SHARED[path][0]


def release_db(path: str) -> None:
    """Close the shared connection when its last user is done."""
    entry = _SHARED.get(path)
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] <= 0:
        if entry[0].conn.in_transaction:
            entry[0].conn.execute("COMMIT")
        entry[0].close()
        del _SHARED[path]
