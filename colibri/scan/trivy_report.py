"""Pure parsers for Trivy's JSON: the image report and the version/DB metadata.

Report shape (``pkg/types/report.go``, schema version 2)::

    {"SchemaVersion": 2, "ArtifactName": "...", "Metadata": {"RepoDigests": [...]},
     "Results": [{"Target": "...", "Class": "os-pkgs", "Type": "debian",
                  "Vulnerabilities": [{"VulnerabilityID", "PkgName", "InstalledVersion",
                                       "FixedVersion", "Status", "Severity", "VendorIDs"...}]}]}

A clean image has no ``Vulnerabilities`` key, and ``Results`` itself may be absent: both mean
"no findings". ``SchemaVersion`` must be 2. A finding is *fixed* when ``FixedVersion`` is set
or ``Status`` is ``fixed``; ``not_affected`` entries are dropped (the vendor says the package
is not vulnerable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from colibri.domain.scanning import Finding, FixState, ScannerInfo, Severity
from colibri.scan._json import Reader, load_document

__all__ = ["TrivyReport", "parse_trivy_report", "parse_trivy_version"]

SCHEMA_VERSION = 2
NOT_AFFECTED = "not_affected"


@dataclass(frozen=True, slots=True)
class TrivyReport:
    """What a Trivy image report says: findings as reported, and what was scanned."""

    findings: tuple[Finding, ...]
    artifact: str
    repo_digests: tuple[str, ...]
    version: str


def parse_trivy_report(data: bytes | str) -> TrivyReport:
    """Parse ``trivy image --format json`` output; ``ScanError`` names any field that is wrong."""
    read = Reader("trivy report")
    document = read.object(load_document(data, source="trivy report"), "")
    schema = read.integer(document, "SchemaVersion", "")
    if schema != SCHEMA_VERSION:
        raise read.fail("SchemaVersion", f"is {schema!r}, only {SCHEMA_VERSION} is understood")
    metadata = read.optional_object(document, "Metadata", "")
    findings: list[Finding] = []
    for index, result in enumerate(read.objects(document, "Results", "")):
        findings.extend(_result_findings(read, result, f"Results[{index}]"))
    return TrivyReport(
        findings=tuple(findings),
        artifact=read.string(document, "ArtifactName", ""),
        repo_digests=read.strings(metadata, "RepoDigests", "Metadata"),
        version=read.string(read.optional_object(document, "Trivy", ""), "Version", "Trivy"),
    )


def _result_findings(read: Reader, result: Mapping[str, Any], path: str) -> list[Finding]:
    target = read.string(result, "Target", path)
    package_type = read.string(result, "Type", path)
    read.string(result, "Class", path)  # checked for type only
    findings = []
    for index, vuln in enumerate(read.objects(result, "Vulnerabilities", path)):
        item = _finding(read, vuln, f"{path}.Vulnerabilities[{index}]", target, package_type)
        if item is not None:
            findings.append(item)
    return findings


def _finding(
    read: Reader, vuln: Mapping[str, Any], path: str, target: str, package_type: str
) -> Finding | None:
    """One vulnerability entry, or ``None`` for a ``not_affected`` one."""
    status = read.string(vuln, "Status", path)
    if status == NOT_AFFECTED:
        return None
    fixed_version = read.string(vuln, "FixedVersion", path)
    return Finding(
        id=read.string(vuln, "VulnerabilityID", path, required=True),
        package=read.string(vuln, "PkgName", path, required=True),
        version=read.string(vuln, "InstalledVersion", path),
        severity=Severity.normalise(read.string(vuln, "Severity", path)),
        fix_state=FixState.FIXED if fixed_version else FixState.normalise(status),
        fixed_version=fixed_version,
        aliases=read.strings(vuln, "VendorIDs", path),
        package_type=package_type,
        target=target,
        scanner="trivy",
        title=read.string(vuln, "Title", path),
        url=read.string(vuln, "PrimaryURL", path),
    )


def parse_trivy_version(data: bytes | str, *, source: str = "trivy version") -> ScannerInfo:
    """Parse ``trivy --version --format json`` (or a Trivy server's ``/version``).

    ``VulnerabilityDB`` is absent when no DB has been downloaded yet: the build time is then
    unknown, which the gate treats as stale.
    """
    read = Reader(source)
    document = read.object(load_document(data, source=source), "")
    database = read.optional_object(document, "VulnerabilityDB", "")
    return ScannerInfo(
        name="trivy",
        version=read.string(document, "Version", "", required=True),
        db_schema=read.version_text(database, "Version", "VulnerabilityDB"),
        db_built_at=read.timestamp(database, "UpdatedAt", "VulnerabilityDB"),
    )
