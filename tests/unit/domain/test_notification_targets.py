"""Notification targets: Apprise URLs kept secret, events from the fixed vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from colibri.domain.events import EventKind
from colibri.domain.invalid import Invalid
from colibri.domain.notifications import (
    NewNotificationTarget,
    NotificationTarget,
    check_apprise_url,
    parse_events,
    redact_apprise_url,
)

SECRET_URL = "tgram://123456:AAEsecretBotToken/987654"


def test_the_url_stays_out_of_repr() -> None:
    new = NewNotificationTarget("ops", SECRET_URL)
    stored = NotificationTarget(
        1, "ops", SECRET_URL, frozenset(EventKind), True, datetime(2030, 1, 1, tzinfo=UTC)
    )
    for value in (new, stored):
        assert "AAEsecret" not in repr(value)
        assert value.redacted_url == "tgram://***"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("json://user:pw@hooks.example.com:8080/hook/s3cr3t", "json://hooks.example.com:8080/***"),
        ("xmls://hooks.example.com/path", "xmls://hooks.example.com/***"),
        ("json://", "json://***"),
        ("discord://webhook_id/webhook_token", "discord://***"),
        ("mailto://user:pass@gmail.com", "mailto://***"),
        ("not a url at all secret", "***"),
    ],
)
def test_redaction_keeps_the_service_and_at_most_a_server_name(url: str, shown: str) -> None:
    assert redact_apprise_url(url) == shown


@pytest.mark.parametrize(
    "url",
    ["", "json://", "tgram:/s3cr3t", "s3cr3t no scheme", "json://a s3cr3t", "json://s3cr3t\nX: y"],
)
def test_a_url_that_is_not_apprise_is_refused_without_echo(url: str) -> None:
    with pytest.raises(Invalid) as raised:
        check_apprise_url(url)
    assert raised.value.field == "url"
    assert "s3cr3t" not in str(raised.value)


def test_a_very_long_url_is_refused() -> None:
    with pytest.raises(Invalid, match="longer than"):
        check_apprise_url("json://" + "x" * 5000)


def test_events_default_to_all_and_parse_from_names() -> None:
    assert NewNotificationTarget("ops", SECRET_URL).events == frozenset(EventKind)
    assert parse_events(["updated", "FAILED"]) == {EventKind.UPDATED, EventKind.FAILED}
    with pytest.raises(Invalid, match="'exploded' is not one of"):
        parse_events(["exploded"])
    with pytest.raises(Invalid, match="at least one"):
        NewNotificationTarget("ops", SECRET_URL, frozenset())


def test_a_target_wants_its_events_while_enabled() -> None:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    target = NotificationTarget(1, "ops", SECRET_URL, frozenset({EventKind.BLOCKED}), True, at)
    assert target.wants(EventKind.BLOCKED)
    assert not target.wants(EventKind.UPDATED)
    off = NotificationTarget(1, "ops", SECRET_URL, frozenset({EventKind.BLOCKED}), False, at)
    assert not off.wants(EventKind.BLOCKED)


def test_a_target_needs_a_name() -> None:
    with pytest.raises(Invalid) as raised:
        NewNotificationTarget("", SECRET_URL)
    assert raised.value.field == "name"
