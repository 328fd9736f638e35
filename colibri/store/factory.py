"""``make_store``: what the composition root calls to get a migrated, ready store."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from colibri.domain.ports import Clock
from colibri.store.audit import SqlAudit
from colibri.store.auto_updates import SqlAutoUpdates
from colibri.store.bad_digests import SqlBadDigests
from colibri.store.container_statuses import SqlContainerStatuses
from colibri.store.db import make_engine, make_session_factory
from colibri.store.environments import SqlEnvironments
from colibri.store.events import SqlActivity
from colibri.store.fleet import SqlLastOutcomes
from colibri.store.journal import SqlJournal
from colibri.store.label_slots import SqlLabelSlots
from colibri.store.migrate import upgrade, upgrade_engine
from colibri.store.notifications import SqlNotificationLog, SqlNotificationTargets
from colibri.store.scan_reports import ScanReports
from colibri.store.scans import ScanRecords
from colibri.store.sessions import SqlWebSessions
from colibri.store.skips import SqlSeenImages, SqlSkips
from colibri.store.tokens import SqlApiTokens
from colibri.store.urls import is_sqlite, normalise_url, sqlite_path

__all__ = ["Store", "make_store"]


@dataclass(frozen=True, slots=True)
class Store:
    """The repositories on one database, and the engine they share (close it at exit).

    ``scans`` stores plain report documents; ``reports`` is the same table in terms of the
    domain's ``ScanReport``. The rest serve ``colibri serve``: environments, auto-update
    settings (and the scheduler's claims), API tokens and browser sessions, notification
    targets and the notification de-duplication log, the last check of each container, the
    numbered events of runs (``activity``), the audit trail of API changes (``audit``), the
    digests not to try again (``bad_digests``), the operator's skips and the candidate
    digests seen.
    """

    engine: Engine
    sessions: sessionmaker[Session]
    journal: SqlJournal
    scans: ScanRecords
    reports: ScanReports
    environments: SqlEnvironments
    auto_updates: SqlAutoUpdates
    tokens: SqlApiTokens
    web_sessions: SqlWebSessions
    notification_targets: SqlNotificationTargets
    notification_log: SqlNotificationLog
    container_statuses: SqlContainerStatuses
    skips: SqlSkips
    seen_images: SqlSeenImages
    activity: SqlActivity
    audit: SqlAudit
    bad_digests: SqlBadDigests
    last_outcomes: SqlLastOutcomes
    label_slots: SqlLabelSlots

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def make_store(url: str, *, clock: Clock | None = None, migrate: bool = True) -> Store:
    """Open the database at ``url``, migrate it to the newest schema, return its repositories.

    ``url`` is ``Settings.effective_database_url``. Raises ``StoreError`` (never showing the
    password) when the URL is invalid or the database cannot be reached or migrated.
    ``migrate=False`` skips the migration, for tools that must not change the schema.
    """
    parsed = normalise_url(url)
    in_memory = is_sqlite(parsed) and sqlite_path(parsed) is None
    if migrate and not in_memory:
        upgrade(url)
    engine = make_engine(parsed)
    if migrate and in_memory:
        upgrade_engine(engine)
    sessions = make_session_factory(engine)
    scans = ScanRecords(sessions)
    return Store(
        engine=engine,
        sessions=sessions,
        journal=SqlJournal(sessions, clock),
        scans=scans,
        reports=ScanReports(scans),
        environments=SqlEnvironments(sessions, clock),
        auto_updates=SqlAutoUpdates(sessions, clock),
        tokens=SqlApiTokens(sessions, clock),
        web_sessions=SqlWebSessions(sessions, clock),
        notification_targets=SqlNotificationTargets(sessions, clock),
        notification_log=SqlNotificationLog(sessions, clock),
        container_statuses=SqlContainerStatuses(sessions, clock),
        skips=SqlSkips(sessions, clock),
        seen_images=SqlSeenImages(sessions, clock),
        activity=SqlActivity(sessions, clock),
        audit=SqlAudit(sessions, clock),
        bad_digests=SqlBadDigests(sessions, clock),
        last_outcomes=SqlLastOutcomes(sessions, clock),
        label_slots=SqlLabelSlots(sessions, clock),
    )
