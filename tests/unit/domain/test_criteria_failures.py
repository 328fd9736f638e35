"""Fail closed, DB age, "not worse than the running image" (scanning.md §7 cases 10, 13, 14, 18)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from colibri.domain.criteria import (
    Criteria,
    Level,
    OnFailure,
    Outcome,
    db_age_problem,
    evaluate,
)
from colibri.domain.scanning import ScanFailure
from tests.support.fake_scanners import (
    DIGEST_B,
    NOW,
    InProcessScanner,
    finding,
    report,
    scan_or_failure,
    scanner_info,
)

BLOCK = Criteria(Level.HIGH)
WARN = Criteria(Level.HIGH, on_failure=OnFailure.WARN)
RELATIVE = Criteria(Level.HIGH, not_worse_than_running=True)


# --- failed scans (case 14) -----------------------------------------------------------------


def test_a_failed_scan_blocks() -> None:
    scanner = InProcessScanner("trivy", error="exited 1: FATAL unable to find the image")

    decision = evaluate(BLOCK, scan_or_failure(scanner, "app", DIGEST_B), now=NOW)

    assert decision.blocked
    assert decision.outcome is Outcome.SCAN_FAILED
    assert (
        decision.summary == "blocked: scan failed: trivy: exited 1: FATAL unable to find the image"
    )
    assert scanner.calls == [("app", DIGEST_B)]


def test_a_failed_scan_is_allowed_with_a_warning_under_warn() -> None:
    decision = evaluate(WARN, ScanFailure("trivy timed out after 30s"), now=NOW)

    assert decision.allowed
    assert decision.outcome is Outcome.SCAN_FAILED
    assert decision.warnings and "trivy timed out after 30s" in decision.warnings[0]
    assert decision.summary == "allowed with warning: scan failed: trivy timed out after 30s"


def test_no_report_at_all_blocks() -> None:
    decision = evaluate(BLOCK, None, now=NOW)

    assert decision.blocked
    assert decision.outcome is Outcome.SCAN_FAILED


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone"):
        evaluate(BLOCK, report(), now=NOW.replace(tzinfo=None))


# --- DB age (case 18) -----------------------------------------------------------------------


def test_a_stale_db_blocks_even_a_clean_report() -> None:
    stale = report(built=NOW - timedelta(days=6))

    decision = evaluate(BLOCK, stale, now=NOW)

    assert decision.blocked
    assert decision.outcome is Outcome.DB_STALE
    assert "6 days old" in decision.reasons[0]
    assert "max 5 days" in decision.reasons[0]


def test_a_db_of_unknown_age_blocks() -> None:
    decision = evaluate(BLOCK, report(built=None), now=NOW)

    assert decision.blocked
    assert decision.outcome is Outcome.DB_STALE
    assert "did not report" in decision.reasons[0]


def test_a_db_exactly_at_the_limit_is_still_fresh() -> None:
    criteria = Criteria(Level.HIGH, max_db_age=timedelta(days=2))

    assert evaluate(criteria, report(built=NOW - timedelta(days=2)), now=NOW).allowed
    assert evaluate(criteria, report(built=NOW - timedelta(days=2, seconds=1)), now=NOW).blocked


def test_the_max_age_is_configurable_and_can_be_switched_off() -> None:
    old = report(built=NOW - timedelta(days=30))

    assert evaluate(Criteria(Level.HIGH, max_db_age=timedelta(days=31)), old, now=NOW).allowed
    assert evaluate(Criteria(Level.HIGH, max_db_age=None), old, now=NOW).allowed


def test_under_warn_a_stale_db_is_a_warning_and_the_findings_are_still_judged() -> None:
    clean = report(built=NOW - timedelta(days=6))
    dirty = report(finding("CVE-1", "critical"), built=NOW - timedelta(days=6))

    allowed = evaluate(WARN, clean, now=NOW)
    blocked = evaluate(WARN, dirty, now=NOW)

    assert allowed.allowed
    assert allowed.warnings and "6 days old" in allowed.warnings[0]
    assert allowed.summary == "allowed: no high or worse findings (1 warning(s))"
    assert blocked.blocked
    assert blocked.outcome is Outcome.VULNERABLE


def test_every_scanner_of_a_combined_report_must_be_fresh() -> None:
    scanners = (scanner_info("trivy"), scanner_info("grype", built=NOW - timedelta(days=9)))

    problem = db_age_problem(scanners, now=NOW, max_age=timedelta(days=5))

    assert problem is not None and problem.startswith("grype vulnerability DB is 9 days old")
    assert db_age_problem(scanners[:1], now=NOW, max_age=timedelta(days=5)) is None


# --- not worse than the running image (cases 10, 13) ----------------------------------------


def _relative(candidate_findings: list[str], running_findings: list[str]) -> tuple[bool, str]:
    candidate = report(*[finding(f"CVE-C{i}", sev) for i, sev in enumerate(candidate_findings)])
    running = report(
        *[finding(f"CVE-R{i}", sev) for i, sev in enumerate(running_findings)], digest=DIGEST_B
    )
    decision = evaluate(RELATIVE, candidate, running=running, now=NOW)
    return decision.allowed, decision.outcome


def test_equal_counts_are_allowed() -> None:
    assert _relative(["critical", "high"], ["critical", "high"]) == (True, Outcome.NOT_WORSE)


def test_fewer_findings_are_allowed_although_the_absolute_rule_blocks() -> None:
    assert _relative(["high"], ["high", "high", "critical"]) == (True, Outcome.NOT_WORSE)


def test_one_more_high_is_blocked() -> None:
    assert _relative(["high", "high"], ["high"]) == (False, Outcome.VULNERABLE)


def test_every_severity_at_or_above_the_level_is_compared_on_its_own() -> None:
    # one critical fewer does not pay for one high more
    assert _relative(["high", "high"], ["critical", "high"]) == (False, Outcome.VULNERABLE)


def test_severities_below_the_level_are_not_compared() -> None:
    assert _relative(["high", "medium", "medium"], ["high"]) == (True, Outcome.NOT_WORSE)


def test_a_clean_candidate_passes_without_comparing() -> None:
    assert _relative([], ["critical"]) == (True, Outcome.PASSED)


def test_the_not_worse_summary_names_the_counts() -> None:
    candidate = report(finding("CVE-1", "high"))
    running = report(finding("CVE-1", "high"), digest=DIGEST_B)

    decision = evaluate(RELATIVE, candidate, running=running, now=NOW)

    assert decision.summary == "allowed: 1 high, not worse than the running image"
    assert decision.reasons[1] == "not worse than the running image (critical 0 vs 0, high 1 vs 1)"


@pytest.mark.parametrize(
    "running",
    [None, ScanFailure("grype exited 1")],
    ids=["missing", "failed"],
)
def test_without_a_usable_running_scan_the_absolute_rule_applies(
    running: ScanFailure | None,
) -> None:
    candidate = report(finding("CVE-1", "high"))

    decision = evaluate(RELATIVE, candidate, running=running, now=NOW)

    assert decision.blocked
    assert "the running image has no usable scan" in decision.reasons[1]


def test_a_running_scan_from_another_db_build_is_not_compared() -> None:
    candidate = report(finding("CVE-1", "high"))
    running = report(
        finding("CVE-1", "high"),
        finding("CVE-2", "high"),
        digest=DIGEST_B,
        built=NOW - timedelta(days=1),
    )

    decision = evaluate(RELATIVE, candidate, running=running, now=NOW)

    assert decision.blocked
    assert "another scanner or DB build" in decision.reasons[1]


def test_a_running_scan_from_another_scanner_version_is_not_compared() -> None:
    candidate = report(finding("CVE-1", "high"))
    running = report(
        finding("CVE-1", "high"),
        digest=DIGEST_B,
        scanners=[scanner_info(version="0.49.0")],
    )

    assert evaluate(RELATIVE, candidate, running=running, now=NOW).blocked


def test_the_running_image_is_counted_with_the_same_filters() -> None:
    # The running image's only high is ignored by rule, so it has 0 counted highs: 1 > 0.
    from colibri.domain.criteria import IgnoreRule

    criteria = Criteria(Level.HIGH, not_worse_than_running=True, ignore=(IgnoreRule("CVE-OLD"),))
    candidate = report(finding("CVE-NEW", "high"))
    running = report(finding("CVE-OLD", "high"), digest=DIGEST_B)

    assert evaluate(criteria, candidate, running=running, now=NOW).blocked
