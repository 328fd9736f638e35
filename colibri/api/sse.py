"""Server-sent events: how a run's progress is framed on ``GET /api/runs/{id}/events``.

Each progress event the run service yields becomes one SSE message: ``id:`` is the event's
number (a reconnecting ``EventSource`` sends it back as ``Last-Event-ID`` and gets only what
it missed), ``event:`` the event's ``event`` key (``started``, ``step``, ``log``,
``finished``), ``data:`` the whole event as one line of JSON. After ``finished`` (the run's
outcome) a run's stream closes; a client should stop listening then, as a browser's
``EventSource`` would otherwise reconnect. The stream of every run (``/api/events``) never
ends; when nothing happens it sends a comment line now and then. A store failure while
following ends the stream with an ``error`` message.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from colibri.api.ports import RunApi
from colibri.errors import ColibriError

__all__ = ["KEEPALIVE", "MEDIA_TYPE", "all_events", "frame", "run_events"]

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


def run_events(runs: RunApi, run_id: str, after: int = 0) -> Iterator[bytes]:
    """The run's progress after event ``after`` as SSE messages until it has finished (or
    ``error``)."""
    try:
        for event in runs.follow(run_id, after):
            yield frame(str(event.get("event") or "message"), event)
    except ColibriError as exc:
        log.warning("following run %s failed: %s", run_id, exc)
        yield frame("error", {"event": "error", "run_id": run_id, "detail": str(exc)})


def all_events(runs: RunApi, after: int | None = None) -> Iterator[bytes]:
    """Every run's events after ``after`` (``None``: from now on), a keep-alive comment when
    quiet, until the service stops (or ``error``)."""
    yield KEEPALIVE  # the headers go out at once
    try:
        for event in runs.follow_all(after):
            yield KEEPALIVE if event is None else frame(str(event.get("event")), event)
    except ColibriError as exc:
        log.warning("following every run failed: %s", exc)
        yield frame("error", {"event": "error", "detail": str(exc)})


def _plain(value: object) -> object:
    """What ``json`` cannot write on its own: times as ISO 8601, enums as their value."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
