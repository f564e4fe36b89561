"""A real scrapyd on 127.0.0.1 for tests: a free port, its folders in tmp."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Scrapyd:
    """``scrapyd`` in a subprocess, its cwd, eggs, logs and queues in ``folder``.

    ``env``: the environment of scrapyd, hence of its jobs (``MARAUDE_*``).
    Items are never written to files (``items_dir`` empty: they hold post text).
    """

    def __init__(self, folder: Path, env: Mapping[str, str]) -> None:
        pytest.importorskip(
            "scrapyd", reason="scrapyd is not installed (pip install scrapyd)"
        )
        self.folder = folder
        self.port = free_port()
        self.env = dict(env)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Scrapyd:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            f"bind_address = 127.0.0.1\nhttp_port = {self.port}\n"
            "poll_interval = 0.2\nmax_proc = 4\nitems_dir =\njobs_dir =\n"
            "eggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\n",
            encoding="utf-8",
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"],
            cwd=self.folder,
            env=self.env,
            stdout=(self.folder / "scrapyd.out").open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                self.get("daemonstatus.json")
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"scrapyd did not start: {self.log()[-2000:]}")

    def get(self, endpoint: str) -> dict:
        with urllib.request.urlopen(f"{self.url}/{endpoint}", timeout=5) as reply:
            return json.loads(reply.read())

    def log(self) -> str:
        out = self.folder / "scrapyd.out"
        return out.read_text(errors="replace") if out.exists() else ""

    def job_logs(self) -> str:
        logs = sorted((self.folder / "logs").rglob("*.log"))
        return "\n".join(p.read_text(errors="replace") for p in logs)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def scrapyd_env(**values: str) -> dict[str, str]:
    """The test process's environment plus ``values`` (MARAUDE_DB…)."""
    return dict(os.environ, **values)
