"""Server-sent events: how a run's progress is framed on ``GET /api/runs/{id}/events``.

Each progress event the run service yields becomes one SSE message: ``event:`` is the event's
``event`` key (``step``, ``log``, ``finished``), ``data:`` the whole event as one line of
JSON. After ``finished`` (the run's outcome) the stream closes; a client should stop
listening then, as a browser's ``EventSource`` would otherwise reconnect and hear the story
again. A store failure while following ends the stream with an ``error`` message.

A stream holds no worker thread while it waits: it is an asynchronous generator that asks
the run service for what is new (one short read in a worker thread) and sleeps on the event
loop between looks, so any number of open streams leave the threads to the other routes.
Each token may hold at most ``COLIBRI_API_STREAMS_PER_TOKEN`` streams at once
(:class:`StreamSlots`); one more is a 429.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

import anyio
from fastapi import HTTPException
from fastapi.responses import StreamingResponse

from colibri.api.ports import RunApi
from colibri.errors import ColibriError

__all__ = ["MEDIA_TYPE", "EventStream", "StreamSlots", "frame", "run_events"]

log = logging.getLogger(__name__)

MEDIA_TYPE = "text/event-stream"
POLL_SECONDS = 0.5
_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def frame(event: str, data: Mapping[str, Any]) -> bytes:
    """One SSE message: its name and its data as a single line of JSON."""
    name = event if _NAME.fullmatch(event) else "message"
    payload = json.dumps(data, default=_plain, separators=(",", ":"), sort_keys=True)
    return f"event: {name}\ndata: {payload}\n\n".encode()


async def run_events(runs: RunApi, run_id: str, poll: float = POLL_SECONDS) -> AsyncIterator[bytes]:
    """The run's progress as SSE messages until it has finished (or ``error``)."""
    from colibri.services.runs import Seen

    seen = Seen()
    try:
        while True:
            found = await anyio.to_thread.run_sync(runs.progress, run_id, seen)
            if found is None:
                return
            events, seen = found
            for event in events:
                yield frame(str(event.get("event") or "message"), event)
            if seen.finished:
                return
            await anyio.sleep(poll)
    except ColibriError as exc:
        log.warning("following run %s failed: %s", run_id, exc)
        yield frame("error", {"event": "error", "run_id": run_id, "detail": str(exc)})


class StreamSlots:
    """How many event streams each token holds open; ``take`` refuses one over ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[int, int] = {}
        self._lock = threading.Lock()

    def take(self, token_id: int) -> Callable[[], None]:
        """A slot for ``token_id`` (429 when it holds ``limit``); call the result once to
        give it back."""
        with self._lock:
            held = self._open.get(token_id, 0)
            if held >= self.limit:
                raise HTTPException(
                    429,
                    detail=f"this API token already holds {held} open event streams "
                    f"(at most {self.limit}); close one first",
                    headers={"Retry-After": "5"},
                )
            self._open[token_id] = held + 1
        given_back = False

        def give_back() -> None:
            nonlocal given_back
            with self._lock:
                if given_back:
                    return
                given_back = True
                left = self._open.get(token_id, 1) - 1
                if left > 0:
                    self._open[token_id] = left
                else:
                    self._open.pop(token_id, None)

        return give_back

    def held(self, token_id: int) -> int:
        """The streams ``token_id`` holds open now."""
        with self._lock:
            return self._open.get(token_id, 0)


class EventStream(StreamingResponse):
    """A streaming answer that gives its slot back however it ends (finished, the client
    gone, the server stopping)."""

    def __init__(self, content: AsyncIterator[bytes], release: Callable[[], None]) -> None:
        super().__init__(
            content,
            media_type=MEDIA_TYPE,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self._release = release

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def _plain(value: object) -> object:
    """What ``json`` cannot write on its own: times as ISO 8601, enums as their value."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
