"""Queue page first render in a real browser, on a large database.

Builds 1,000,000 posts / 100,000 leads (as benchmarks/queue.py), starts
``maraude dashboard`` on 127.0.0.1, signs in with Playwright driving Debian's
Chromium, and times: the sign-in page, then from submitting the sign-in form to
the queue's first lead on screen (median of 3 fresh sessions).

    python -m benchmarks.render [--posts 1000000] [--leads 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.queue import build
from maraude import db as mdb
from maraude.auth import hash_password

PASSWORD = "benchmark-password"  # noqa: S105 (a throwaway benchmark account)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(n_posts: int, n_leads: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "render.db"
        build(path, n_posts, n_leads)
        database = mdb.open_db(path)
        mdb.add_user(database, "bench", "worker", hash_password(PASSWORD))
        mdb.refresh_priorities(database, force=True)
        database.close()
        port = _port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "maraude",
                "dashboard",
                "--db",
                str(path),
                "--port",
                str(port),
            ],
            env=dict(os.environ, MARAUDE_DB=str(path)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.3)
            timings = []
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=ARGS)
                for _ in range(3):
                    page = browser.new_page()
                    page.goto(url)
                    page.get_by_label("Identifiant").fill("bench")
                    page.get_by_label("Mot de passe").fill(PASSWORD)
                    t = time.perf_counter()
                    page.get_by_role("button", name="Se connecter").click()
                    page.get_by_role("button", name="Ouvrir").first.wait_for(
                        timeout=60_000
                    )
                    timings.append(time.perf_counter() - t)
                    page.close()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(10)
    figures = {
        "queue first render s (median of 3)": statistics.median(timings),
        "first session s": timings[0],
    }
    for name, value in figures.items():
        print(
            f"{name:36} {value:6.2f}  target < 2 s: {'ok' if value < 2 else 'MISSED'}"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    print(json.dumps(run(args.posts, args.leads)))


if __name__ == "__main__":
    main()
