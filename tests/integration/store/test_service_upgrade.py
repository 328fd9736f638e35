"""A database from before the service's tables (revision 0001) upgrades in place to 0002."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, text

from colibri.domain.container_status import ContainerStatus
from colibri.domain.environments import LOCAL_ENVIRONMENT
from colibri.domain.journal import RunStatus
from colibri.domain.model import CheckStatus
from colibri.domain.notifications import NewNotificationTarget
from colibri.domain.settings import NewAutoUpdate
from colibri.domain.tokens import NewApiToken, Permission
from colibri.store import current_revision, head_revision, make_engine, make_store, upgrade
from colibri.store.types import UtcDateTime

AT = datetime(2030, 1, 1, 12, tzinfo=UTC)


def write_run_at_revision_0001(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO runs (id, environment, container_name, container_id, image,"
                    " status, trigger, dry_run, started_at, reason) VALUES ('r1', 'local',"
                    " 'web', 'c1', 'nginx:1', 'updated', 'cli', :no, :at, 'done')"
                ).bindparams(bindparam("at", type_=UtcDateTime())),
                {"no": False, "at": AT},
            )
    finally:
        engine.dispose()


def test_the_service_revision_keeps_runs_and_adds_working_tables(database_url: str) -> None:
    upgrade(database_url, "0001")
    write_run_at_revision_0001(database_url)

    upgrade(database_url)

    assert current_revision(database_url) == head_revision()
    with make_store(database_url) as store:
        run = store.journal.get_run("r1")
        assert (run.status, run.started_at, run.reason) == (RunStatus.UPDATED, AT, "done")
        local = store.environments.find(LOCAL_ENVIRONMENT)
        assert local is not None
        setting = store.auto_updates.create(NewAutoUpdate(local.id, "web", next_run_at=AT))
        assert [s.id for s in store.auto_updates.due(AT, 10)] == [setting.id]
        issued = store.tokens.create(NewApiToken("admin", frozenset({Permission.ADMIN})))
        assert store.tokens.find_active(issued.secret) == issued.token
        store.notification_targets.create(NewNotificationTarget("ops", "ntfy://topic"))
        assert store.notification_log.first_time("update_available/local/web/sha256:1")
        status = ContainerStatus(local.id, "web", "c1", "nginx:1", CheckStatus.UP_TO_DATE, AT)
        store.container_statuses.record([status])
        assert store.container_statuses.list_statuses() == [status]


def test_the_local_environment_is_created_once(database_url: str) -> None:
    upgrade(database_url, "0001")
    upgrade(database_url)
    upgrade(database_url)

    with make_store(database_url) as store:
        assert [e.name for e in store.environments.list_environments()] == [LOCAL_ENVIRONMENT]
