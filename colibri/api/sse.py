"""Server-sent events: how a run's progress is framed on ``GET /api/runs/{id}/events``.

Each progress event the run service yields becomes one SSE message: ``id:`` is the event's
number (a reconnecting ``EventSource`` sends it back as ``Last-Event-ID`` and gets only what
it missed), ``event:`` the event's ``event`` key (``started``, ``step``, ``log``,
``finished``), ``data:`` the whole event as one line of JSON. After ``finished`` (the run's
outcome) a run's stream closes; a client should stop listening then, as a browser's
``EventSource`` would otherwise reconnect. The stream of every run (``/api/events``) never
ends; when nothing happens it sends a comment line now and then. A store failure while
following ends the stream with an ``error`` message.

A stream holds no worker thread while it waits: the run service's feeds say where they would
wait (``Pause``), each look in between is one short read in a worker thread, and the waiting
is done on the event loop, so open streams leave the threads to the other routes. Each token
may hold at most ``COLIBRI_API_STREAMS_PER_TOKEN`` streams at once (:class:`StreamSlots`);
one more is a 429.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar, cast

import anyio
from fastapi import HTTPException
from fastapi.responses import StreamingResponse

from colibri.api.ports import RunApi
from colibri.errors import ColibriError
from colibri.services.runs import Pause

__all__ = [
    "KEEPALIVE",
    "MEDIA_TYPE",
    "EventStream",
    "StreamSlots",
    "all_events",
    "frame",
    "paced",
    "run_events",
]

log = logging.getLogger(__name__)

MEDIA_TYPE = "text/event-stream"
KEEPALIVE = b": keep-alive\n\n"
_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def frame(event: str, data: Mapping[str, Any]) -> bytes:
    """One SSE message: its id (the data's integer ``id``, if any), its name and its data as
    a single line of JSON."""
    name = event if _NAME.fullmatch(event) else "message"
    payload = json.dumps(data, default=_plain, separators=(",", ":"), sort_keys=True)
    number = data.get("id")
    prefix = f"id: {number}\n" if isinstance(number, int) and not isinstance(number, bool) else ""
    return f"{prefix}event: {name}\ndata: {payload}\n\n".encode()


async def run_events(runs: RunApi, run_id: str, after: int = 0) -> AsyncIterator[bytes]:
    """The run's progress after event ``after`` as SSE messages until it has finished (or
    ``error``)."""
    try:
        async for event in paced(runs.watch(run_id, after)):
            yield frame(str(event.get("event") or "message"), event)
    except ColibriError as exc:
        log.warning("following run %s failed: %s", run_id, exc)
        yield frame("error", {"event": "error", "run_id": run_id, "detail": str(exc)})


async def all_events(runs: RunApi, after: int | None = None) -> AsyncIterator[bytes]:
    """Every run's events after ``after`` (``None``: from now on), a keep-alive comment when
    quiet, until the service stops (or ``error``)."""
    yield KEEPALIVE  # the headers go out at once
    try:
        async for event in paced(runs.watch_all(after)):
            yield KEEPALIVE if event is None else frame(str(event.get("event")), event)
    except ColibriError as exc:
        log.warning("following every run failed: %s", exc)
        yield frame("error", {"event": "error", "detail": str(exc)})


async def paced(items: Iterator[_T | Pause]) -> AsyncIterator[_T]:
    """``items`` without their pauses: each step taken in a worker thread (a short read),
    each pause waited on the event loop."""
    while True:
        item = await anyio.to_thread.run_sync(next, items, _END)
        if item is _END:
            return
        if isinstance(item, Pause):
            await anyio.sleep(item.seconds)
            continue
        yield cast(_T, item)


_END = object()
_T = TypeVar("_T")


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
