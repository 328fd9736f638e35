"""Notification targets as the API shows and takes them.

A target's Apprise URL holds credentials: the API takes it (on create and update) but never
gives it back, not even right after creation; it shows ``redacted_url`` instead
(``json://hooks.example.com/***``, ``tgram://***``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from colibri.api.schemas.common import RequestModel, ResponseModel, Text
from colibri.domain.events import EventKind
from colibri.domain.notifications import NewNotificationTarget, NotificationTarget

__all__ = [
    "DeliveryResult",
    "TargetBase",
    "TargetCreate",
    "TargetPublic",
    "TargetReplace",
    "TargetUpdate",
]

SecretUrl = Annotated[
    str, StringConstraints(min_length=1, max_length=4096, pattern=r"^[^\x00-\x20\x7f]+$")
]


def _url_field(default: object) -> Any:
    return Field(
        default,
        description="An Apprise URL (`ntfy://topic`, `json://host/path`...): a secret, never "
        "shown again.",
        json_schema_extra={"format": "password", "writeOnly": True},
        repr=False,
    )


Events = Annotated[
    list[EventKind],
    Field(min_length=1, max_length=len(EventKind), description="The events it is told about."),
]


class TargetBase(RequestModel):
    """A target's name, the events it wants and whether it is used."""

    name: Text
    events: Events = Field(default_factory=lambda: list(EventKind))
    enabled: bool = True


class TargetCreate(TargetBase):
    """A new target."""

    url: SecretUrl = _url_field(...)

    def to_domain(self) -> NewNotificationTarget:
        """The domain's value; ``Invalid`` naming the field it refuses."""
        return NewNotificationTarget(self.name, self.url, frozenset(self.events), self.enabled)


class TargetReplace(TargetBase):
    """A target's new state; without ``url`` the stored URL is kept."""

    url: SecretUrl | None = _url_field(None)

    def applied_to(self, current: NotificationTarget) -> NewNotificationTarget:
        """The new state; ``Invalid`` naming the field the domain refuses."""
        url = current.url if self.url is None else self.url
        return NewNotificationTarget(self.name, url, frozenset(self.events), self.enabled)


class TargetUpdate(RequestModel):
    """Fields to change; those left out (or ``null``) keep their value, the URL included."""

    name: Text | None = None
    url: SecretUrl | None = _url_field(None)
    events: Events | None = None
    enabled: bool | None = None

    def applied_to(self, current: NotificationTarget) -> NewNotificationTarget:
        """``current`` with these changes; ``Invalid`` naming the field the domain refuses."""
        return NewNotificationTarget(
            name=self.name or current.name,
            url=self.url or current.url,
            events=current.events if self.events is None else frozenset(self.events),
            enabled=current.enabled if self.enabled is None else self.enabled,
        )


class TargetPublic(ResponseModel):
    """A stored target; its URL only as ``redacted_url``."""

    id: int
    name: str
    redacted_url: str
    events: list[EventKind]
    enabled: bool
    created_at: datetime

    @classmethod
    def from_domain(cls, target: NotificationTarget) -> TargetPublic:
        """The API's form of the domain's value."""
        return cls(
            id=target.id,
            name=target.name,
            redacted_url=target.redacted_url,
            events=sorted(target.events),
            enabled=target.enabled,
            created_at=target.created_at,
        )


class DeliveryResult(ResponseModel):
    """The outcome of a test message: ``delivered``, or why not."""

    delivered: bool
    detail: str = ""
