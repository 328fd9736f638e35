"""The scan value types of ``colibri.domain.scanning``: normalisation, merging, round trips."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from colibri.domain.scanning import (
    SEVERITY_ORDER,
    Finding,
    FixState,
    ScanReport,
    Severity,
    merge_findings,
)
from tests.support.fake_scanners import DIGEST_B, NOW, finding, report, scanner_info


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("CRITICAL", Severity.CRITICAL),  # Trivy
        ("Critical", Severity.CRITICAL),  # Grype
        ("HIGH", Severity.HIGH),
        ("Medium", Severity.MEDIUM),
        ("moderate", Severity.MEDIUM),
        ("LOW", Severity.LOW),
        ("Negligible", Severity.NEGLIGIBLE),
        ("UNKNOWN", Severity.UNKNOWN),
        ("Unknown", Severity.UNKNOWN),
        ("", Severity.UNKNOWN),
        ("Severe", Severity.UNKNOWN),
    ],
)
def test_severities_normalise_from_both_spellings(text: str, severity: Severity) -> None:
    assert Severity.normalise(text) is severity


def test_severities_are_ordered_from_unknown_to_critical() -> None:
    assert SEVERITY_ORDER == (
        Severity.CRITICAL,
        Severity.HIGH,
        Severity.MEDIUM,
        Severity.LOW,
        Severity.NEGLIGIBLE,
        Severity.UNKNOWN,
    )
    assert Severity.LOW.at_least(Severity.LOW)
    assert Severity.HIGH.at_least(Severity.LOW)
    assert not Severity.NEGLIGIBLE.at_least(Severity.LOW)


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("fixed", FixState.FIXED),
        ("affected", FixState.NOT_FIXED),  # Trivy
        ("fix_deferred", FixState.NOT_FIXED),
        ("not-fixed", FixState.NOT_FIXED),  # Grype
        ("will_not_fix", FixState.WONT_FIX),  # Trivy
        ("end_of_life", FixState.WONT_FIX),
        ("wont-fix", FixState.WONT_FIX),  # Grype
        ("under_investigation", FixState.UNKNOWN),
        ("unknown", FixState.UNKNOWN),
        ("", FixState.UNKNOWN),
    ],
)
def test_fix_states_normalise_from_both_spellings(text: str, state: FixState) -> None:
    assert FixState.normalise(text) is state


def test_merging_keeps_the_highest_severity_and_any_known_fix() -> None:
    trivy = finding("CVE-1", "medium", fix_state="not_fixed", scanner="trivy", target="t")
    grype = finding("CVE-1", "high", fix_state="fixed", fixed_version="2.0", scanner="grype")

    (merged,) = merge_findings([trivy, grype])

    assert merged.severity is Severity.HIGH
    assert (merged.fix_state, merged.fixed_version) == (FixState.FIXED, "2.0")
    assert merged.scanner == "trivy+grype"
    assert merged.target == "t"


def test_merging_keeps_different_packages_and_versions_apart() -> None:
    items = [
        finding("CVE-1", package="a"),
        finding("CVE-1", package="b"),
        finding("CVE-1", package="a", version="2"),
    ]

    assert len(merge_findings(items)) == 3


def test_merged_findings_are_sorted_worst_first() -> None:
    items = [finding("CVE-L", "low"), finding("CVE-C", "critical"), finding("CVE-H", "high")]

    assert [f.id for f in merge_findings(items)] == ["CVE-C", "CVE-H", "CVE-L"]


def test_a_stated_fix_state_wins_over_unknown() -> None:
    (merged,) = merge_findings(
        [finding("CVE-1", fix_state="unknown"), finding("CVE-1", fix_state="wont_fix")]
    )

    assert merged.fix_state is FixState.WONT_FIX


def test_counts_cover_every_severity() -> None:
    counts = report(
        finding("CVE-1", "high"), finding("CVE-2", "high"), finding("CVE-3", "low")
    ).counts

    assert counts == {
        Severity.CRITICAL: 0,
        Severity.HIGH: 2,
        Severity.MEDIUM: 0,
        Severity.LOW: 1,
        Severity.NEGLIGIBLE: 0,
        Severity.UNKNOWN: 0,
    }


def test_a_report_round_trips_through_a_dict() -> None:
    original = report(
        finding(
            "GHSA-x", "critical", aliases=["CVE-9"], target="usr/bin/app", package_type="gobinary"
        ),
        finding("CVE-2", "unknown", fix_state="wont_fix"),
        scanners=[scanner_info("trivy"), scanner_info("grype", version="0.74.0")],
    )

    data = original.to_dict()

    assert data["counts"]["critical"] == 1
    assert ScanReport.from_dict(data) == original


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"digest": None}, "report.digest"),
        ({"scanners": "trivy"}, "report.scanners"),
        ({"scanned_at": "2024-04-10T06:10:21"}, "report.scanned_at"),
        (
            {
                "findings": [
                    {"id": "CVE-1", "package": "p", "severity": "severe", "fix_state": "fixed"}
                ]
            },
            "finding.severity",
        ),
        (
            {"findings": [{"id": "CVE-1", "package": "p", "severity": "low", "fix_state": "nope"}]},
            "finding.fix_state",
        ),
        (
            {"findings": [{"id": "", "package": "p", "severity": "low", "fix_state": "fixed"}]},
            "finding.id",
        ),
        (
            {
                "findings": [
                    {
                        "id": "C",
                        "package": "p",
                        "severity": "low",
                        "fix_state": "fixed",
                        "aliases": "x",
                    }
                ]
            },
            "finding.aliases",
        ),
        ({"scanners": [{"name": "trivy", "db_built_at": 5}]}, "scanner.db_built_at"),
    ],
)
def test_a_bad_report_dict_names_the_field(change: dict[str, object], message: str) -> None:
    data = {**report(finding()).to_dict(), **change}

    with pytest.raises(ValueError, match=re.escape(message)):
        ScanReport.from_dict(data)


def test_same_db_build_needs_same_scanners_versions_and_build_times() -> None:
    base = report()

    assert base.same_db_build(report(digest=DIGEST_B))
    assert not base.same_db_build(report(built=NOW - timedelta(days=1)))
    assert not base.same_db_build(report(scanners=[scanner_info(version="0.49.0")]))
    assert not base.same_db_build(report(scanners=[scanner_info("grype")]))
    assert not report(built=None).same_db_build(report(built=None))
    assert not base.same_db_build(report(scanners=[]))


def test_findings_know_their_ids_and_fixability() -> None:
    item = Finding("ghsa-abc", "p", "1", Severity.LOW, FixState.FIXED, aliases=("cve-2024-1",))

    assert item.ids == {"GHSA-ABC", "CVE-2024-1"}
    assert item.canonical_id == "CVE-2024-1"
    assert item.fixable
    assert not finding(fix_state="wont_fix").fixable
