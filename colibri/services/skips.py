"""Skipping and snoozing a container's updates (``colibri skip``, ``/api/skips``).

``skip`` records one of (see :mod:`colibri.domain.skips`):

* ``version`` given: that digest or version is not offered (until ``until`` when given);
* no ``version`` but ``until``: a snooze, no update at all until then;
* neither: the candidate the last check offers is skipped, for good. The caller passes
  what it offers (``offered``): the newer tag a version policy found, else the digest.
"""

from __future__ import annotations

from dataclasses import dataclass

from colibri.domain.invalid import Invalid
from colibri.domain.model import CheckResult, CheckStatus
from colibri.domain.ports import Clock, Skips
from colibri.domain.settings import check_container_name
from colibri.domain.skips import NewSkip, Skip, parse_until

__all__ = ["SkipRequest", "SkipService", "offered_version"]


@dataclass(frozen=True, slots=True)
class SkipRequest:
    """What to skip for one container; ``until`` as the user wrote it (``7d``, a date)."""

    environment: str
    container_name: str
    version: str | None = None
    until: str | None = None
    reason: str = ""


class SkipService:
    def __init__(self, skips: Skips, clock: Clock) -> None:
        self.skips = skips
        self.clock = clock

    def skip(self, request: SkipRequest, offered: str | None = None) -> Skip:
        """Record the skip ``request`` asks for; ``Invalid`` names the field that is wrong."""
        name = check_container_name(request.container_name)
        until = parse_until(request.until, self.clock.now()) if request.until else None
        version = request.version or (None if until else offered)
        if version is None and until is None:
            raise Invalid("version", f"{name} has no update on offer to skip; give a version")
        return self.skips.add(NewSkip(request.environment, name, version, until, request.reason))

    def unskip(self, environment: str, container_name: str) -> int:
        """Clear every skip and snooze of the container; how many there were."""
        return self.skips.clear(environment, container_name.removeprefix("/"))

    def delete(self, skip_id: int) -> bool:
        return self.skips.delete(skip_id)

    def list_skips(
        self, environment: str | None = None, container_name: str | None = None
    ) -> list[Skip]:
        """Skips still in force (ended ones are left out)."""
        now = self.clock.now()
        return [
            skip for skip in self.skips.list_skips(environment, container_name) if skip.active(now)
        ]


def offered_version(result: CheckResult) -> str | None:
    """What ``colibri skip NAME`` skips: the check's newer tag, else the new digest (the
    platform manifest when the tag is multi-arch). ``None`` when nothing is offered."""
    if result.status not in (CheckStatus.UPDATE_AVAILABLE, CheckStatus.SKIPPED):
        return None
    return result.target_tag or result.expected_digest or result.remote_digest
