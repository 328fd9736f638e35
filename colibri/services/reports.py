"""Getting a scan report for one image digest: reuse a stored one, or scan and store.

Shared by the gate (``colibri.services.gate``) and ``colibri scan``
(``colibri.services.scan``). The rules (scanning.md §6):

* a stored report is reused only for exactly the same scanners, versions and DB builds
  (``ScanStore.reusable_report``); a newer DB build means a new scan;
* a scan that fails is stored as a failure, which never hides a good record;
* a scanner that cannot even say its version and DB build is a failure too;
* the store is a cache and a record, not a dependency of the verdict: a store that fails is
  logged and reported as a warning, and the scan result is used all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from colibri.domain.ports import Clock, Scanner, ScanStore, StoredScan
from colibri.domain.scanning import ScanFailure, ScannerInfo, ScanReport
from colibri.errors import ScanError, StoreError

__all__ = ["Obtained", "ReportSource"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Obtained:
    """A report (or why there is none) for one digest, and how it was obtained.

    ``origin`` is ``scanned``, ``reused`` (a stored report), ``skipped`` (not scanned: the DB
    is too old to be trusted anyway) or ``failed``; ``record_id`` the stored record, when one
    was written or is known.
    """

    result: ScanReport | ScanFailure
    origin: str
    record_id: int | None = None
    warnings: tuple[str, ...] = ()

    @property
    def report(self) -> ScanReport | None:
        return self.result if isinstance(self.result, ScanReport) else None

    def to_dict(self) -> dict[str, Any]:
        """What the verdict's details say about this report."""
        scanners = self.report.scanners if self.report else ()
        return {
            "origin": self.origin,
            "record_id": self.record_id,
            "digest": self.result.digest,
            "scanners": [info.to_dict() for info in scanners],
            "error": self.result.message if isinstance(self.result, ScanFailure) else None,
        }


class ReportSource:
    """Reports for digests of one repository at a time, through ``scanner`` and ``store``."""

    def __init__(self, scanner: Scanner, store: ScanStore | None, clock: Clock) -> None:
        self.scanner = scanner
        self.store = store
        self.clock = clock

    def describe(self, repository: str, digest: str) -> tuple[ScannerInfo, ...] | Obtained:
        """The scanners' versions and DB builds now, or the stored failure to ask for them."""
        try:
            return self.scanner.describe()
        except ScanError as exc:
            message = f"{self.scanner.name} cannot report its version and DB build: {exc}"
            return self._failed(ScanFailure(message, self.scanner.name, repository, digest), ())

    def reusable(
        self, repository: str, digest: str, scanners: Sequence[ScannerInfo]
    ) -> Obtained | None:
        """A stored report of ``digest`` by exactly ``scanners``, under ``repository``'s name
        (the same digest may have been scanned under another repository)."""
        if self.store is None:
            return None
        try:
            found = self.store.reusable_report(digest, scanners)
        except StoreError as exc:
            logger.warning("cannot read stored scans of %s: %s", digest, exc)
            return None
        if found is None:
            return None
        logger.info("reusing the stored scan of %s (%s)", digest, found.scanner_name)
        return Obtained(replace(found, repository=repository), "reused")

    def scan(self, repository: str, digest: str, scanners: Sequence[ScannerInfo]) -> Obtained:
        """Scan ``repository@digest`` now and store the report, or the failure."""
        try:
            report = self.scanner.scan(repository, digest)
        except ScanError as exc:
            failure = ScanFailure(str(exc), self.scanner.name, repository, digest)
            return self._failed(failure, scanners)
        record_id, warnings = self._save(
            lambda store: store.save_report(report, at=self.clock.now())
        )
        return Obtained(report, "scanned", record_id, warnings)

    def _failed(self, failure: ScanFailure, scanners: Sequence[ScannerInfo]) -> Obtained:
        logger.warning("scan of %s@%s failed: %s", failure.repository, failure.digest, failure)
        record_id, warnings = self._save(
            lambda store: store.save_failure(failure, scanners, at=self.clock.now())
        )
        return Obtained(failure, "failed", record_id, warnings)

    def _save(self, write: Callable[[ScanStore], StoredScan]) -> tuple[int | None, tuple[str, ...]]:
        if self.store is None:
            return None, ()
        try:
            return write(self.store).id, ()
        except StoreError as exc:
            logger.warning("could not store the scan record: %s", exc)
            return None, (f"the scan record could not be stored: {exc}",)
