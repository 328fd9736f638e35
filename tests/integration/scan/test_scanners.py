"""make_scanner over both fakes, and the process plumbing (missing, not executable)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from colibri.domain.criteria import Criteria, Level, OnFailure, Outcome, evaluate
from colibri.domain.scanning import ScanFailure, Severity
from colibri.errors import ScanError
from colibri.scan import ScanOptions, TrivyScanner, make_scanner
from colibri.scan._process import run_program
from tests.support.fake_scanners import DIGEST_A, DIGEST_B, FakeScanners, finding

IMAGE = "localhost:5000/team/app:2"
REPO = "localhost:5000/team/app"


def _both(fakes: FakeScanners) -> ScanOptions:
    return ScanOptions(trivy_path=str(fakes.trivy), grype_path=str(fakes.grype), timeout=20)


def test_both_scans_with_each_and_reports_the_union(fake_scanners: FakeScanners) -> None:
    fake_scanners.set_findings("trivy", [finding("CVE-1", "medium"), finding("CVE-2", "low")])
    fake_scanners.set_findings(
        "grype", [finding("CVE-1", "high", fix_state="not_fixed"), finding("CVE-3", "critical")]
    )

    report = make_scanner("both", _both(fake_scanners)).scan(IMAGE, DIGEST_A)

    assert [(f.id, f.severity, f.scanner) for f in report.findings] == [
        ("CVE-3", Severity.CRITICAL, "grype"),
        ("CVE-1", Severity.HIGH, "trivy+grype"),
        ("CVE-2", Severity.LOW, "trivy"),
    ]
    assert [info.name for info in report.scanners] == ["trivy", "grype"]
    assert report.image_ref == f"{REPO}@{DIGEST_A}"


@pytest.mark.parametrize("failing", ["trivy", "grype"])
def test_both_fails_when_either_fails_and_the_gate_blocks(
    fake_scanners: FakeScanners, failing: str
) -> None:
    fake_scanners.configure(failing, mode="fail")

    with pytest.raises(ScanError, match=f"^{failing} exited with status 1") as caught:
        make_scanner("both", _both(fake_scanners)).scan(IMAGE, DIGEST_A)

    decision = evaluate(Criteria(Level.HIGH), ScanFailure(str(caught.value)), now=datetime.now(UTC))
    assert decision.blocked


def test_a_scan_failure_under_warn_allows_with_a_warning(fake_scanners: FakeScanners) -> None:
    fake_scanners.configure("trivy", mode="garbage")

    with pytest.raises(ScanError) as caught:
        make_scanner("trivy", _both(fake_scanners)).scan(IMAGE, DIGEST_A)
    criteria = Criteria(Level.HIGH, on_failure=OnFailure.WARN)
    decision = evaluate(criteria, ScanFailure(str(caught.value)), now=datetime.now(UTC))

    assert decision.allowed
    assert decision.outcome is Outcome.SCAN_FAILED
    assert "trivy report: output is not JSON" in decision.warnings[0]


def test_not_worse_than_running_compares_two_scans_of_the_same_db_build(
    fake_scanners: FakeScanners,
) -> None:
    fake_scanners.set_findings("trivy", [finding("CVE-1", "high")], digest=DIGEST_A)
    fake_scanners.set_findings(
        "trivy", [finding("CVE-1", "high"), finding("CVE-2", "high")], digest=DIGEST_B
    )
    scanner = make_scanner("trivy", _both(fake_scanners))
    criteria = Criteria(Level.HIGH, not_worse_than_running=True)

    candidate, running = scanner.scan(IMAGE, DIGEST_A), scanner.scan(IMAGE, DIGEST_B)
    decision = evaluate(criteria, candidate, running=running, now=datetime.now(UTC))

    assert decision.allowed
    assert decision.outcome is Outcome.NOT_WORSE


def test_a_stale_db_of_either_scanner_blocks_both(fake_scanners: FakeScanners) -> None:
    fake_scanners.configure("grype", db_age=timedelta(days=8))

    report = make_scanner("both", _both(fake_scanners)).scan(IMAGE, DIGEST_A)
    decision = evaluate(Criteria(Level.CRITICAL), report, now=datetime.now(UTC))

    assert decision.blocked
    assert decision.reasons[0].startswith("grype vulnerability DB is 8 days old")


def test_a_missing_scanner_is_a_scan_error(tmp_path: Path) -> None:
    scanner = TrivyScanner(tmp_path / "no-such-trivy", timeout=5)

    with pytest.raises(ScanError, match=r"trivy not found: .*no-such-trivy"):
        scanner.scan(IMAGE, DIGEST_A)


def test_a_scanner_that_is_not_executable_is_a_scan_error(tmp_path: Path) -> None:
    script = tmp_path / "trivy"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o644)

    with pytest.raises(ScanError, match="trivy is not executable"):
        TrivyScanner(script, timeout=5).scan(IMAGE, DIGEST_A)


def test_a_program_is_killed_with_its_whole_group_even_when_a_child_holds_the_pipes() -> None:
    code = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "time.sleep(60)\n"
    )

    started = time.monotonic()
    with pytest.raises(ScanError, match="timed out after 1s"):
        run_program([sys.executable, "-c", code], name="sleeper", timeout=1)

    assert time.monotonic() - started < 2.5


def test_a_finished_program_reports_status_and_output() -> None:
    code = "import sys; print('out'); print('x' * 2000, file=sys.stderr); sys.exit(7)"

    result = run_program([sys.executable, "-c", code], name="p", timeout=10)

    assert (result.returncode, result.stdout) == (7, b"out\n")
    assert result.stderr_tail().startswith("…")
    assert len(result.stderr_tail()) == 601
