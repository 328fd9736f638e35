"""Skips and snoozes: updates an operator said no to, for a while or for good.

A :class:`Skip` belongs to one container (by name, in one environment) and is one of:

* a **digest** skip: the image with that digest is not offered (a tag's new digest, or the
  platform manifest inside it);
* a **version** skip: that version is not offered, whether it is the newer tag a version
  policy found (``1.28.0``; ``2025.4.0`` and ``2025.04.0`` are the same version) or the
  ``org.opencontainers.image.version`` label of the new image. A *newer* version than the
  skipped one is offered again, and so is an older one that is still newer than what runs;
* a **snooze**: no update at all until ``until``.

Any of them may end at ``until`` (a snooze must); an ended skip no longer counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from colibri.domain.invalid import Invalid, check_aware
from colibri.domain.versions import parse_tag

__all__ = [
    "Candidate",
    "NewSkip",
    "Skip",
    "SkipKind",
    "active_skip",
    "covers_tag",
    "kind_of",
    "parse_until",
    "skip_reason",
]

_DIGEST_RE = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}")
_DURATION_RE = re.compile(r"(\d+)\s*(m|h|d|w)")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
_VERSION_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}")


class SkipKind(StrEnum):
    DIGEST = "digest"
    VERSION = "version"
    SNOOZE = "snooze"


@dataclass(frozen=True, slots=True)
class NewSkip:
    """A skip to record. ``version`` is a digest (``sha256:…``) or a version; ``None``
    snoozes every update, and then ``until`` is required. Checked when built."""

    environment: str
    container_name: str
    version: str | None = None
    until: datetime | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        check_aware(self.until, "until")
        if self.version is not None:
            version = self.version.strip()
            if not (_DIGEST_RE.fullmatch(version) or _VERSION_RE.fullmatch(version)):
                raise Invalid("version", f"{self.version!r} is neither a digest nor a version")
            object.__setattr__(self, "version", version)
        elif self.until is None:
            raise Invalid("until", "a snooze (no version given) needs an end, as in 7d")
        if len(self.reason) > 500:
            raise Invalid("reason", "at most 500 characters")

    @property
    def kind(self) -> SkipKind:
        return kind_of(self.version)


@dataclass(frozen=True, slots=True)
class Skip:
    """A recorded skip."""

    id: int
    environment: str
    container_name: str
    version: str | None
    until: datetime | None
    reason: str
    created_at: datetime

    @property
    def kind(self) -> SkipKind:
        return kind_of(self.version)

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "environment": self.environment,
            "container": self.container_name,
            "kind": self.kind.value,
            "version": self.version,
            "until": self.until.isoformat() if self.until else None,
            "reason": self.reason,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Candidate:
    """What an update would move to: the digests it is known by, the newer tag (version
    policies) and the new image's version label, when known."""

    digests: frozenset[str]
    tag: str | None = None
    version_label: str | None = None


def kind_of(version: str | None) -> SkipKind:
    """A snooze without a version, a digest skip for ``alg:hex``, a version skip otherwise."""
    if version is None:
        return SkipKind.SNOOZE
    return SkipKind.DIGEST if _DIGEST_RE.fullmatch(version) else SkipKind.VERSION


def covers_tag(skip: Skip, tag: str) -> bool:
    """Whether a version skip names ``tag``: the same text, or the same version on the same
    line (prefix and variant) as :mod:`colibri.domain.versions` reads them."""
    if skip.kind is not SkipKind.VERSION or skip.version is None:
        return False
    if skip.version == tag:
        return True
    skipped, offered = parse_tag(skip.version), parse_tag(tag)
    if skipped is None or offered is None:
        return False
    return skipped.line == offered.line and skipped.key == offered.key


def active_skip(skips: Iterable[Skip], candidate: Candidate, now: datetime) -> Skip | None:
    """The first skip, still active at ``now``, that says no to ``candidate``."""
    check_aware(now, "now")
    for skip in skips:
        if skip.active(now) and _matches(skip, candidate):
            return skip
    return None


def _matches(skip: Skip, candidate: Candidate) -> bool:
    if skip.kind is SkipKind.SNOOZE:
        return True
    if skip.kind is SkipKind.DIGEST:
        return skip.version in candidate.digests
    offered = [text for text in (candidate.tag, candidate.version_label) if text]
    return any(covers_tag(skip, text) for text in offered)


def skip_reason(skip: Skip) -> str:
    """What ``check`` says about a skipped candidate."""
    until = f" until {_when(skip.until)}" if skip.until else ""
    because = f": {skip.reason}" if skip.reason else ""
    if skip.kind is SkipKind.SNOOZE:
        return f"updates snoozed{until}{because}"
    return f"{skip.kind.value} {skip.version} skipped{until}{because}"


def parse_until(text: str, now: datetime) -> datetime:
    """``7d``, ``12h``, ``30m``, ``2w`` from ``now``, or a date (``2026-12-24``, midnight
    UTC) or an ISO 8601 time; ``Invalid`` naming ``until`` otherwise, or when it is past."""
    check_aware(now, "now")
    cleaned = text.strip()
    match = _DURATION_RE.fullmatch(cleaned.lower())
    if match is not None:
        moment = now + timedelta(seconds=int(match[1]) * _UNITS[match[2]])
    else:
        try:
            moment = datetime.fromisoformat(cleaned)
        except ValueError:
            raise Invalid(
                "until", f"{text!r} is neither a duration (7d, 12h) nor a date (2026-12-24)"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    if moment <= now:
        raise Invalid("until", f"{text!r} is already past")
    return moment


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
