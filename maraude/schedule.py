"""``maraude schedule``: run each source on its cron ``schedule``, in the foreground.

Suitable for a systemd service. Jobs due at one time make a round
(:class:`Runner`): every due source is crawled, in one ``maraude crawl``
process (Scrapy's reactor runs once per process, and a crash stays out of
the scheduler) or as scrapyd jobs (``--scrapyd``, :mod:`maraude.scrapyd`),
then new posts are classified once, the model loaded once. The per-source
lease of :mod:`maraude.locks` (in the database) guarantees that two crawls of
one source never overlap, whoever started them and on whichever machine.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    """A named cron job and when it runs next (a source, the purge, the alerts)."""

    name: str
    schedule: str
    cron: croniter
    next_at: float
    background: bool = False
    thread: threading.Thread | None = None

    def advance(self, now: float) -> None:
        """Move :attr:`next_at` past ``now`` (missed runs are not caught up)."""
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


@dataclass
class Runner:
    """Runs one round of due jobs: crawl every due source, then classify once.

    The due sources are crawled together, in one ``maraude crawl`` process
    (one Scrapy start for the round), or, with ``pool`` (``--scrapyd``), sent
    as one scrapyd job each; then new posts are classified once, in one
    ``maraude classify`` process (the model is loaded once per round). The job
    named :data:`ALERTS` sends crisis alerts; :data:`PURGE` runs
    ``maraude recheck`` (posts deleted at their source) then ``maraude purge``.
    """

    db_path: Path
    sources_file: Path
    config_path: str | None = None
    classify: bool = True
    platforms: dict[str, str] = field(default_factory=dict)  # source → platform
    pool: Any = None  # a maraude.scrapyd.Pool: crawl on scrapyd servers
    wait: float = 3600.0  # seconds to wait for a round's scrapyd jobs
    strict: bool = False  # raise when no scrapyd server is reachable (--once)

    def _common(self) -> list[str]:
        return ["--config", self.config_path] if self.config_path else []

    def __call__(self, names: Sequence[str]) -> int:
        """Run the jobs ``names``; the worst exit code (0: all went well)."""
        codes = [0]
        if ALERTS in names:
            codes.append(_timed("alerts", self.alerts))
        sources = [n for n in names if n not in (ALERTS, PURGE)]
        if sources:
            codes.append(
                _timed(f"crawl of {len(sources)} source(s)", self.crawl, sources)
            )
            if self.classify:
                codes.append(_timed("classify", self.classify_new))
        if PURGE in names:
            codes.append(_timed("recheck and purge", self.purge))
        return max(codes)

    def alerts(self) -> int:
        """Send the due crisis alerts; 1 if one could not be sent."""
        from maraude.alerts import run_alerts
        from maraude.config import load_config

        counts = run_alerts(self.db_path, load_config(self.config_path))
        if counts.get("sent"):
            logger.info("sent %d crisis alert(s)", counts["sent"])
        return 1 if counts.get("failed") else 0

    def crawl(self, sources: Sequence[str]) -> int:
        """Crawl ``sources`` (one process, or scrapyd jobs); 1 if any failed.

        A crawl with errors exits 1 but keeps what it stored.
        """
        if self.pool is not None:
            return self._send(sources)
        picks = [arg for name in sources for arg in ("--source", name)]
        db, src = ("--db", str(self.db_path)), ("--sources", str(self.sources_file))
        crawl = subprocess.run(  # noqa: S603
            _maraude(*self._common(), "crawl", *db, *src, *picks), check=False
        )
        return crawl.returncode

    def _send(self, sources: Sequence[str]) -> int:
        from maraude.errors import ScrapydError

        jobs = [(self.platforms[name], name) for name in sources]
        try:
            sent = self.pool.send(jobs)
        except ScrapydError:
            if self.strict:
                raise
            logger.exception("no scrapyd server took this round's jobs")
            return 1
        left = self.pool.wait(sent, self.wait)
        if left:
            logger.warning(
                "%d scrapyd job(s) still running after %.0f s: their posts are "
                "classified next round",
                len(left),
                self.wait,
            )
        return 1 if self.pool.down else 0

    def classify_new(self) -> int:
        """Classify the new posts, in one ``maraude classify`` process."""
        classify = subprocess.run(  # noqa: S603
            _maraude(*self._common(), "classify", "--db", str(self.db_path)),
            check=False,
        )
        return classify.returncode

    def purge(self) -> int:
        """``maraude recheck`` then ``maraude purge``; the purge's exit code."""
        db = ("--db", str(self.db_path))
        subprocess.run(  # noqa: S603
            _maraude(
                *self._common(), "recheck", *db, "--sources", str(self.sources_file)
            ),
            check=False,
        )
        purge = subprocess.run(_maraude(*self._common(), "purge", *db), check=False)  # noqa: S603
        return purge.returncode


def _timed(what: str, step: Callable[..., int], *args: Any) -> int:
    start = time.monotonic()
    code = step(*args)
    logger.info("round: %s took %.1f s (exit %d)", what, time.monotonic() - start, code)
    return code


def run_forever(
    jobs: list[Job],
    run: Callable[[list[str]], int],
    *,
    once: bool = False,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run due jobs in rounds: every job due at one time goes in one ``run``.

    ``once`` runs every job now, in one round, and returns its exit code.
    Jobs of listening platforms (:data:`LISTENING`) run alone, in the background.
    """
    if once:
        names = [job.name for job in jobs]
        logger.info("running %s", ", ".join(names))
        return run(names)
    while jobs:
        now = clock()
        due = [job for job in jobs if job.next_at <= now]
        if not due:
            sleep(min(min(job.next_at for job in jobs) - now, 60.0))
            continue
        names = []
        for job in due:
            if job.background:
                _start_in_background(job, run)
            else:
                names.append(job.name)
        if names:
            logger.info("running %s", ", ".join(names))
            _report(names, run(names))
        after = clock()
        for job in due:
            job.advance(after)
    return 0


def _report(names: Sequence[str], code: int) -> None:
    if code:
        logger.warning("the round of %s exited with %d", ", ".join(names), code)


def _start_in_background(job: Job, run: Callable[[list[str]], int]) -> None:
    """Start a listening crawl in a thread, unless the last one still listens."""
    if job.thread is not None and job.thread.is_alive():
        logger.info("%s is still listening: this run is skipped", job.name)
        return
    logger.info("running %s in the background", job.name)
    job.thread = threading.Thread(
        target=lambda: _report([job.name], run([job.name])), name=job.name, daemon=True
    )
    job.thread.start()
