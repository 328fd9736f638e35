"""Scan reports (``colibri.domain.scanning``) through the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from colibri.domain.scanning import (
    Finding,
    FixState,
    ScanFailure,
    ScannerInfo,
    ScanReport,
    Severity,
)
from colibri.store import ScannerKey, ScanReports, Store

DIGEST = "sha256:" + "e" * 64
BUILT = datetime(2030, 3, 1, 6, tzinfo=UTC)
TRIVY = ScannerInfo("trivy", "0.50.1", "2", BUILT)
GRYPE = ScannerInfo("grype", "0.74.0", "5", BUILT - timedelta(hours=3))
AT = datetime(2030, 3, 1, 9, tzinfo=UTC)


def make_report(*scanners: ScannerInfo, findings: int = 2) -> ScanReport:
    return ScanReport(
        repository="docker.io/library/nginx",
        digest=DIGEST,
        scanners=scanners,
        findings=tuple(
            Finding(
                id=f"CVE-2030-{i}",
                package="openssl",
                version="3.0.1",
                severity=Severity.HIGH,
                fix_state=FixState.FIXED,
                fixed_version="3.0.2",
                scanner=scanners[0].name,
            )
            for i in range(findings)
        ),
        scanned_at=AT,
    )


@pytest.fixture
def reports(store: Store) -> ScanReports:
    return store.reports


def test_a_report_comes_back_equal(reports: ScanReports) -> None:
    report = make_report(TRIVY)
    reports.save_report(report, at=AT)

    assert reports.reusable_report(DIGEST, [TRIVY]) == report
    assert reports.latest_good_report(DIGEST, [TRIVY]) == report


def test_a_report_of_two_scanners_is_reused_only_for_both(reports: ScanReports) -> None:
    report = make_report(TRIVY, GRYPE)
    reports.save_report(report, at=AT)

    assert reports.reusable_report(DIGEST, [TRIVY, GRYPE]) == report
    assert reports.reusable_report(DIGEST, [TRIVY]) is None


def test_a_new_database_build_or_scanner_version_means_scanning_again(
    reports: ScanReports,
) -> None:
    reports.save_report(make_report(TRIVY), at=AT)
    rebuilt = ScannerInfo("trivy", "0.50.1", "2", BUILT + timedelta(days=1))
    upgraded = ScannerInfo("trivy", "0.51.0", "2", BUILT)

    assert reports.reusable_report(DIGEST, [rebuilt]) is None
    assert reports.reusable_report(DIGEST, [upgraded]) is None
    assert reports.latest_good_report(DIGEST, [rebuilt]) == make_report(TRIVY)


def test_an_unknown_database_build_is_never_reused(reports: ScanReports) -> None:
    unknown = ScannerInfo("trivy", "0.50.1", "2", None)
    reports.save_report(make_report(unknown), at=AT)

    assert reports.reusable_report(DIGEST, [unknown]) is None
    assert reports.latest_good_report(DIGEST, [unknown]) == make_report(unknown)


def test_a_failure_does_not_hide_the_good_report(store: Store, reports: ScanReports) -> None:
    reports.save_report(make_report(TRIVY), at=AT)
    failure = ScanFailure("trivy timed out", scanner="trivy", digest=DIGEST)

    saved = reports.save_failure(failure, [TRIVY], at=AT + timedelta(hours=1))

    assert saved.error == "trivy timed out" and saved.report is None
    assert reports.reusable_report(DIGEST, [TRIVY]) == make_report(TRIVY)
    latest = store.scans.latest(DIGEST, "trivy")
    assert latest is not None and latest.id == saved.id


def test_the_scanner_key_joins_in_order() -> None:
    key = ScannerKey.of([TRIVY, GRYPE])
    assert key.scanner == "trivy+grype"
    assert key.scanner_version == "0.50.1+0.74.0"
    assert key.db_build == "2@2030-03-01T06:00:00+00:00+5@2030-03-01T03:00:00+00:00"
