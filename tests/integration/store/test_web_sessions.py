"""Browser sessions on SQLite and PostgreSQL: hashed secrets, and a session never outlives
its token (revoked or expired) or its own lifetime."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from colibri.domain.tokens import NewApiToken, Permission, hash_secret
from colibri.services.sessions import SessionService
from colibri.store import Store
from colibri.store.tables import WebSessionRow
from tests.integration.store.clock import START, FakeClock

READER = NewApiToken("dashboard", frozenset({Permission.CONTAINERS_READ}))


def _service(store: Store, clock: FakeClock, hours: float = 12) -> SessionService:
    return SessionService(store.web_sessions, store.tokens, clock, timedelta(hours=hours))


def test_a_session_acts_as_its_token_and_only_its_hash_is_stored(
    clocked_store: Store, clock: FakeClock
) -> None:
    token = clocked_store.tokens.create(READER)
    made = _service(clocked_store, clock).sign_in(token.secret)
    assert made is not None
    issued, owner = made
    assert owner.id == token.token.id
    assert issued.session.expires_at == START + timedelta(hours=12)

    found = _service(clocked_store, clock).authenticate(issued.secret)
    assert found is not None and found[1].permissions == {Permission.CONTAINERS_READ}
    with clocked_store.sessions() as s:
        stored = s.scalars(select(WebSessionRow.session_hash)).all()
    assert stored == [hash_secret(issued.secret)]
    assert issued.secret not in stored and token.secret != issued.secret


def test_a_session_ends_with_its_lifetime_with_sign_out_and_with_its_token(
    clocked_store: Store, clock: FakeClock
) -> None:
    service = _service(clocked_store, clock, hours=1)
    token = clocked_store.tokens.create(READER)

    first = service.sign_in(token.secret)
    assert first is not None
    clock.advance(3601)
    assert service.authenticate(first[0].secret) is None

    second = service.sign_in(token.secret)
    assert second is not None
    assert service.sign_out(second[0].secret) is True
    assert service.authenticate(second[0].secret) is None
    assert service.sign_out(second[0].secret) is False

    third = service.sign_in(token.secret)
    assert third is not None
    clocked_store.tokens.revoke(token.token.id)
    assert service.authenticate(third[0].secret) is None
    assert service.sign_in(token.secret) is None


def test_a_session_never_outlives_its_token_and_expired_rows_are_purged(
    clocked_store: Store, clock: FakeClock
) -> None:
    short = clocked_store.tokens.create(
        NewApiToken(
            "ci", frozenset({Permission.RUNS_READ}), expires_at=START + timedelta(minutes=5)
        )
    )
    service = _service(clocked_store, clock)
    made = service.sign_in(short.secret)
    assert made is not None
    assert made[0].session.expires_at == START + timedelta(minutes=5)

    clock.advance(301)
    other = clocked_store.tokens.create(READER)
    assert service.sign_in(other.secret) is not None  # purges the expired session
    with clocked_store.sessions() as s:
        assert len(s.scalars(select(WebSessionRow)).all()) == 1
    assert service.authenticate("not-a-session") is None
    assert service.authenticate("") is None
