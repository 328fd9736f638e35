"""``colibri serve`` as users run it: a process, on a free port, with its own data directory.

:class:`ServeProcess` starts ``python -m colibri serve`` through the ``colibri`` fixture's
environment (``COLIBRI_API_PORT=0``, no periodic check, a fast scheduler tick), reads its
output as it comes, and waits for the line with the URL. ``store()`` opens the process's
SQLite database from the test, as a second process would.
"""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from colibri.store import Store, make_store
from tests.support.scenario import ColibriCli

URL_LINE = re.compile(r"Colibri is serving on (https?://\S+) ")
TOKEN_LINE = re.compile(r"Admin token \(shown only this once, keep it\): (colibri_\S+)")
SERVE_ENV = {
    "COLIBRI_API_PORT": "0",
    "COLIBRI_CHECK_INTERVAL": "off",
    "COLIBRI_SCHEDULER_TICK": "0.2",
}


@dataclass
class ServeProcess:
    """One running ``colibri serve``; ``lines`` is everything it printed on stdout so far."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    url: str = ""
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def start_reading(self, timeout: float = 60) -> ServeProcess:
        """Read its output in the background; wait for the URL line and the admin token
        line after it (fail with what it said)."""
        out, err = self.process.stdout, self.process.stderr
        assert out is not None and err is not None
        threading.Thread(target=_pump, args=(out, self._queue), daemon=True).start()
        threading.Thread(target=_collect, args=(err, self.stderr), daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            line = self._next(deadline)
            if line is None:
                pytest.fail(f"colibri serve ended before it was ready: {self.output()}")
            found = URL_LINE.search(line)
            if found:
                self.url = found.group(1)
            if line.startswith("Admin token"):
                return self

    @property
    def token(self) -> str | None:
        found = [TOKEN_LINE.search(line) for line in self.lines]
        return next((match.group(1) for match in found if match), None)

    def get(self, path: str, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(self.url + path, headers=headers, timeout=30)

    def post(self, path: str, token: str | None = None, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(self.url + path, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, then the exit code (fails when it does not end in ``timeout``)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"colibri serve did not stop on SIGTERM: {self.output()}")
        self._drain(time.monotonic() + 5)
        return code

    def output(self) -> str:
        return "stdout:\n" + "".join(self.lines) + "\nstderr:\n" + "".join(self.stderr[-60:])

    def _next(self, deadline: float) -> str | None:
        try:
            line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            pytest.fail(f"colibri serve said nothing in time: {self.output()}")
        if line is not None:
            self.lines.append(line)
        return line

    def _drain(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if line is None:
                return
            self.lines.append(line)


def _pump(stream: object, lines: queue.Queue[str | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)
    lines.put(None)


def _collect(stream: object, lines: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.append(line)


class Server:
    """Starts ``colibri serve`` processes on one data directory; kills leftovers at the end."""

    def __init__(self, colibri: ColibriCli) -> None:
        self.colibri = colibri
        self.started: list[ServeProcess] = []

    def start(self, **env: str) -> ServeProcess:
        process = self.colibri.start("serve", **{**SERVE_ENV, **env})
        serving = ServeProcess(process)
        self.started.append(serving)
        return serving.start_reading()

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.colibri.data_dir / 'colibri.db'}"

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The process's database, opened (and migrated, if new) from the test."""
        self.colibri.data_dir.mkdir(parents=True, exist_ok=True)
        with make_store(self.database_url) as opened:
            yield opened

    def cleanup(self) -> None:
        for serving in self.started:
            if serving.process.poll() is None:
                serving.process.kill()
                serving.process.wait(10)


@pytest.fixture
def server(colibri: ColibriCli) -> Iterator[Server]:
    made = Server(colibri)
    yield made
    made.cleanup()
