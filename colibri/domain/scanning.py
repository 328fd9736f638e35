"""Vulnerability scan results as plain values: severities, fix states, findings and reports.

Scanners disagree on spelling (Trivy says ``CRITICAL`` and ``will_not_fix``, Grype ``Critical``
and ``wont-fix``); everything here is already normalised, so the gate (``criteria``), the store
and the notifications never see a scanner's own vocabulary.

A :class:`ScanReport` keeps *every* finding at every severity and fix state, whatever the gate's
level: criteria are applied later, so a stored report can be re-evaluated when the settings
change without scanning again. Reports, findings and scanner descriptions convert to and from
plain dicts (``to_dict`` / ``from_dict``) for storage and the API; ``from_dict`` is strict and
raises ``ValueError`` naming the field that is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

__all__ = [
    "SEVERITY_ORDER",
    "Finding",
    "FixState",
    "ScanFailure",
    "ScanReport",
    "ScannerInfo",
    "Severity",
    "merge_findings",
]


class Severity(StrEnum):
    """How bad a finding is, from ``unknown`` (not rated) up to ``critical``.

    ``negligible`` is Grype's rank below ``low`` (Trivy has none); ``unknown`` means the
    database has no rating yet. It ranks lowest here, and the gate decides separately how it
    counts (``criteria.UnknownAs``): an unrated finding is not a harmless one.
    """

    UNKNOWN = "unknown"
    NEGLIGIBLE = "negligible"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for ``unknown`` up to 5 for ``critical``."""
        return _RANK[self]

    def at_least(self, other: Severity) -> bool:
        """True when this severity is ``other`` or worse."""
        return self.rank >= other.rank

    @classmethod
    def normalise(cls, text: str) -> Severity:
        """A scanner's spelling (``CRITICAL``, ``Critical``, ``moderate``…) as a Severity.

        Anything unrecognised, including an empty string, is ``unknown``, as Grype does: a new
        spelling must not make a finding disappear.
        """
        return _SEVERITY_SPELLINGS.get(text.strip().lower(), cls.UNKNOWN)


_RANK = {severity: rank for rank, severity in enumerate(Severity)}
_SEVERITY_SPELLINGS = {severity.value: severity for severity in Severity} | {
    "moderate": Severity.MEDIUM,  # GitHub advisories
    "important": Severity.HIGH,  # Red Hat
}

#: Worst first: the order counts and summaries are shown in.
SEVERITY_ORDER: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))


class FixState(StrEnum):
    """Whether the package's maintainers publish a fixed version.

    Normalised from Trivy's ``Status``/``FixedVersion`` and Grype's ``fix.state``:
    ``fixed`` (a fixed version exists), ``not_fixed`` (affected, fix deferred), ``wont_fix``
    (will not fix, end of life) and ``unknown`` (no statement, under investigation).
    """

    FIXED = "fixed"
    NOT_FIXED = "not_fixed"
    WONT_FIX = "wont_fix"
    UNKNOWN = "unknown"

    @classmethod
    def normalise(cls, text: str) -> FixState:
        """Trivy's and Grype's spellings as a FixState; unrecognised text is ``unknown``."""
        key = text.strip().lower().replace("-", "_")
        return _FIX_SPELLINGS.get(key, cls.UNKNOWN)


