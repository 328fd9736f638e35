"""Scan records on SQLite and PostgreSQL: good records survive failures, reuse by DB build."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from colibri.errors import StoreError
from colibri.store import ScanRecord, ScanRecords, ScanStatus, Store

DIGEST = "sha256:" + "d" * 64
T0 = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)


def report(critical: int = 0) -> dict[str, Any]:
    findings = [
        {"id": f"CVE-2030-{i}", "package": "openssl", "severity": "CRITICAL"}
        for i in range(critical)
    ]
    return {"digest": DIGEST, "findings": findings, "counts": {"CRITICAL": critical}}


def good(
    minutes: int = 0, *, build: str = "db-1", version: str = "0.50.1", **kw: Any
) -> ScanRecord:
    return ScanRecord(
        digest=kw.pop("digest", DIGEST),
        scanner=kw.pop("scanner", "trivy"),
        scanner_version=version,
        db_build=build,
        scanned_at=T0 + timedelta(minutes=minutes),
        status=ScanStatus.OK,
        report=kw.pop("report", report()),
    )


def failed(minutes: int, *, build: str = "db-1") -> ScanRecord:
    return ScanRecord(
        digest=DIGEST,
        scanner="trivy",
        scanner_version="0.50.1",
        db_build=build,
        scanned_at=T0 + timedelta(minutes=minutes),
        status=ScanStatus.FAILED,
        error="timed out after 300 s",
    )


@pytest.fixture
def scans(store: Store) -> ScanRecords:
    return store.scans


def test_a_saved_record_comes_back_whole(scans: ScanRecords) -> None:
    saved = scans.save(good(report=report(critical=3)))

    assert saved.id is not None
    found = scans.latest_good(DIGEST, "trivy")
    assert found == saved
    assert found is not None and found.report == report(critical=3)
    assert found.scanned_at == T0 and found.scanned_at.tzinfo is UTC


def test_nothing_is_found_for_an_unknown_digest_or_scanner(scans: ScanRecords) -> None:
    scans.save(good())
    assert scans.latest_good("sha256:" + "0" * 64, "trivy") is None
    assert scans.latest_good(DIGEST, "grype") is None
    assert scans.latest(DIGEST, "grype") is None


def test_the_newest_good_record_wins(scans: ScanRecords) -> None:
    scans.save(good(0, report=report(1)))
    newest = scans.save(good(10, report=report(2)))
    scans.save(good(5, report=report(3)))

    assert scans.latest_good(DIGEST, "trivy") == newest


def test_a_failed_scan_never_replaces_a_good_record(scans: ScanRecords) -> None:
    kept = scans.save(good(0))
    failure = scans.save(failed(10))

    assert scans.latest_good(DIGEST, "trivy") == kept
    assert scans.reusable(DIGEST, "trivy", "db-1") == kept
    assert scans.latest(DIGEST, "trivy") == failure
    assert failure.report is None and failure.error == "timed out after 300 s"


def test_only_failures_means_nothing_good(scans: ScanRecords) -> None:
    scans.save(failed(0))
    assert scans.latest_good(DIGEST, "trivy") is None
    assert scans.reusable(DIGEST, "trivy", "db-1") is None


def test_a_record_is_reusable_only_with_the_same_db_build(scans: ScanRecords) -> None:
    old_db = scans.save(good(0, build="db-1"))
    new_db = scans.save(good(10, build="db-2", report=report(4)))

    assert scans.reusable(DIGEST, "trivy", "db-1") == old_db
    assert scans.reusable(DIGEST, "trivy", "db-2") == new_db
    assert scans.reusable(DIGEST, "trivy", "db-3") is None


def test_reuse_can_also_require_the_same_scanner_version(scans: ScanRecords) -> None:
    record = scans.save(good(0, version="0.50.1"))

    assert scans.reusable(DIGEST, "trivy", "db-1", scanner_version="0.50.1") == record
    assert scans.reusable(DIGEST, "trivy", "db-1", scanner_version="0.51.0") is None


def test_a_good_record_without_a_report_is_refused(scans: ScanRecords) -> None:
    with pytest.raises(StoreError, match="needs its report"):
        scans.save(good(report=None))
    assert scans.latest(DIGEST, "trivy") is None


def test_a_report_that_is_not_json_is_refused(scans: ScanRecords) -> None:
    with pytest.raises(StoreError, match="not a JSON document"):
        scans.save(good(report={"at": datetime.now(UTC)}))
