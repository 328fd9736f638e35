"""The gate's settings: global defaults, per-container overrides from labels, ignore files.

:class:`GatePolicy` is what the gate applies to one container: the vulnerability
``Criteria`` and whether a valid signature is required. The global policy comes from the
``COLIBRI_*`` settings; a container's labels (later also the API) override parts of it through
one frozen value, :class:`GateOverrides`, where ``None`` means "keep the global value".

Labels (values are case-insensitive; booleans accept true/false, 1/0, yes/no, on/off):

* ``colibri.criteria``: ``never``, ``critical``, ``high``, ``medium`` or ``low``;
* ``colibri.criteria.only-fixable``: only findings with a fixed version count;
* ``colibri.criteria.not-worse``: allow an image no worse than the running one;
* ``colibri.criteria.unknown-as``: ``critical``, ``high``, ``medium``, ``low`` or ``ignore``;
* ``colibri.criteria.ignore``: comma-separated vulnerability IDs to accept for this container;
* ``colibri.scan-failure``: ``block`` or ``warn`` when the scan fails or its DB is stale;
* ``colibri.require-signature``: require a valid signature by the configured key.

An invalid value, or an unknown ``colibri.criteria.*`` label (a typo), raises ``ConfigError``
naming the label: the gate then blocks that container's update. Settings are never ignored
silently.

The ignore file (``COLIBRI_IGNORE_FILE``) is JSON: a list of rules, or ``{"ignore": [...]}``,
each rule ``{"id": "CVE-…", "reason": "…", "package": "…", "repository": "glob",
"expires": "2026-06-01T00:00:00+00:00"}`` with only ``id`` required; see
``criteria.IgnoreRule``. Unknown keys are refused: a misspelt ``expires`` must not make a
rule permanent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, TypeVar

from colibri.domain.criteria import Criteria, IgnoreRule, Level, OnFailure, UnknownAs
from colibri.errors import ConfigError

__all__ = [
    "CRITERIA_LABEL",
    "GATE_LABELS",
    "GateOverrides",
    "GatePolicy",
    "parse_duration",
    "parse_ignore_rules",
]

CRITERIA_LABEL = "colibri.criteria"
ONLY_FIXABLE_LABEL = "colibri.criteria.only-fixable"
NOT_WORSE_LABEL = "colibri.criteria.not-worse"
UNKNOWN_AS_LABEL = "colibri.criteria.unknown-as"
IGNORE_LABEL = "colibri.criteria.ignore"
SCAN_FAILURE_LABEL = "colibri.scan-failure"
REQUIRE_SIGNATURE_LABEL = "colibri.require-signature"
#: Every label the gate reads.
GATE_LABELS = (
    CRITERIA_LABEL,
    ONLY_FIXABLE_LABEL,
    NOT_WORSE_LABEL,
    UNKNOWN_AS_LABEL,
    IGNORE_LABEL,
    SCAN_FAILURE_LABEL,
    REQUIRE_SIGNATURE_LABEL,
)

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_RULE_KEYS = frozenset({"id", "reason", "package", "repository", "expires"})
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class GatePolicy:
    """What the gate checks for one container."""

    criteria: Criteria = field(default_factory=lambda: Criteria(Level.NEVER))
    require_signature: bool = False

    @property
    def active(self) -> bool:
        """False when nothing is checked: no scan, no signature."""
        return self.criteria.scans or self.require_signature

    def with_labels(self, labels: Mapping[str, str]) -> GatePolicy:
        """This policy with a container's label overrides; ``ConfigError`` names a bad label."""
        return GateOverrides.from_labels(labels).apply(self)

    def to_dict(self) -> dict[str, Any]:
        """The plain-dict form: the policy snapshot stored with a verdict."""
        return {"criteria": self.criteria.to_dict(), "require_signature": self.require_signature}


