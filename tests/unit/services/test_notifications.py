"""The notification use case over fakes: who is told, once, with bounded retries, never raising."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from colibri.domain.events import (
    Blocked,
    Event,
    EventKind,
    Failed,
    RolledBack,
    UpdateAvailable,
    Updated,
)
from colibri.domain.journal import RunStatus
from colibri.domain.messages import Message, render
from colibri.domain.model import CheckResult, CheckStatus
from colibri.domain.notifications import NotificationTarget
from colibri.domain.ports import NotificationLog, NotificationTargets, Notifier
from colibri.errors import NotifyError, StoreError
from colibri.services.notifications import (
    NotificationService,
    RetryPolicy,
    event_for_outcome,
)
from colibri.update.executor import UpdateOutcome
from tests.fakes import FakeClock

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
C = "sha256:" + "c" * 64
SECRET_URL = "json://user:hunter2@hooks.example/abc"
EVERYTHING = tuple(EventKind)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def target(
    id: int, name: str, url: str, events: Iterable[EventKind] = EVERYTHING, enabled: bool = True
) -> NotificationTarget:
    return NotificationTarget(id, name, url, frozenset(events), enabled, CREATED)


@dataclass
class FakeTargets:
    targets: list[NotificationTarget] = field(default_factory=list)
    error: StoreError | None = None

    def list_targets(self) -> Sequence[NotificationTarget]:
        if self.error:
            raise self.error
        return list(self.targets)


@dataclass
class FakeLog:
    keys: set[str] = field(default_factory=set)
    error: StoreError | None = None
    asked: list[str] = field(default_factory=list)

    def first_time(self, key: str) -> bool:
        self.asked.append(key)
        if self.error:
            raise self.error
        if key in self.keys:
            return False
        self.keys.add(key)
        return True


@dataclass
class FakeNotifier:
    """Records deliveries; ``failures[url]`` lists what the next sends to ``url`` raise."""

    sent: list[tuple[str, Message]] = field(default_factory=list)
    failures: dict[str, list[Exception]] = field(default_factory=dict)
    tries: list[str] = field(default_factory=list)

    def send(self, target_url: str, message: Message) -> None:
        self.tries.append(target_url)
        pending = self.failures.get(target_url)
        if pending:
            raise pending.pop(0)
        self.sent.append((target_url, message))

    def urls(self) -> list[str]:
        return [url for url, _ in self.sent]


@dataclass
class World:
    notifier: FakeNotifier = field(default_factory=FakeNotifier)
    targets: FakeTargets = field(default_factory=FakeTargets)
    log: FakeLog = field(default_factory=FakeLog)
    clock: FakeClock = field(default_factory=FakeClock)

    def service(self, retry: RetryPolicy | None = None) -> NotificationService:
        notifier: Notifier = self.notifier
        targets: NotificationTargets = self.targets
        sent: NotificationLog = self.log
        return NotificationService(notifier, targets, sent, self.clock, retry=retry)


def available(
    digest: str = B, environment: str = "prod", container: str = "web"
) -> UpdateAvailable:
    return UpdateAvailable(
        environment=environment,
        container=container,
        image="nginx:1.25",
        remote_digest=digest,
        current_digest=A,
    )


def failed(container: str = "web") -> Failed:
    return Failed(environment="prod", container=container, image="nginx", reason="boom")


def transient(text: str = "notification to json://hooks.example/abc failed") -> NotifyError:
    return NotifyError(text)


# --- who is told -----------------------------------------------------------------------------


def test_each_enabled_target_that_wants_the_event_gets_the_rendered_message() -> None:
    world = World()
    world.targets.targets = [
        target(1, "ops", "json://ops"),
        target(2, "off", "json://off", enabled=False),
        target(3, "changes", "json://changes", events=[EventKind.UPDATED]),
        target(4, "failures", "json://failures", events=[EventKind.FAILED]),
    ]
    report = world.service().notify([failed()])
    assert world.notifier.sent == [
        ("json://ops", render(failed())),
        ("json://failures", render(failed())),
    ]
    assert [(d.target_id, d.target, d.delivered, d.attempts) for d in report.deliveries] == [
        (1, "ops", True, 1),
        (4, "failures", True, 1),
    ]
    assert report.ok and report.deliveries[0].event is EventKind.FAILED


def test_no_events_means_no_store_lookups() -> None:
    world = World()
    world.targets.error = StoreError("down")
    report = world.service().notify([])
    assert report.ok and report.deliveries == ()


# --- once only -------------------------------------------------------------------------------


def test_an_available_update_is_announced_once_per_environment_container_and_digest() -> None:
    world = World()
    world.targets.targets = [target(1, "ops", "json://ops")]
    service = world.service()
    first = service.notify([available()])
    again = service.notify([available(), available()])
    moved = service.notify([available(C)])
    other_env = service.notify([available(environment="lab")])
    other_container = service.notify([available(container="db")])
    assert len(world.notifier.sent) == 4
    assert len(first.deliveries) == 1 and again.deliveries == ()
    assert again.repeated == (available().dedup_key, available().dedup_key)
    assert [len(r.deliveries) for r in (moved, other_env, other_container)] == [1, 1, 1]


def test_the_once_only_key_is_not_spent_while_no_target_wants_the_event() -> None:
    world = World()
    world.targets.targets = [target(1, "changes", "json://changes", events=[EventKind.UPDATED])]
    world.service().notify([available()])
    assert world.log.asked == []
    world.targets.targets.append(target(2, "ops", "json://ops"))
    world.service().notify([available()])
    assert world.notifier.urls() == ["json://ops"]


def test_a_key_is_asked_once_per_event_not_once_per_target() -> None:
    world = World()
    world.targets.targets = [target(1, "a", "json://a"), target(2, "b", "json://b")]
    world.service().notify([available()])
    assert world.log.asked == [available().dedup_key]
    assert world.notifier.urls() == ["json://a", "json://b"]


def test_a_candidate_the_gate_keeps_blocking_is_announced_once() -> None:
    world = World()
    world.targets.targets = [target(1, "ops", "json://ops")]
    blocked = Blocked(environment="p", container="web", image="x", summary="s", digest=B)
    service = world.service()
    service.notify([blocked])
    service.notify([blocked])
    assert len(world.notifier.sent) == 1


def test_updates_rollbacks_and_failures_are_always_sent() -> None:
    world = World()
    world.targets.targets = [target(1, "ops", "json://ops")]
    events: list[Event] = [
        Updated(environment="p", container="web", image="x", new_digest=B, run_id="1"),
        RolledBack(environment="p", container="web", image="x", reason="r", digest=B),
        failed(),
    ]
    service = world.service()
    service.notify(events)
    service.notify(events)
    assert len(world.notifier.sent) == 6
    assert world.log.asked == []


def test_a_log_that_cannot_answer_skips_that_event_and_reports_it() -> None:
    world = World()
    world.targets.targets = [target(1, "ops", "json://ops")]
    world.log.error = StoreError("database is locked")
    report = world.service().notify([available(), failed()])
    assert world.notifier.sent == [("json://ops", render(failed()))]
    assert len(report.errors) == 1 and "database is locked" in report.errors[0]
    assert not report.ok


# --- retries ---------------------------------------------------------------------------------


def test_a_transient_failure_is_retried_with_backoff_on_the_injected_clock() -> None:
    world = World()
    world.targets.targets = [target(1, "ops", "json://ops")]
    world.notifier.failures["json://ops"] = [transient(), transient()]
    report = world.service().notify([failed()])
    assert world.clock.slept == [2.0, 4.0]
    assert world.notifier.tries == ["json://ops"] * 3
    assert report.deliveries[0].delivered and report.deliveries[0].attempts == 3
    assert report.ok


def test_retries_are_bounded_and_the_last_error_is_reported() -> None:
    world = World()
    world.targets.targets = [target(1, "ops", "json://ops")]
    world.notifier.failures["json://ops"] = [transient(f"try {n}") for n in range(10)]
    retry = RetryPolicy(attempts=4, first_delay=1.0, factor=3.0, max_delay=5.0)
    report = world.service(retry).notify([failed()])
    assert world.clock.slept == [1.0, 3.0, 5.0]
    (delivery,) = report.failed
    assert (delivery.attempts, delivery.error, delivery.permanent) == (4, "try 3", False)
    assert not report.ok


def test_a_permanent_failure_is_not_retried() -> None:
    world = World()
    world.targets.targets = [target(1, "ops", "json://ops")]
    world.notifier.failures["json://ops"] = [NotifyError("invalid json:// URL", permanent=True)]
    report = world.service().notify([failed()])
    assert world.clock.slept == []
    assert world.notifier.tries == ["json://ops"]
    (delivery,) = report.failed
    assert delivery.permanent and delivery.attempts == 1


def test_one_failing_target_does_not_stop_the_others() -> None:
    world = World()
    world.targets.targets = [
        target(1, "dead", "json://dead"),
        target(2, "bad", "json://bad"),
        target(3, "live", "json://live"),
    ]
    world.notifier.failures["json://dead"] = [transient()] * 6
    world.notifier.failures["json://bad"] = [NotifyError("invalid", permanent=True)] * 2
    report = world.service().notify([failed("web"), failed("db")])
    assert world.notifier.urls() == ["json://live", "json://live"]
    assert [(d.target, d.container, d.delivered) for d in report.deliveries] == [
        ("dead", "web", False),
        ("bad", "web", False),
        ("live", "web", True),
        ("dead", "db", False),
        ("bad", "db", False),
        ("live", "db", True),
    ]


def test_a_notifier_raising_something_unexpected_is_a_permanent_failure_not_a_crash() -> None:
    world = World()
    world.targets.targets = [target(1, "odd", SECRET_URL), target(2, "live", "json://live")]
    world.notifier.failures[SECRET_URL] = [RuntimeError(f"cannot reach {SECRET_URL}")]
    report = world.service().notify([failed()])
    assert world.notifier.urls() == ["json://live"]
    (delivery,) = report.failed
    assert delivery.permanent and delivery.error == "notifier raised RuntimeError"


def test_targets_that_cannot_be_listed_are_reported_not_raised() -> None:
    world = World()
    world.targets.error = StoreError("no such table: notification_targets")
    report = world.service().notify([failed()])
    assert report.deliveries == ()
    assert report.errors == (
        "cannot list the notification targets: no such table: notification_targets",
    )


def test_logs_name_the_target_but_never_its_url(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    world = World()
    world.targets.targets = [target(7, "ops", SECRET_URL), target(8, "odd", SECRET_URL + "x")]
    world.notifier.failures[SECRET_URL] = [transient("notification to json://hooks… failed")] * 3
    world.notifier.failures[SECRET_URL + "x"] = [ValueError(SECRET_URL)]
    world.service().notify([failed(), available()])
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "ops (7)" in text and "odd (8)" in text
    assert "hunter2" not in text and "hooks.example" not in text


def test_the_retry_policy_caps_its_delays_and_refuses_nonsense() -> None:
    policy = RetryPolicy(attempts=6, first_delay=2.0, factor=2.0, max_delay=10.0)
    assert [policy.delay(n) for n in range(1, 6)] == [2.0, 4.0, 8.0, 10.0, 10.0]
    for bad in ({"attempts": 0}, {"first_delay": -1.0}, {"factor": 0.5}, {"max_delay": -1.0}):
        with pytest.raises(ValueError):
            RetryPolicy(**bad)


# --- from check results and update outcomes --------------------------------------------------


def outcome(status: RunStatus, reason: str = "") -> UpdateOutcome:
    return UpdateOutcome(
        container="web",
        status=status,
        reason=reason,
        old_digest=A,
        new_digest=B,
        old_image_id="sha256:" + "1" * 64,
        new_image_id="sha256:" + "2" * 64,
        downtime_ms=420,
        run_id="run-1",
    )


def test_outcomes_become_events() -> None:
    where = {"environment": "prod", "container": "web", "image": "nginx:1.25"}

    def event(status: RunStatus, reason: str = "") -> object:
        return event_for_outcome(outcome(status, reason), environment="prod", image="nginx:1.25")

    assert event(RunStatus.UPDATED) == Updated(
        **where,
        old_digest=A,
        new_digest=B,
        old_image_id="sha256:" + "1" * 64,
        new_image_id="sha256:" + "2" * 64,
        downtime_ms=420,
        run_id="run-1",
    )
    assert event(RunStatus.BLOCKED, "blocked: 1 critical (CVE-1)") == Blocked(
        **where, summary="blocked: 1 critical (CVE-1)", digest=B, run_id="run-1"
    )
    assert event(RunStatus.ROLLED_BACK, "unhealthy") == RolledBack(
        **where, reason="unhealthy", digest=B, run_id="run-1"
    )
    assert event(RunStatus.FAILED, "pull failed") == Failed(
        **where, reason="pull failed", digest=B, run_id="run-1"
    )
    quiet = (RunStatus.UP_TO_DATE, RunStatus.SKIPPED, RunStatus.WOULD_UPDATE, RunStatus.RUNNING)
    assert [event(status) for status in quiet] == [None] * 4


def test_notify_outcome_sends_what_happened_and_nothing_for_a_dry_run() -> None:
    world = World()
    world.targets.targets = [target(1, "ops", "json://ops")]
    service = world.service()
    service.notify_outcome(outcome(RunStatus.WOULD_UPDATE), environment="prod", image="nginx")
    assert world.notifier.sent == []
    report = service.notify_outcome(outcome(RunStatus.UPDATED), environment="prod", image="n")
    assert report.deliveries[0].event is EventKind.UPDATED
    assert world.notifier.sent[0][1].title == "Updated: web on prod"


def test_notify_check_announces_only_updates_once() -> None:
    world = World()
    world.targets.targets = [target(1, "ops", "json://ops")]
    results = [
        CheckResult("web", "nginx:1.25", CheckStatus.UPDATE_AVAILABLE, "", A, B),
        CheckResult("db", "postgres:16", CheckStatus.UP_TO_DATE, "", A, A),
        CheckResult("cache", "redis:7", CheckStatus.DEFERRED, "429"),
    ]
    service = world.service()
    service.notify_check(results, environment="prod")
    service.notify_check(results, environment="prod")
    assert [message.title for _, message in world.notifier.sent] == [
        "Update available: web on prod"
    ]
