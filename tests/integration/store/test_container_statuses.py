"""Container statuses on SQLite and PostgreSQL: upserts, one-query listings, forgetting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from colibri.domain.container_status import ContainerStatus
from colibri.domain.environments import LOCAL_ENVIRONMENT, Endpoint, NewEnvironment
from colibri.domain.model import CheckStatus
from colibri.errors import StoreError
from colibri.store import SqlContainerStatuses, Store
from tests.integration.store.clock import START

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


@pytest.fixture
def statuses(clocked_store: Store) -> SqlContainerStatuses:
    return clocked_store.container_statuses


@pytest.fixture
def local_id(clocked_store: Store) -> int:
    local = clocked_store.environments.find(LOCAL_ENVIRONMENT)
    assert local is not None
    return local.id


def status(environment_id: int, name: str, **kw: Any) -> ContainerStatus:
    values: dict[str, Any] = {
        "container_id": f"id-{name}",
        "image": "nginx:1.25",
        "status": CheckStatus.UP_TO_DATE,
        "checked_at": START,
        "current_digest": DIGEST_A,
        "remote_digest": DIGEST_A,
    }
    return ContainerStatus(environment_id, name, **(values | kw))


@contextmanager
def counted_statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_status_comes_back_whole(statuses: SqlContainerStatuses, local_id: int) -> None:
    written = status(local_id, "web", reason="tag moved", status=CheckStatus.UPDATE_AVAILABLE)

    assert statuses.record([written]) == 1

    assert statuses.get(local_id, "web") == written
    assert statuses.get(local_id, "/web") == written
    assert statuses.list_statuses() == [written]
    assert statuses.get(local_id, "nothing") is None


def test_a_new_check_replaces_the_last_one(statuses: SqlContainerStatuses, local_id: int) -> None:
    statuses.record([status(local_id, "web")])
    later = status(
        local_id,
        "web",
        container_id="new-id",
        status=CheckStatus.UPDATE_AVAILABLE,
        remote_digest=DIGEST_B,
        checked_at=START + timedelta(hours=1),
        reason="newer digest",
    )

    statuses.record([later])

    assert statuses.list_statuses() == [later]


def test_nothing_to_record_is_no_work(statuses: SqlContainerStatuses) -> None:
    assert statuses.record([]) == 0


def test_an_unknown_environment_fails_the_batch(
    statuses: SqlContainerStatuses, local_id: int
) -> None:
    with pytest.raises(StoreError, match="record 2 container status"):
        statuses.record([status(local_id, "web"), status(4242, "db")])
    assert statuses.list_statuses() == []


def test_listing_filters_by_environment(clocked_store: Store, local_id: int) -> None:
    other = clocked_store.environments.create(NewEnvironment("b", Endpoint("ssh://h")))
    statuses = clocked_store.container_statuses
    statuses.record([status(other.id, "a"), status(local_id, "b"), status(local_id, "a")])

    assert [(s.environment_id, s.container_name) for s in statuses.list_statuses()] == [
        (local_id, "a"),
        (local_id, "b"),
        (other.id, "a"),
    ]
    assert [s.container_name for s in statuses.list_statuses(other.id)] == ["a"]


def test_a_thousand_containers_are_written_and_listed_in_one_query_each(
    clocked_store: Store, local_id: int
) -> None:
    many = [status(local_id, f"c{n:04d}") for n in range(1000)]

    with counted_statements(clocked_store.engine) as writes:
        clocked_store.container_statuses.record(many)
    with counted_statements(clocked_store.engine) as reads:
        listed = clocked_store.container_statuses.list_statuses(local_id)

    assert listed == many
    assert len(reads) == 1, reads
    assert len(writes) <= 2, len(writes)


def test_containers_not_seen_by_a_complete_check_are_forgotten(
    statuses: SqlContainerStatuses, local_id: int
) -> None:
    statuses.record([status(local_id, "gone"), status(local_id, "kept")])
    second_check = START + timedelta(hours=1)
    statuses.record([status(local_id, "kept", checked_at=second_check)])

    assert statuses.forget_unchecked(local_id, second_check) == 1

    assert [s.container_name for s in statuses.list_statuses()] == ["kept"]


def test_deleting_an_environment_deletes_its_statuses(clocked_store: Store) -> None:
    other = clocked_store.environments.create(NewEnvironment("b", Endpoint("ssh://h")))
    clocked_store.container_statuses.record([status(other.id, "web")])

    clocked_store.environments.delete(other.id)

    assert clocked_store.container_statuses.list_statuses() == []
