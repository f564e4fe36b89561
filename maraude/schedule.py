"""``maraude schedule``: run each source on its cron ``schedule``, in the foreground.

Suitable for a systemd service. Each due source is crawled in its own
``maraude crawl --source NAME`` process (Scrapy's reactor runs once per
process, and a crash stays contained), then new posts are classified. The
per-source lock of :mod:`maraude.locks` guarantees that two crawls of one
source never overlap, whoever started them.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from croniter import croniter

from maraude.errors import ConfigError
from maraude.sources import Source

logger = logging.getLogger(__name__)


PURGE = "purge"  # the name of the nightly job: recheck, then purge
PURGE_CRON = "17 3 * * *"
ALERTS = "alerts"  # the name of the job that sends crisis alerts, every minute
ALERTS_CRON = "* * * * *"
#: Platforms whose crawl listens for a window (Twitch chat): their jobs run in
#: the background, so the crisis alerts and other sources never wait for them.
LISTENING = {"twitch"}


@dataclass
class Job:
    name: str
    schedule: str
    cron: croniter
    next_at: float
    background: bool = False
    thread: threading.Thread | None = None

    def advance(self, now: float) -> None:
        while self.next_at <= now:
            self.next_at = self.cron.get_next(float)


def make_jobs(sources: list[Source], now: float) -> list[Job]:
    """One job per enabled source that has a valid ``schedule``."""
    jobs = []
    for source in sources:
        if not source.enabled or not source.schedule:
            continue
        if not croniter.is_valid(source.schedule):
            raise ConfigError(
                f"Source '{source.name}': schedule {source.schedule!r} is not a cron "
                "expression (e.g. '*/30 * * * *' for every 30 minutes)."
            )
        job = _job(source.name, source.schedule, now)
        job.background = source.platform in LISTENING
        jobs.append(job)
    return jobs


def _job(name: str, schedule: str, now: float) -> Job:
    cron = croniter(schedule, datetime.fromtimestamp(now, UTC))
    return Job(name, schedule, cron, cron.get_next(float))


def purge_job(now: float) -> Job:
    """The retention purge, every night (``maraude purge``)."""
    return _job(PURGE, PURGE_CRON, now)


def alerts_job(now: float) -> Job:
    """Crisis alerts to the on-call senior, checked every minute."""
    return _job(ALERTS, ALERTS_CRON, now)


def _maraude(*args: str) -> list[str]:
    return [sys.executable, "-m", "maraude", *args]


def run_job(
    source: str,
    db_path: Path,
    sources_file: Path,
    config_path: str | None,
    classify: bool,
) -> int:
    """Crawl one source (then classify) in child processes; the crawl's exit code.

    The job named :data:`PURGE` runs ``maraude recheck`` (posts deleted at their
    source) then ``maraude purge`` (the retention policy) instead.
    """
    common = ["--config", config_path] if config_path else []
    if source == ALERTS:
        from maraude.alerts import run_alerts
        from maraude.config import load_config

        counts = run_alerts(db_path, load_config(config_path))
        if counts.get("sent"):
            logger.info("sent %d crisis alert(s)", counts["sent"])
        return 1 if counts.get("failed") else 0
    if source == PURGE:
        subprocess.run(  # noqa: S603
            _maraude(
                *common, "recheck", "--db", str(db_path), "--sources", str(sources_file)
            ),
            check=False,
        )
        purge = subprocess.run(  # noqa: S603
            _maraude(*common, "purge", "--db", str(db_path)), check=False
        )
        return purge.returncode
    crawl = subprocess.run(  # noqa: S603
        _maraude(
            *common,
            "crawl",
            "--db",
            str(db_path),
            "--sources",
            str(sources_file),
            "--source",
            source,
        ),
        check=False,
    )
    # A crawl with errors exits 1 but keeps what it stored: classify that too.
    if classify:
        subprocess.run(  # noqa: S603
            _maraude(*common, "classify", "--db", str(db_path)), check=False
        )
    return crawl.returncode


def run_forever(
    jobs: list[Job],
    run: Callable[[str], int],
    *,
    once: bool = False,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Run due jobs in order of their next time; ``once`` runs every job now."""
    if once:
        for job in jobs:
            logger.info("running %s", job.name)
            run(job.name)
        return
    while jobs:
        job = min(jobs, key=lambda j: j.next_at)
        wait = job.next_at - clock()
        if wait > 0:
            sleep(min(wait, 60.0))
            continue
        if job.background:
            _start_in_background(job, run)
        else:
            logger.info("running %s", job.name)
            _report(job.name, run(job.name))
        job.advance(clock())


def _report(name: str, code: int) -> None:
    if code:
        logger.warning("crawl of %s exited with %d", name, code)


def _start_in_background(job: Job, run: Callable[[str], int]) -> None:
    """Start a listening crawl in a thread, unless the last one still listens."""
    if job.thread is not None and job.thread.is_alive():
        logger.info("%s is still listening: this run is skipped", job.name)
        return
    logger.info("running %s in the background", job.name)
    job.thread = threading.Thread(
        target=lambda: _report(job.name, run(job.name)), name=job.name, daemon=True
    )
    job.thread.start()
