"""Talk to the OpenFisca worker (``worker.py``) running in its own venv.

The worker takes ~5 s to build the tax-benefit system and ~1-3 s per household,
so it is started once, lazily, from a background thread, and kept alive; a page
asks :meth:`SimulationClient.status` and only calls
:meth:`SimulationClient.estimate` when it is ``"ready"``. Only the household's
figures are sent (adults, children, salary, rent, place, month): never a post.

>>> client = SimulationClient("")
>>> client.status()
'unavailable'
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import subprocess
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import IO, Any, Literal

from maraude.errors import MaraudeError

logger = logging.getLogger(__name__)

WORKER = Path(__file__).resolve().with_name("worker.py")
INSTALL_HINT = (
    "Installez-le avec `make simulation`, puis indiquez dans votre fichier de "
    'configuration : [simulation] python = ".venv-openfisca/bin/python".'
)
#: A worker that dies is restarted, at most this many times.
MAX_RESTARTS = 3

Status = Literal["unavailable", "starting", "ready"]


class SimulationError(MaraudeError):
    """The estimate could not be made: the message says why and what to do."""


class SimulationClient:
    """One worker process, started on first use, shared by every caller."""

    def __init__(self, python: str | Path, worker: Path = WORKER) -> None:
        self.python = str(python) if python else ""
        self.worker = worker
        #: Why the simulator is unavailable (empty when it is not).
        self.reason = "" if self.python else "non configuré"
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._ready = threading.Event()
        self._pending: dict[int, Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._starts = 0
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)

    # -- life cycle -------------------------------------------------------------

    def status(self) -> Status:
        """``unavailable``, ``starting`` or ``ready``; starts the worker if need be."""
        with self._lock:
            if not self.python:
                return "unavailable"
            if not Path(self.python).is_file():
                self.reason = f"{self.python} introuvable"
                return "unavailable"
            running = self._process is not None and self._process.poll() is None
            if not running and self._starts > MAX_RESTARTS:
                return "unavailable"
            if not running:
                return "starting" if self._start() else "unavailable"
            return "ready" if self._ready.is_set() else "starting"

    def _start(self) -> bool:
        """Launch the worker; threads read its output (the caller holds the lock)."""
        self._starts += 1
        self._ready.clear()
        self._fail_pending("le calculateur a redémarré")
        logger.info("starting the OpenFisca worker (attempt %d)", self._starts)
        try:
            process = subprocess.Popen(  # noqa: S603 (our script, configured python)
                [self.python, str(self.worker)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        except OSError as e:
            self.reason = f"impossible de lancer {self.python} ({e})"
            self._starts = MAX_RESTARTS + 1
            return False
        self._process = process
        for target, stream in (
            (self._read, process.stdout),
            (self._drain, process.stderr),
        ):
            threading.Thread(
                target=target, args=(process, stream), daemon=True, name="openfisca"
            ).start()
        return True

    def _read(self, process: subprocess.Popen[str], stream: IO[str]) -> None:
        for line in stream:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            if message.get("ready"):
                self._starts = 0  # a worker that came up: restarts allowed again
                self._ready.set()
                logger.info("the OpenFisca worker is ready")
                continue
            future = self._pending.pop(message.get("id"), None)
            if future is not None:
                future.set_result(message)
        code = process.wait()
        with self._lock:
            if self._process is not process:  # closed on purpose
                logger.info("the OpenFisca worker stopped")
                return
            self._ready.clear()
            last = " ".join(self._stderr)[-300:]
            self.reason = f"le calculateur s'est arrêté (code {code}) : {last}"
            self._fail_pending(self.reason)
        logger.warning("the OpenFisca worker stopped with code %s", code)

    def _drain(self, process: subprocess.Popen[str], stream: IO[str]) -> None:
        for line in stream:
            self._stderr.append(line.strip())

    def _fail_pending(self, reason: str) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            future.set_exception(SimulationError(reason))

    def close(self) -> None:
        """Stop the worker (it is started again on the next :meth:`status`)."""
        with self._lock:
            process, self._process = self._process, None
            self._ready.clear()
            self._fail_pending("le calculateur a été arrêté")
        if process is not None and process.poll() is None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def wait_ready(self, timeout: float) -> bool:
        """Start the worker if need be and wait until it is ready (for tests, CLI)."""
        if self.status() == "unavailable":
            return False
        return self._ready.wait(timeout)

    # -- requests ---------------------------------------------------------------

    def estimate(
        self, situation: dict[str, Any], timeout: float = 30.0
    ) -> dict[str, Any]:
        """Monthly RSA, prime d'activité and housing aid for ``situation``.

        Raises :class:`SimulationError` when the worker is not ready, does not
        answer within ``timeout`` seconds, or rejects the situation.
        """
        if self.status() != "ready":
            raise SimulationError(
                "Le calculateur n'est pas prêt : réessayez dans quelques secondes."
            )
        request_id = next(self._ids)
        future: Future[dict[str, Any]] = Future()
        line = json.dumps({"id": request_id, "situation": situation}) + "\n"
        with self._lock:
            process = self._process
            self._pending[request_id] = future
        try:
            if process is None or process.stdin is None:
                raise OSError("processus absent")
            with self._write_lock:
                process.stdin.write(line)
                process.stdin.flush()
            answer = future.result(timeout=timeout)
        except (OSError, ValueError) as e:
            raise SimulationError(f"le calculateur ne répond plus ({e})") from None
        except FutureTimeout:
            raise SimulationError(
                f"le calculateur n'a pas répondu en {timeout:g} s : réessayez."
            ) from None
        finally:
            self._pending.pop(request_id, None)
        if "error" in answer:
            raise SimulationError(f"situation refusée : {answer['error']}")
        answer.pop("id", None)
        return answer
