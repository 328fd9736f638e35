"""Apprise URLs: validate them, load them, and show them without their secrets.

A target's URL is a secret (tokens in the path, passwords, ``+Header=`` and ``-param=``
values in the query), so it never leaves this package except as :func:`redact_url` prints it:

* Apprise's own privacy form (``url(privacy=True)``: passwords as ``****``, known tokens as
  ``A...n``),
* without its query string (where Apprise keeps custom headers and GET parameters unmasked),
* with every path segment of :data:`LONG_SEGMENT` characters or more cut to ``x...y`` (the
  generic ``json://``, ``xml://`` and ``form://`` plugins print their path as given, and a
  webhook path is often a token).

What cannot be loaded is shown as ``scheme://…`` at most, never verbatim.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import apprise
from apprise.manager_plugins import NotificationManager

from colibri.errors import NotifyError

__all__ = ["LONG_SEGMENT", "load_url", "make_asset", "redact_plugin", "redact_url", "validate_url"]

LONG_SEGMENT = 16

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]{0,31})://", re.IGNORECASE)


def make_asset() -> apprise.AppriseAsset:
    """Colibri's Apprise asset: its name as the sender, secure logging on."""
    return apprise.AppriseAsset(
        app_id="Colibri",
        app_desc="Colibri container updater",
        app_url="",
        secure_logging=True,
    )


def load_url(url: str, asset: apprise.AppriseAsset | None = None) -> apprise.NotifyBase:
    """The Apprise plugin for ``url``. Raises ``NotifyError(permanent=True)`` saying what is
    wrong (empty, no scheme, unknown service, fields Apprise rejects) without echoing it."""
    text = url.strip()
    if not text:
        raise NotifyError("the notification URL is empty", permanent=True)
    match = _SCHEME.match(text)
    if match is None:
        raise NotifyError(
            "not an Apprise URL: expected service://… (json://, ntfy://, mailto://…)",
            permanent=True,
        )
    scheme = match.group(1).lower()
    if not _known_scheme(scheme):
        raise NotifyError(f"unknown notification service {scheme}://", permanent=True)
    plugin = apprise.Apprise.instantiate(text, asset=asset or make_asset())
    if plugin is None:
        raise NotifyError(
            f"invalid {scheme}:// URL: Apprise rejects its fields or values "
            "(or the service is unavailable on this system)",
            permanent=True,
        )
    return plugin


def validate_url(url: str, *, allow_private: bool = False) -> str:
    """Check ``url`` before a target is saved: Apprise loads it, and its host obeys the
    address rules (:mod:`colibri.notify.destinations`); return its redacted form for display.
    Raises ``NotifyError(permanent=True)`` with a message fit for an API error."""
    from colibri.notify.destinations import DestinationRules

    plugin = load_url(url)
    shown = redact_plugin(plugin)
    DestinationRules(allow_private=allow_private).check(plugin, shown, sending=False)
    return shown


def redact_url(url: str) -> str:
    """``url`` fit for logs, errors and the UI (see the module docstring)."""
    try:
        return redact_plugin(load_url(url))
    except NotifyError:
        match = _SCHEME.match(url.strip())
        return f"{match.group(1).lower()}://…" if match else "(invalid URL)"


def redact_plugin(plugin: apprise.NotifyBase) -> str:
    """The redacted form of a loaded plugin's URL."""
    printer: Any = plugin.url  # not annotated in Apprise
    private = str(printer(privacy=True))
    try:
        parts = urlsplit(private)
    except ValueError:
        return f"{private.partition(':')[0]}://…"
    path = "/".join(_mask(segment) for segment in parts.path.split("/"))
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _known_scheme(scheme: str) -> bool:
    manager: Any = NotificationManager  # a singleton; its constructor is not annotated
    return scheme in manager()


def _mask(segment: str) -> str:
    if len(segment) < LONG_SEGMENT:
        return segment
    return f"{segment[0]}...{segment[-1]}"
