"""One connection per thread, for a caller that serves many threads at once.

The dashboard is one: Streamlit runs each session's script in a thread of its
own. One connection shared by those threads would mix their transactions: a
claim's ``COMMIT`` would commit half of another session's write, one session's
failure would roll back another's, and a second ``BEGIN`` fails with "cannot
start a transaction within a transaction". Each thread gets its own connection
(about 1 ms to open on SQLite); those of finished threads are closed.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

C = TypeVar("C")


class ThreadConnections(Generic[C]):
    """Connections by (thread, database), opened on first use with ``opener``."""

    def __init__(self, opener: Callable[[str], C]) -> None:
        self._opener = opener
        self._lock = threading.Lock()
        self._open: dict[tuple[int, str], tuple[weakref.ref[threading.Thread], C]] = {}

    def get(self, path: str) -> C:
        """The calling thread's connection to ``path``, opened if it has none."""
        thread = threading.current_thread()
        key = (thread.ident or 0, path)
        with self._lock:
            entry = self._open.get(key)
            if entry is not None and entry[0]() is thread:
                return entry[1]
            self._close_finished()
        database = self._opener(path)  # outside the lock: it may wait on migrations
        with self._lock:
            self._open[key] = (weakref.ref(thread), database)
        return database

    def close_all(self) -> None:
        """Close every connection (tests; a server shutting down)."""
        with self._lock:
            entries, self._open = list(self._open.values()), {}
        for _, database in entries:
            _close(database)

    def __len__(self) -> int:
        """How many connections are open."""
        return len(self._open)

    def _close_finished(self) -> None:
        """Close the connections of threads that have ended (lock held)."""
        for key, (ref, database) in list(self._open.items()):
            thread = ref()
            if thread is None or not thread.is_alive():
                del self._open[key]
                _close(database)


def _close(database: Any) -> None:
    try:
        database.close()
    except Exception as e:  # a connection already lost: nothing to free
        logger.debug("closing a finished thread's connection: %s", e.__class__.__name__)
