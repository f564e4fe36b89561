"""Twitch chat: CPU of the IRC reader on a busy replayed channel, then the full crawl.

A fake Twitch server (TLS, 127.0.0.1, in its own process) replays chat lines
written by us at ``--rate`` messages/s (80 % French) for ``--seconds``.

1. The reader alone (:class:`crawlers.twitch.TwitchChat`, no pipeline) listens
   to it: the CPU it uses (user + system, this process only) over the window,
   as a share of one core, and whether every line arrived.
2. ``maraude crawl`` listens to the same replay with the whole pipeline
   (normalise, mask, pseudonymise, language, SQLite): how many French messages
   were stored, each once, and the crawl's CPU (pipeline included).

    python -m benchmarks.twitch [--rate 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from crawlers.twitch import TwitchChat
from tests.twitch_server import FRENCH, OTHER, FakeTwitch, Script, chat_line


def script_lines(n: int) -> tuple[list[str], set[str]]:
    lines, french = [], set()
    for i in range(n):
        msg_id = f"b-{i:07d}"
        if i % 5:
            text = f"{FRENCH[i % len(FRENCH)]} (message {i})"
            french.add(msg_id)
        else:
            text = f"{OTHER[i % len(OTHER)]} (message {i})"
        lines.append(chat_line("banc", f"viewer_{i % 300}", text, msg_id=msg_id))
    return lines, french


def _serve(folder: str, rate: float, n: int, conn) -> None:  # child process
    lines, _ = script_lines(n)
    with FakeTwitch(Path(folder), Script(lines=lines, rate=rate)) as server:
        conn.send((server.url, str(server.ca)))
        conn.recv()  # until the parent is done


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def reader_only(url: str, ca: str, seconds: float, expected: int) -> dict:
    async def listen() -> tuple[int, float, float]:
        # The default 10 s hold: the last messages come 10 s after the replay.
        context = ssl.create_default_context(cafile=ca)
        chat = TwitchChat(["banc"], server=url, ssl_context=context)
        count, cpu, wall = 0, _cpu(), time.perf_counter()
        async for _ in chat.messages(seconds + 15):
            count += 1
            if count >= expected:
                chat.stop()
        return count, _cpu() - cpu, time.perf_counter() - wall

    count, cpu, wall = asyncio.run(listen())
    # Over the replay's length, not the wall time (which adds the last hold).
    return {"heard": count, "cpu_s": cpu, "wall_s": wall, "core_share": cpu / seconds}


def full_crawl(url: str, ca: str, seconds: float, folder: Path) -> dict:
    db = folder / "bench.db"
    sources = folder / "sources.toml"
    sources.write_text(
        f'[[sources]]\nname = "banc"\nplatform = "twitch"\nbase_url = "{url}"\n'
        f'channels = ["banc"]\nlisten_minutes = {seconds / 60:.4f}\n',
        encoding="utf-8",
    )
    env = {**os.environ, "SSL_CERT_FILE": ca, "MARAUDE_SECRET": "b" * 32}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    command = [sys.executable, "-m", "maraude", "crawl", "--db", str(db)]
    done = subprocess.run(
        [*command, "--sources", str(sources)],
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"maraude crawl failed:\n{done.stderr[-2000:]}")
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT native_id FROM posts")]
    return {"ids": ids, "cpu_s": cpu, "wall_s": wall}


def _replay(folder: Path, rate: float, n: int) -> tuple[Any, Any, str, str]:
    folder.mkdir(parents=True)
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(
        target=_serve, args=(str(folder), rate, n, child), daemon=True
    )
    process.start()
    url, ca = parent.recv()
    return process, parent, url, ca


def run(rate: float = 50.0, seconds: float = 60.0) -> None:
    n = int(rate * seconds)
    _, french = script_lines(n)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        process, pipe, url, ca = _replay(folder / "a", rate, n)
        result = reader_only(url, ca, seconds, n)
        pipe.send("done")
        process.join(5)
        print(
            f"reader alone: {result['heard']}/{n} messages at {rate:g}/s in "
            f"{result['wall_s']:.1f} s, CPU {result['cpu_s']:.2f} s = "
            f"{100 * result['core_share']:.2f} % of one core"
        )
        process, pipe, url, ca = _replay(folder / "b", rate, n)
        crawl = full_crawl(url, ca, seconds + 5, folder)
        pipe.send("done")
        process.join(5)
    stored = crawl["ids"]
    print(
        f"full crawl: {len(set(stored) & french)}/{len(french)} French messages "
        f"stored, {len(stored) - len(set(stored))} twice, "
        f"{len(set(stored) - french)} non-French stored; CPU {crawl['cpu_s']:.1f} s "
        f"over {crawl['wall_s']:.1f} s = "
        f"{100 * crawl['cpu_s'] / crawl['wall_s']:.1f} % of one core "
        "(Python start, Scrapy and the pipeline included)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    run(args.rate, args.seconds)


if __name__ == "__main__":
    main()
