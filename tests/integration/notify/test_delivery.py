"""Real deliveries: Apprise ``json://`` targets on a loopback HTTP sink, through the adapter and
through the notification service (with an in-memory store and a fake clock: no real sleeping).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
from colibri.domain.messages import Message, Severity, render
from colibri.domain.model import CheckResult, CheckStatus
from colibri.domain.notifications import NotificationTarget
from colibri.errors import NotifyError
from colibri.notify import AppriseNotifier
from colibri.services.notifications import NotificationService
from tests.fakes import FakeClock
from tests.support.notify_sink import NotifySink, dead_url

OLD = "sha256:" + "0123456789ab" + "0" * 52
NEW = "sha256:" + "fedcba987654" + "f" * 52
PASSWORD = "hunter2-pa55"
HEADER_TOKEN = "HDR-t0ken-9f8e7d"
PARAM_TOKEN = "PRM-t0ken-1a2b3c"
WHERE: dict[str, Any] = {"environment": "prod", "container": "web", "image": "nginx:1.25"}


@dataclass
class Targets:
    targets: list[NotificationTarget] = field(default_factory=list)

    def add(self, name: str, url: str) -> None:
        created = datetime(2026, 1, 1, tzinfo=UTC)
        target = NotificationTarget(
            len(self.targets) + 1, name, url, frozenset(EventKind), True, created
        )
        self.targets.append(target)

    def list_targets(self) -> Sequence[NotificationTarget]:
        return list(self.targets)


@dataclass
class Log:
    keys: set[str] = field(default_factory=set)

    def first_time(self, key: str) -> bool:
        first = key not in self.keys
        self.keys.add(key)
        return first


def service(targets: Targets, clock: FakeClock | None = None) -> NotificationService:
    return NotificationService(
        AppriseNotifier(timeout=2.0, allow_private=True), targets, Log(), clock or FakeClock()
    )


def secret_url(sink: NotifySink) -> str:
    query = f"?+X-Token={HEADER_TOKEN}&-apikey={PARAM_TOKEN}"
    return sink.url("/hook", user="colibri", password=PASSWORD, query=query)


# --- the adapter -----------------------------------------------------------------------------


def test_a_message_arrives_as_apprise_json_with_title_body_and_type(
    notify_sink: NotifySink,
) -> None:
    message = render(Blocked(**WHERE, summary="blocked: 1 critical (CVE-2024-1)", digest=NEW))
    AppriseNotifier(allow_private=True).send(notify_sink.url("/hooks/colibri"), message)
    (request,) = notify_sink.received
    assert (request.method, request.path) == ("POST", "/hooks/colibri")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "Colibri"
    payload = request.json()
    assert payload["title"] == "Update blocked: web on prod"
    assert payload["message"] == message.body
    assert payload["type"] == "warning"


def test_each_event_arrives_with_the_type_of_its_severity(notify_sink: NotifySink) -> None:
    events: list[Event] = [
        UpdateAvailable(**WHERE, remote_digest=NEW, current_digest=OLD),
        Updated(**WHERE, old_digest=OLD, new_digest=NEW, downtime_ms=900, run_id="run-1"),
        Blocked(**WHERE, summary="blocked: 1 high (CVE-1)", digest=NEW),
        RolledBack(**WHERE, reason="not healthy", digest=NEW, run_id="run-2"),
        Failed(**WHERE, reason="pull failed", run_id="run-3"),
    ]
    notifier = AppriseNotifier(allow_private=True)
    for event in events:
        notifier.send(notify_sink.url(), render(event))
    payloads = [request.json() for request in notify_sink.received]
    assert [p["type"] for p in payloads] == ["info", "success", "warning", "warning", "failure"]
    assert [p["title"] for p in payloads] == [render(event).title for event in events]
    assert "Downtime: 900 ms\nRun: run-1" in payloads[1]["message"]


def test_credentials_headers_and_parameters_of_the_url_are_used(notify_sink: NotifySink) -> None:
    AppriseNotifier(allow_private=True).send(secret_url(notify_sink), Message("t", "b"))
    (request,) = notify_sink.received
    assert request.path == f"/hook?apikey={PARAM_TOKEN}"
    assert request.headers["x-token"] == HEADER_TOKEN
    assert request.headers["authorization"].startswith("Basic ")


def test_an_http_error_is_a_transient_error_naming_the_target_redacted(
    notify_sink: NotifySink,
) -> None:
    notify_sink.fail(1, status=500)
    with pytest.raises(NotifyError) as caught:
        AppriseNotifier(allow_private=True).send(secret_url(notify_sink), Message("t", "b"))
    assert not caught.value.permanent
    port = notify_sink.port
    assert (
        str(caught.value)
        == f"notification to json://colibri:****@127.0.0.1:{port}/hook failed (failure)"
    )


def test_a_refused_connection_is_a_transient_error() -> None:
    with pytest.raises(NotifyError) as caught:
        AppriseNotifier(allow_private=True).send(dead_url(), Message("t", "b"))
    assert not caught.value.permanent and "failed" in str(caught.value)


def test_a_target_that_does_not_answer_is_given_up_after_the_timeout(
    notify_sink: NotifySink,
) -> None:
    notify_sink.hang(30)
    started = time.monotonic()
    with pytest.raises(NotifyError) as caught:
        AppriseNotifier(timeout=0.5, allow_private=True).send(notify_sink.url(), Message("t", "b"))
    assert time.monotonic() - started < 3  # Apprise alone would wait 4 s
    assert not caught.value.permanent


# --- the service over real Apprise -----------------------------------------------------------


def test_a_500_is_retried_and_then_delivered(notify_sink: NotifySink) -> None:
    notify_sink.fail(2, status=500)
    targets, clock = Targets(), FakeClock()
    targets.add("ops", notify_sink.url())
    report = service(targets, clock).notify([Failed(**WHERE, reason="pull failed")])
    assert [request.status for request in notify_sink.received] == [500, 500, 200]
    (delivery,) = report.deliveries
    assert delivery.delivered and delivery.attempts == 3
    assert clock.slept == [2.0, 4.0]
    assert notify_sink.delivered[0].json()["title"] == "Update failed: web on prod"


def test_a_dead_target_does_not_prevent_delivery_to_a_live_one(notify_sink: NotifySink) -> None:
    targets = Targets()
    targets.add("dead", dead_url())
    targets.add("live", notify_sink.url("/live"))
    report = service(targets).notify([Updated(**WHERE, old_digest=OLD, new_digest=NEW)])
    assert [request.path for request in notify_sink.delivered] == ["/live"]
    dead, live = report.deliveries
    assert (dead.target, dead.delivered, dead.attempts, dead.permanent) == ("dead", False, 3, False)
    assert (live.target, live.delivered, live.attempts) == ("live", True, 1)


def test_an_invalid_target_is_not_retried_and_the_others_still_hear(
    notify_sink: NotifySink,
) -> None:
    targets, clock = Targets(), FakeClock()
    targets.add("typo", "jsn://127.0.0.1/hook")
    targets.add("live", notify_sink.url())
    report = service(targets, clock).notify([Failed(**WHERE, reason="x")])
    typo, live = report.deliveries
    assert (typo.delivered, typo.permanent, typo.attempts) == (False, True, 1)
    assert typo.error == "unknown notification service jsn://"
    assert live.delivered and clock.slept == []


def test_an_available_update_arrives_once_however_often_it_is_checked(
    notify_sink: NotifySink,
) -> None:
    targets = Targets()
    targets.add("ops", notify_sink.url())
    notifications = service(targets)
    results = [CheckResult("web", "nginx:1.25", CheckStatus.UPDATE_AVAILABLE, "", OLD, NEW)]
    for _ in range(3):
        notifications.notify_check(results, environment="prod")
    moved = [CheckResult("web", "nginx:1.25", CheckStatus.UPDATE_AVAILABLE, "", OLD, OLD)]
    notifications.notify_check(moved, environment="prod")
    bodies = [request.json()["message"] for request in notify_sink.received]
    assert len(bodies) == 2
    assert "Available: sha256:fedcba987654" in bodies[0]
    assert "Available: sha256:0123456789ab" in bodies[1]


def test_the_url_credentials_never_reach_logs_errors_or_reports(
    notify_sink: NotifySink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    notify_sink.fail(3, status=503)
    targets = Targets()
    targets.add("ops", secret_url(notify_sink))
    report = service(targets).notify([Failed(**WHERE, reason="x")])
    (delivery,) = report.failed
    assert len(notify_sink.received) == 3
    assert PASSWORD not in delivery.error and HEADER_TOKEN not in delivery.error
    assert PARAM_TOKEN not in delivery.error and "colibri:****@" in delivery.error
    records = caplog.records
    assert any(
        r.name == "colibri.services.notifications" and "ops (1)" in r.getMessage() for r in records
    )
    assert all(PASSWORD not in r.getMessage() for r in records)
    # Apprise and urllib3 print custom headers and GET parameters at DEBUG; above it, and in
    # Colibri's own records at any level, no part of the secret URL shows.
    for record in records:
        if record.levelno >= logging.INFO or record.name.startswith("colibri"):
            assert HEADER_TOKEN not in record.getMessage(), record.getMessage()
            assert PARAM_TOKEN not in record.getMessage(), record.getMessage()


def test_messages_are_plain_text_with_short_digests(notify_sink: NotifySink) -> None:
    targets = Targets()
    targets.add("ops", notify_sink.url())
    event = Updated(**WHERE, old_digest=OLD, new_digest=NEW, old_image_id=OLD, new_image_id=NEW)
    service(targets).notify([event])
    body = notify_sink.received[0].json()["message"]
    assert "Digest: sha256:0123456789ab -> sha256:fedcba987654" in body
    assert OLD not in body and NEW not in body and "[" not in body
    assert notify_sink.received[0].json()["type"] == Severity.SUCCESS
