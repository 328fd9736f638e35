"""Notifications on top of Apprise, behind ``colibri.domain.ports.Notifier``.

``AppriseNotifier`` delivers one rendered message to one Apprise URL (``json://``,
``ntfy://``, ``mailto://``, ``discord://``…) and raises ``NotifyError(permanent=…)`` on
failure; ``validate_url`` is what the API calls before saving a target, and ``redact_url``
is the only form in which a target's URL may be logged or shown. What a message says is
decided in ``colibri.domain.messages``; whom to tell, how often to retry and what not to
repeat in ``colibri.services.notifications``.
"""

from __future__ import annotations

from colibri.notify.apprise import DEFAULT_TIMEOUT, AppriseNotifier
from colibri.notify.urls import redact_url, validate_url

__all__ = ["DEFAULT_TIMEOUT", "AppriseNotifier", "redact_url", "validate_url"]
