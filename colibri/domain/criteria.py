"""The scan gate: does a candidate image's scan allow the update? A pure, deterministic function.

:func:`evaluate` takes the :class:`Criteria`, the candidate's scan (a ``ScanReport``, or a
``ScanFailure`` when the scanner could not produce one), optionally the running image's scan,
and the current time; it returns a frozen :class:`Decision`. Nothing here reads a clock or runs
a scanner.

Semantics, in the order they apply:

* **Level** ``never`` allows without looking at anything (and the caller need not scan,
  :attr:`Criteria.scans`). Each other level blocks when any *counted* finding is at that
  severity or worse: ``critical`` = no critical; ``high`` = no high or critical; ``medium``;
  ``low`` = no low or worse (lows block). ``negligible`` ranks below ``low`` and never counts.
* **Fail closed**: a failed scan (missing scanner, crash, timeout, unparsable output) or a stale
  DB (built longer than ``max_db_age`` ago, or of unknown age) blocks. With
  ``on_failure=warn`` a failed scan allows the update and a stale DB only adds a warning (its
  findings are still judged); the warning is part of the decision, to be stored and notified.
* **Counting**: findings are deduplicated (a GHSA and its CVE in one package count once), then
  ``unknown`` severities are mapped by ``unknown_as``, then findings below the level are
  dropped, then active ignore rules and ``only_fixable`` set findings aside (they are listed
  in :attr:`Decision.suppressed` with the reason).
* **Unknown severity** counts as **critical** by default: an unrated finding may be a critical
  one, and a gate that guesses must guess safe. ``unknown_as=high|medium|low`` relaxes this,
  ``ignore`` drops them (they are still listed as suppressed).
* **Not worse than the running image** (``not_worse_than_running``): when the absolute rule
  blocks, the update is still allowed if, for every severity at or above the level, the
  candidate has no more counted findings than the running image. Only fair when both were
  scanned by the same scanners with the same DB build; otherwise (or when the running image
  has no usable scan) the absolute rule stands, and the reason says why.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from colibri.domain.scanning import (
    SEVERITY_ORDER,
    Finding,
    ScanFailure,
    ScannerInfo,
    ScanReport,
    Severity,
    merge_findings,
)

__all__ = [
    "DEFAULT_MAX_DB_AGE",
    "Criteria",
    "Decision",
    "IgnoreRule",
    "Level",
    "OnFailure",
    "Outcome",
    "Suppressed",
    "UnknownAs",
    "db_age_problem",
    "evaluate",
]

_E = TypeVar("_E", bound=StrEnum)

#: Grype's own default for ``max-allowed-built-age`` (120 h); Trivy's DB is rebuilt every 6 h.
DEFAULT_MAX_DB_AGE = timedelta(days=5)


class Level(StrEnum):
    """The gate's threshold, as set in the product's settings and labels."""

    NEVER = "never"
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def threshold(self) -> Severity | None:
        """The lowest severity that blocks; ``None`` for ``never``."""
        return None if self is Level.NEVER else Severity(self.value)

    @property
    def phrase(self) -> str:
        """``critical``, ``high or worse``…: for reasons and summaries."""
        return self.value if self in (Level.NEVER, Level.CRITICAL) else f"{self.value} or worse"

    @classmethod
    def parse(cls, text: str) -> Level:
        """A level from a setting or label value; ``ValueError`` lists the accepted ones."""
        return _parse_choice(cls, text, "criteria level")


class UnknownAs(StrEnum):
    """How a finding of ``unknown`` severity counts."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    IGNORE = "ignore"

    @property
    def severity(self) -> Severity | None:
        """The severity it counts as; ``None`` for ``ignore``."""
        return None if self is UnknownAs.IGNORE else Severity(self.value)

    @classmethod
    def parse(cls, text: str) -> UnknownAs:
        """A value from a setting; ``ValueError`` lists the accepted ones."""
        return _parse_choice(cls, text, "unknown severity handling")


