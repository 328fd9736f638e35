"""The CSRF rule for cookie-authenticated requests."""

from __future__ import annotations

import pytest

from colibri.domain.sessions import CSRF_HEADER, csrf_refusal, generate_session_secret


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
def test_reads_always_pass(method: str) -> None:
    assert csrf_refusal(method, "colibri.lan:8080", "https://evil.example", None) is None


@pytest.mark.parametrize(
    ("host", "origin", "marker", "passes"),
    [
        ("127.0.0.1:8080", "http://127.0.0.1:8080", "1", True),
        ("127.0.0.1:8080", None, "1", True),  # no Origin sent: the header alone
        ("Colibri.LAN", "https://colibri.lan", "1", True),
        ("127.0.0.1:8080", "http://127.0.0.1:8080", None, False),
        ("127.0.0.1:8080", "http://127.0.0.1:8080", "", False),
        ("127.0.0.1:8080", "http://evil.example", "1", False),
        ("127.0.0.1:8080", "http://127.0.0.1:9090", "1", False),
        ("127.0.0.1:8080", "null", "1", False),
        (None, "http://127.0.0.1:8080", "1", False),
    ],
)
def test_changes_need_the_header_and_this_origin(
    host: str | None, origin: str | None, marker: str | None, passes: bool
) -> None:
    refusal = csrf_refusal("POST", host, origin, marker)
    assert (refusal is None) is passes
    if marker is None or marker == "":
        assert refusal is not None and CSRF_HEADER in refusal


def test_secrets_are_long_and_distinct() -> None:
    secrets = {generate_session_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(len(secret) >= 43 for secret in secrets)
