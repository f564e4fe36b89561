"""The scrapyd client's choices, without a server: addresses, least busy, failover."""

from __future__ import annotations

import pytest

from maraude.errors import ScrapydError
from maraude.scrapyd import Pool, Sent, Server, parse_urls


def test_scrapyd_addresses_are_repeatable_or_comma_lists():
    assert parse_urls(["http://a:6800/, b:6800", "http://a:6800"]) == [
        "http://a:6800",
        "http://b:6800",
    ]
    with pytest.raises(ScrapydError, match="Adresse scrapyd invalide"):
        parse_urls(["ftp://a:21"])


class FakeServer(Server):
    """A server whose answers are set by the test (``up``, ``busy``)."""

    def __init__(self, url: str, busy: int, up: bool = True) -> None:
        super().__init__(url)
        self.busy, self.up, self.jobs = busy, up, []

    def _call(self, endpoint, data=None, *, multipart=False):
        if not self.up:
            raise ScrapydError(f"Serveur scrapyd injoignable : {self.url} (refused)")
        if endpoint == "daemonstatus.json":
            return {"status": "ok", "pending": self.busy, "running": 0}
        if endpoint == "schedule.json":
            self.jobs.append(data)
            return {"status": "ok", "jobid": f"{self.url}-{len(self.jobs)}"}
        if endpoint.startswith("listjobs.json"):
            return {"status": "ok", "finished": [{"id": f"{self.url}-1"}]}
        raise AssertionError(endpoint)


def test_jobs_go_to_the_least_busy_server():
    busy, idle = FakeServer("http://busy", 3), FakeServer("http://idle", 0)
    pool = Pool([busy, idle], version="r1")
    sent = pool.send([("rss", f"s{i}") for i in range(5)])
    # idle takes 3 (0, 1, 2 jobs queued), then both have 3: they alternate.
    assert [s.server for s in sent].count("http://idle") == 4
    assert [s.server for s in sent].count("http://busy") == 1
    assert all(job["_version"] == "r1" for job in idle.jobs)
    assert idle.jobs[0] == {
        "project": "maraude",
        "spider": "rss",
        "source": "s0",
        "_version": "r1",
    }  # the source's name is the only job argument


def test_a_server_that_is_down_costs_only_itself():
    down, up = FakeServer("http://down", 0, up=False), FakeServer("http://up", 5)
    pool = Pool([down, up])
    sent = pool.send([("reddit", "a"), ("reddit", "b")])
    assert {s.server for s in sent} == {"http://up"}
    assert "injoignable" in pool.down["http://down"]


def test_no_server_up_is_a_clear_french_error():
    pool = Pool([FakeServer("http://x", 0, up=False)])
    with pytest.raises(ScrapydError, match="Aucun serveur scrapyd joignable"):
        pool.send([("rss", "a")])


def test_waiting_returns_the_jobs_still_running():
    server = FakeServer("http://s", 0)
    pool = Pool([server])
    sent = [
        Sent("http://s", "a", "rss", "http://s-1"),
        Sent("http://s", "b", "rss", "x"),
    ]
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    left = pool.wait(sent, 5, poll=1, clock=lambda: now[0], sleep=sleep)
    assert [s.source for s in left] == ["b"]
    assert now[0] == 5


def test_the_egg_names_the_settings_module_and_holds_the_spiders():
    import io
    import zipfile

    from crawlers.egg import build_egg, project_version

    version, egg = build_egg()
    assert version == project_version()  # same sources, same version
    assert build_egg()[1] == egg  # same bytes
    names = zipfile.ZipFile(io.BytesIO(egg)).namelist()
    assert "crawlers/spiders/reddit.py" in names
    assert not [n for n in names if "__pycache__" in n]
    entry = zipfile.ZipFile(io.BytesIO(egg)).read("EGG-INFO/entry_points.txt")
    assert entry.decode() == "[scrapy]\nsettings = crawlers.settings\n"
