"""The store: runs, steps, logs, locks and scan records in SQLite (default) or PostgreSQL,
and the service's environments, auto-update settings, API tokens, notification targets and
container statuses.

SQLAlchemy 2 tables (:mod:`.tables`), repositories that speak the domain's types
(:class:`SqlJournal` implements ``colibri.domain.ports.Journal``; :class:`ScanRecords`;
:class:`SqlEnvironments`, :class:`SqlAutoUpdates`, :class:`SqlApiTokens`,
:class:`SqlNotificationTargets`, :class:`SqlNotificationLog`, :class:`SqlContainerStatuses`,
:class:`SqlSkips`, :class:`SqlSeenImages`),
and Alembic migrations run programmatically (:func:`upgrade`). A write that clashes with
stored rows (a duplicate name) raises :class:`StoreConflict` (``kind == "conflict"``). The
composition root calls :func:`make_store`; nothing here opens a database at import time.
"""

from colibri.store.auto_updates import SqlAutoUpdates
from colibri.store.conflicts import StoreConflict
from colibri.store.container_statuses import SqlContainerStatuses
from colibri.store.db import make_engine, make_session_factory
from colibri.store.environments import SqlEnvironments
from colibri.store.factory import Store, make_store
from colibri.store.journal import SqlJournal
from colibri.store.migrate import current_revision, head_revision, upgrade, upgrade_engine
from colibri.store.notifications import SqlNotificationLog, SqlNotificationTargets
from colibri.store.scan_reports import ScannerKey, ScanReports
from colibri.store.scans import ScanRecord, ScanRecords, ScanStatus
from colibri.store.sessions import SqlWebSessions
from colibri.store.skips import SqlSeenImages, SqlSkips
from colibri.store.tokens import SqlApiTokens
from colibri.store.urls import redact

__all__ = [
    "ScanRecord",
    "ScanRecords",
    "ScanReports",
    "ScanStatus",
    "ScannerKey",
    "SqlApiTokens",
    "SqlAutoUpdates",
    "SqlContainerStatuses",
    "SqlEnvironments",
    "SqlJournal",
    "SqlNotificationLog",
    "SqlNotificationTargets",
    "SqlSeenImages",
    "SqlSkips",
    "SqlWebSessions",
    "Store",
    "StoreConflict",
    "current_revision",
    "head_revision",
    "make_engine",
    "make_session_factory",
    "make_store",
    "redact",
    "upgrade",
    "upgrade_engine",
]
