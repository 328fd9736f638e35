"""Downtime seen from outside: a poller asks the daemon, as fast as it answers, which of the
watched containers is running, and records every interval in which a name had no running
container."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable

import httpx

POLL_PAUSE = 0.002  # a few ms of resolution, without starving the daemon of CPU


class DowntimePoller:
    """Polls ``GET /containers/json`` (running containers only) until stopped."""

    def __init__(self, names: Iterable[str], socket: str = "/var/run/docker.sock") -> None:
        self.names = set(names)
        self.client = httpx.Client(
            transport=httpx.HTTPTransport(uds=socket), base_url="http://docker/v1.41"
        )
        self.gaps: dict[str, list[float]] = {name: [] for name in self.names}
        self.polls = 0
        self._down_since: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> DowntimePoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            answer = self.client.get(
                "/containers/json",
                params={"filters": json.dumps({"status": ["running"], "label": ["colibri.bench"]})},
            )
            now = time.perf_counter()
            running = {n.lstrip("/") for c in answer.json() for n in c["Names"]}
            self.polls += 1
            for name in self.names:
                self._observe(name, name in running, now)
            time.sleep(POLL_PAUSE)

    def _observe(self, name: str, up: bool, now: float) -> None:
        if not up and name not in self._down_since:
            self._down_since[name] = now
        elif up and name in self._down_since:
            self.gaps[name].append(now - self._down_since.pop(name))

    def longest_gap_ms(self, name: str) -> float:
        return max(self.gaps[name], default=0.0) * 1000
