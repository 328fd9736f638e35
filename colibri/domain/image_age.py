"""Minimum image age: a candidate becomes eligible only once it is at least that old.

Its age counts from the ``created`` time in the image's configuration. Reproducible builds
set it to the Unix epoch (or another fixed time long past), and a builder's clock can be
wrong, so a ``created`` before :data:`MEANINGFUL_SINCE` or more than a day in the future is
not believed: the age then counts from when Colibri first saw that digest (recorded by the
caller the first time it is offered). Both are compared in UTC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from colibri.domain.invalid import Invalid, check_aware

__all__ = [
    "MEANINGFUL_SINCE",
    "AgeBasis",
    "AgeDecision",
    "SeenImage",
    "config_digest",
    "decide_age",
    "parse_created",
    "parse_min_age",
    "read_config",
]

#: The earliest ``created`` time taken at its word (OCI images did not exist before it).
MEANINGFUL_SINCE = datetime(2013, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=1)
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}
_RFC3339_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})?"
)


class AgeBasis(StrEnum):
    """What an image's age was counted from."""

    CREATED = "created"
    FIRST_SEEN = "first_seen"


@dataclass(frozen=True, slots=True)
class AgeDecision:
    """Whether a candidate is old enough. ``eligible_at`` is when it is (or was) first old
    enough; ``basis`` what its age counts from; ``age`` its age at the decision."""

    eligible: bool
    eligible_at: datetime
    basis: AgeBasis
    age: timedelta

    @property
    def reason(self) -> str:
        if self.eligible:
            return ""
        when = self.eligible_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        since = "its build" if self.basis is AgeBasis.CREATED else "first seen"
        return f"eligible at {when} (minimum age; {_short(self.age)} old since {since})"


@dataclass(frozen=True, slots=True)
class SeenImage:
    """A candidate image as Colibri first saw it: its digest (the manifest that would run),
    when, and what its configuration says (``created``, the ``org.opencontainers.*`` labels)."""

    digest: str
    first_seen_at: datetime
    created: datetime | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_aware(self.first_seen_at, "first_seen_at")
        check_aware(self.created, "created")


def parse_min_age(text: str, field: str = "min_age") -> timedelta | None:
    """``3d``, ``12h``, ``90m``, ``2w``, ``45s`` or plain seconds; ``0``/``off`` is ``None``
    (no minimum). ``Invalid`` names ``field``."""
    cleaned = text.strip().lower()
    if cleaned in {"", "0", "off", "none"}:
        return None
    match = _DURATION_RE.fullmatch(cleaned)
    if match is None:
        raise Invalid(field, f"{text!r} is not a duration such as 3d, 12h, 90m or off")
    seconds = float(match[1]) * _UNITS[match[2]]
    return timedelta(seconds=seconds) if seconds > 0 else None


def parse_created(text: object) -> datetime | None:
    """An image configuration's ``created`` (RFC 3339, nanoseconds allowed) as aware UTC;
    ``None`` when missing or unreadable."""
    if not isinstance(text, str):
        return None
    match = _RFC3339_RE.fullmatch(text.strip())
    if match is None:
        return None
    day, clock, fraction, offset = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if offset in (None, "Z", "z") else _colon(offset)
    try:
        return datetime.fromisoformat(f"{day}T{clock}.{micro}{zone}").astimezone(UTC)
    except ValueError:
        return None


def decide_age(
    min_age: timedelta | None,
    now: datetime,
    *,
    created: datetime | None,
    first_seen: datetime,
) -> AgeDecision:
    """Is a candidate built at ``created`` and first seen at ``first_seen`` old enough at
    ``now``? Without a minimum it always is (its age still reported)."""
    check_aware(now, "now")
    check_aware(first_seen, "first_seen")
    check_aware(created, "created")
    if created is not None and MEANINGFUL_SINCE <= created <= now + _FUTURE_SLACK:
        basis, since = AgeBasis.CREATED, created
    else:
        basis, since = AgeBasis.FIRST_SEEN, first_seen
    age = max(now - since, timedelta(0))
    ready = since + (min_age or timedelta(0))
    return AgeDecision(now >= ready, ready, basis, age)


def _colon(offset: str) -> str:
    return offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"


def _short(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


#: Labels kept from a candidate's configuration: the OCI annotations "what changed" reads.
KEPT_LABEL_PREFIX = "org.opencontainers.image."


def config_digest(manifest: bytes) -> str | None:
    """The configuration blob's digest named by an image manifest, ``None`` when it names
    none (an index, or not a manifest)."""
    try:
        document = json.loads(manifest)
    except ValueError:
        return None
    config = document.get("config") if isinstance(document, dict) else None
    digest = config.get("digest") if isinstance(config, dict) else None
    return digest if isinstance(digest, str) else None


def read_config(blob: bytes) -> tuple[datetime | None, dict[str, str]]:
    """``created`` and the OCI labels (``org.opencontainers.image.*``) of an image
    configuration; nothing for what it lacks or cannot be read."""
    try:
        document = json.loads(blob)
    except ValueError:
        return None, {}
    if not isinstance(document, dict):
        return None, {}
    config = document.get("config")
    labels = config.get("Labels") if isinstance(config, dict) else None
    kept = {
        key: value[:1024]
        for key, value in (labels if isinstance(labels, dict) else {}).items()
        if isinstance(key, str) and key.startswith(KEPT_LABEL_PREFIX) and isinstance(value, str)
    }
    return parse_created(document.get("created")), kept
