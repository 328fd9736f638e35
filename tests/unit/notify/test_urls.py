"""Apprise URL validation and redaction: clear errors, and no secret ever printed."""

from __future__ import annotations

import pytest

from colibri.errors import NotifyError
from colibri.notify import redact_url, validate_url

TOKEN = "Zq8wLk3vTu7pXy2aBc9dEf4g"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("json://user:hunter2@127.0.0.1:8080/hook", "json://user:****@127.0.0.1:8080/hook"),
        ("json://127.0.0.1/a/b", "json://127.0.0.1/a/b"),
        (f"json://hooks.example/{TOKEN}", "json://hooks.example/Z...g"),
        ("gotify://push.example/AbCdEfToken", "gotify://push.example/A...n/"),
        ("mailto://bob:pa55word@mail.example", "mailto://bob:****@mail.example/"),
    ],
)
def test_valid_urls_come_back_redacted(url: str, redacted: str) -> None:
    assert validate_url(url, allow_private=True) == redacted
    assert redact_url(url) == redacted


def test_headers_and_query_parameters_are_dropped_from_the_redacted_form() -> None:
    url = "json://127.0.0.1/hook?+X-Api-Key=k3y-header&-token=k3y-param&method=PUT"
    redacted = validate_url(url, allow_private=True)
    assert redacted == "json://127.0.0.1/hook"
    assert "k3y" not in redact_url(url)


def test_surrounding_whitespace_is_ignored() -> None:
    assert validate_url("  json://127.0.0.1/hook\n", allow_private=True) == "json://127.0.0.1/hook"


@pytest.mark.parametrize(
    ("url", "allow_private", "words"),
    [
        ("json://169.254.169.254/latest/meta-data", True, "link-local"),
        ("json://[fd00:ec2::254]/latest", True, "metadata"),
        ("json://[::ffff:169.254.169.254]/x", True, "link-local"),
        ("json://127.0.0.1:8080/hook", False, "COLIBRI_NOTIFY_ALLOW_PRIVATE"),
        ("json://localhost:8080/hook", False, "localhost is a loopback"),  # resolved
        ("json://10.0.0.8/hook", False, "private"),
        ("mailto://bob:pw@192.168.1.2?to=a@b.example", False, "private"),
    ],
)
def test_targets_on_forbidden_addresses_are_refused_naming_the_rule(
    url: str, allow_private: bool, words: str
) -> None:
    with pytest.raises(NotifyError, match=words) as caught:
        validate_url(url, allow_private=allow_private)
    assert caught.value.permanent
    assert "pw@" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("", "the notification URL is empty"),
        ("   ", "the notification URL is empty"),
        ("hooks.example/hunter2", "not an Apprise URL: expected service://…"),
        ("nosuchservice://user:hunter2@x", "unknown notification service nosuchservice://"),
        ("json://", "invalid json:// URL: Apprise rejects its fields or values"),
    ],
)
def test_invalid_urls_are_permanent_errors_that_do_not_echo_the_url(url: str, error: str) -> None:
    with pytest.raises(NotifyError) as caught:
        validate_url(url)
    assert caught.value.permanent
    assert str(caught.value).startswith(error)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("nosuchservice://user:hunter2@x", "nosuchservice://…"),
        ("hooks.example/hunter2", "(invalid URL)"),
        ("", "(invalid URL)"),
    ],
)
def test_urls_that_cannot_be_loaded_are_redacted_to_their_scheme(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted
