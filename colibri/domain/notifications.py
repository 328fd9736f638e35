"""Notification targets: Apprise URLs, each subscribed to some events.

An Apprise URL carries credentials (a bot token in the host, a webhook token in the path, a
password), so it is a secret: it is left out of every ``repr`` and shown only as
:func:`redact_apprise_url` writes it. The domain knows Apprise's URL shape only roughly;
:mod:`colibri.notify` checks a URL against Apprise itself before it is used.

Events come from :class:`colibri.domain.events.EventKind`. Events that must not repeat (an
update that stays available) carry a de-duplication key; the store's ``NotificationLog``
records each key once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from colibri.domain.events import EventKind
from colibri.domain.invalid import Invalid, parse_choice

__all__ = [
    "NewNotificationTarget",
    "NotificationTarget",
    "check_apprise_url",
    "parse_events",
    "redact_apprise_url",
]

_SCHEME = re.compile(r"([a-z][a-z0-9+.-]{0,31})://", re.IGNORECASE)
#: Generic HTTP plugins: their host is a server name, not a token, and may be shown.
_HOST_SHOWN = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})
_MAX_URL = 4096


@dataclass(frozen=True, slots=True)
class NewNotificationTarget:
    """A target to create or the new state of one: name, Apprise URL, events, on/off."""

    name: str
    url: str = field(repr=False)
    events: frozenset[EventKind] = frozenset(EventKind)
    enabled: bool = True

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > 255:
            raise Invalid("name", "a notification target needs a name of 1-255 characters")
        check_apprise_url(self.url)
        object.__setattr__(self, "events", parse_events(self.events))

    @property
    def redacted_url(self) -> str:
        """The URL without its secrets."""
        return redact_apprise_url(self.url)


@dataclass(frozen=True, slots=True)
class NotificationTarget:
    """A stored target. ``url`` is a secret: use :attr:`redacted_url` to show it."""

    id: int
    name: str
    url: str = field(repr=False)
    events: frozenset[EventKind]
    enabled: bool
    created_at: datetime

    @property
    def redacted_url(self) -> str:
        """The URL without its secrets."""
        return redact_apprise_url(self.url)

    def wants(self, event: EventKind) -> bool:
        """Whether this target is enabled and subscribed to ``event``."""
        return self.enabled and event in self.events


def check_apprise_url(url: str) -> str:
    """``url`` if it looks like an Apprise URL (``service://…``, one line, no spaces).

    ``Invalid`` otherwise, saying why without echoing the URL.
    """
    match = _SCHEME.match(url)
    if match is None or len(url) == len(match.group(0)):
        raise Invalid("url", "not an Apprise URL: expected service://… (json://, ntfy://…)")
    if len(url) > _MAX_URL:
        raise Invalid("url", f"longer than {_MAX_URL} characters")
    if any(character.isspace() or not character.isprintable() for character in url):
        raise Invalid("url", "must be one line without spaces")
    return url


def redact_apprise_url(url: str) -> str:
    """``service://***``: the service and nothing secret.

    For the generic ``json``/``xml``/``form`` plugins the host (a server name) is kept:
    ``json://hooks.example.com/***``. Anything that is not ``service://…`` gives ``***``.
    """
    match = _SCHEME.match(url)
    if match is None:
        return "***"
    scheme = match.group(1).lower()
    if scheme in _HOST_SHOWN:
        try:
            netloc = urlsplit(url).netloc.rpartition("@")[2]
        except ValueError:
            netloc = ""
        if netloc:
            return f"{scheme}://{netloc}/***"
    return f"{scheme}://***"


def parse_events(names: Iterable[str]) -> frozenset[EventKind]:
    """Event names (or members) as a set; ``Invalid`` naming the first unknown one. Empty is
    refused: a target that wants nothing is a mistake (disable it instead)."""
    items = [names] if isinstance(names, str) else names
    parsed = frozenset(parse_choice(EventKind, name, "events") for name in items)
    if not parsed:
        raise Invalid("events", "subscribe to at least one event")
    return parsed
