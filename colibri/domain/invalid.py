"""``Invalid``: a value given by a user (API body, CLI option) breaks a domain rule.

It is a ``ValueError``, so a pydantic validator that calls a domain check turns it into a 422
on its own, and it names the ``field`` that was wrong, so an API can say which one without
parsing the message. Its text is ``<field>: <why>``. The small checks shared by the domain's
value types live here too.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TypeVar

__all__ = ["Invalid", "check_aware", "parse_choice"]

_E = TypeVar("_E", bound=StrEnum)


class Invalid(ValueError):
    """``field`` holds a value the domain refuses; ``reason`` says why, in plain words."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def check_aware(moment: datetime | None, field: str) -> None:
    """``Invalid`` when ``moment`` is a naive datetime (``None`` is fine)."""
    if moment is not None and moment.utcoffset() is None:
        raise Invalid(field, f"{moment.isoformat()} has no time zone")


def parse_choice(enum: type[_E], value: object, field: str) -> _E:
    """``value`` as a member of ``enum``: a member, or its value in any case and spacing.

    ``Invalid`` naming ``field`` and listing the accepted values otherwise.
    """
    if isinstance(value, enum):
        return value
    members = {member.value: member for member in enum}
    key = value.strip().lower() if isinstance(value, str) else None
    if key is not None and key in members:
        return members[key]
    raise Invalid(field, f"{value!r} is not one of {', '.join(members)}")
