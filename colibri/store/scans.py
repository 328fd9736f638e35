"""``ScanRecords``: vulnerability scan results per image digest and scanner.

Records are only ever added. A failed scan is kept (its time and error say when to retry) but
never hides a good one: :meth:`ScanRecords.latest_good` looks at good records only. A good
record is *reusable* for a decision while it was made with the vulnerability database build
the scanner has now (and, if asked, the same scanner version), so that two images compared
with each other were scanned against the same build.

The report is stored as the plain JSON document the scanning code produces (its
``ScanReport.to_dict()``); the store does not interpret it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from colibri.errors import StoreError
from colibri.store.db import reading, writing
from colibri.store.errors import translate
from colibri.store.records import json_document
from colibri.store.tables import ScanRecordRow

__all__ = ["ScanRecord", "ScanRecords", "ScanStatus"]


class ScanStatus(StrEnum):
    """Whether the scan produced a usable report."""

    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """One scan of ``digest`` by ``scanner``; ``id`` is set once saved.

    ``db_build`` identifies the vulnerability database the scanner used (its build time or
    version, as the scanner reports it). A good record carries its ``report``; a failed one
    says why in ``error``.
    """

    digest: str
    scanner: str
    scanner_version: str
    db_build: str
    scanned_at: datetime
    status: ScanStatus
    report: Mapping[str, Any] | None = None
    error: str = ""
    id: int | None = None


class ScanRecords:
    """The scan records repository; every method is one transaction."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def save(self, record: ScanRecord) -> ScanRecord:
        """Add ``record`` and return it with its ``id``."""
        operation = f"save {record.scanner} scan of {record.digest}"
        status = ScanStatus(record.status)
        if status is ScanStatus.OK and record.report is None:
            raise StoreError(f"{operation}: a good scan record needs its report")
        report = None if record.report is None else json_document(record.report, operation)
        row = _row(record, status, report)
        with translate(operation), writing(self._sessions) as s:
            s.add(row)
            s.flush()
        return replace(record, status=status, id=row.id)

    def latest_good(self, digest: str, scanner: str) -> ScanRecord | None:
        """The newest good record for ``digest`` by ``scanner``, whatever failed after it."""
        return self._first(f"read {scanner} scan of {digest}", _good(digest, scanner))

    def reusable(
        self, digest: str, scanner: str, db_build: str, *, scanner_version: str | None = None
    ) -> ScanRecord | None:
        """The newest good record made with database build ``db_build`` (and, when given,
        ``scanner_version``), or ``None`` when the image must be scanned again."""
        query = _good(digest, scanner).where(ScanRecordRow.db_build == db_build)
        if scanner_version is not None:
            query = query.where(ScanRecordRow.scanner_version == scanner_version)
        return self._first(f"read reusable {scanner} scan of {digest}", query)

    def latest(self, digest: str, scanner: str) -> ScanRecord | None:
        """The newest record, good or failed (to space out retries after a failure)."""
        query = _newest_first(
            select(ScanRecordRow).where(
                ScanRecordRow.digest == digest, ScanRecordRow.scanner == scanner
            )
        )
        return self._first(f"read last {scanner} scan of {digest}", query)

    def _first(self, operation: str, query: Select[ScanRecordRow]) -> ScanRecord | None:
        with translate(operation), reading(self._sessions) as s:
            row = s.scalars(query.limit(1)).first()
        return None if row is None else _record(row)


def _good(digest: str, scanner: str) -> Select[ScanRecordRow]:
    return _newest_first(
        select(ScanRecordRow).where(
            ScanRecordRow.digest == digest,
            ScanRecordRow.scanner == scanner,
            ScanRecordRow.status == ScanStatus.OK.value,
        )
    )


def _newest_first(query: Select[ScanRecordRow]) -> Select[ScanRecordRow]:
    return query.order_by(ScanRecordRow.scanned_at.desc(), ScanRecordRow.id.desc())


def _row(record: ScanRecord, status: ScanStatus, report: dict[str, Any] | None) -> ScanRecordRow:
    return ScanRecordRow(
        digest=record.digest,
        scanner=record.scanner,
        scanner_version=record.scanner_version,
        db_build=record.db_build,
        scanned_at=record.scanned_at,
        status=status.value,
        report=report,
        error=record.error,
    )


def _record(row: ScanRecordRow) -> ScanRecord:
    return ScanRecord(
        digest=row.digest,
        scanner=row.scanner,
        scanner_version=row.scanner_version,
        db_build=row.db_build,
        scanned_at=row.scanned_at,
        status=ScanStatus(row.status),
        report=row.report,
        error=row.error,
        id=row.id,
    )
