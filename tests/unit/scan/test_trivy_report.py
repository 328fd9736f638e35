"""Trivy's JSON parsed into findings (scanning.md §7 cases 1-3)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from colibri.domain.scanning import FixState, Severity
from colibri.errors import ScanError
from colibri.scan import parse_trivy_report, parse_trivy_version
from tests.unit.scan.fixtures import FIXTURE_DIGEST, document, dumps, raw

REPO = "registry.example.com/team/app"


def test_case_1_a_multi_result_report_gives_every_finding_normalised() -> None:
    parsed = parse_trivy_report(raw("trivy-debian-go.json"))

    by_key = {(f.id, f.package): f for f in parsed.findings}
    assert sorted(by_key) == [
        ("CVE-2022-0563", "util-linux"),
        ("CVE-2023-44487", "golang.org/x/net"),
        ("CVE-2023-45853", "zlib1g"),
        ("CVE-2023-7008", "libsystemd0"),
        ("CVE-2024-24790", "stdlib"),
        ("CVE-2024-2511", "libssl3"),
        ("CVE-2024-2511", "openssl"),
        ("CVE-2024-26461", "libkrb5-3"),
        ("CVE-2024-28182", "libnghttp2-14"),
        ("TEMP-0841856-B18BAF", "bsdutils"),
    ]
    assert ("CVE-2023-50387", "libsystemd0") not in by_key  # not_affected is dropped
    assert parsed.repo_digests == (f"{REPO}@{FIXTURE_DIGEST}",)
    assert parsed.version == "0.50.1"


@pytest.mark.parametrize(
    ("vuln_id", "package", "severity", "state", "fixed"),
    [
        ("CVE-2024-2511", "openssl", Severity.LOW, FixState.FIXED, "3.0.13-1~deb12u1"),
        ("CVE-2023-45853", "zlib1g", Severity.CRITICAL, FixState.WONT_FIX, ""),
        ("CVE-2024-26461", "libkrb5-3", Severity.MEDIUM, FixState.NOT_FIXED, ""),
        ("CVE-2023-7008", "libsystemd0", Severity.MEDIUM, FixState.NOT_FIXED, ""),
        ("CVE-2022-0563", "util-linux", Severity.LOW, FixState.WONT_FIX, ""),
        ("TEMP-0841856-B18BAF", "bsdutils", Severity.UNKNOWN, FixState.UNKNOWN, ""),
        # no Status at all (older Trivy), but a FixedVersion: fixed
        ("CVE-2024-28182", "libnghttp2-14", Severity.HIGH, FixState.FIXED, "1.52.0-1+deb12u2"),
        ("CVE-2024-24790", "stdlib", Severity.CRITICAL, FixState.FIXED, "1.21.11, 1.22.4"),
    ],
)
def test_case_1_severity_and_fix_state_come_from_severity_status_and_fixed_version(
    vuln_id: str, package: str, severity: Severity, state: FixState, fixed: str
) -> None:
    parsed = parse_trivy_report(raw("trivy-debian-go.json"))

    (item,) = [f for f in parsed.findings if f.id == vuln_id and f.package == package]
    assert (item.severity, item.fix_state, item.fixed_version) == (severity, state, fixed)
    assert item.scanner == "trivy"


def test_case_1_targets_types_and_aliases_are_kept() -> None:
    parsed = parse_trivy_report(raw("trivy-debian-go.json"))

    net = next(f for f in parsed.findings if f.package == "golang.org/x/net")
    ssl = next(f for f in parsed.findings if f.package == "openssl")
    assert (net.target, net.package_type, net.version) == (
        "usr/local/bin/app",
        "gobinary",
        "v0.7.0",
    )
    assert net.aliases == ("GHSA-qppj-fm5r-hxr3",)
    assert ssl.target == f"{REPO}@{FIXTURE_DIGEST} (debian 12.5)"
    assert ssl.package_type == "debian"
    assert ssl.aliases == ("DSA-5678-1",)
    assert ssl.url == "https://avd.aquasec.com/nvd/cve-2024-2511"
    assert ssl.title.startswith("openssl: Unbounded memory growth")


@pytest.mark.parametrize("name", ["trivy-clean.json", "trivy-no-results.json"])
def test_case_2_a_clean_image_has_no_findings(name: str) -> None:
    parsed = parse_trivy_report(raw(name))

    assert parsed.findings == ()
    assert parsed.repo_digests == (f"{REPO}@{FIXTURE_DIGEST}",)


def test_null_vulnerabilities_and_results_mean_none() -> None:
    assert parse_trivy_report(b'{"SchemaVersion": 2, "Results": null}').findings == ()
    text = b'{"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": null}]}'
    assert parse_trivy_report(text).findings == ()


def test_case_3_trailing_text_after_the_document_is_tolerated() -> None:
    text = raw("trivy-clean.json") + b"\n\nA new version of Trivy is available.\n"

    assert parse_trivy_report(text).findings == ()


def _damaged(change: str) -> bytes:
    """The multi-result fixture with one field damaged as ``change`` says."""
    data: Any = document("trivy-debian-go.json")
    vuln = data["Results"][0]["Vulnerabilities"][2]
    changes = {
        "schema missing": lambda: data.pop("SchemaVersion"),
        "schema 1": lambda: data.update(SchemaVersion=1),
        "schema string": lambda: data.update(SchemaVersion="2"),
        "results object": lambda: data.update(Results={"Target": "x"}),
        "result string": lambda: data["Results"].__setitem__(1, "usr/local/bin/app"),
        "vulns object": lambda: data["Results"][1].update(Vulnerabilities={}),
        "vuln id missing": lambda: vuln.pop("VulnerabilityID"),
        "vuln id empty": lambda: vuln.update(VulnerabilityID=""),
        "pkg name missing": lambda: vuln.pop("PkgName"),
        "severity number": lambda: vuln.update(Severity=4),
        "status number": lambda: vuln.update(Status=3),
        "fixed version list": lambda: vuln.update(FixedVersion=["1.2"]),
        "vendor ids string": lambda: vuln.update(VendorIDs="DSA-1"),
        "vendor id number": lambda: vuln.update(VendorIDs=[5678]),
        "repo digests string": lambda: data["Metadata"].update(RepoDigests="x@sha256:1"),
        "metadata list": lambda: data.update(Metadata=[]),
    }
    changes[change]()
    return dumps(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("schema missing", "SchemaVersion is None, only 2 is understood"),
        ("schema 1", "SchemaVersion is 1, only 2 is understood"),
        ("schema string", "SchemaVersion must be an integer, got string"),
        ("results object", "Results must be an array, got object"),
        ("result string", "Results[1] must be an object, got string"),
        ("vulns object", "Results[1].Vulnerabilities must be an array, got object"),
        ("vuln id missing", "Results[0].Vulnerabilities[2].VulnerabilityID is missing"),
        ("vuln id empty", "Results[0].Vulnerabilities[2].VulnerabilityID is empty"),
        ("pkg name missing", "Results[0].Vulnerabilities[2].PkgName is missing"),
        ("severity number", "Results[0].Vulnerabilities[2].Severity must be a string, got number"),
        ("status number", "Results[0].Vulnerabilities[2].Status must be a string, got number"),
        ("fixed version list", "Vulnerabilities[2].FixedVersion must be a string, got array"),
        ("vendor ids string", "Vulnerabilities[2].VendorIDs must be an array, got string"),
        ("vendor id number", "Vulnerabilities[2].VendorIDs[0] must be a string, got number"),
        ("repo digests string", "Metadata.RepoDigests must be an array, got string"),
        ("metadata list", "Metadata must be an object, got array"),
    ],
)
def test_case_3_a_wrong_field_is_a_scan_error_naming_it(change: str, message: str) -> None:
    with pytest.raises(ScanError, match=re.escape(message)) as caught:
        parse_trivy_report(_damaged(change))

    assert str(caught.value).startswith("trivy report: ")


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (b"", "no output on stdout"),
        (b"  \n", "no output on stdout"),
        (b"panic: runtime error: invalid memory address\n", "output is not JSON"),
        (raw("trivy-debian-go.json")[:5000], "output is not JSON"),
        (b"[]", "the document must be an object, got array"),
        (b"null", "the document must be an object, got null"),
    ],
    ids=["empty", "blank", "panic", "truncated", "array", "null"],
)
def test_case_3_unparsable_output_is_a_scan_error(output: bytes, message: str) -> None:
    with pytest.raises(ScanError, match=re.escape(message)):
        parse_trivy_report(output)


def test_the_version_document_gives_version_and_db_build() -> None:
    info = parse_trivy_version(raw("trivy-version.json"))

    assert (info.name, info.version, info.db_schema) == ("trivy", "0.50.1", "2")
    assert info.db_built_at == datetime(2024, 4, 10, 6, 10, 21, 337163, tzinfo=UTC)


def test_a_version_without_a_db_has_an_unknown_build_time() -> None:
    info = parse_trivy_version(b'{"Version": "0.50.1"}')

    assert info.db_built_at is None


def test_go_zero_time_is_an_unknown_build_time() -> None:
    text = b'{"Version": "0.50.1", "VulnerabilityDB": {"UpdatedAt": "0001-01-01T00:00:00Z"}}'

    assert parse_trivy_version(text).db_built_at is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"Version: 0.50.1", "output is not JSON"),
        (b"{}", "Version is missing"),
        (b'{"Version": 50}', "Version must be a string, got number"),
        (b'{"Version": "1", "VulnerabilityDB": []}', "VulnerabilityDB must be an object"),
        (
            b'{"Version": "1", "VulnerabilityDB": {"UpdatedAt": "yesterday"}}',
            "VulnerabilityDB.UpdatedAt is not an RFC 3339 time",
        ),
        (
            b'{"Version": "1", "VulnerabilityDB": {"UpdatedAt": "2024-04-10T06:10:21"}}',
            "VulnerabilityDB.UpdatedAt has no timezone",
        ),
        (b'{"Version": "1", "VulnerabilityDB": {"Version": true}}', "VulnerabilityDB.Version"),
    ],
)
def test_a_bad_version_document_is_a_scan_error_naming_the_field(text: bytes, message: str) -> None:
    with pytest.raises(ScanError, match=re.escape(message)):
        parse_trivy_version(text)
