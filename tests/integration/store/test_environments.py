"""Environments on SQLite and PostgreSQL: the migrated ``local`` one, names, endpoints, deletes."""

from __future__ import annotations

import pytest

from colibri.domain.environments import (
    LOCAL_ENDPOINT,
    LOCAL_ENVIRONMENT,
    Endpoint,
    NewEnvironment,
    TlsFiles,
)
from colibri.domain.settings import NewAutoUpdate
from colibri.errors import StoreError
from colibri.store import SqlEnvironments, Store, StoreConflict
from colibri.store.tables import EnvironmentRow
from tests.integration.store.clock import START

TLS = TlsFiles(ca="/certs/ca.pem", cert="/certs/cert.pem", key="/certs/key.pem", verify=False)
REMOTE = NewEnvironment("prod", Endpoint("tcp://docker.example.com:2376", TLS), {"site": "par"})


@pytest.fixture
def environments(clocked_store: Store) -> SqlEnvironments:
    return clocked_store.environments


def test_the_local_environment_exists_after_migration(environments: SqlEnvironments) -> None:
    [local] = environments.list_environments()

    assert (local.name, local.endpoint, local.labels) == (
        LOCAL_ENVIRONMENT,
        Endpoint(LOCAL_ENDPOINT),
        {},
    )
    assert local.created_at.tzinfo is not None
    assert environments.find(LOCAL_ENVIRONMENT) == local
    assert environments.get(local.id) == local


def test_an_environment_comes_back_whole(environments: SqlEnvironments) -> None:
    created = environments.create(REMOTE)

    assert created.id > 0 and created.created_at == START
    assert (created.name, created.endpoint, created.labels) == (
        REMOTE.name,
        REMOTE.endpoint,
        REMOTE.labels,
    )
    assert environments.get(created.id) == created
    assert [e.name for e in environments.list_environments()] == ["local", "prod"]


def test_unknown_ids_and_names_are_none(environments: SqlEnvironments) -> None:
    assert environments.get(9999) is None
    assert environments.find("nowhere") is None
    assert environments.update(9999, REMOTE) is None
    assert environments.delete(9999) is False


def test_a_duplicate_name_is_a_conflict_on_the_name(environments: SqlEnvironments) -> None:
    environments.create(REMOTE)

    with pytest.raises(StoreConflict) as raised:
        environments.create(NewEnvironment("prod", Endpoint("ssh://ops@other")))

    assert raised.value.field == "name"
    assert raised.value.kind == "conflict"
    assert "an environment named 'prod' already exists" in str(raised.value)
    assert isinstance(raised.value, StoreError)


def test_update_replaces_and_refuses_a_taken_name(environments: SqlEnvironments) -> None:
    created = environments.create(REMOTE)
    renamed = NewEnvironment("staging", Endpoint("ssh://ops@staging:2222"), {})

    updated = environments.update(created.id, renamed)

    assert updated is not None
    assert (updated.id, updated.name, updated.endpoint, updated.labels) == (
        created.id,
        "staging",
        Endpoint("ssh://ops@staging:2222"),
        {},
    )
    assert environments.get(created.id) == updated
    with pytest.raises(StoreConflict, match="'local' already exists"):
        environments.update(created.id, NewEnvironment("local", Endpoint(LOCAL_ENDPOINT)))


def test_ensure_creates_once_and_keeps_what_exists(environments: SqlEnvironments) -> None:
    first = environments.ensure(REMOTE)
    again = environments.ensure(NewEnvironment("prod", Endpoint("ssh://changed")))

    assert again == first
    assert environments.ensure(
        NewEnvironment("local", Endpoint("unix:///other.sock"))
    ).endpoint == (Endpoint(LOCAL_ENDPOINT))


def test_an_environment_in_use_cannot_be_deleted(clocked_store: Store) -> None:
    environments = clocked_store.environments
    created = environments.create(REMOTE)
    setting = clocked_store.auto_updates.create(NewAutoUpdate(created.id, "web"))

    with pytest.raises(StoreConflict, match="still has 1 auto-update setting") as raised:
        environments.delete(created.id)
    assert raised.value.field == "environment_id"

    clocked_store.auto_updates.delete(setting.id)
    assert environments.delete(created.id) is True
    assert environments.get(created.id) is None


def test_ids_of_deleted_environments_are_not_reused(environments: SqlEnvironments) -> None:
    first = environments.create(REMOTE)
    environments.delete(first.id)

    second = environments.create(REMOTE)

    assert second.id > first.id


def test_a_row_this_version_cannot_read_is_a_store_error(clocked_store: Store) -> None:
    created = clocked_store.environments.create(REMOTE)
    with clocked_store.sessions.begin() as session:
        row = session.get_one(EnvironmentRow, created.id)
        row.endpoint = "npipe:////./pipe/docker"

    with pytest.raises(StoreError, match=f"environment {created.id} in the database"):
        clocked_store.environments.get(created.id)
