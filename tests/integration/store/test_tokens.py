"""API tokens on SQLite and PostgreSQL: hashed secrets, lookup, revocation, the first token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from colibri.domain.invalid import Invalid
from colibri.domain.tokens import NewApiToken, Permission, display_prefix, hash_secret
from colibri.store import SqlApiTokens, Store, StoreConflict
from colibri.store.tables import ApiTokenRow
from tests.integration.store.clock import START, FakeClock
from tests.integration.store.service_workers import create_first_token
from tests.integration.store.workers import run_in_processes

READER = NewApiToken("dashboard", frozenset({Permission.CONTAINERS_READ, Permission.RUNS_READ}))
ADMIN = NewApiToken("admin", frozenset({Permission.ADMIN}))


@pytest.fixture
def tokens(clocked_store: Store) -> SqlApiTokens:
    return clocked_store.tokens


def test_a_created_token_is_found_by_its_secret(tokens: SqlApiTokens) -> None:
    issued = tokens.create(READER)

    found = tokens.find_active(issued.secret)

    assert found == issued.token
    assert (found.name, found.permissions, found.created_at) == (
        "dashboard",
        READER.permissions,
        START,
    )
    assert found.prefix == display_prefix(issued.secret)
    assert issued.secret.startswith(found.prefix)
    assert tokens.get(found.id) == found


def test_only_the_hash_of_the_secret_is_stored(clocked_store: Store) -> None:
    issued = clocked_store.tokens.create(READER)

    with clocked_store.engine.connect() as connection:
        stored = [str(v) for row in connection.execute(select(ApiTokenRow)) for v in row]

    assert hash_secret(issued.secret) in stored
    assert not any(issued.secret in value for value in stored)


def test_wrong_secrets_find_nothing(tokens: SqlApiTokens) -> None:
    issued = tokens.create(READER)

    assert tokens.find_active(issued.secret[:-1]) is None
    assert tokens.find_active(issued.secret + "x") is None
    assert tokens.find_active("") is None
    assert tokens.find_active(issued.token.prefix) is None


def test_a_revoked_token_is_found_no_more(tokens: SqlApiTokens, clock: FakeClock) -> None:
    issued = tokens.create(READER)
    clock.advance(10)

    revoked = tokens.revoke(issued.token.id)
    clock.advance(10)
    again = tokens.revoke(issued.token.id)

    assert revoked is not None and revoked.revoked_at == START + timedelta(seconds=10)
    assert again == revoked
    assert tokens.find_active(issued.secret) is None
    assert tokens.get(issued.token.id) == revoked
    assert tokens.revoke(9999) is None


def test_an_expired_token_is_found_no_more(tokens: SqlApiTokens, clock: FakeClock) -> None:
    expiring = NewApiToken("ci", frozenset({Permission.UPDATES_RUN}), START + timedelta(hours=1))
    issued = tokens.create(expiring)
    clock.advance(3599)
    assert tokens.find_active(issued.secret) == issued.token

    clock.advance(1)

    assert tokens.find_active(issued.secret) is None


def test_a_given_secret_is_used_once_and_checked(tokens: SqlApiTokens) -> None:
    secret = "s" * 48
    issued = tokens.create(ADMIN, secret=secret)
    assert issued.secret == secret
    assert tokens.find_active(secret) == issued.token

    with pytest.raises(StoreConflict, match="already belongs to another token"):
        tokens.create(READER, secret=secret)
    with pytest.raises(Invalid):
        tokens.create(READER, secret="short")


def test_names_are_unique(tokens: SqlApiTokens) -> None:
    tokens.create(READER)
    with pytest.raises(StoreConflict, match="'dashboard' already exists") as raised:
        tokens.create(READER)
    assert raised.value.field == "name"


def test_touch_records_use_to_the_minute(tokens: SqlApiTokens, clock: FakeClock) -> None:
    issued = tokens.create(READER)

    tokens.touch(issued.token.id)
    clock.advance(30)
    tokens.touch(issued.token.id)
    first = tokens.get(issued.token.id)
    clock.advance(30)
    tokens.touch(issued.token.id)
    second = tokens.get(issued.token.id)
    tokens.touch(9999)

    assert first is not None and first.last_used_at == START
    assert second is not None and second.last_used_at == START + timedelta(seconds=60)


def test_list_shows_every_token_oldest_first(tokens: SqlApiTokens) -> None:
    first = tokens.create(READER)
    second = tokens.create(ADMIN)
    tokens.revoke(first.token.id)

    assert [t.name for t in tokens.list_tokens()] == ["dashboard", "admin"]
    assert [t.revoked_at is not None for t in tokens.list_tokens()] == [True, False]
    assert second.token.allows(Permission.RUNS_RAW)


def test_the_first_token_is_created_only_on_an_empty_store(tokens: SqlApiTokens) -> None:
    issued = tokens.create_first(ADMIN)
    assert issued is not None and tokens.find_active(issued.secret) == issued.token

    tokens.revoke(issued.token.id)
    assert tokens.create_first(NewApiToken("again", frozenset({Permission.ADMIN}))) is None
    assert [t.name for t in tokens.list_tokens()] == ["admin"]


def test_processes_starting_together_create_one_first_token(
    store: Store, database_url: str
) -> None:
    results = run_in_processes(create_first_token, [(database_url, w) for w in range(3)])

    created = [name for name in results if name is not None]
    assert len(created) == 1, results
    assert [t.name for t in store.tokens.list_tokens()] == created
