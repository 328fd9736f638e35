"""Token answers and lifetimes (registry-spec A5, A6, §11 cases 7, 8)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from colibri.errors import RegistryAuthError, RegistryProtocolError
from colibri.registry.tokens import Token, TokenCache, parse_token_response

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def _parse(document: object) -> Token:
    return parse_token_response(json.dumps(document).encode(), wall_now=NOW, monotonic_now=100.0)


def test_access_token_with_lifetime() -> None:
    token = _parse({"access_token": "x", "expires_in": 300})
    assert (token.value, token.lifetime, token.expires_at) == ("x", 300.0, 400.0)


def test_token_without_lifetime_lasts_sixty_seconds() -> None:
    assert _parse({"token": "t"}).expires_at == 160.0


def test_token_field_wins_over_access_token() -> None:
    assert _parse({"token": "a", "access_token": "b"}).value == "a"


@pytest.mark.parametrize("expires_in", [0, 5, -3, "300", True, None])
def test_lifetime_is_never_below_sixty_seconds(expires_in: object) -> None:
    assert _parse({"token": "t", "expires_in": expires_in}).lifetime == 60.0


def test_issued_at_starts_the_lifetime() -> None:
    token = _parse({"token": "t", "expires_in": 300, "issued_at": "2025-01-01T11:58:00Z"})
    assert token.expires_at == 100.0 + 300 - 120


@pytest.mark.parametrize("issued_at", ["2025-01-01T13:00:00Z", "yesterday", "2025-01-01T11:58:00"])
def test_future_or_unparsable_issued_at_means_now(issued_at: str) -> None:
    token = _parse({"token": "t", "expires_in": 300, "issued_at": issued_at})
    assert token.expires_at == 400.0


@pytest.mark.parametrize("document", [{}, {"token": ""}, {"token": 5}, {"access_token": None}])
def test_no_token_is_an_auth_error(document: object) -> None:
    with pytest.raises(RegistryAuthError, match="no token"):
        _parse(document)


@pytest.mark.parametrize("body", [b"<html>", b"[]"])
def test_garbage_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(RegistryProtocolError):
        parse_token_response(body, wall_now=NOW, monotonic_now=0)


def test_refresh_margin_is_ten_seconds_or_ten_percent() -> None:
    short = Token("s", expires_at=160.0, lifetime=60.0)
    assert short.usable(149.0) and not short.usable(150.0)
    long = Token("l", expires_at=1100.0, lifetime=1000.0)
    assert long.usable(999.0) and not long.usable(1000.0)


def test_token_repr_hides_the_value() -> None:
    assert "secret-value" not in repr(Token("secret-value", 1.0, 60.0))


def test_cache_evicts_only_the_token_that_was_refused() -> None:
    cache = TokenCache()
    old, new = Token("old", 1000.0, 300.0), Token("new", 1000.0, 300.0)
    cache.put("k", old)
    cache.put("k", new)
    cache.evict("k", old)
    assert cache.get("k", 0.0) is new
    cache.evict("k", new)
    assert cache.get("k", 0.0) is None


def test_cache_does_not_return_tokens_near_expiry() -> None:
    cache = TokenCache()
    cache.put("k", Token("t", 100.0, 60.0))
    assert cache.get("k", 80.0) is not None
    assert cache.get("k", 95.0) is None


@pytest.mark.parametrize("value", ["tok en", "tök", "a\r\nX-Injected: 1"])
def test_tokens_unfit_for_a_header_are_refused(value: str) -> None:
    with pytest.raises(RegistryProtocolError, match="unfit for a header"):
        _parse({"token": value})
