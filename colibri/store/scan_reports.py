"""The scan records in terms of ``colibri.domain.scanning``: reports in, reports out.

A report may come from several scanners (``trivy+grype``); its record is keyed by the joined
scanner names, versions and database builds, in the report's order, so that a stored report is
reused only for exactly the same scanners on exactly the same database builds. A scanner that
does not say when its database was built never matches: its reports are never reused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from colibri.domain.scanning import ScanFailure, ScannerInfo, ScanReport
from colibri.errors import StoreError
from colibri.store.scans import ScanRecord, ScanRecords, ScanStatus

__all__ = ["ScanReports", "ScannerKey"]


@dataclass(frozen=True, slots=True)
class ScannerKey:
    """How a set of scanners is written in a scan record."""

    scanner: str
    scanner_version: str
    db_build: str

    @classmethod
    def of(cls, scanners: Sequence[ScannerInfo]) -> ScannerKey:
        """The key of ``scanners`` (in their order)."""
        return cls(
            scanner="+".join(info.name for info in scanners),
            scanner_version="+".join(info.version for info in scanners),
            db_build="+".join(_build(info) for info in scanners),
        )


class ScanReports:
    """``ScanRecords`` for callers that hold ``ScanReport`` values."""

    def __init__(self, records: ScanRecords) -> None:
        self.records = records

    def save_report(self, report: ScanReport, *, at: datetime) -> ScanRecord:
        """Store a good report; ``at`` is used when the report has no ``scanned_at``."""
        key = ScannerKey.of(report.scanners)
        return self.records.save(
            ScanRecord(
                digest=report.digest,
                scanner=key.scanner,
                scanner_version=key.scanner_version,
                db_build=key.db_build,
                scanned_at=report.scanned_at or at,
                status=ScanStatus.OK,
                report=report.to_dict(),
            )
        )

    def save_failure(
        self, failure: ScanFailure, scanners: Sequence[ScannerInfo], *, at: datetime
    ) -> ScanRecord:
        """Store a failed scan (it never hides a good report of the same digest)."""
        key = ScannerKey.of(scanners)
        return self.records.save(
            ScanRecord(
                digest=failure.digest,
                scanner=key.scanner or failure.scanner,
                scanner_version=key.scanner_version,
                db_build=key.db_build,
                scanned_at=at,
                status=ScanStatus.FAILED,
                error=failure.message,
            )
        )

    def reusable_report(self, digest: str, scanners: Sequence[ScannerInfo]) -> ScanReport | None:
        """The newest good report of ``digest`` made by exactly ``scanners`` (same versions,
        same database builds), or ``None`` when the image must be scanned."""
        if not scanners or any(info.db_built_at is None for info in scanners):
            return None
        key = ScannerKey.of(scanners)
        record = self.records.reusable(
            digest, key.scanner, key.db_build, scanner_version=key.scanner_version
        )
        return None if record is None else _report(record)

    def latest_good_report(self, digest: str, scanners: Sequence[ScannerInfo]) -> ScanReport | None:
        """The newest good report of ``digest`` by these scanners, whatever their builds."""
        record = self.records.latest_good(digest, ScannerKey.of(scanners).scanner)
        return None if record is None else _report(record)


def _build(info: ScannerInfo) -> str:
    built = info.db_built_at.isoformat() if info.db_built_at else "unknown"
    return f"{info.db_schema}@{built}" if info.db_schema else built


def _report(record: ScanRecord) -> ScanReport:
    try:
        return ScanReport.from_dict(record.report or {})
    except ValueError as exc:
        raise StoreError(f"scan record {record.id} holds an unreadable report: {exc}") from exc