@dataclass(frozen=True, slots=True)
class GateOverrides:
    """One container's own gate settings; ``None`` (or no IDs) keeps the global value.

    Labels produce it (:meth:`from_labels`); an API can build it from its stored settings.
    ``ignore_ids`` adds rules to the global ignore list for this container only.
    """

    level: Level | None = None
    only_fixable: bool | None = None
    not_worse_than_running: bool | None = None
    unknown_as: UnknownAs | None = None
    on_failure: OnFailure | None = None
    require_signature: bool | None = None
    ignore_ids: tuple[str, ...] = ()

    def apply(self, policy: GatePolicy) -> GatePolicy:
        """``policy`` with every set override in place."""
        criteria = policy.criteria
        extra = tuple(
            IgnoreRule(vuln_id, reason=f"accepted for this container ({IGNORE_LABEL})")
            for vuln_id in self.ignore_ids
        )
        criteria = replace(
            criteria,
            level=_pick(self.level, criteria.level),
            only_fixable=_pick(self.only_fixable, criteria.only_fixable),
            not_worse_than_running=_pick(
                self.not_worse_than_running, criteria.not_worse_than_running
            ),
            unknown_as=_pick(self.unknown_as, criteria.unknown_as),
            on_failure=_pick(self.on_failure, criteria.on_failure),
            ignore=criteria.ignore + extra,
        )
        require = _pick(self.require_signature, policy.require_signature)
        return GatePolicy(criteria, require)

    @classmethod
    def from_labels(cls, labels: Mapping[str, str]) -> GateOverrides:
        """Read the gate labels; ``ConfigError`` names the first invalid or unknown one."""
        for label in labels:
            if label.startswith(f"{CRITERIA_LABEL}.") and label not in GATE_LABELS:
                known = ", ".join(GATE_LABELS)
                raise ConfigError(f"label {label}: unknown gate label (known: {known})")
        read = _LabelReader(labels)
        return cls(
            level=read.value(CRITERIA_LABEL, Level.parse),
            only_fixable=read.value(ONLY_FIXABLE_LABEL, _parse_bool),
            not_worse_than_running=read.value(NOT_WORSE_LABEL, _parse_bool),
            unknown_as=read.value(UNKNOWN_AS_LABEL, UnknownAs.parse),
            on_failure=read.value(SCAN_FAILURE_LABEL, OnFailure.parse),
            require_signature=read.value(REQUIRE_SIGNATURE_LABEL, _parse_bool),
            ignore_ids=read.value(IGNORE_LABEL, _parse_ids) or (),
        )


class _LabelReader:
    """Parses one label at a time, turning ``ValueError`` into ``ConfigError`` naming it."""

    def __init__(self, labels: Mapping[str, str]) -> None:
        self.labels = labels

    def value(self, label: str, parse: Callable[[str], _T]) -> _T | None:
        if label not in self.labels:
            return None
        text = self.labels[label]
        try:
            return parse(text)
        except ValueError as exc:
            raise ConfigError(f"label {label}={text!r}: {exc}") from None


def parse_duration(text: str) -> timedelta | None:
    """``90s``, ``30m``, ``12h``, ``5d``, ``2w`` or plain seconds; ``off``/``none``/``0`` is
    ``None`` (no limit). ``ValueError`` says what is accepted."""
    cleaned = text.strip().lower()
    if cleaned in {"off", "none", "never", ""}:
        return None
    match = _DURATION_RE.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as 90s, 30m, 12h, 5d or off")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    return timedelta(seconds=seconds) if seconds > 0 else None


def parse_ignore_rules(text: str, source: str) -> tuple[IgnoreRule, ...]:
    """The rules of an ignore file (see the module docstring); ``ConfigError`` names
    ``source`` and the rule that is wrong."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{source}: not valid JSON ({exc})") from None
    if isinstance(document, dict) and set(document) == {"ignore"}:
        document = document["ignore"]
    if not isinstance(document, list):
        raise ConfigError(f'{source}: expected a list of rules or {{"ignore": [...]}}')
    return tuple(_rule(item, f"{source}: rule {index + 1}") for index, item in enumerate(document))


def _rule(item: object, where: str) -> IgnoreRule:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected an object with at least an id")
    unknown = sorted(set(item) - _RULE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    try:
        return IgnoreRule.from_dict(item)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected true or false")


def _parse_ids(text: str) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in text.split(",") if part.strip())
    if not ids:
        raise ValueError("expected comma-separated vulnerability IDs")
    return ids


def _pick(override: _T | None, default: _T) -> _T:
    return default if override is None else override
