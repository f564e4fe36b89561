"""A throwaway PostgreSQL cluster on loopback, for tests and benchmarks.

``initdb`` + ``pg_ctl`` from Debian's PostgreSQL (``/usr/lib/postgresql/N/bin``)
in a temporary folder, listening on 127.0.0.1 on a free port, with a private
socket folder. The server refuses to run as root: as root the commands run as
the ``postgres`` user (created by Debian's package) through ``runuser``.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

#: Where Debian puts each major version's binaries; newest first.
DEBIAN_ROOT = Path("/usr/lib/postgresql")


class ClusterUnavailable(RuntimeError):
    """PostgreSQL's server binaries (or a user to run them as) are missing."""


def find_bindir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``, or :class:`ClusterUnavailable`."""
    if DEBIAN_ROOT.is_dir():
        versions = sorted(
            (p for p in DEBIAN_ROOT.iterdir() if (p / "bin" / "pg_ctl").is_file()),
            key=lambda p: int(p.name) if p.name.isdigit() else 0,
            reverse=True,
        )
        if versions:
            return versions[0] / "bin"
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    raise ClusterUnavailable(
        "PostgreSQL is not installed (no initdb/pg_ctl): install Debian's "
        "`postgresql` package (apt-get install postgresql), as .ci/run does"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One throwaway cluster: :meth:`start`, :meth:`url`, :meth:`stop`."""

    def __init__(self, *, fsync: bool = False) -> None:
        self.bindir = find_bindir()
        self.fsync = fsync
        self.port = 0
        self.root: Path | None = None
        self._user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailable(
                    "running as root and there is no `postgres` user to run the "
                    "server as: install Debian's `postgresql` package"
                ) from None
            self._user = "postgres"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._user:
            cmd = ["runuser", "-u", self._user, "--", *cmd]
        # Run from the cluster's own folder: the server's user may not be
        # allowed into the caller's working directory.
        done = subprocess.run(
            cmd, capture_output=True, text=True, check=False, cwd=self.root
        )
        if done.returncode != 0:
            raise ClusterUnavailable(
                f"{args[0]} failed ({done.returncode}): {done.stderr[-2000:]}"
            )

    def start(self) -> Cluster:
        """Create the cluster in a temporary folder and start the server."""
        self.root = Path(tempfile.mkdtemp(prefix="maraude-pg-"))
        if self._user:
            info = pwd.getpwnam(self._user)
            os.chown(self.root, info.pw_uid, info.pw_gid)
        data, sock = self.root / "data", self.root
        self._run(
            "initdb", "-D", str(data), "-U", "maraude", "-A", "trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        self.port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={sock} -c max_connections=60"
        )
        if not self.fsync:  # a throwaway cluster: durability costs only time
            options += " -c fsync=off -c synchronous_commit=off"
        self._run(
            "pg_ctl", "-D", str(data), "-l", str(self.root / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip
        logger.info("PostgreSQL cluster started on 127.0.0.1:%d", self.port)
        return self

    def url(self, dbname: str = "postgres") -> str:
        """The connection URL of database ``dbname``."""
        return f"postgresql://maraude@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing its remaining connections."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        if self.root is None:
            return
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "stop")
        except ClusterUnavailable as e:
            logger.warning("stopping the PostgreSQL cluster failed: %s", e)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None
