"""Several scanners as one (``COLIBRI_SCANNER=both``): the union of what they find.

Findings are merged by (canonical ID, package, installed version), the highest severity winning
(see ``colibri.domain.scanning.merge_findings``), rather than taking the larger count per
severity: two scanners reporting the same CVE is one problem, and one scanner missing a CVE the
other found must not hide it. Any scanner failing fails the whole scan: a gate that silently
continues with half its scanners is not the gate that was configured.
"""

from __future__ import annotations

from collections.abc import Sequence

from colibri.domain.ports import Scanner
from colibri.domain.scanning import ScannerInfo, ScanReport, merge_findings

__all__ = ["CombinedScanner"]


class CombinedScanner:
    """Runs each scanner in turn on the same digest and reports the union."""

    def __init__(self, scanners: Sequence[Scanner]) -> None:
        if not scanners:
            raise ValueError("CombinedScanner needs at least one scanner")
        self.scanners = tuple(scanners)

    @property
    def name(self) -> str:
        return "+".join(scanner.name for scanner in self.scanners)

    def describe(self) -> tuple[ScannerInfo, ...]:
        """Every scanner's version and DB build."""
        return tuple(info for scanner in self.scanners for info in scanner.describe())

    def scan(self, image: str, digest: str) -> ScanReport:
        """Scan with each scanner (sequentially); the first ``ScanError`` is raised as is."""
        reports = [scanner.scan(image, digest) for scanner in self.scanners]
        scanned = [report.scanned_at for report in reports if report.scanned_at is not None]
        return ScanReport(
            repository=reports[0].repository,
            digest=digest,
            scanners=tuple(info for report in reports for info in report.scanners),
            findings=merge_findings(f for report in reports for f in report.findings),
            scanned_at=max(scanned) if scanned else None,
        )
