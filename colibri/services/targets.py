"""Notification targets (``/api/notifications``): CRUD and a test send.

A target's URL is checked twice before it is saved: its rough shape by the domain when the
``NewNotificationTarget`` is built, then by the notifier itself (Apprise must be able to load
it) through the :class:`~colibri.services.ports.UrlValidator` port; a refusal is ``Invalid``
on ``url`` with the notifier's reason, which never quotes the URL. A taken name is a store
conflict on ``name``.

:meth:`TargetService.test_send` sends one fixed message to one target, once, whatever events
it subscribes to and even when it is disabled (that is how a user checks it before enabling
it), and reports what happened instead of raising.
"""

from __future__ import annotations

import builtins
import logging
from dataclasses import dataclass

from colibri.domain.invalid import Invalid
from colibri.domain.messages import Message, Severity
from colibri.domain.notifications import NewNotificationTarget, NotificationTarget
from colibri.domain.ports import Clock, NotificationTargetStore, Notifier
from colibri.errors import NotifyError
from colibri.services.ports import UrlValidator

__all__ = ["DeliveryReport", "TargetService"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What became of a test message: delivered, or the notifier's (redacted) error."""

    target_id: int
    target: str
    delivered: bool
    error: str = ""
    permanent: bool = False


class TargetService:
    """Manages notification targets; unknown ids give ``None``/``False``."""

    def __init__(
        self,
        targets: NotificationTargetStore,
        notifier: Notifier,
        validate_url: UrlValidator,
        clock: Clock,
    ) -> None:
        self.targets = targets
        self.notifier = notifier
        self.validate_url = validate_url
        self.clock = clock

    def list(self) -> builtins.list[NotificationTarget]:
        """Every target, enabled or not, by name."""
        return builtins.list(self.targets.list_targets())

    def get(self, target_id: int) -> NotificationTarget | None:
        """One target, or ``None``."""
        return self.targets.get(target_id)

    def create(self, new: NewNotificationTarget) -> NotificationTarget:
        """Add a target whose URL the notifier accepts."""
        self._check_url(new.url)
        created = self.targets.create(new)
        log.info("notification target %s created (%s)", created.name, created.redacted_url)
        return created

    def update(self, target_id: int, new: NewNotificationTarget) -> NotificationTarget | None:
        """Replace a target's name, URL, events and switch; ``None`` for an unknown id."""
        self._check_url(new.url)
        return self.targets.update(target_id, new)

    def delete(self, target_id: int) -> bool:
        """Delete a target; ``False`` for an unknown id."""
        return self.targets.delete(target_id)

    def test_send(self, target_id: int) -> DeliveryReport | None:
        """Send a test message to the target, once; ``None`` for an unknown id."""
        target = self.targets.get(target_id)
        if target is None:
            return None
        message = Message(
            title="Colibri: test notification",
            body=(
                f"This is a test message sent at {self.clock.now():%Y-%m-%d %H:%M:%S} UTC. "
                f"Target {target.name!r} receives Colibri's notifications."
            ),
            severity=Severity.INFO,
        )
        try:
            self.notifier.send(target.url, message)
        except NotifyError as exc:
            log.warning("test notification to %s (%s) failed: %s", target.name, target.id, exc)
            return DeliveryReport(target.id, target.name, False, str(exc), exc.permanent)
        return DeliveryReport(target.id, target.name, True)

    def _check_url(self, url: str) -> None:
        try:
            self.validate_url(url)
        except NotifyError as exc:
            raise Invalid("url", str(exc)) from None