class OnFailure(StrEnum):
    """What a failed scan or a stale DB does: ``block`` (fail closed) or ``warn``."""

    BLOCK = "block"
    WARN = "warn"

    @classmethod
    def parse(cls, text: str) -> OnFailure:
        """A value from a setting; ``ValueError`` lists the accepted ones."""
        return _parse_choice(cls, text, "scan failure handling")


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """Accept one known issue: its ID, optionally only in one package or repository.

    ``id`` matches the finding's ID or any alias, case-insensitively. ``repository`` is a
    glob matched against the full name (``docker.io/library/nginx``) and its familiar form
    (``nginx``). The rule stops applying at ``expires`` (timezone-aware); ``reason`` says why
    the risk was accepted and is shown with every finding the rule sets aside.
    """

    id: str
    reason: str = ""
    package: str | None = None
    repository: str | None = None
    expires: datetime | None = None

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValueError("ignore rule: id must not be empty")
        if self.expires is not None and self.expires.tzinfo is None:
            raise ValueError(f"ignore rule {self.id}: expires must carry a timezone")

    def matches(self, finding: Finding, repository: str) -> bool:
        """True when the rule names this finding in this repository (expiry aside)."""
        if self.id.strip().upper() not in finding.ids:
            return False
        if self.package is not None and self.package != finding.package:
            return False
        if self.repository is None:
            return True
        return any(fnmatch.fnmatchcase(name, self.repository) for name in _names(repository))

    def expired(self, now: datetime) -> bool:
        """True from ``expires`` on."""
        return self.expires is not None and now >= self.expires

    def to_dict(self) -> dict[str, Any]:
        """The plain-dict form."""
        return {
            "id": self.id,
            "reason": self.reason,
            "package": self.package,
            "repository": self.repository,
            "expires": self.expires.isoformat() if self.expires else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IgnoreRule:
        """The inverse of :meth:`to_dict`; ``ValueError`` names a wrong field."""
        expires = data.get("expires")
        try:
            moment = datetime.fromisoformat(expires) if expires is not None else None
        except (TypeError, ValueError):
            raise ValueError(f"ignore rule.expires: not an ISO 8601 time: {expires!r}") from None
        for key in ("id", "reason", "package", "repository"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise ValueError(f"ignore rule.{key}: expected a string, got {data[key]!r}")
        return cls(
            id=str(data.get("id") or ""),
            reason=str(data.get("reason") or ""),
            package=data.get("package"),
            repository=data.get("repository"),
            expires=moment,
        )


@dataclass(frozen=True, slots=True)
class Criteria:
    """Everything the gate needs to know, for one container (global settings + labels)."""

    level: Level
    only_fixable: bool = False
    ignore: tuple[IgnoreRule, ...] = ()
    unknown_as: UnknownAs = UnknownAs.CRITICAL
    not_worse_than_running: bool = False
    on_failure: OnFailure = OnFailure.BLOCK
    max_db_age: timedelta | None = DEFAULT_MAX_DB_AGE

    @property
    def scans(self) -> bool:
        """False for ``never``: the caller can skip scanning altogether."""
        return self.level is not Level.NEVER

    def effective_severity(self, finding: Finding) -> Severity | None:
        """The severity a finding counts as (``unknown`` mapped), ``None`` if ignored."""
        if finding.severity is Severity.UNKNOWN:
            return self.unknown_as.severity
        return finding.severity

    def to_dict(self) -> dict[str, Any]:
        """The plain-dict form: the policy snapshot stored with a decision."""
        return {
            "level": self.level.value,
            "only_fixable": self.only_fixable,
            "ignore": [rule.to_dict() for rule in self.ignore],
            "unknown_as": self.unknown_as.value,
            "not_worse_than_running": self.not_worse_than_running,
            "on_failure": self.on_failure.value,
            "max_db_age_seconds": self.max_db_age.total_seconds() if self.max_db_age else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criteria:
        """The inverse of :meth:`to_dict`; ``ValueError`` names a wrong field."""
        age = data.get("max_db_age_seconds")
        if age is not None and (isinstance(age, bool) or not isinstance(age, int | float)):
            raise ValueError(f"criteria.max_db_age_seconds: expected a number, got {age!r}")
        rules = data.get("ignore") or []
        if not isinstance(rules, list) or not all(isinstance(rule, Mapping) for rule in rules):
            raise ValueError(f"criteria.ignore: expected a list of objects, got {rules!r}")
        for key in ("only_fixable", "not_worse_than_running"):
            if not isinstance(data.get(key, False), bool):
                raise ValueError(f"criteria.{key}: expected true or false, got {data[key]!r}")
        return cls(
            level=Level.parse(str(data.get("level"))),
            only_fixable=bool(data.get("only_fixable", False)),
            ignore=tuple(IgnoreRule.from_dict(rule) for rule in rules),
            unknown_as=UnknownAs.parse(str(data.get("unknown_as", UnknownAs.CRITICAL))),
            not_worse_than_running=bool(data.get("not_worse_than_running", False)),
            on_failure=OnFailure.parse(str(data.get("on_failure", OnFailure.BLOCK))),
            max_db_age=timedelta(seconds=age) if age is not None else None,
        )


class Outcome(StrEnum):
    """Why the decision came out as it did (machine-readable; ``reasons`` has the text)."""

    NOT_SCANNED = "not_scanned"  # level never
    PASSED = "passed"  # no counted finding at or above the level
    NOT_WORSE = "not_worse"  # counted findings, but no worse than the running image
    VULNERABLE = "vulnerable"  # counted findings block
    SCAN_FAILED = "scan_failed"  # no usable report
    DB_STALE = "db_stale"  # the vulnerability DB is too old (or of unknown age)


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A finding at or above the level that did not count, and why."""

    finding: Finding
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The gate's verdict on one candidate image: a value to store, show and notify.

    ``counted`` holds the findings at or above the level that count (original severities);
    ``suppressed`` those set aside by an ignore rule, ``only_fixable`` or ``unknown_as``;
    ``warnings`` what an operator should know even though the update proceeds.
    """

    allowed: bool
    level: Level
    outcome: Outcome
    reasons: tuple[str, ...]
    counted: tuple[Finding, ...] = ()
    suppressed: tuple[Suppressed, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        return not self.allowed

    @property
    def counts(self) -> dict[Severity, int]:
        """Counted findings per (original) severity, worst first, non-zero only."""
        counts = dict.fromkeys(SEVERITY_ORDER, 0)
        for finding in self.counted:
            counts[finding.severity] += 1
        return {severity: count for severity, count in counts.items() if count}

    @property
    def summary(self) -> str:
        """One line for notifications: ``blocked: 2 critical, 1 high (CVE-…, CVE-…)``."""
        verdict = "allowed" if self.allowed else "blocked"
        if self.outcome in (Outcome.SCAN_FAILED, Outcome.DB_STALE):
            verdict = "allowed with warning" if self.allowed else verdict
            return f"{verdict}: {self.reasons[0]}"
        if self.outcome is Outcome.NOT_SCANNED:
            return f"{verdict}: not scanned (criteria never)"
        if self.outcome is Outcome.PASSED:
            extra = f" ({len(self.warnings)} warning(s))" if self.warnings else ""
            return f"{verdict}: no {self.level.phrase} findings{extra}"
        counts = ", ".join(f"{count} {severity}" for severity, count in self.counts.items())
        if self.outcome is Outcome.NOT_WORSE:
            return f"{verdict}: {counts}, not worse than the running image"
        return f"{verdict}: {counts} ({_id_list(self.counted)})"

    def to_dict(self) -> dict[str, Any]:
        """The plain-dict form, with the summary for convenience (it is derived)."""
        return {
            "allowed": self.allowed,
            "level": self.level.value,
            "outcome": self.outcome.value,
            "summary": self.summary,
            "reasons": list(self.reasons),
            "counted": [finding.to_dict() for finding in self.counted],
            "suppressed": [
                {"finding": item.finding.to_dict(), "reason": item.reason}
                for item in self.suppressed
            ],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """The inverse of :meth:`to_dict`; ``ValueError`` names a wrong field."""
        if not isinstance(data.get("allowed"), bool):
            raise ValueError(
                f"decision.allowed: expected true or false, got {data.get('allowed')!r}"
            )
        return cls(
            allowed=data["allowed"],
            level=Level.parse(str(data.get("level"))),
            outcome=_parse_choice(Outcome, str(data.get("outcome")), "decision.outcome"),
            reasons=_strings(data.get("reasons"), "decision.reasons"),
            counted=tuple(Finding.from_dict(item) for item in data.get("counted") or ()),
            suppressed=tuple(
                Suppressed(Finding.from_dict(item["finding"]), str(item.get("reason", "")))
                for item in data.get("suppressed") or ()
            ),
            warnings=_strings(data.get("warnings"), "decision.warnings"),
        )


def evaluate(
    criteria: Criteria,
    candidate: ScanReport | ScanFailure | None,
    *,
    now: datetime,
    running: ScanReport | ScanFailure | None = None,
) -> Decision:
    """Decide whether the candidate image may replace the running one.

    ``candidate`` is ``None`` only when nothing was scanned, which is fine for ``never`` and a
    failure for any other level. ``running`` is the running image's scan, used only by
    ``not_worse_than_running``. ``now`` must be timezone-aware.
    """
    if now.tzinfo is None:
        raise ValueError("evaluate: now must be timezone-aware")
    if criteria.level is Level.NEVER:
        return Decision(True, criteria.level, Outcome.NOT_SCANNED, ("criteria is never: no scan",))
    if candidate is None:
        candidate = ScanFailure("no scan report for the candidate image")
    if isinstance(candidate, ScanFailure):
        return _failure(criteria, Outcome.SCAN_FAILED, f"scan failed: {candidate.message}")
    stale = db_age_problem(candidate.scanners, now=now, max_age=criteria.max_db_age)
    if stale and criteria.on_failure is OnFailure.BLOCK:
        return _failure(criteria, Outcome.DB_STALE, stale)
    tally = _tally(criteria, candidate, now)
    warnings = (*((stale + "; judged anyway (on_failure=warn)",) if stale else ()), *tally.notes)
    return _judge(criteria, tally, candidate, running, now, warnings)


def db_age_problem(
    scanners: Sequence[ScannerInfo], *, now: datetime, max_age: timedelta | None
) -> str | None:
    """Why the scanners' DBs are too old to trust, or ``None`` when they are fresh enough.

    Also usable before scanning, on ``Scanner.describe()``, to skip a scan that would be
    refused anyway. A DB whose build time is unknown is treated as stale.
    """
    if max_age is None:
        return None
    if not scanners:
        return "the report names no scanner, so its vulnerability DB age is unknown"
    for info in scanners:
        if info.db_built_at is None:
            return f"{info.name} did not report when its vulnerability DB was built"
        age = now - info.db_built_at
        if age > max_age:
            return (
                f"{info.name} vulnerability DB is {_duration(age)} old "
                f"(built {info.db_built_at.isoformat()}, max {_duration(max_age)})"
            )
    return None


@dataclass(frozen=True, slots=True)
class _Tally:
    """What counts in one report: findings at or above the level after every filter."""

    counted: tuple[Finding, ...]
    suppressed: tuple[Suppressed, ...]
    notes: tuple[str, ...]
    by_severity: Mapping[Severity, int] = field(default_factory=dict)


def _tally(criteria: Criteria, report: ScanReport, now: datetime) -> _Tally:
    """Apply unknown mapping, level, ignore rules and ``only_fixable`` to a report."""
    threshold = criteria.level.threshold
    assert threshold is not None
    counted: list[Finding] = []
    suppressed: list[Suppressed] = []
    notes: list[str] = []
    by_severity = dict.fromkeys(SEVERITY_ORDER, 0)
    for finding in merge_findings(report.findings):
        effective = criteria.effective_severity(finding)
        if effective is None:
            suppressed.append(Suppressed(finding, "unknown severity ignored (unknown_as=ignore)"))
            continue
        if not effective.at_least(threshold):
            continue
        reason = _set_aside(criteria, finding, report.repository, now, notes)
        if reason:
            suppressed.append(Suppressed(finding, reason))
            continue
        counted.append(finding)
        by_severity[effective] += 1
    return _Tally(tuple(counted), tuple(suppressed), tuple(dict.fromkeys(notes)), by_severity)


def _set_aside(
    criteria: Criteria, finding: Finding, repository: str, now: datetime, notes: list[str]
) -> str | None:
    """The reason a finding does not count, or ``None``; notes matching expired rules."""
    for rule in criteria.ignore:
        if not rule.matches(finding, repository):
            continue
        if rule.expired(now):
            expiry = rule.expires.isoformat() if rule.expires else ""
            notes.append(f"ignore rule for {rule.id} expired on {expiry}; it counts again")
            continue
        return f"ignored: {rule.reason}" if rule.reason else "ignored by rule"
    if criteria.only_fixable and not finding.fixable:
        return f"no fix available ({finding.fix_state}); only fixable findings count"
    return None


def _judge(
    criteria: Criteria,
    tally: _Tally,
    candidate: ScanReport,
    running: ScanReport | ScanFailure | None,
    now: datetime,
    warnings: tuple[str, ...],
) -> Decision:
    """The verdict once the candidate's findings are counted."""
    level = criteria.level

    def verdict(allowed: bool, outcome: Outcome, *reasons: str) -> Decision:
        return Decision(allowed, level, outcome, reasons, tally.counted, tally.suppressed, warnings)

    if not tally.counted:
        return verdict(True, Outcome.PASSED, f"no {level.phrase} findings")
    found = (
        f"{len(tally.counted)} {level.phrase} finding(s) in {candidate.image_ref}: "
        f"{_id_list(tally.counted, limit=10)}"
    )
    if criteria.unknown_as is not UnknownAs.IGNORE and any(
        f.severity is Severity.UNKNOWN for f in tally.counted
    ):
        found += f" (unknown severity counts as {criteria.unknown_as})"
    if not criteria.not_worse_than_running:
        return verdict(False, Outcome.VULNERABLE, found)
    not_worse, why = _compare_with_running(criteria, tally, candidate, running, now)
    outcome = Outcome.NOT_WORSE if not_worse else Outcome.VULNERABLE
    return verdict(not_worse, outcome, found, why)


def _compare_with_running(
    criteria: Criteria,
    tally: _Tally,
    candidate: ScanReport,
    running: ScanReport | ScanFailure | None,
    now: datetime,
) -> tuple[bool, str]:
    """(not worse?, why): per-severity counts at or above the level, same DB build only."""
    if not isinstance(running, ScanReport):
        return False, "the running image has no usable scan; the absolute rule applies"
    if not candidate.same_db_build(running):
        builds = ", ".join(info.describe() for info in running.scanners) or "unknown"
        return False, (
            f"the running image was scanned with another scanner or DB build ({builds}); "
            "the absolute rule applies"
        )
    current = _tally(criteria, running, now).by_severity
    threshold = criteria.level.threshold
    assert threshold is not None
    compared = [s for s in SEVERITY_ORDER if s.at_least(threshold) and s is not Severity.UNKNOWN]
    pairs = ", ".join(f"{s} {tally.by_severity[s]} vs {current[s]}" for s in compared)
    worse = [s for s in compared if tally.by_severity[s] > current[s]]
    if worse:
        return False, f"worse than the running image ({pairs})"
    return True, f"not worse than the running image ({pairs})"


def _failure(criteria: Criteria, outcome: Outcome, message: str) -> Decision:
    """Fail closed, or allow with a warning when ``on_failure=warn``."""
    if criteria.on_failure is OnFailure.BLOCK:
        return Decision(False, criteria.level, outcome, (message,))
    warning = f"{message}; update allowed without a usable scan (on_failure=warn)"
    return Decision(True, criteria.level, outcome, (message,), warnings=(warning,))


def _id_list(findings: Sequence[Finding], limit: int = 3) -> str:
    """``CVE-1, CVE-2, CVE-3, +4 more``: unique IDs, worst first."""
    ids = list(dict.fromkeys(f.id for f in sorted(findings, key=lambda f: -f.severity.rank)))
    shown = ", ".join(ids[:limit])
    return f"{shown}, +{len(ids) - limit} more" if len(ids) > limit else shown


def _names(repository: str) -> tuple[str, ...]:
    """A repository's full name and the familiar forms Docker shows for Hub images."""
    names = [repository]
    for prefix in ("docker.io/library/", "docker.io/"):
        if repository.startswith(prefix):
            names.append(repository.removeprefix(prefix))
            break
    return tuple(names)


def _duration(delta: timedelta) -> str:
    """``6 days``, ``5 h``, ``12 min``: a rough human duration."""
    seconds = int(delta.total_seconds())
    if seconds >= 2 * 86400:
        return f"{seconds // 86400} days"
    if seconds >= 3600:
        return f"{seconds // 3600} h"
    return f"{max(seconds // 60, 0)} min"


def _strings(value: object, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{what}: expected a list of strings, got {value!r}")
    return tuple(value)


def _parse_choice(enum: type[_E], text: str, what: str) -> _E:
    members = {member.value: member for member in enum}
    key = text.strip().lower()
    if key in members:
        return members[key]
    raise ValueError(f"{what}: {text!r} is not one of {', '.join(members)}")
