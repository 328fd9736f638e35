"""API tokens: secrets, their hashes, constant-time checks, permissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from colibri.domain.invalid import Invalid
from colibri.domain.tokens import (
    SECRET_PREFIX,
    ApiToken,
    IssuedToken,
    NewApiToken,
    Permission,
    check_secret,
    display_prefix,
    generate_secret,
    has_permission,
    hash_secret,
    parse_permissions,
    secret_matches,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def token(**kw: object) -> ApiToken:
    fields: dict[str, object] = {
        "id": 1,
        "name": "ci",
        "prefix": "colibri_abcdefgh",
        "permissions": frozenset({Permission.RUNS_READ}),
        "created_at": NOW,
    }
    return ApiToken(**(fields | kw))  # type: ignore[arg-type]


def test_secrets_are_long_random_and_prefixed() -> None:
    first, second = generate_secret(), generate_secret()
    assert first != second
    assert first.startswith(SECRET_PREFIX)
    assert len(first) == len(SECRET_PREFIX) + 43
    assert check_secret(first) == first


def test_the_hash_is_sha256_hex_and_never_the_secret() -> None:
    secret = generate_secret()
    stored = hash_secret(secret)
    assert len(stored) == 64 and secret not in stored
    assert stored == hash_secret(secret)
    assert secret_matches(secret, stored)
    assert not secret_matches(secret + "x", stored)
    assert not secret_matches("", stored)


def test_the_display_prefix_shows_eight_characters_after_the_marker() -> None:
    secret = SECRET_PREFIX + "AbCd1234" + "z" * 35
    assert display_prefix(secret) == "colibri_AbCd1234"
    assert display_prefix("x" * 40) == "xxxxxxxx"


@pytest.mark.parametrize("secret", ["short", "x" * 31, "x" * 20 + " " + "x" * 20, "é" * 40])
def test_weak_or_odd_secrets_are_refused_without_echo(secret: str) -> None:
    with pytest.raises(Invalid) as raised:
        check_secret(secret)
    assert raised.value.field == "token"
    assert secret not in str(raised.value)


def test_admin_grants_everything_and_others_only_themselves() -> None:
    assert has_permission({Permission.ADMIN}, Permission.SETTINGS_MANAGE)
    assert has_permission({Permission.RUNS_READ}, Permission.RUNS_READ)
    assert not has_permission({Permission.RUNS_READ}, Permission.UPDATES_RUN)
    assert token(permissions=frozenset({Permission.SCHEDULES_CREATE})).allows(
        Permission.SCHEDULES_CREATE
    )
    assert not token().allows(Permission.SCHEDULES_DELETE)


def test_the_vocabulary_is_fixed() -> None:
    assert {p.value for p in Permission} == {
        "containers:read",
        "schedules:read",
        "schedules:create",
        "schedules:update",
        "schedules:delete",
        "updates:run",
        "runs:read",
        "environments:read",
        "environments:manage",
        "notifications:read",
        "notifications:manage",
        "settings:manage",
        "audit:read",
        "admin",
    }


def test_permissions_parse_from_names() -> None:
    assert parse_permissions(["runs:read", " ADMIN "]) == {Permission.RUNS_READ, Permission.ADMIN}
    assert parse_permissions("updates:run") == {Permission.UPDATES_RUN}
    with pytest.raises(Invalid, match="'runs:write' is not one of"):
        parse_permissions(["runs:read", "runs:write"])
    with pytest.raises(Invalid, match="at least one"):
        parse_permissions([])


def test_a_new_token_checks_its_fields() -> None:
    new = NewApiToken("ci", frozenset({"runs:read"}))  # type: ignore[arg-type]
    assert new.permissions == {Permission.RUNS_READ}
    with pytest.raises(Invalid) as raised:
        NewApiToken(" ", frozenset({Permission.ADMIN}))
    assert raised.value.field == "name"
    with pytest.raises(Invalid) as raised:
        NewApiToken("ci", frozenset({Permission.ADMIN}), expires_at=datetime(2030, 1, 1))
    assert raised.value.field == "expires_at"


def test_a_token_is_active_until_revoked_or_expired() -> None:
    assert token().is_active(NOW)
    assert not token(revoked_at=NOW).is_active(NOW)
    expiring = token(expires_at=NOW + timedelta(hours=1))
    assert expiring.is_active(NOW)
    assert not expiring.is_active(NOW + timedelta(hours=1))


def test_an_issued_token_never_shows_its_secret() -> None:
    secret = generate_secret()
    issued = IssuedToken(token(), secret)
    assert secret not in repr(issued)
    assert issued.secret == secret
