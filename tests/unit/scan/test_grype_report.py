"""Grype's JSON parsed into findings (scanning.md §7 case 4)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from colibri.domain.scanning import FixState, Severity, merge_findings
from colibri.errors import ScanError
from colibri.scan import parse_grype_db_status, parse_grype_report, parse_grype_version
from tests.unit.scan.fixtures import FIXTURE_DIGEST, document, dumps, raw

BUILT = datetime(2024, 4, 10, 1, 31, 43, tzinfo=UTC)


def test_case_4_every_match_becomes_a_finding_and_ignored_matches_do_not() -> None:
    parsed = parse_grype_report(raw("grype-debian-go.json"))

    assert [(f.id, f.package) for f in parsed.findings] == [
        ("CVE-2023-45853", "zlib1g"),
        ("CVE-2024-2511", "openssl"),
        ("CVE-2024-26461", "libkrb5-3"),
        ("GHSA-qppj-fm5r-hxr3", "golang.org/x/net"),
        ("CVE-2023-44487", "golang.org/x/net"),
        ("CVE-2011-3374", "apt"),
        ("CVE-2024-0727", "libssl3"),
        ("CVE-2024-28182", "libnghttp2-14"),
    ]
    assert parsed.ignored == 1
    assert all(f.scanner == "grype" for f in parsed.findings)


@pytest.mark.parametrize(
    ("vuln_id", "severity", "state", "fixed"),
    [
        ("CVE-2023-45853", Severity.CRITICAL, FixState.WONT_FIX, ""),
        ("CVE-2024-2511", Severity.LOW, FixState.FIXED, "3.0.13-1~deb12u1"),
        ("CVE-2024-26461", Severity.MEDIUM, FixState.NOT_FIXED, ""),
        ("GHSA-qppj-fm5r-hxr3", Severity.HIGH, FixState.FIXED, "0.17.0"),
        ("CVE-2011-3374", Severity.NEGLIGIBLE, FixState.UNKNOWN, ""),  # state ""
        ("CVE-2024-0727", Severity.UNKNOWN, FixState.UNKNOWN, ""),
        ("CVE-2024-28182", Severity.HIGH, FixState.FIXED, "1.52.0-1+deb12u2"),  # "" + versions
    ],
)
def test_case_4_title_case_severities_and_every_fix_state(
    vuln_id: str, severity: Severity, state: FixState, fixed: str
) -> None:
    parsed = parse_grype_report(raw("grype-debian-go.json"))

    item = next(f for f in parsed.findings if f.id == vuln_id)
    assert (item.severity, item.fix_state, item.fixed_version) == (severity, state, fixed)


def test_case_4_related_vulnerabilities_are_aliases_and_merge_with_the_cve() -> None:
    parsed = parse_grype_report(raw("grype-debian-go.json"))

    ghsa = next(f for f in parsed.findings if f.id.startswith("GHSA"))
    merged = [f for f in merge_findings(parsed.findings) if f.package == "golang.org/x/net"]
    assert ghsa.aliases == ("CVE-2023-44487",)
    assert ghsa.canonical_id == "CVE-2023-44487"
    assert len(merged) == 1
    assert merged[0].id == "CVE-2023-44487"
    assert merged[0].aliases == ("GHSA-QPPJ-FM5R-HXR3",)


def test_artifact_details_are_kept() -> None:
    parsed = parse_grype_report(raw("grype-debian-go.json"))

    net = next(f for f in parsed.findings if f.id.startswith("GHSA"))
    zlib = next(f for f in parsed.findings if f.package == "zlib1g")
    assert (net.version, net.package_type, net.target) == (
        "v0.7.0",
        "go-module",
        "/usr/local/bin/app",
    )
    assert (zlib.version, zlib.package_type) == ("1:1.2.13.dfsg-1", "deb")
    assert zlib.url == "https://security-tracker.debian.org/tracker/CVE-2023-45853"


def test_digests_version_and_db_come_from_source_and_descriptor() -> None:
    parsed = parse_grype_report(raw("grype-debian-go.json"))

    assert FIXTURE_DIGEST in parsed.digests
    assert f"registry.example.com/team/app@{FIXTURE_DIGEST}" in parsed.digests
    assert parsed.version == "0.74.0"
    assert parsed.database is not None
    assert (parsed.database.schema, parsed.database.built_at) == ("5", BUILT)


def test_a_nested_db_status_in_the_descriptor_is_understood() -> None:
    data: Any = document("grype-debian-go.json")
    data["descriptor"]["db"] = {
        "status": {"schemaVersion": "v6.0.2", "built": "2025-01-27T04:13:42Z", "valid": True},
        "providers": {"nvd": {"captured": "2025-01-27T01:31:43Z"}},
    }

    database = parse_grype_report(dumps(data)).database

    assert database is not None
    assert database.schema == "v6.0.2"
    assert database.built_at == datetime(2025, 1, 27, 4, 13, 42, tzinfo=UTC)


def test_a_report_without_db_or_version_says_so() -> None:
    data: Any = document("grype-debian-go.json")
    data["descriptor"] = {"name": "grype", "version": "[not provided]", "timestamp": ""}

    parsed = parse_grype_report(dumps(data))

    assert parsed.database is None
    assert parsed.version == ""


def test_an_empty_report_has_no_findings() -> None:
    text = b'{"matches": [], "source": {"type": "image", "target": {"repoDigests": []}}}'

    parsed = parse_grype_report(text)

    assert parsed.findings == ()
    assert parsed.digests == ()


def _damaged(change: str) -> bytes:
    data: Any = document("grype-debian-go.json")
    match = data["matches"][3]
    changes = {
        "no matches": lambda: data.pop("matches"),
        "matches object": lambda: data.update(matches={}),
        "match string": lambda: data["matches"].__setitem__(0, "CVE-1"),
        "vulnerability missing": lambda: match.pop("vulnerability"),
        "id missing": lambda: match["vulnerability"].pop("id"),
        "severity number": lambda: match["vulnerability"].update(severity=3),
        "fix list": lambda: match["vulnerability"].update(fix=[]),
        "fix versions string": lambda: match["vulnerability"]["fix"].update(versions="0.17.0"),
        "fix state bool": lambda: match["vulnerability"]["fix"].update(state=True),
        "related id missing": lambda: match["relatedVulnerabilities"][0].pop("id"),
        "artifact missing": lambda: match.pop("artifact"),
        "artifact name number": lambda: match["artifact"].update(name=7),
        "locations object": lambda: match["artifact"].update(locations={}),
        "repo digests string": lambda: data["source"]["target"].update(repoDigests="x"),
        "db built number": lambda: data["descriptor"]["db"].update(built=1712712703),
    }
    changes[change]()
    return dumps(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no matches", "matches is missing: not a Grype JSON report"),
        ("matches object", "matches must be an array, got object"),
        ("match string", "matches[0] must be an object, got string"),
        ("vulnerability missing", "matches[3].vulnerability must be an object, got null"),
        ("id missing", "matches[3].vulnerability.id is missing"),
        ("severity number", "matches[3].vulnerability.severity must be a string, got number"),
        ("fix list", "matches[3].vulnerability.fix must be an object, got array"),
        ("fix versions string", "matches[3].vulnerability.fix.versions must be an array"),
        ("fix state bool", "matches[3].vulnerability.fix.state must be a string, got boolean"),
        ("related id missing", "matches[3].relatedVulnerabilities[0].id is missing"),
        ("artifact missing", "matches[3].artifact must be an object, got null"),
        ("artifact name number", "matches[3].artifact.name must be a string, got number"),
        ("locations object", "matches[3].artifact.locations must be an array, got object"),
        ("repo digests string", "source.target.repoDigests must be an array, got string"),
        ("db built number", "descriptor.db.built must be a string, got number"),
    ],
)
def test_a_wrong_field_is_a_scan_error_naming_it(change: str, message: str) -> None:
    with pytest.raises(ScanError, match=re.escape(message)) as caught:
        parse_grype_report(_damaged(change))

    assert str(caught.value).startswith("grype report: ")


@pytest.mark.parametrize(
    "output",
    [
        b"",
        b"1 error occurred:\n\t* failed to load vulnerability db\n",
        raw("grype-debian-go.json")[:900],
    ],
    ids=["empty", "error text", "truncated"],
)
def test_unparsable_output_is_a_scan_error(output: bytes) -> None:
    with pytest.raises(ScanError, match="grype report: "):
        parse_grype_report(output)


def test_version_and_db_status_documents() -> None:
    database = parse_grype_db_status(raw("grype-db-status.json"))

    assert parse_grype_version(raw("grype-version.json")) == "0.74.0"
    assert (database.schema, database.built_at) == ("5", BUILT)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"schemaVersion": 5, "error": "database does not exist"}', "database does not exist"),
        (b'{"schemaVersion": "v6.0.2", "valid": false}', "valid is false"),
        (b'{"schemaVersion": 5, "built": "soon"}', "built is not an RFC 3339 time"),
        (b'{"schemaVersion": [5]}', "schemaVersion must be a number or a string"),
    ],
)
def test_a_bad_db_status_is_a_scan_error(text: bytes, message: str) -> None:
    with pytest.raises(ScanError, match=re.escape(message)):
        parse_grype_db_status(text)


def test_a_version_document_needs_a_version() -> None:
    with pytest.raises(ScanError, match="grype version: version is missing"):
        parse_grype_version(b'{"application": "grype"}')
