"""The dashboard's process and ``maraude demo``'s whole chain."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import webbrowser
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from maraude import db as mdb
from maraude.cli.classifying import classify
from maraude.cli.commands import crawl, format_crawl_table
from maraude.config import PROJECT_ROOT, Config
from maraude.errors import InputError, MaraudeError
from maraude.privacy import get_secret
from maraude.sources import Source

if TYPE_CHECKING:
    from sqlite_utils import Database

    from maraude.demo.server import DemoServer

logger = logging.getLogger(__name__)


def start_dashboard(
    config: Config, db_path: Path, port: int, config_path: str | None = None
) -> subprocess.Popen[bytes]:
    """Start Streamlit on the dashboard app, bound to ``dashboard.address``."""
    env = dict(os.environ, MARAUDE_DB=str(Path(db_path).resolve()))
    if config_path:
        env["MARAUDE_CONFIG"] = str(Path(config_path).resolve())
    app = PROJECT_ROOT / "dashboard" / "app.py"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        config.dashboard.address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "minimal",
    ]
    return subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT)  # noqa: S603


def wait_for(proc: subprocess.Popen[bytes]) -> None:
    """Wait for the dashboard's process; Ctrl-C or SIGTERM stop it too."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait_until_up(url: str, timeout: float = 30.0) -> bool:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):  # noqa: S310
                return True
        except OSError:
            time.sleep(0.3)
    return False


def prepare_demo_db(path: Path) -> Database:
    """Create (or reuse) a demo database, marked as such, with its demo worker."""
    fresh = not path.exists()
    database = mdb.open_db(path)
    if not fresh and not mdb.is_demo(database):
        database.close()
        raise InputError(
            f"{path} exists and was not created by `maraude demo`: choose another "
            "--db for the demo, so real data is never opened without signing in."
        )
    mdb.set_meta(database, "demo", "1")
    if mdb.get_user(database, "demo") is None:
        mdb.add_user(database, "demo", "worker")
    return database


@dataclass(frozen=True)
class DemoOptions:
    """How ``maraude demo`` runs: its database, the dashboard's port (the fake
    Reddit takes the next one), whether to serve the dashboard and open a
    browser, and the ``--config`` file passed on to the dashboard."""

    db_path: Path
    port: int
    open_browser: bool = True
    serve: bool = True
    config_path: str | None = None


def run_demo(config: Config, options: DemoOptions) -> None:
    """The whole chain on our French demo posts, then the dashboard."""
    with ExitStack() as stack:
        _run_demo(config, options, stack)


def _check_port_free(address: str, port: int) -> None:
    """Raise a clean error when ``port`` is taken (another demo, another server)."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((address, port))
        except OSError:
            raise InputError(
                f"Port {port} is not available on {address} (another `maraude "
                f"demo` or dashboard?). Stop it, or choose another: --port {port + 2}."
            ) from None


def _demo_server(port: int) -> DemoServer:
    """The fake Reddit, on ``port`` if free (stable URLs across demo runs)."""
    from maraude.demo.server import DemoServer

    try:
        return DemoServer(port=port)
    except OSError:
        return DemoServer()


def _run_demo(config: Config, options: DemoOptions, stack: ExitStack) -> None:
    """The demo's steps; the fake Reddit stays up while the dashboard runs, so
    "see the original post" links work."""
    db_path, port, serve = options.db_path, options.port, options.serve
    started = time.monotonic()
    if serve:  # before anything: never point at another demo's dashboard
        _check_port_free(config.dashboard.address, port)
    database = prepare_demo_db(db_path)
    database.close()
    step = "[{}/4] {}"
    server = stack.enter_context(_demo_server(port + 1))
    click.echo(
        step.format(
            1,
            f"Demo posts served at {server.base_url} ({len(server.data.posts)} posts)",
        ),
        err=True,
    )
    source = Source(
        name="demo-reddit",
        platform="reddit",
        max_pages=20,
        settings={"base_url": server.base_url, "subreddits": server.subreddits},
    )
    results = crawl(
        config,
        db_path,
        None,
        secret=get_secret(allow_generate=True),
        sources=[source],
    )
    click.echo(step.format(2, "Crawled:"), err=True)
    click.echo(format_crawl_table(results), err=True)
    database = mdb.open_db(db_path)
    click.echo(step.format(3, "Classifying with the bundled offline model…"), err=True)
    counts = classify(config, database, show_progress=True)
    n_open = len(mdb.list_leads(database, limit=None))
    click.echo(
        f"      {counts['scored']} posts scored, {n_open} open leads "
        f"({time.monotonic() - started:.0f} s so far).",
        err=True,
    )
    database.close()
    if not serve:
        return
    url = f"http://{config.dashboard.address}:{port}"
    proc = start_dashboard(config, db_path, port, options.config_path)
    if not _wait_until_up(url) or proc.poll() is not None:
        proc.terminate()
        raise MaraudeError(
            f"The dashboard did not start on {url}: is port {port} "
            "free? Try --port 8502."
        )
    click.echo(step.format(4, f"Dashboard ready: {url}  (Ctrl-C to stop)"), err=True)
    if options.open_browser:
        webbrowser.open(url)
    wait_for(proc)
