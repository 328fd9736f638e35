"""The ``Notifier`` port on top of Apprise: one URL, one message, one attempt.

Apprise answers a delivery with a truth value and logs the details itself (to the ``apprise``
logger, secrets masked). This adapter turns that into our contract:

* a URL Apprise cannot load raises ``NotifyError(permanent=True)`` (retrying cannot help);
* a delivery Apprise reports as failed (HTTP error, refused connection, timeout) raises a
  transient ``NotifyError``: Apprise does not say why, so the caller's bounded retries decide;
* anything Apprise itself raises is translated the same way, naming only the exception type
  (library messages may quote the URL).

Every message names the target by its redacted form only (:mod:`colibri.notify.urls`). Each
send loads its own Apprise object (no state shared between threads), sends the body as plain
text, and caps the plugin's connect and read timeouts at this notifier's ``timeout``. Retrying
is the caller's job: Apprise's own per-URL ``retry=`` stays at its default of none.

Apprise and urllib3 may log request paths and query parameters at DEBUG; run with INFO or
above in production (the default).
"""

from __future__ import annotations

import logging

import apprise

from colibri.domain.messages import Message, Severity
from colibri.errors import NotifyError
from colibri.notify.destinations import DestinationRules
from colibri.notify.urls import load_url, make_asset, redact_plugin

__all__ = ["DEFAULT_TIMEOUT", "AppriseNotifier"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0

_NOTIFY_TYPES = {
    Severity.INFO: apprise.NotifyType.INFO,
    Severity.SUCCESS: apprise.NotifyType.SUCCESS,
    Severity.WARNING: apprise.NotifyType.WARNING,
    Severity.FAILURE: apprise.NotifyType.FAILURE,
}


class AppriseNotifier:
    """Sends :class:`~colibri.domain.messages.Message` values through Apprise URLs.

    ``timeout`` (seconds) bounds each network wait of a plugin (connect, read); a URL's own
    ``cto=``/``rto=`` may lower it, never raise it. Before each delivery the target's host is
    checked against the address rules (:mod:`colibri.notify.destinations`): loopback and
    private addresses only with ``allow_private``, link-local and metadata ones never.
    """

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, allow_private: bool = False) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.timeout = timeout
        self.rules = DestinationRules(allow_private=allow_private)

    def send(self, target_url: str, message: Message) -> None:
        """Deliver ``message`` once. Raises ``NotifyError`` (see the module docstring)."""
        asset = make_asset()
        plugin = load_url(target_url, asset)
        plugin.socket_connect_timeout = min(float(plugin.socket_connect_timeout), self.timeout)
        plugin.socket_read_timeout = min(float(plugin.socket_read_timeout), self.timeout)
        target = redact_plugin(plugin)
        self.rules.check(plugin, target, sending=True)
        sender = apprise.Apprise(asset=asset)
        sender.add(plugin)
        try:
            result = sender.notify(
                body=message.body,
                title=message.title,
                notify_type=_NOTIFY_TYPES[message.severity],
                body_format=apprise.NotifyFormat.TEXT,
            )
        except Exception as exc:  # noqa: BLE001 - the library boundary: plugins raise anything
            raise NotifyError(
                f"notification to {target} failed: Apprise raised {type(exc).__name__}"
            ) from None
        if not result:
            status = getattr(getattr(result, "status", None), "name", "failure").lower()
            raise NotifyError(f"notification to {target} failed ({status})")
        log.debug("notification delivered to %s", target)
