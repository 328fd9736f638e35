"""Pure parsers for Grype's JSON: the report, ``grype version`` and ``grype db status``.

Report shape (``grype/presenter/models/document.go``)::

    {"matches": [{"vulnerability": {"id", "severity", "fix": {"versions": [], "state"}},
                  "relatedVulnerabilities": [{"id"}], "artifact": {"name", "version",
                  "type", "locations": [{"path"}]}}],
     "ignoredMatches": [...],
     "source": {"type": "image", "target": {"manifestDigest", "repoDigests"}},
     "descriptor": {"name": "grype", "version", "db": {"built", "schemaVersion"}}}

``matches`` is always present (Grype pre-allocates it), so its absence means the document is not
a Grype report. Severities are Title-case (``Negligible``…``Critical``, ``Unknown``); fix states
``fixed``, ``not-fixed``, ``wont-fix``, ``unknown`` or empty (a non-empty ``fix.versions``
then still means fixed). ``ignoredMatches`` are matches the user's own Grype configuration set
aside; they are not findings here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from colibri.domain.scanning import Finding, FixState, Severity
from colibri.scan._json import Reader, load_document

__all__ = [
    "GrypeDatabase",
    "GrypeReport",
    "parse_grype_db_status",
    "parse_grype_report",
    "parse_grype_version",
]


@dataclass(frozen=True, slots=True)
class GrypeDatabase:
    """The vulnerability DB a Grype run used (or has installed)."""

    schema: str
    built_at: datetime | None


@dataclass(frozen=True, slots=True)
class GrypeReport:
    """What a Grype report says: findings, what was scanned, by which Grype and DB."""

    findings: tuple[Finding, ...]
    digests: tuple[str, ...]
    version: str
    database: GrypeDatabase | None
    ignored: int


def parse_grype_report(data: bytes | str) -> GrypeReport:
    """Parse ``grype <image> -o json`` output; ``ScanError`` names any field that is wrong."""
    read = Reader("grype report")
    document = read.object(load_document(data, source="grype report"), "")
    if "matches" not in document:
        raise read.fail("matches", "is missing: not a Grype JSON report")
    findings = tuple(
        _finding(read, match, f"matches[{index}]")
        for index, match in enumerate(read.objects(document, "matches", ""))
    )
    target = _source_target(read, document)
    descriptor = read.optional_object(document, "descriptor", "")
    version = read.string(descriptor, "version", "descriptor")
    return GrypeReport(
        findings=findings,
        digests=_digests(read, target),
        version="" if version.startswith("[") else version,  # "[not provided]"
        database=_descriptor_db(read, descriptor),
        ignored=len(read.array(document, "ignoredMatches", "")),
    )


def _finding(read: Reader, match: Mapping[str, Any], path: str) -> Finding:
    vuln = read.object(match.get("vulnerability"), f"{path}.vulnerability")
    vpath = f"{path}.vulnerability"
    artifact = read.object(match.get("artifact"), f"{path}.artifact")
    apath = f"{path}.artifact"
    fix = read.optional_object(vuln, "fix", vpath)
    versions = read.strings(fix, "versions", f"{vpath}.fix")
    state = read.string(fix, "state", f"{vpath}.fix")
    related = read.objects(match, "relatedVulnerabilities", path)
    locations = read.objects(artifact, "locations", apath)
    return Finding(
        id=read.string(vuln, "id", vpath, required=True),
        package=read.string(artifact, "name", apath, required=True),
        version=read.string(artifact, "version", apath),
        severity=Severity.normalise(read.string(vuln, "severity", vpath)),
        fix_state=FixState.FIXED if versions and not state else FixState.normalise(state),
        fixed_version=", ".join(versions),
        aliases=tuple(
            read.string(item, "id", f"{path}.relatedVulnerabilities[{index}]", required=True)
            for index, item in enumerate(related)
        ),
        package_type=read.string(artifact, "type", apath),
        target=read.string(locations[0], "path", f"{apath}.locations[0]") if locations else "",
        scanner="grype",
        title=read.string(vuln, "description", vpath)[:200],
        url=read.string(vuln, "dataSource", vpath),
    )


def _source_target(read: Reader, document: Mapping[str, Any]) -> Mapping[str, Any]:
    source = read.optional_object(document, "source", "")
    target = source.get("target")
    # For directory sources "target" is a plain path string; only images carry digests.
    return {} if target is None or isinstance(target, str) else read.object(target, "source.target")


def _digests(read: Reader, target: Mapping[str, Any]) -> tuple[str, ...]:
    manifest = read.string(target, "manifestDigest", "source.target")
    repo_digests = read.strings(target, "repoDigests", "source.target")
    return tuple(filter(None, (manifest, *repo_digests)))


def _descriptor_db(read: Reader, descriptor: Mapping[str, Any]) -> GrypeDatabase | None:
    """``descriptor.db``: flat ({built, schemaVersion}) or nested under ``status``."""
    database = read.optional_object(descriptor, "db", "descriptor")
    path = "descriptor.db"
    if "status" in database:
        database, path = read.optional_object(database, "status", path), f"{path}.status"
    if not database:
        return None
    return GrypeDatabase(
        schema=read.version_text(database, "schemaVersion", path),
        built_at=read.timestamp(database, "built", path),
    )


def parse_grype_version(data: bytes | str) -> str:
    """The version from ``grype version -o json``."""
    read = Reader("grype version")
    document = read.object(load_document(data, source="grype version"), "")
    return read.string(document, "version", "", required=True)


def parse_grype_db_status(data: bytes | str) -> GrypeDatabase:
    """The installed DB from ``grype db status -o json``.

    An ``error`` string or ``valid: false`` means Grype cannot use its DB: a ``ScanError``.
    """
    read = Reader("grype db status")
    document = read.object(load_document(data, source="grype db status"), "")
    error = document.get("error")
    if isinstance(error, str) and error:
        raise read.fail("error", f"reports the DB unusable: {error}")
    if document.get("valid") is False:
        raise read.fail("valid", "is false: the installed DB is not usable")
    return GrypeDatabase(
        schema=read.version_text(document, "schemaVersion", ""),
        built_at=read.timestamp(document, "built", ""),
    )
