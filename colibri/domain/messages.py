"""What a notification says: a pure renderer from events to short, stable, plain text.

``render(event)`` returns a :class:`Message`: a one-line title, a body of a first sentence
followed by ``Key: value`` lines, and a :class:`Severity` that adapters map to their own
notion (Apprise's notify type). The text is plain (no Rich markup, no Markdown), identical
for identical events, and safe to send anywhere:

* digests and image IDs are cut to 12 hex digits (``sha256:0123456789ab``), in free text too;
* free text that came from elsewhere (failure reasons, gate summaries) is collapsed to one
  line, cut to :data:`REASON_LIMIT` characters, and has credentials masked: the user info of
  URLs (``https://user:pw@host`` -> ``https://***@host``), ``Bearer`` tokens, and values of
  ``password=``, ``token=``, ``secret=``, ``api_key=``, ``Authorization:`` style pairs;
* the run id is shown when there is one, so a reader can open ``colibri history``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from colibri.domain.events import Blocked, Event, Failed, RolledBack, UpdateAvailable, Updated

__all__ = ["REASON_LIMIT", "Message", "Severity", "render", "scrub", "short_digest"]

REASON_LIMIT = 300

_DIGEST = re.compile(r"\b(sha256|sha384|sha512):([0-9a-f]{12})[0-9a-f]+\b")
_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^\s/@]+@", re.IGNORECASE)
_BEARER = re.compile(r"\b(bearer)\s+[A-Za-z0-9._~+/-]{8,}=*", re.IGNORECASE)
_SECRET_PAIR = re.compile(
    r"\b(password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key|authorization)"
    r"(\s*[=:]\s*)(?:(?:bearer|basic)\s+)?[^\s&,;]+",
    re.IGNORECASE,
)


class Severity(StrEnum):
    """How a message should look to its reader; adapters map it to their own levels."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    FAILURE = "failure"


@dataclass(frozen=True, slots=True)
class Message:
    """A rendered notification: plain text, ready for any target."""

    title: str
    body: str
    severity: Severity = Severity.INFO


def short_digest(value: str | None) -> str:
    """``sha256:`` plus the first 12 hex digits; ``unknown`` for nothing; other text as is."""
    if not value:
        return "unknown"
    algorithm, sep, hexdigits = value.partition(":")
    if not sep:
        return value[:12]
    return f"{algorithm}:{hexdigits[:12]}"


def scrub(text: str, limit: int = REASON_LIMIT) -> str:
    """Free text made fit for a message: one line, credentials masked, digests shortened,
    at most ``limit`` characters (ending in ``…`` when cut)."""
    line = " ".join(text.split())
    line = _USERINFO.sub(r"\1***@", line)
    line = _BEARER.sub(r"\1 ***", line)
    line = _SECRET_PAIR.sub(r"\1\2***", line)
    line = _DIGEST.sub(r"\1:\2", line)
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


def render(event: Event) -> Message:
    """The message for ``event``."""
    if isinstance(event, UpdateAvailable):
        return _update_available(event)
    if isinstance(event, Updated):
        return _updated(event)
    if isinstance(event, Blocked):
        return _blocked(event)
    if isinstance(event, RolledBack):
        return _rolled_back(event)
    return _failed(event)


def _where(container: str, environment: str) -> str:
    return f"{container} on {environment}" if environment else container


def _lines(*lines: str | None) -> str:
    return "\n".join(line for line in lines if line)


def _run(run_id: str | None) -> str | None:
    return f"Run: {run_id}" if run_id else None


def _version(image: str, new_tag: str | None) -> str | None:
    """``Version: 1.27 -> 1.28`` when a newer tag was found (the old one read from the
    image's reference, its last ``:`` after the last ``/``)."""
    if not new_tag:
        return None
    name = image.partition("@")[0]
    last = name.rsplit("/", 1)[-1]
    old = last.rpartition(":")[2] if ":" in last else "latest"
    return f"Version: {old} -> {new_tag}"


def _downtime(milliseconds: int | None) -> str | None:
    if milliseconds is None:
        return None
    if milliseconds < 1000:
        return f"Downtime: {milliseconds} ms"
    return f"Downtime: {milliseconds / 1000:.1f} s"


def _update_available(event: UpdateAvailable) -> Message:
    where = _where(event.container, event.environment)
    body = _lines(
        f"A newer image is available for {where}.",
        f"Image: {event.image}",
        _version(event.image, event.new_tag),
        f"Running: {short_digest(event.current_digest)}",
        f"Available: {short_digest(event.remote_digest)}",
        f"Changes: {scrub(event.changes)}" if event.changes else None,
    )
    return Message(f"Update available: {where}", body, Severity.INFO)


def _updated(event: Updated) -> Message:
    where = _where(event.container, event.environment)
    digests = f"{short_digest(event.old_digest)} -> {short_digest(event.new_digest)}"
    image_ids = f"{short_digest(event.old_image_id)} -> {short_digest(event.new_image_id)}"
    body = _lines(
        f"{where} was updated and verified.",
        f"Image: {event.image}",
        f"Digest: {digests}",
        f"Image ID: {image_ids}",
        _downtime(event.downtime_ms),
        _run(event.run_id),
    )
    return Message(f"Updated: {where}", body, Severity.SUCCESS)


def _blocked(event: Blocked) -> Message:
    what = "was blocked; the container was not changed."
    summary = event.summary.removeprefix("blocked: ")
    return _trouble(event, "Update blocked", what, summary, Severity.WARNING)


def _rolled_back(event: RolledBack) -> Message:
    what = "failed and was rolled back; the previous container runs again."
    return _trouble(event, "Rolled back", what, event.reason, Severity.WARNING)


def _failed(event: Failed) -> Message:
    return _trouble(event, "Update failed", "failed.", event.reason, Severity.FAILURE)


def _trouble(
    event: Blocked | RolledBack | Failed, title: str, what: str, reason: str, severity: Severity
) -> Message:
    """The message of an update that did not happen: what became of it, and why."""
    where = _where(event.container, event.environment)
    body = _lines(
        f"The update of {where} {what}",
        f"Image: {event.image}",
        f"Candidate: {short_digest(event.digest)}" if event.digest else None,
        f"Reason: {scrub(reason) or 'not given'}",
        _run(event.run_id),
    )
    return Message(f"{title}: {where}", body, severity)
