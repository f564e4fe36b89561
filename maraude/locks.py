"""Per-source crawl locks, held in the database, that a crash cannot leave behind.

:func:`source_lock` takes the source's lease in the table ``source_locks``
(:mod:`maraude.db.locks`) and refreshes it from a background thread while the
crawl runs, so two crawls of one source never run at once, on one machine or
on several sharing the database (``maraude crawl``, ``maraude schedule`` and
scrapyd jobs alike). A killed crawl stops refreshing: its lease expires after
:data:`LEASE` seconds and the next run takes over, at once when the next run is
on the same machine (the dead process's pid is gone).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

logger = logging.getLogger(__name__)

#: Seconds a lease lasts without a refresh (a killed job's source is free after).
LEASE = 120.0
#: Environment variable overriding :data:`LEASE` (tests use a few seconds).
LEASE_ENV = "MARAUDE_LOCK_LEASE"


class Lease:
    """A held (or refused) lease: true when held; ``lost`` is set if it was lost."""

    def __init__(self, source: str, holder: str, held: bool) -> None:
        self.source = source
        self.holder = holder
        self.held = held
        self.lost = threading.Event()
        self._on_lost: list[Callable[[], None]] = []

    def on_lost(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from the refreshing thread) if the lease is lost:
        the crawl must then stop, since another may have taken the source."""
        self._on_lost.append(callback)

    def lose(self) -> None:
        """Mark the lease lost and call the :meth:`on_lost` callbacks."""
        self.lost.set()
        for callback in self._on_lost:
            try:
                callback()
            except Exception:
                logger.exception(
                    "source %s: stopping after a lost lease failed", self.source
                )

    def __bool__(self) -> bool:
        return self.held and not self.lost.is_set()

    def __str__(self) -> str:  # prints like the bool it was before leases
        return str(bool(self))

    def __repr__(self) -> str:
        return f"Lease({self.source!r}, held={self.held}, lost={self.lost.is_set()})"


def lease_seconds() -> float:
    """The lease length: ``MARAUDE_LOCK_LEASE`` if set (seconds), else :data:`LEASE`."""
    raw = os.environ.get(LEASE_ENV)
    try:
        return max(1.0, float(raw)) if raw else LEASE
    except ValueError:
        return LEASE


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _take(db: Database, source: str, holder: str, lease: float) -> bool:
    from maraude.db import locks

    host, pid = socket.gethostname(), os.getpid()
    if locks.acquire(db, source, holder, host, pid, lease):
        return True
    current = locks.lock_holder(db, source)
    if current is not None and current.host == host and not _alive(current.pid):
        logger.info(
            "source %s: its last crawl (pid %d) died; taking over", source, current.pid
        )
        return locks.take_over(db, source, current.holder, holder, host, pid, lease)
    return False


def _keep(
    db_path: Path | str, lease: Lease, seconds: float, stop: threading.Event
) -> None:
    """Refresh ``lease`` every third of its length until ``stop`` is set."""
    from maraude.db import locks, open_db

    db = open_db(db_path)
    try:
        while not stop.wait(seconds / 3):
            try:
                ok = locks.refresh(db, lease.source, lease.holder, seconds)
            except Exception:  # a busy or unreachable database: try again
                logger.warning("source %s: could not refresh its lease", lease.source)
                continue
            if not ok:
                logger.error(
                    "source %s: its lease was lost (the database was unreachable "
                    "for over %.0f s); another crawl may take it over",
                    lease.source,
                    seconds,
                )
                lease.lose()
                return
    finally:
        db.close()


@contextmanager
def source_lock(db_path: Path | str, source: str) -> Iterator[Lease]:
    """Try to lock ``source``; yields a false :class:`Lease` (without waiting)
    if another crawl holds it, a true one kept fresh until the block ends."""
    from maraude.db import locks, open_db

    seconds = lease_seconds()
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    db = open_db(db_path)
    try:
        lease = Lease(source, holder, _take(db, source, holder, seconds))
        if not lease.held:
            yield lease
            return
        stop = threading.Event()
        keeper = threading.Thread(
            target=_keep,
            args=(db_path, lease, seconds, stop),
            name=f"lease:{source}",
            daemon=True,
        )
        keeper.start()
        try:
            yield lease
        finally:
            stop.set()
            keeper.join(timeout=seconds)
            with suppress(Exception):
                locks.release(db, source, holder)
    finally:
        db.close()