_FIX_SPELLINGS = {
    "fixed": FixState.FIXED,
    "not_fixed": FixState.NOT_FIXED,
    "affected": FixState.NOT_FIXED,
    "fix_deferred": FixState.NOT_FIXED,
    "wont_fix": FixState.WONT_FIX,
    "will_not_fix": FixState.WONT_FIX,
    "end_of_life": FixState.WONT_FIX,
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One vulnerability in one package version, as one scanner (or several) reported it.

    ``id`` is the advisory (``CVE-…``, ``GHSA-…``, ``DSA-…``), ``aliases`` the other IDs the
    scanner linked to it (Trivy's ``VendorIDs``, Grype's ``relatedVulnerabilities``);
    ``target`` where the package was found (Trivy's result target, Grype's first location);
    ``scanner`` the scanner name, ``trivy+grype`` when both reported it.
    """

    id: str
    package: str
    version: str
    severity: Severity
    fix_state: FixState = FixState.UNKNOWN
    fixed_version: str = ""
    aliases: tuple[str, ...] = ()
    package_type: str = ""
    target: str = ""
    scanner: str = ""
    title: str = ""
    url: str = ""

    @property
    def fixable(self) -> bool:
        """True when a fixed version exists (updating the package would remove it)."""
        return self.fix_state is FixState.FIXED

    @property
    def ids(self) -> frozenset[str]:
        """The ID and its aliases, upper-cased: what ignore rules match against."""
        return frozenset(name.upper() for name in (self.id, *self.aliases))

    @property
    def canonical_id(self) -> str:
        """The CVE among the IDs when there is one (a GHSA and its CVE are one issue)."""
        own = self.id.upper()
        if own.startswith("CVE-"):
            return own
        cves = sorted(name for name in self.ids if name.startswith("CVE-"))
        return cves[0] if cves else own

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity for deduplication: (canonical ID, package, installed version)."""
        return (self.canonical_id, self.package, self.version)

    def to_dict(self) -> dict[str, Any]:
        """The plain-dict form (enums as their values)."""
        return {
            "id": self.id,
            "package": self.package,
            "version": self.version,
            "severity": self.severity.value,
            "fix_state": self.fix_state.value,
            "fixed_version": self.fixed_version,
            "aliases": list(self.aliases),
            "package_type": self.package_type,
            "target": self.target,
            "scanner": self.scanner,
            "title": self.title,
            "url": self.url,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """The inverse of :meth:`to_dict`; raises ``ValueError`` naming a wrong field."""
        fields = _Fields(data, "finding")
        return cls(
            id=fields.text("id", required=True),
            package=fields.text("package", required=True),
            version=fields.text("version"),
            severity=fields.choice("severity", Severity),
            fix_state=fields.choice("fix_state", FixState),
            fixed_version=fields.text("fixed_version"),
            aliases=fields.texts("aliases"),
            package_type=fields.text("package_type"),
            target=fields.text("target"),
            scanner=fields.text("scanner"),
            title=fields.text("title"),
            url=fields.text("url"),
        )


@dataclass(frozen=True, slots=True)
class ScannerInfo:
    """Which scanner produced a report, and with which vulnerability database.

    ``db_built_at`` is when the DB was *built* upstream (Trivy's ``UpdatedAt``, Grype's
    ``built``), the time staleness is measured from; ``None`` when the scanner did not say.
    """

    name: str
    version: str
    db_schema: str = ""
    db_built_at: datetime | None = None

    @property
    def build_key(self) -> tuple[str, str, str, str]:
        """What must be equal for two scans to be comparable (same scanner, same DB build)."""
        built = self.db_built_at.isoformat() if self.db_built_at else ""
        return (self.name, self.version, self.db_schema, built)

    def describe(self) -> str:
        """``trivy 0.50.1 (DB 2 built 2024-03-27T06:00:00+00:00)``: for reasons and logs."""
        built = self.db_built_at.isoformat() if self.db_built_at else "unknown"
        schema = f"{self.db_schema} " if self.db_schema else ""
        return f"{self.name} {self.version} (DB {schema}built {built})"

    def to_dict(self) -> dict[str, Any]:
        """The plain-dict form (times as ISO 8601 strings)."""
        return {
            "name": self.name,
            "version": self.version,
            "db_schema": self.db_schema,
            "db_built_at": _iso(self.db_built_at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScannerInfo:
        """The inverse of :meth:`to_dict`; raises ``ValueError`` naming a wrong field."""
        fields = _Fields(data, "scanner")
        return cls(
            name=fields.text("name", required=True),
            version=fields.text("version"),
            db_schema=fields.text("db_schema"),
            db_built_at=fields.time("db_built_at"),
        )


@dataclass(frozen=True, slots=True)
class ScanReport:
    """Everything one scan of one image digest found.

    ``repository`` is the normalised repository name (``docker.io/library/nginx``) and
    ``digest`` the exact manifest digest that was scanned: the report is about that digest and
    nothing else. ``scanners`` has one entry per scanner that contributed (two for ``both``).
    """

    repository: str
    digest: str
    scanners: tuple[ScannerInfo, ...]
    findings: tuple[Finding, ...] = ()
    scanned_at: datetime | None = None

    @property
    def image_ref(self) -> str:
        """``repository@digest``: the reference that was scanned."""
        return f"{self.repository}@{self.digest}"

    @property
    def scanner_name(self) -> str:
        """``trivy``, ``grype`` or ``trivy+grype``."""
        return "+".join(info.name for info in self.scanners)

    @property
    def counts(self) -> dict[Severity, int]:
        """Findings per severity, worst first, zeros included."""
        counts = dict.fromkeys(SEVERITY_ORDER, 0)
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def same_db_build(self, other: ScanReport) -> bool:
        """True when both reports come from the same scanners and the same DB builds.

        Only then is comparing their findings fair; an unknown build time never matches.
        """
        if not self.scanners or not other.scanners:
            return False
        if any(info.db_built_at is None for info in (*self.scanners, *other.scanners)):
            return False
        mine = sorted(info.build_key for info in self.scanners)
        return mine == sorted(info.build_key for info in other.scanners)

    def to_dict(self) -> dict[str, Any]:
        """The plain-dict form, ready for JSON or a database column."""
        return {
            "repository": self.repository,
            "digest": self.digest,
            "scanners": [info.to_dict() for info in self.scanners],
            "findings": [finding.to_dict() for finding in self.findings],
            "counts": {severity.value: count for severity, count in self.counts.items()},
            "scanned_at": _iso(self.scanned_at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScanReport:
        """The inverse of :meth:`to_dict` (``counts`` is derived, so it is not read back)."""
        fields = _Fields(data, "report")
        return cls(
            repository=fields.text("repository", required=True),
            digest=fields.text("digest", required=True),
            scanners=tuple(ScannerInfo.from_dict(item) for item in fields.objects("scanners")),
            findings=tuple(Finding.from_dict(item) for item in fields.objects("findings")),
            scanned_at=fields.time("scanned_at"),
        )


@dataclass(frozen=True, slots=True)
class ScanFailure:
    """A scan that produced no usable report: missing scanner, crash, timeout, garbage.

    The gate treats it as a failure and fails closed unless told otherwise. Adapters raise
    ``ScanError``; the use case turns it into this value so the decision stays pure.
    """

    message: str
    scanner: str = ""
    repository: str = ""
    digest: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The plain-dict form."""
        return {
            "message": self.message,
            "scanner": self.scanner,
            "repository": self.repository,
            "digest": self.digest,
        }


def merge_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Deduplicate findings by (canonical ID, package, version), worst first.

    Two reports of one issue in one package version become one finding: the highest severity
    wins, ``fixed`` wins over any other fix state (someone knows of a fix), aliases and scanner
    names are united. A GHSA whose alias is a CVE merges with that CVE, and every finding comes
    out under its canonical ID (the CVE when there is one; the scanner's own ID stays among the
    aliases). The same CVE in two packages stays two findings: each package needs its own fix.
    """
    merged: dict[tuple[str, str, str], Finding] = {}
    for finding in findings:
        key = finding.key
        merged[key] = _merge_pair(merged[key], finding) if key in merged else _canonical(finding)
    return tuple(sorted(merged.values(), key=_display_order))


def _canonical(finding: Finding) -> Finding:
    """The finding under its canonical ID, the scanner's own ID kept among the aliases."""
    canonical = finding.canonical_id
    if canonical == finding.id:
        return finding
    return replace(finding, id=canonical, aliases=tuple(sorted(finding.ids - {canonical})))


def _merge_pair(first: Finding, second: Finding) -> Finding:
    """One finding out of two reports of the same issue (see :func:`merge_findings`)."""
    worse = second if second.severity.rank > first.severity.rank else first
    fixed = next((f for f in (first, second) if f.fixable), None)
    stated = next((f for f in (first, second) if f.fix_state is not FixState.UNKNOWN), first)
    canonical = first.canonical_id
    aliases = sorted((first.ids | second.ids) - {canonical})
    scanners = list(dict.fromkeys(s for f in (first, second) for s in f.scanner.split("+") if s))
    return Finding(
        id=canonical,
        package=first.package,
        version=first.version,
        severity=worse.severity,
        fix_state=(fixed or stated).fix_state,
        fixed_version=(fixed or first).fixed_version or second.fixed_version,
        aliases=tuple(aliases),
        package_type=first.package_type or second.package_type,
        target=first.target or second.target,
        scanner="+".join(scanners),
        title=first.title or second.title,
        url=first.url or second.url,
    )


def _display_order(finding: Finding) -> tuple[int, str, str, str]:
    return (-finding.severity.rank, finding.id, finding.package, finding.version)


_E = TypeVar("_E", bound=StrEnum)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class _Fields:
    """Strict readers for ``from_dict``: each error names the object and the field."""

    def __init__(self, data: Mapping[str, Any], what: str) -> None:
        if not isinstance(data, Mapping):
            raise ValueError(f"{what}: expected an object, got {type(data).__name__}")
        self.data = data
        self.what = what

    def _fail(self, key: str, problem: str) -> ValueError:
        return ValueError(f"{self.what}.{key}: {problem}")

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value):
            raise self._fail(key, f"expected a non-empty string, got {value!r}")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._fail(key, f"expected a list of strings, got {value!r}")
        return tuple(value)

    def objects(self, key: str) -> list[Mapping[str, Any]]:
        value = self.data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            raise self._fail(key, "expected a list of objects")
        return value

    def choice(self, key: str, enum: type[_E]) -> _E:
        value = self.data.get(key)
        members = {member.value: member for member in enum}
        if isinstance(value, str) and value in members:
            return members[value]
        raise self._fail(key, f"{value!r} is not one of {', '.join(members)}")

    def time(self, key: str) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise self._fail(key, f"expected an ISO 8601 time with a timezone, got {value!r}")
        return moment
