"""TrivyScanner against a fake ``trivy`` executable: real processes, argv, output, failures."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from colibri.domain.criteria import Criteria, Level, Outcome, evaluate
from colibri.domain.scanning import FixState, ScanFailure, Severity
from colibri.errors import ScanError
from colibri.scan import ImageSource, TrivyScanner
from tests.support.fake_scanners import (
    DIGEST_A,
    DIGEST_B,
    FakeScanners,
    TrivyServerStub,
    finding,
    process_alive,
)

IMAGE = "registry.example.com/team/app:1.4"
REPO = "registry.example.com/team/app"


def _trivy(fakes: FakeScanners, **options: object) -> TrivyScanner:
    return TrivyScanner(fakes.trivy, timeout=20, **options)  # type: ignore[arg-type]


def test_a_scan_reports_every_finding_of_the_digest_with_version_and_db(
    fake_scanners: FakeScanners,
) -> None:
    fake_scanners.set_findings(
        "trivy",
        [
            finding("CVE-2024-1", "critical", package="openssl"),
            finding("CVE-2024-2", "unknown", package="zlib1g", fix_state="wont_fix"),
            finding("CVE-2024-3", "low", package="stdlib", package_type="gobinary"),
        ],
    )

    report = _trivy(fake_scanners).scan(IMAGE, DIGEST_A)

    assert (report.repository, report.digest) == (REPO, DIGEST_A)
    assert [(f.id, f.severity, f.fix_state) for f in report.findings] == [
        ("CVE-2024-1", Severity.CRITICAL, FixState.FIXED),
        ("CVE-2024-3", Severity.LOW, FixState.FIXED),
        ("CVE-2024-2", Severity.UNKNOWN, FixState.WONT_FIX),
    ]
    (info,) = report.scanners
    assert (info.name, info.version, info.db_schema) == ("trivy", "0.50.1", "2")
    assert info.db_built_at is not None
    assert timedelta(hours=1) < datetime.now(UTC) - info.db_built_at < timedelta(hours=3)
    assert report.scanned_at is not None


def test_exactly_the_digest_is_scanned_and_the_db_is_read_after_the_scan(
    fake_scanners: FakeScanners,
) -> None:
    _trivy(fake_scanners).scan(IMAGE, DIGEST_A)

    scan, version = fake_scanners.calls("trivy")
    assert scan.argv[0] == "image"
    assert scan.argv[-1] == f"{REPO}@{DIGEST_A}"
    assert scan.argv[scan.argv.index("--severity") + 1] == "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"
    assert version.argv == ["--version", "--format", "json"]


def test_findings_are_chosen_per_digest(fake_scanners: FakeScanners) -> None:
    fake_scanners.set_findings("trivy", [finding("CVE-OLD", "high")], digest=DIGEST_B)
    scanner = _trivy(fake_scanners)

    assert scanner.scan(IMAGE, DIGEST_A).findings == ()
    assert [f.id for f in scanner.scan(IMAGE, DIGEST_B).findings] == ["CVE-OLD"]


def test_a_clean_image_gives_an_empty_report(fake_scanners: FakeScanners) -> None:
    report = _trivy(fake_scanners).scan(IMAGE, DIGEST_A)

    assert report.findings == ()
    assert evaluate(Criteria(Level.LOW), report, now=datetime.now(UTC)).allowed


def test_noisy_stderr_and_a_trailing_banner_do_not_matter(fake_scanners: FakeScanners) -> None:
    fake_scanners.set_findings("trivy", [finding("CVE-1", "high")])
    fake_scanners.configure(
        "trivy", mode="banner", stderr="WARN\tUsing severities from other vendors\n"
    )

    report = _trivy(fake_scanners).scan(IMAGE, DIGEST_A)

    assert [f.id for f in report.findings] == ["CVE-1"]


def test_a_non_zero_exit_with_a_valid_report_is_a_successful_scan(
    fake_scanners: FakeScanners,
) -> None:
    fake_scanners.set_findings("trivy", [finding("CVE-1", "critical")])
    fake_scanners.configure("trivy", exit_code=3)  # as with --exit-code 3

    report = _trivy(fake_scanners).scan(IMAGE, DIGEST_A)

    assert [f.id for f in report.findings] == ["CVE-1"]


def test_case_14_an_error_exit_is_a_scan_error_with_stderr_and_blocks(
    fake_scanners: FakeScanners,
) -> None:
    fake_scanners.configure("trivy", mode="fail")

    with pytest.raises(ScanError) as caught:
        _trivy(fake_scanners).scan(IMAGE, DIGEST_A)

    message = str(caught.value)
    assert message.startswith("trivy exited with status 1 and no usable output")
    assert "unable to find the specified image" in message
    decision = evaluate(Criteria(Level.CRITICAL), ScanFailure(message), now=datetime.now(UTC))
    assert decision.blocked
    assert decision.outcome is Outcome.SCAN_FAILED


@pytest.mark.parametrize(
    ("mode", "exit_code", "message"),
    [
        ("garbage", 0, "trivy report: output is not JSON"),
        ("garbage", 2, "trivy exited with status 2 and no usable output"),
        ("truncated", 0, "trivy report: output is not JSON"),
        ("empty", 0, "trivy report: no output on stdout"),
    ],
)
def test_garbage_is_a_scan_error(
    fake_scanners: FakeScanners, mode: str, exit_code: int, message: str
) -> None:
    fake_scanners.configure("trivy", mode=mode, exit_code=exit_code)

    with pytest.raises(ScanError, match=message):
        _trivy(fake_scanners).scan(IMAGE, DIGEST_A)


def test_case_15_a_hanging_scan_is_killed_with_its_children_within_the_timeout(
    fake_scanners: FakeScanners,
) -> None:
    fake_scanners.configure("trivy", mode="hang")
    scanner = TrivyScanner(fake_scanners.trivy, timeout=2)

    started = time.monotonic()
    with pytest.raises(ScanError, match="trivy timed out after 2s and was killed"):
        scanner.scan(IMAGE, DIGEST_A)
    elapsed = time.monotonic() - started

    assert 2 <= elapsed < 4
    pids = fake_scanners.spawned_pids()
    assert len(pids) == 2  # the fake and the grandchild it started
    deadline = time.monotonic() + 2
    while any(process_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if process_alive(pid)]


def test_a_report_about_another_digest_is_refused(fake_scanners: FakeScanners) -> None:
    fake_scanners.configure("trivy", report_digests=[DIGEST_B])

    with pytest.raises(ScanError, match=f"trivy scanned {DIGEST_B}, but {REPO}@{DIGEST_A}"):
        _trivy(fake_scanners).scan(IMAGE, DIGEST_A)


def test_case_18_a_stale_db_is_recorded_and_blocked_by_the_criteria(
    fake_scanners: FakeScanners,
) -> None:
    fake_scanners.configure("trivy", db_age=timedelta(days=6))
    scanner = _trivy(fake_scanners)

    report = scanner.scan(IMAGE, DIGEST_A)
    decision = evaluate(Criteria(Level.CRITICAL), report, now=datetime.now(UTC))

    assert decision.blocked
    assert decision.outcome is Outcome.DB_STALE
    assert "trivy vulnerability DB is 6 days old" in decision.reasons[0]


def test_case_18_a_stale_db_can_be_refused_before_scanning(fake_scanners: FakeScanners) -> None:
    from colibri.domain.criteria import db_age_problem

    fake_scanners.configure("trivy", db_age=timedelta(days=6))

    problem = db_age_problem(
        _trivy(fake_scanners).describe(), now=datetime.now(UTC), max_age=timedelta(days=5)
    )

    assert problem is not None and "6 days old" in problem
    assert fake_scanners.scan_calls("trivy") == []


def test_no_db_yet_means_unknown_age_which_blocks(fake_scanners: FakeScanners) -> None:
    fake_scanners.configure("trivy", version_mode="no_db")

    report = _trivy(fake_scanners).scan(IMAGE, DIGEST_A)

    assert report.scanners[0].db_built_at is None
    assert evaluate(Criteria(Level.HIGH), report, now=datetime.now(UTC)).blocked


@pytest.mark.parametrize(
    ("version_mode", "message"),
    [("fail", "trivy exited with status 1"), ("garbage", "trivy version: output is not JSON")],
)
def test_a_failing_version_query_fails_the_scan(
    fake_scanners: FakeScanners, version_mode: str, message: str
) -> None:
    fake_scanners.configure("trivy", version_mode=version_mode)

    with pytest.raises(ScanError, match=message):
        _trivy(fake_scanners).scan(IMAGE, DIGEST_A)


def test_cache_dir_source_and_offline_flags_reach_trivy(fake_scanners: FakeScanners) -> None:
    scanner = _trivy(
        fake_scanners, cache_dir="/var/cache/trivy", source=ImageSource.REMOTE, offline=True
    )

    scanner.scan(IMAGE, DIGEST_A)

    scan, version = fake_scanners.calls("trivy")
    assert scan.argv[scan.argv.index("--image-src") + 1] == "remote"
    assert scan.argv[scan.argv.index("--cache-dir") + 1] == "/var/cache/trivy"
    assert "--skip-db-update" in scan.argv
    assert version.argv[-2:] == ["--cache-dir", "/var/cache/trivy"]


def test_server_mode_passes_the_flag_reads_the_servers_db_and_keeps_the_token_off_argv(
    fake_scanners: FakeScanners, trivy_server: TrivyServerStub
) -> None:
    trivy_server.db_built_at = datetime.now(UTC) - timedelta(minutes=30)
    fake_scanners.configure("trivy", db_age=timedelta(days=40))  # the local DB is irrelevant
    scanner = _trivy(fake_scanners, server=trivy_server.url, token="s3cret")

    report = scanner.scan(IMAGE, DIGEST_A)

    scan = fake_scanners.scan_calls("trivy")[0]
    assert scan.argv[scan.argv.index("--server") + 1] == trivy_server.url
    assert "s3cret" not in " ".join(scan.argv)
    assert scan.env["TRIVY_TOKEN"] == "s3cret"
    assert report.scanners[0].db_built_at == trivy_server.db_built_at
    assert trivy_server.requests[-1]["path"] == "/version"
    assert trivy_server.requests[-1]["Trivy-Token"] == "s3cret"
    assert evaluate(Criteria(Level.HIGH), report, now=datetime.now(UTC)).allowed


def test_server_mode_without_an_answering_server_fails(
    fake_scanners: FakeScanners, trivy_server: TrivyServerStub
) -> None:
    trivy_server.status = 503

    with pytest.raises(ScanError, match="did not answer /version"):
        _trivy(fake_scanners, server=trivy_server.url).scan(IMAGE, DIGEST_A)


def test_extra_environment_reaches_trivy(fake_scanners: FakeScanners) -> None:
    _trivy(fake_scanners, env={"TRIVY_INSECURE": "true"}).scan(IMAGE, DIGEST_A)

    assert fake_scanners.calls("trivy")[0].env == {"TRIVY_INSECURE": "true"}
