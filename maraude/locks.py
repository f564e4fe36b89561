"""Per-source crawl locks that a crash cannot leave behind.

``fcntl.flock`` locks belong to the process: the operating system releases them
when it dies, even by SIGKILL, so a killed crawl never blocks the next one, and
two crawls of one source can never run at once (``maraude crawl`` and
``maraude schedule`` alike).
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


def lock_dir(db_path: Path) -> Path:
    return Path(f"{db_path}.locks")


@contextmanager
def source_lock(db_path: Path, source: str) -> Iterator[bool]:
    """Try to lock ``source``; yields False (without waiting) if another holds it."""
    folder = lock_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", source)
    fd = os.open(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            with suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
