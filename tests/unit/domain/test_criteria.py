"""The scan gate's levels, options and counting (scanning.md §6 criteria, §7 cases 5-9)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from colibri.domain.criteria import (
    Criteria,
    IgnoreRule,
    Level,
    Outcome,
    UnknownAs,
    evaluate,
)
from colibri.domain.scanning import FixState, Severity
from tests.support.fake_scanners import NOW, finding, report

SEVERITIES = ["critical", "high", "medium", "low", "negligible"]

# Written out by hand, not computed: True means "blocked".
#             critical high   medium low    negligible
TRUTH_TABLE = {
    "never": (False, False, False, False, False),
    "critical": (True, False, False, False, False),
    "high": (True, True, False, False, False),
    "medium": (True, True, True, False, False),
    "low": (True, True, True, True, False),
}
CASES = [
    (level, severity, row[column])
    for level, row in TRUTH_TABLE.items()
    for column, severity in enumerate(SEVERITIES)
]


@pytest.mark.parametrize(("level", "severity", "blocked"), CASES)
def test_truth_table_of_levels_and_severities(level: str, severity: str, blocked: bool) -> None:
    decision = evaluate(Criteria(Level(level)), report(finding(severity=severity)), now=NOW)

    assert decision.blocked is blocked
    assert decision.allowed is not blocked


# How an unknown-severity finding counts, per unknown_as (blocked?).
#                   never  critical high   medium low
UNKNOWN_TABLE = {
    "critical": (False, True, True, True, True),
    "high": (False, False, True, True, True),
    "medium": (False, False, False, True, True),
    "low": (False, False, False, False, True),
    "ignore": (False, False, False, False, False),
}
LEVELS = ["never", "critical", "high", "medium", "low"]
UNKNOWN_CASES = [
    (unknown_as, level, row[column])
    for unknown_as, row in UNKNOWN_TABLE.items()
    for column, level in enumerate(LEVELS)
]


@pytest.mark.parametrize(("unknown_as", "level", "blocked"), UNKNOWN_CASES)
def test_unknown_severity_counts_as_configured(unknown_as: str, level: str, blocked: bool) -> None:
    criteria = Criteria(Level(level), unknown_as=UnknownAs(unknown_as))

    decision = evaluate(criteria, report(finding(severity="unknown")), now=NOW)

    assert decision.blocked is blocked


def test_unknown_severity_counts_as_critical_by_default() -> None:
    decision = evaluate(Criteria(Level.CRITICAL), report(finding(severity="unknown")), now=NOW)

    assert Criteria(Level.HIGH).unknown_as is UnknownAs.CRITICAL
    assert decision.blocked
    assert "unknown severity counts as critical" in decision.reasons[0]


def test_ignored_unknown_findings_are_listed_as_suppressed() -> None:
    criteria = Criteria(Level.LOW, unknown_as=UnknownAs.IGNORE)
    item = finding("CVE-2024-9", severity="unknown")

    decision = evaluate(criteria, report(item), now=NOW)

    assert decision.allowed
    assert [s.finding.id for s in decision.suppressed] == ["CVE-2024-9"]
    assert "unknown_as=ignore" in decision.suppressed[0].reason


def test_low_blocks_lows() -> None:
    decision = evaluate(Criteria(Level.LOW), report(finding("CVE-1", "low")), now=NOW)

    assert decision.blocked
    assert decision.outcome is Outcome.VULNERABLE
    assert decision.summary == "blocked: 1 low (CVE-1)"


def test_a_clean_report_passes_every_level() -> None:
    for level in Level:
        decision = evaluate(Criteria(level), report(), now=NOW)
        assert decision.allowed, level
        assert not decision.counted


def test_never_needs_no_scan_and_allows_even_without_one() -> None:
    criteria = Criteria(Level.NEVER)

    decision = evaluate(criteria, None, now=NOW)

    assert not criteria.scans
    assert Criteria(Level.LOW).scans
    assert decision.allowed
    assert decision.outcome is Outcome.NOT_SCANNED
    assert decision.summary == "allowed: not scanned (criteria never)"


def test_counted_findings_are_those_at_or_above_the_level() -> None:
    findings = [finding("CVE-C", "critical"), finding("CVE-H", "high"), finding("CVE-M", "medium")]

    decision = evaluate(Criteria(Level.HIGH), report(*findings), now=NOW)

    assert [f.id for f in decision.counted] == ["CVE-C", "CVE-H"]
    assert decision.counts == {Severity.CRITICAL: 1, Severity.HIGH: 1}


# --- only fixable (case 8) ------------------------------------------------------------------


@pytest.mark.parametrize("state", ["not_fixed", "wont_fix", "unknown"])
def test_only_fixable_lets_an_unfixed_critical_through(state: str) -> None:
    criteria = Criteria(Level.CRITICAL, only_fixable=True)
    item = finding("CVE-2024-7", "critical", fix_state=state)

    decision = evaluate(criteria, report(item), now=NOW)

    assert decision.allowed
    assert decision.suppressed[0].finding.id == "CVE-2024-7"
    assert "no fix available" in decision.suppressed[0].reason


def test_only_fixable_still_blocks_a_fixed_critical() -> None:
    criteria = Criteria(Level.CRITICAL, only_fixable=True)
    items = [
        finding("CVE-A", "critical", fix_state=FixState.FIXED),
        finding("CVE-B", "critical", fix_state="wont_fix"),
    ]

    decision = evaluate(criteria, report(*items), now=NOW)

    assert decision.blocked
    assert [f.id for f in decision.counted] == ["CVE-A"]


def test_without_only_fixable_an_unfixed_critical_blocks() -> None:
    item = finding("CVE-2024-7", "critical", fix_state="not_fixed")

    assert evaluate(Criteria(Level.CRITICAL), report(item), now=NOW).blocked


# --- ignore rules (case 9) ------------------------------------------------------------------


def _blocked_with(rule: IgnoreRule, *, repository: str = "docker.io/library/nginx") -> bool:
    criteria = Criteria(Level.HIGH, ignore=(rule,))
    item = finding("CVE-2024-1", "critical", package="openssl", aliases=["DSA-5555-1"])
    return evaluate(criteria, report(item, repository=repository), now=NOW).blocked


def test_an_id_only_rule_suppresses() -> None:
    assert not _blocked_with(IgnoreRule("CVE-2024-1", reason="not reachable"))


def test_a_rule_matches_an_alias_case_insensitively() -> None:
    assert not _blocked_with(IgnoreRule("dsa-5555-1"))


def test_a_rule_scoped_to_another_package_does_not_suppress() -> None:
    assert _blocked_with(IgnoreRule("CVE-2024-1", package="zlib"))
    assert not _blocked_with(IgnoreRule("CVE-2024-1", package="openssl"))


def test_a_rule_scoped_to_another_repository_does_not_suppress() -> None:
    assert _blocked_with(IgnoreRule("CVE-2024-1", repository="docker.io/library/redis"))


@pytest.mark.parametrize(
    "pattern", ["docker.io/library/nginx", "nginx", "docker.io/library/*", "ngi*"]
)
def test_a_repository_rule_matches_full_and_familiar_names(pattern: str) -> None:
    assert not _blocked_with(IgnoreRule("CVE-2024-1", repository=pattern))


def test_repository_globs_match_registry_hosts() -> None:
    rule = IgnoreRule("CVE-2024-1", repository="registry.example.com:5000/team/*")

    assert not _blocked_with(rule, repository="registry.example.com:5000/team/app")
    assert _blocked_with(rule, repository="registry.example.com:5000/other/app")


def test_an_expired_rule_no_longer_suppresses_and_says_so() -> None:
    rule = IgnoreRule("CVE-2024-1", reason="vendor patch due", expires=NOW - timedelta(seconds=1))
    criteria = Criteria(Level.HIGH, ignore=(rule,))

    decision = evaluate(criteria, report(finding("CVE-2024-1", "critical")), now=NOW)

    assert decision.blocked
    assert any("expired" in warning and "CVE-2024-1" in warning for warning in decision.warnings)


def test_a_rule_applies_until_it_expires() -> None:
    rule = IgnoreRule("CVE-2024-1", reason="accepted", expires=NOW + timedelta(days=1))

    assert not _blocked_with(rule)


def test_suppressed_findings_are_listed_with_the_rule_reason() -> None:
    rule = IgnoreRule("CVE-2024-1", reason="only in the test suite")
    criteria = Criteria(Level.HIGH, ignore=(rule,))

    decision = evaluate(criteria, report(finding("CVE-2024-1", "critical")), now=NOW)

    assert decision.allowed
    assert decision.outcome is Outcome.PASSED
    assert [(s.finding.id, s.reason) for s in decision.suppressed] == [
        ("CVE-2024-1", "ignored: only in the test suite")
    ]


def test_ignore_rules_need_an_id_and_an_aware_expiry() -> None:
    with pytest.raises(ValueError, match="id"):
        IgnoreRule(" ")
    with pytest.raises(ValueError, match="timezone"):
        IgnoreRule("CVE-1", expires=NOW.replace(tzinfo=None))


# --- deduplication (case 5) -----------------------------------------------------------------


def test_the_same_cve_in_two_packages_counts_twice() -> None:
    items = [
        finding("CVE-1", "high", package="libssl3"),
        finding("CVE-1", "high", package="openssl"),
    ]

    decision = evaluate(Criteria(Level.HIGH), report(*items), now=NOW)

    assert len(decision.counted) == 2
    assert decision.summary == "blocked: 2 high (CVE-1)"


def test_a_ghsa_and_its_cve_in_one_package_count_once() -> None:
    items = [
        finding(
            "GHSA-aaaa-bbbb-cccc", "high", package="golang.org/x/net", aliases=["CVE-2023-44487"]
        ),
        finding("CVE-2023-44487", "high", package="golang.org/x/net"),
    ]

    decision = evaluate(Criteria(Level.HIGH), report(*items), now=NOW)

    assert [f.id for f in decision.counted] == ["CVE-2023-44487"]
    assert "GHSA-AAAA-BBBB-CCCC" in decision.counted[0].aliases


def test_negligible_never_counts_even_at_low() -> None:
    decision = evaluate(Criteria(Level.LOW), report(finding(severity="negligible")), now=NOW)

    assert decision.allowed
    assert not decision.counted
