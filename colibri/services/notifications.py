"""The notification use case: tell each interested target what happened, once, without ever
failing the update that happened.

``NotificationService.notify(events)`` renders every event (``colibri.domain.messages``) and
sends it to every enabled target that lists the event's kind, through the ``Notifier`` port.

* **Once only.** An event with a ``dedup_key`` (an update still available, a candidate still
  blocked) is sent only if ``NotificationLog.first_time(key)`` says so. The key is recorded
  before sending and only when some target wants the event: at most once, even with two
  services on one store; a delivery that fails everywhere is not repeated on the next check
  (its failure is logged and reported instead). A store that cannot answer skips the event for
  now; the next check brings it again.
* **Bounded retries.** A transient ``NotifyError`` is retried up to ``RetryPolicy.attempts``
  times in all, sleeping ``first_delay * factor**n`` (capped at ``max_delay``) through the
  injected ``Clock``; a permanent one (an invalid URL) is not retried.
* **Never raises.** One target failing does not stop the others; failures are logged (target
  name and id, never its URL: errors from the notifier carry only the redacted form) and
  returned in the :class:`NotificationReport`.

Targets are served one after another, so a dead target costs at most
``attempts * notifier timeout + the backoff delays`` before the next is tried.

:class:`ConfiguredTargets` adds the URLs of ``COLIBRI_NOTIFY_URLS`` to the stored targets (or
stands alone where there is no API, in ``colibri check`` and ``colibri update``): each is a
target subscribed to every event, named ``COLIBRI_NOTIFY_URLS #n``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from colibri.domain.events import (
    ALL_EVENTS,
    Blocked,
    Event,
    EventKind,
    Failed,
    RolledBack,
    Updated,
    update_available_from,
)
from colibri.domain.journal import RunStatus
from colibri.domain.messages import Message, render
from colibri.domain.model import CheckResult
from colibri.domain.notifications import NotificationTarget
from colibri.domain.ports import Clock, NotificationLog, NotificationTargets, Notifier
from colibri.errors import ColibriError, NotifyError
from colibri.update.model import UpdateOutcome

__all__ = [
    "ConfiguredTargets",
    "Delivery",
    "NotificationReport",
    "NotificationService",
    "RetryPolicy",
    "event_for_outcome",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a transient failure is retried (``attempts`` in all)."""

    attempts: int = 3
    first_delay: float = 2.0
    factor: float = 2.0
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.first_delay < 0 or self.factor < 1 or self.max_delay < 0:
            raise ValueError("delays must not be negative and factor not below 1")

    def delay(self, failed_attempt: int) -> float:
        """Seconds to wait after the ``failed_attempt``-th attempt (1-based) failed."""
        return min(self.first_delay * self.factor ** (failed_attempt - 1), self.max_delay)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one event at one target."""

    target_id: int
    target: str
    event: EventKind
    container: str
    delivered: bool
    attempts: int
    error: str = ""
    permanent: bool = False


@dataclass(frozen=True, slots=True)
class NotificationReport:
    """Every delivery tried, the keys not repeated, and what prevented sending at all."""

    deliveries: tuple[Delivery, ...] = ()
    repeated: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[Delivery, ...]:
        return tuple(delivery for delivery in self.deliveries if not delivery.delivered)

    @property
    def ok(self) -> bool:
        """Nothing failed (which includes: nothing was sent)."""
        return not self.failed and not self.errors


@dataclass
class _Tally:
    deliveries: list[Delivery] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def report(self) -> NotificationReport:
        return NotificationReport(tuple(self.deliveries), tuple(self.repeated), tuple(self.errors))


class ConfiguredTargets:
    """The stored targets (when there is a store) and those ``COLIBRI_NOTIFY_URLS`` names."""

    def __init__(self, urls: Sequence[str], stored: NotificationTargets | None = None) -> None:
        self.stored = stored
        self.configured = [
            NotificationTarget(
                id=-number,
                name=f"COLIBRI_NOTIFY_URLS #{number}",
                url=url,
                events=frozenset(ALL_EVENTS),
                enabled=True,
                created_at=datetime(1970, 1, 1, tzinfo=UTC),
            )
            for number, url in enumerate(urls, start=1)
        ]

    def list_targets(self) -> Sequence[NotificationTarget]:
        """The stored targets, then the configured ones."""
        stored = [] if self.stored is None else list(self.stored.list_targets())
        return [*stored, *self.configured]


def event_for_outcome(outcome: UpdateOutcome, *, environment: str, image: str) -> Event | None:
    """The event for an update's outcome; ``None`` for outcomes nobody is told about (up to
    date, skipped, dry run). A blocked outcome's reason is the gate's summary."""
    where = {"environment": environment, "container": outcome.container, "image": image}
    if outcome.status is RunStatus.UPDATED:
        return Updated(
            **where,
            old_digest=outcome.old_digest,
            new_digest=outcome.new_digest,
            old_image_id=outcome.old_image_id,
            new_image_id=outcome.new_image_id,
            downtime_ms=outcome.downtime_ms,
            run_id=outcome.run_id,
        )
    digest, run_id = outcome.new_digest, outcome.run_id
    if outcome.status is RunStatus.BLOCKED:
        return Blocked(**where, summary=outcome.reason, digest=digest, run_id=run_id)
    if outcome.status is RunStatus.ROLLED_BACK:
        return RolledBack(**where, reason=outcome.reason, digest=digest, run_id=run_id)
    if outcome.status is RunStatus.FAILED:
        return Failed(**where, reason=outcome.reason, digest=digest, run_id=run_id)
    return None


class NotificationService:
    """Sends events to the configured targets (see the module docstring)."""

    def __init__(
        self,
        notifier: Notifier,
        targets: NotificationTargets,
        sent: NotificationLog,
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.notifier = notifier
        self.targets = targets
        self.sent = sent
        self.clock = clock
        self.retry = retry or RetryPolicy()

    def notify_check(
        self, results: Iterable[CheckResult], *, environment: str
    ) -> NotificationReport:
        """Announce the updates a check found (each one once)."""
        events = (update_available_from(result, environment) for result in results)
        return self.notify([event for event in events if event is not None])

    def notify_outcome(
        self, outcome: UpdateOutcome, *, environment: str, image: str
    ) -> NotificationReport:
        """Announce one update's outcome; fits ``UpdateService.update(on_outcome=...)``."""
        event = event_for_outcome(outcome, environment=environment, image=image)
        return self.notify([] if event is None else [event])

    def notify(self, events: Iterable[Event]) -> NotificationReport:
        """Send ``events`` to the targets that want them. Never raises."""
        tally = _Tally()
        try:
            self._notify(list(events), tally)
        except Exception as exc:  # a notification must never fail an update
            log.exception("notifications stopped by an unexpected error")
            tally.errors.append(f"unexpected {type(exc).__name__}")
        return tally.report()

    def _notify(self, events: Sequence[Event], tally: _Tally) -> None:
        if not events:
            return
        try:
            targets = list(self.targets.list_targets())
        except ColibriError as exc:
            log.error("notifications not sent: cannot list the targets: %s", exc)
            tally.errors.append(f"cannot list the notification targets: {exc}")
            return
        for event in events:
            wanted = [target for target in targets if target.wants(event.kind)]
            if wanted and self._first_time(event, tally):
                message = render(event)
                tally.deliveries.extend(self._deliver(t, event, message) for t in wanted)

    def _first_time(self, event: Event, tally: _Tally) -> bool:
        key = event.dedup_key
        if key is None:
            return True
        try:
            first = self.sent.first_time(key)
        except ColibriError as exc:
            log.warning("%s for %s not sent: %s", event.kind, event.container, exc)
            tally.errors.append(f"cannot tell whether {key} was sent: {exc}")
            return False
        if not first:
            log.debug("%s for %s already sent (%s)", event.kind, event.container, key)
            tally.repeated.append(key)
        return first

    def _deliver(self, target: NotificationTarget, event: Event, message: Message) -> Delivery:
        attempts, error = self._send_with_retries(target, message)
        if error is None:
            log.info("notified %s of %s for %s", target.name, event.kind, event.container)
        else:
            log.warning(
                "notification of %s for %s to %s (%s) failed after %d attempt(s): %s",
                *(event.kind, event.container, target.name, target.id, attempts, error),
            )
        return Delivery(
            target_id=target.id,
            target=target.name,
            event=event.kind,
            container=event.container,
            delivered=error is None,
            attempts=attempts,
            error="" if error is None else str(error),
            permanent=error is not None and error.permanent,
        )

    def _send_with_retries(
        self, target: NotificationTarget, message: Message
    ) -> tuple[int, NotifyError | None]:
        """Attempts made, and the last error (``None``: delivered)."""
        attempt, error = 1, self._attempt(target, message)
        while error is not None and not error.permanent and attempt < self.retry.attempts:
            delay = self.retry.delay(attempt)
            log.info(
                "notification to %s (%s) failed, attempt %d of %d: %s; retrying in %.1f s",
                *(target.name, target.id, attempt, self.retry.attempts, error, delay),
            )
            self.clock.sleep(delay)
            attempt, error = attempt + 1, self._attempt(target, message)
        return attempt, error

    def _attempt(self, target: NotificationTarget, message: Message) -> NotifyError | None:
        try:
            self.notifier.send(target.url, message)
        except NotifyError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - a broken notifier must not stop the others
            # Neither the message nor the traceback: either may quote the target's URL.
            return NotifyError(f"notifier raised {type(exc).__name__}", permanent=True)
        return None
