"""The store: runs, steps, logs, locks and scan records in SQLite (default) or PostgreSQL.

SQLAlchemy 2 tables (:mod:`.tables`), repositories that speak the domain's types
(:class:`SqlJournal` implements ``colibri.domain.ports.Journal``; :class:`ScanRecords`),
and Alembic migrations run programmatically (:func:`upgrade`). The composition root calls
:func:`make_store`; nothing here opens a database at import time.
"""

from colibri.store.db import make_engine, make_session_factory
from colibri.store.factory import Store, make_store
from colibri.store.journal import SqlJournal
from colibri.store.migrate import current_revision, head_revision, upgrade, upgrade_engine
from colibri.store.scan_reports import ScannerKey, ScanReports
from colibri.store.scans import ScanRecord, ScanRecords, ScanStatus
from colibri.store.urls import redact

__all__ = [
    "ScanRecord",
    "ScanRecords",
    "ScanReports",
    "ScanStatus",
    "ScannerKey",
    "SqlJournal",
    "Store",
    "current_revision",
    "head_revision",
    "make_engine",
    "make_session_factory",
    "make_store",
    "redact",
    "upgrade",
    "upgrade_engine",
]
