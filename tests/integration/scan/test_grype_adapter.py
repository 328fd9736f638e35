"""GrypeScanner against a fake ``grype`` executable."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from colibri.domain.criteria import Criteria, Level, Outcome, evaluate
from colibri.domain.scanning import FixState, Severity
from colibri.errors import ScanError
from colibri.scan import GrypeScanner, ImageSource
from tests.support.fake_scanners import DIGEST_A, DIGEST_B, FakeScanners, finding, process_alive

IMAGE = "nginx:1.25"
REPO = "docker.io/library/nginx"


def _grype(fakes: FakeScanners, **options: object) -> GrypeScanner:
    return GrypeScanner(fakes.grype, timeout=20, **options)  # type: ignore[arg-type]


def test_a_scan_reports_findings_with_grype_and_db_from_the_descriptor(
    fake_scanners: FakeScanners,
) -> None:
    fake_scanners.set_findings(
        "grype",
        [
            finding("CVE-2024-1", "critical", fix_state="not_fixed"),
            finding("CVE-2024-2", "negligible", package="apt", fix_state="unknown"),
            finding("GHSA-aaaa", "high", package="golang.org/x/net", aliases=["CVE-2023-44487"]),
        ],
    )

    report = _grype(fake_scanners).scan(IMAGE, DIGEST_A)

    assert (report.repository, report.digest) == (REPO, DIGEST_A)
    assert [(f.id, f.severity, f.fix_state) for f in report.findings] == [
        ("CVE-2024-1", Severity.CRITICAL, FixState.NOT_FIXED),
        ("CVE-2023-44487", Severity.HIGH, FixState.FIXED),
        ("CVE-2024-2", Severity.NEGLIGIBLE, FixState.UNKNOWN),
    ]
    (info,) = report.scanners
    assert (info.name, info.version, info.db_schema) == ("grype", "0.74.0", "5")
    assert info.db_built_at is not None
    # everything came from the report: no version or db status queries
    assert [c.argv[0] for c in fake_scanners.calls("grype")] == [f"docker:{REPO}@{DIGEST_A}"]


def test_argv_and_environment(fake_scanners: FakeScanners) -> None:
    _grype(fake_scanners, source=ImageSource.REMOTE, offline=True, db_dir="/srv/grype").scan(
        IMAGE, DIGEST_A
    )

    (call,) = fake_scanners.calls("grype")
    assert call.argv == [f"registry:{REPO}@{DIGEST_A}", "-o", "json", "-q"]
    assert call.env == {
        "GRYPE_CHECK_FOR_APP_UPDATE": "false",
        "GRYPE_DB_AUTO_UPDATE": "false",
        "GRYPE_DB_CACHE_DIR": "/srv/grype",
    }


def test_case_16_exit_2_with_a_valid_report_is_a_successful_scan(
    fake_scanners: FakeScanners,
) -> None:
    fake_scanners.set_findings("grype", [finding("CVE-1", "critical")])
    fake_scanners.configure("grype", exit_code=2)  # as with --fail-on

    report = _grype(fake_scanners).scan(IMAGE, DIGEST_A)

    assert [f.id for f in report.findings] == ["CVE-1"]
    assert evaluate(Criteria(Level.CRITICAL), report, now=datetime.now(UTC)).blocked


def test_an_older_grype_without_descriptor_db_is_asked_for_its_db_status(
    fake_scanners: FakeScanners,
) -> None:
    fake_scanners.configure("grype", descriptor_db=False, db_age=timedelta(hours=30))

    report = _grype(fake_scanners).scan(IMAGE, DIGEST_A)

    built = report.scanners[0].db_built_at
    assert built is not None
    assert timedelta(hours=29) < datetime.now(UTC) - built < timedelta(hours=31)
    assert [c.argv[:2] for c in fake_scanners.calls("grype")][1:] == [["db", "status"]]


def test_describe_asks_version_and_db_status(fake_scanners: FakeScanners) -> None:
    (info,) = _grype(fake_scanners).describe()

    assert (info.name, info.version, info.db_schema) == ("grype", "0.74.0", "5")
    assert [c.argv[:2] for c in fake_scanners.calls("grype")] == [
        ["version", "-o"],
        ["db", "status"],
    ]


def test_an_error_exit_is_a_scan_error_with_stderr(fake_scanners: FakeScanners) -> None:
    fake_scanners.configure("grype", mode="fail")

    with pytest.raises(
        ScanError, match=r"grype exited with status 1.*unable to find the specified"
    ):
        _grype(fake_scanners).scan(IMAGE, DIGEST_A)


@pytest.mark.parametrize("mode", ["garbage", "truncated", "empty"])
def test_garbage_is_a_scan_error(fake_scanners: FakeScanners, mode: str) -> None:
    fake_scanners.configure("grype", mode=mode)

    with pytest.raises(ScanError, match="grype"):
        _grype(fake_scanners).scan(IMAGE, DIGEST_A)


def test_a_hanging_scan_is_killed_within_the_timeout(fake_scanners: FakeScanners) -> None:
    fake_scanners.configure("grype", mode="hang")

    started = time.monotonic()
    with pytest.raises(ScanError, match=r"grype timed out after 1\.5s"):
        GrypeScanner(fake_scanners.grype, timeout=1.5).scan(IMAGE, DIGEST_A)

    assert time.monotonic() - started < 3.5
    time.sleep(0.2)
    assert not [pid for pid in fake_scanners.spawned_pids() if process_alive(pid)]


def test_a_report_about_another_digest_is_refused(fake_scanners: FakeScanners) -> None:
    fake_scanners.configure("grype", report_digests=[DIGEST_B])

    with pytest.raises(ScanError, match="grype scanned"):
        _grype(fake_scanners).scan(IMAGE, DIGEST_A)


def test_case_18_an_old_db_blocks_through_the_criteria(fake_scanners: FakeScanners) -> None:
    fake_scanners.configure("grype", db_age=timedelta(days=6))

    report = _grype(fake_scanners).scan(IMAGE, DIGEST_A)
    decision = evaluate(Criteria(Level.HIGH), report, now=datetime.now(UTC))

    assert decision.outcome is Outcome.DB_STALE
    assert decision.blocked


def test_an_unusable_db_status_fails_describe(fake_scanners: FakeScanners) -> None:
    fake_scanners.configure("grype", version_mode="fail")

    with pytest.raises(ScanError, match="grype exited with status 1"):
        _grype(fake_scanners).describe()
