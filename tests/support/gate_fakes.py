"""Typed fakes of the gate's ports (``ScanStore``, ``SignatureVerifier``, ``Clock``) for unit
tests of the gate and scan services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from colibri.domain.refs import ImageRef
from colibri.domain.scanning import ScanFailure, ScannerInfo, ScanReport
from colibri.domain.signatures import SignatureResult, SignatureStatus
from colibri.errors import StoreError
from tests.support.fake_scanners import NOW


class FixedClock:
    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return 0.0

    def sleep(self, seconds: float) -> None:
        return None


@dataclass(frozen=True)
class Saved:
    id: int


@dataclass
class MemoryStore:
    """``ScanStore`` in memory: reports keyed by (digest, scanners' build keys)."""

    reports: list[ScanReport] = field(default_factory=list)
    failures: list[ScanFailure] = field(default_factory=list)
    broken: bool = False

    def save_report(self, report: ScanReport, *, at: datetime) -> Saved:
        if self.broken:
            raise StoreError("database is locked")
        self.reports.append(report)
        return Saved(len(self.reports) + len(self.failures))

    def save_failure(
        self, failure: ScanFailure, scanners: Sequence[ScannerInfo], *, at: datetime
    ) -> Saved:
        if self.broken:
            raise StoreError("database is locked")
        self.failures.append(failure)
        return Saved(len(self.reports) + len(self.failures))

    def reusable_report(self, digest: str, scanners: Sequence[ScannerInfo]) -> ScanReport | None:
        keys = sorted(info.build_key for info in scanners)
        for report in reversed(self.reports):
            if report.digest == digest and sorted(i.build_key for i in report.scanners) == keys:
                return report
        return None


@dataclass
class FakeVerifier:
    signed: dict[str, SignatureStatus] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def verify(self, ref: ImageRef, digest: str) -> SignatureResult:
        self.calls.append(digest)
        status = self.signed.get(digest, SignatureStatus.UNSIGNED)
        signer = "sha256:key" if status is SignatureStatus.VERIFIED else ""
        return SignatureResult(status, ref.name, digest, signer=signer, detail="looked")
