"""Sending crawls to scrapyd servers (``maraude schedule --scrapyd URL``).

A small client of scrapyd's JSON API (standard library only): deploy the
project's egg (``addversion.json``, see :mod:`crawlers.egg`), send one job per
source (``schedule.json`` with ``spider=PLATFORM`` and ``source=NAME``, the only
job argument: everything else comes from the crawl machine's environment) to
the least busy server (``daemonstatus.json``), and wait for the jobs to finish
(``listjobs.json``). One unreachable server costs only its own jobs: they go to
the others.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from maraude.errors import ScrapydError

logger = logging.getLogger(__name__)

PROJECT = "maraude"
TIMEOUT = 10.0  # seconds per request


def parse_urls(values: Iterable[str]) -> list[str]:
    """``--scrapyd`` values (repeatable, or comma lists) as base URLs."""
    urls = []
    for value in values:
        for part in value.split(","):
            url = part.strip().rstrip("/")
            if not url:
                continue
            if "://" not in url:
                url = f"http://{url}"
            if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                raise ScrapydError(
                    f"Adresse scrapyd invalide : {part.strip()!r}. Donnez une URL "
                    "http(s), par exemple http://127.0.0.1:6800."
                )
            if url not in urls:
                urls.append(url)
    return urls


@dataclass
class Sent:
    """A job sent to a server."""

    server: str
    source: str
    spider: str
    job: str


@dataclass
class Server:
    """One scrapyd server, reached over HTTP."""

    url: str
    timeout: float = TIMEOUT
    load: int = 0  # pending + running jobs, as last seen, plus ours since

    def _call(self, endpoint: str, data: Any = None, *, multipart: bool = False) -> Any:
        headers = {}
        body = None
        if data is not None and multipart:
            body, content_type = _multipart(data)
            headers["Content-Type"] = content_type
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(  # noqa: S310 (an http(s) URL, checked)
            f"{self.url}/{endpoint}", data=body, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:  # noqa: S310
                answer = json.loads(reply.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            raise ScrapydError(
                f"Serveur scrapyd injoignable : {self.url} ({reason}). Vérifiez "
                "qu'il tourne (`scrapyd`) et que l'adresse et le port sont justes."
            ) from None
        if answer.get("status") != "ok":
            raise ScrapydError(
                f"Le serveur scrapyd {self.url} a refusé {endpoint} : "
                f"{answer.get('message', answer)}"
            )
        return answer

    def status(self) -> int:
        """Pending + running jobs (``daemonstatus.json``); sets :attr:`load`."""
        answer = self._call("daemonstatus.json")
        self.load = int(answer.get("pending", 0)) + int(answer.get("running", 0))
        return self.load

    def versions(self, project: str = PROJECT) -> list[str]:
        """The versions of ``project`` deployed on this server."""
        return list(self._call(f"listversions.json?project={project}")["versions"])

    def deploy(self, version: str, egg: bytes, project: str = PROJECT) -> bool:
        """Upload the egg unless this version is there already; True if uploaded."""
        if version in self.versions(project):
            return False
        fields = {"project": project, "version": version}
        self._call("addversion.json", {**fields, "egg": egg}, multipart=True)
        return True

    def schedule(
        self, spider: str, source: str, version: str | None, project: str = PROJECT
    ) -> str:
        """Send one job; its job id."""
        data = {"project": project, "spider": spider, "source": source}
        if version:
            data["_version"] = version
        job = str(self._call("schedule.json", data)["jobid"])
        self.load += 1
        return job

    def finished(self, project: str = PROJECT) -> set[str]:
        """The ids of this server's finished jobs (``listjobs.json``)."""
        answer = self._call(f"listjobs.json?project={project}")
        return {str(j["id"]) for j in answer.get("finished", [])}


def _multipart(fields: dict[str, Any]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
        if isinstance(value, bytes):
            head += f'; filename="{name}.egg"\r\nContent-Type: application/octet-stream'
            data = value
        else:
            data = str(value).encode()
        parts.append(head.encode() + b"\r\n\r\n" + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@dataclass
class Pool:
    """The scrapyd servers of ``--scrapyd``; jobs go to the least busy one."""

    servers: list[Server]
    version: str | None = None  # the deployed egg's, pinned in each job
    down: dict[str, str] = field(default_factory=dict)  # url → why

    @classmethod
    def of(cls, urls: Sequence[str], timeout: float = TIMEOUT) -> Pool:
        """The pool of these base URLs (at least one)."""
        if not urls:
            raise ScrapydError("Aucun serveur scrapyd : donnez --scrapyd URL.")
        return cls([Server(url, timeout) for url in urls])

    def _up(self) -> list[Server]:
        return [s for s in self.servers if s.url not in self.down]

    def _fail(self, server: Server, error: ScrapydError) -> None:
        self.down[server.url] = str(error)
        logger.error("%s", error)

    def deploy(self, version: str, egg: bytes) -> list[str]:
        """Put the egg on every reachable server; the URLs that took it."""
        self.down.clear()
        reached = []
        for server in self.servers:
            try:
                if server.deploy(version, egg):
                    logger.info("deployed version %s on %s", version, server.url)
                reached.append(server.url)
            except ScrapydError as e:
                self._fail(server, e)
        self.version = version
        if not reached:
            raise ScrapydError(self._none_left())
        return reached

    def send(self, jobs: Sequence[tuple[str, str]]) -> list[Sent]:
        """Send ``(spider, source)`` jobs, each to the least busy server up."""
        self.down.clear()
        for server in self.servers:
            try:
                server.status()
            except ScrapydError as e:
                self._fail(server, e)
        sent: list[Sent] = []
        for spider, source in jobs:
            while True:
                up = self._up()
                if not up:
                    raise ScrapydError(self._none_left(sent))
                server = min(up, key=lambda s: s.load)
                try:
                    job = server.schedule(spider, source, self.version)
                except ScrapydError as e:
                    self._fail(server, e)
                    continue
                sent.append(Sent(server.url, source, spider, job))
                logger.info("source %s: job %s on %s", source, job, server.url)
                break
        return sent

    def _none_left(self, sent: Sequence[Sent] = ()) -> str:
        reasons = "; ".join(self.down.values()) or "aucun serveur"
        done = f" ({len(sent)} tâche(s) envoyée(s) avant)" if sent else ""
        return f"Aucun serveur scrapyd joignable{done} : {reasons}"

    def wait(
        self,
        sent: Sequence[Sent],
        timeout: float,
        *,
        poll: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> list[Sent]:
        """Wait until every job of ``sent`` has finished, or ``timeout`` seconds;
        the jobs still unfinished (their posts are classified next round)."""
        deadline = clock() + timeout
        left = list(sent)
        by_url = {s.url: s for s in self.servers}
        while left:
            for url in {s.server for s in left}:
                try:
                    done = by_url[url].finished()
                except ScrapydError as e:
                    logger.warning("%s", e)
                    continue
                left = [s for s in left if s.server != url or s.job not in done]
            if not left or clock() >= deadline:
                break
            sleep(poll)
        return left
