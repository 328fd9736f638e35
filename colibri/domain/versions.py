"""Newer-version-tag discovery (docs/registry.md section 8, T2-T9): which listed tag to move to.

A tag is read as ``prefix`` + numeric ``core`` + ``suffix``: ``v1.2.3`` is ``v`` + ``1.2.3``,
``17.11-alpine`` is ``17.11`` + ``-alpine``, ``v8.9.0-ls101`` is ``v`` + ``8.9.0`` + ``-ls101``.
The core is 1-4 dot-separated integers (leading zeros allowed, so CalVer ``2025.04.0`` works); a
tag without one, or with five or more, is not a version and is never offered.

A recognised pre-release marker in the suffix (``alpha``, ``beta``, ``rc``, ``pre``, ``dev``,
``nightly``: any case, with or without a separator and a number, as in ``rc1``, ``-RC.2``,
``-beta``) is taken out of it; what remains is the variant. Its digit runs become ``#`` to form
the *template* (``-ls#``, ``-alpine#.#``) and their values are compared as integers. A variant
such as ``-alpine`` or ``-devel`` is not a pre-release.

A candidate must:

* not be an artifact tag (``sha256-<hex>.sig``, referrers ``<alg>-<hex>``); moving tags
  (``latest``, ``stable``...) have no numeric core and are never versions;
* fully match ``include`` when given, then not fully match ``exclude`` when given;
* have the current tag's prefix and template exactly, and by default as many core components;
* not be a pre-release, unless pre-releases are opted in;
* stay within the policy: ``patch`` keeps major.minor, ``minor`` keeps major, ``major`` and
  ``all`` allow anything (``all`` is kept as a name because keel users know it; pre-releases
  are a separate opt-in here);
* be strictly greater than the current tag.

Versions compare by core (as integers, component by component; a shorter core that is a prefix
of a longer one sorts first), then a release above any pre-release of the same core (``dev`` <
``nightly`` < ``alpha`` < ``beta`` < ``pre`` < ``rc``, then the marker's number), then the
variant's numbers. Tags of equal value (``2025.04.0`` and ``2025.4.0``) are ordered by the tag
text, only to keep listings stable; neither is "greater" than the other.

Versions come in families that never mix: a calendar version (CalVer: a year first, as
``2025.04.0``, or a two-digit year and a zero-padded month, as ``20.04.1``) is never offered to
a container on a tag without either (``5.1.4`` does not move to ``20.04.1``), and years of four
digits and of two are families apart (``20.04`` does not move to ``2022.04``). The reverse needs
no rule: ``24.10`` may follow ``24.04``.

Some tags have numbers that are not versions, and are not read as versions:

* a number glued to hex letters (``0a1b2c3``, a 40-hex commit, ``01aecc``): a commit or a
  hash, when the glued run has two hex letters or more (``1.1.1w`` or ``2.0.0b1`` are still
  versions);
* a number glued to an architecture name (``stable_arm64``, ``linux-amd64``, ``x86_64``);
* anything outside the tag grammar (``01aecc#v2.1.0``).

When the current tag is moving (``latest``), an artifact tag or not a version, there is no
discovery: the digest of the tag is tracked instead (T9).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

from colibri.errors import ConfigError

__all__ = [
    "MOVING_TAGS",
    "PRERELEASE_MARKERS",
    "Prerelease",
    "TagRules",
    "VersionPolicy",
    "VersionTag",
    "candidate_tags",
    "is_artifact_tag",
    "is_moving_tag",
    "newest_tag",
    "parse_tag",
]

#: Pre-release markers, lowest first: their position orders pre-releases of the same core.
PRERELEASE_MARKERS: tuple[str, ...] = ("dev", "nightly", "alpha", "beta", "pre", "rc")

#: Tags that move from release to release. None has a numeric core, so none is ever offered;
#: :func:`is_moving_tag` lets callers say why there is no discovery for such a tag (T9).
MOVING_TAGS = frozenset(
    {
        "latest",
        "stable",
        "edge",
        "main",
        "master",
        "nightly",
        "dev",
        "develop",
        "beta",
        "alpha",
        "rc",
        "next",
        "canary",
        "testing",
        "unstable",
        "current",
        "lts",
        "mainline",
        "preview",
        "snapshot",
    }
)

_TAG_RE = re.compile(
    r"(?P<prefix>[^0-9]*)(?P<core>[0-9]+(?:\.[0-9]+){0,3})(?!\.?[0-9])(?P<suffix>.*)"
)
_PRERELEASE_RE = re.compile(
    r"[-_.]?(?<![A-Za-z])(?P<marker>" + "|".join(PRERELEASE_MARKERS) + r")(?![A-Za-z])"
    r"(?:[-_.]?(?P<number>[0-9]+))?",
    re.IGNORECASE,
)
_DIGITS_RE = re.compile(r"[0-9]+")
_TAG_GRAMMAR_RE = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_GLUED_RUN_RE = re.compile(r"[0-9A-Za-z]+")
_HEX_RUN_RE = re.compile(r"[0-9a-fA-F]+")
_ARCH_WORD_RE = re.compile(r"(?:arm|amd|aarch|x86_|ppc|riscv|mips|s390x|loong|win)$", re.I)
_YEAR_FIRST = range(1900, 3000)
_PADDED_MONTH_RE = re.compile(r"0[1-9]")
_ARTIFACT_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*-[0-9a-fA-F]{32,}(?:\.(?:sig|att|sbom))?")

#: A version's value: core, then release stage (release or marker rank), then variant numbers.
VersionKey: TypeAlias = tuple[tuple[int, ...], tuple[int, int, int], tuple[int, ...]]


class VersionPolicy(StrEnum):
    """How far from the current version a candidate may go (keel's semver policies)."""

    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"
    ALL = "all"

    @classmethod
    def parse(cls, text: str) -> VersionPolicy:
        """The policy named ``text`` (any case); a ``ConfigError`` listing the valid names."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(policy.value for policy in cls)
            raise ConfigError(f"invalid version policy {text!r}: expected one of {names}") from None


#: How many leading core components each policy keeps equal to the current tag's.
_KEPT_COMPONENTS = {
    VersionPolicy.PATCH: 2,
    VersionPolicy.MINOR: 1,
    VersionPolicy.MAJOR: 0,
    VersionPolicy.ALL: 0,
}


@dataclass(frozen=True, slots=True)
class Prerelease:
    """A pre-release marker found in a tag's suffix: ``rc`` and ``1`` for ``-rc.1``."""

    marker: str
    number: int | None = None

    @property
    def rank(self) -> tuple[int, int]:
        """Marker position, then number (a missing number sorts before any number)."""
        number = -1 if self.number is None else self.number
        return PRERELEASE_MARKERS.index(self.marker), number


@dataclass(frozen=True, slots=True)
class VersionTag:
    """A tag read as a version. Build it with :func:`parse_tag`.

    ``template`` is the variant suffix (pre-release marker removed) with each digit run
    replaced by ``#``; ``variant_numbers`` are those digit runs as integers; ``calendar`` says
    whether it is a calendar version (module docstring).
    """

    tag: str
    prefix: str
    core: tuple[int, ...]
    template: str
    variant_numbers: tuple[int, ...] = ()
    prerelease: Prerelease | None = None
    calendar: bool = field(default=False, compare=False)

    @property
    def is_prerelease(self) -> bool:
        return self.prerelease is not None

    @property
    def line(self) -> tuple[str, str]:
        """What two tags must share to be versions of the same thing: prefix and template."""
        return self.prefix, self.template

    @property
    def key(self) -> VersionKey:
        """The version's value: compare keys of tags of the same :attr:`line`."""
        stage = (1, 0, 0) if self.prerelease is None else (0, *self.prerelease.rank)
        return self.core, stage, self.variant_numbers

    @property
    def sort_key(self) -> tuple[VersionKey, str]:
        """A total order: :attr:`key`, then the tag text for tags of equal value."""
        return self.key, self.tag


@dataclass(frozen=True, slots=True)
class TagRules:
    """How to choose a newer tag for one container.

    ``include``/``exclude`` are regular expressions that must match a whole tag; an invalid one
    raises ``ConfigError`` when the rules are built. ``prereleases`` opts in to pre-release
    candidates; ``same_length`` (default) keeps the number of core components.
    """

    policy: VersionPolicy
    include: str | None = None
    exclude: str | None = None
    prereleases: bool = False
    same_length: bool = True

    def __post_init__(self) -> None:
        for pattern in (self.include, self.exclude):
            if pattern is not None:
                _compile(pattern)

    def admits(self, tag: str) -> bool:
        """The include/exclude filter: include first, then exclude, both anchored."""
        if self.include is not None and not _compile(self.include).fullmatch(tag):
            return False
        return self.exclude is None or not _compile(self.exclude).fullmatch(tag)


def parse_tag(tag: str) -> VersionTag | None:
    """Read ``tag`` as a version; ``None`` when it has no numeric core of 1-4 components or
    its numbers are not a version's (see the module docstring)."""
    match = _TAG_RE.fullmatch(tag) if _TAG_GRAMMAR_RE.fullmatch(tag) else None
    if match is None or not _numbers_are_a_version(tag, match):
        return None
    variant, prerelease = _split_prerelease(match["suffix"])
    return VersionTag(
        tag=tag,
        prefix=match["prefix"],
        core=tuple(int(part) for part in match["core"].split(".")),
        template=_DIGITS_RE.sub("#", variant),
        variant_numbers=tuple(int(digits) for digits in _DIGITS_RE.findall(variant)),
        prerelease=prerelease,
        calendar=_calendar(match["core"]),
    )


def _year_width(version: VersionTag) -> int:
    """How a calendar version writes its year: 4 (``2022.04``) or 2 (``22.04``) digits."""
    return 4 if version.core[0] in _YEAR_FIRST else 2


def _calendar(core: str) -> bool:
    """A year first (``2025.4.0``), or a two-digit year and a zero-padded month
    (``20.04.1``)."""
    parts = core.split(".")
    if int(parts[0]) in _YEAR_FIRST and len(parts[0]) == 4:
        return True
    return (
        len(parts) > 1 and len(parts[0]) == 2 and _PADDED_MONTH_RE.fullmatch(parts[1]) is not None
    )


def _numbers_are_a_version(tag: str, match: re.Match[str]) -> bool:
    """Not a hash (digits glued to two hex letters or more), not an architecture name."""
    if _ARCH_WORD_RE.search(match["prefix"]):
        return False
    start, end = match.span("core")
    for run in _GLUED_RUN_RE.finditer(tag):
        if run.end() <= start or run.start() >= end:
            continue
        text = run.group()
        letters = sum(not char.isdigit() for char in text)
        if letters >= 2 and _HEX_RUN_RE.fullmatch(text):
            return False
    return True


def is_artifact_tag(tag: str) -> bool:
    """Signature, attestation, SBOM and referrers tags (``sha256-<hex>.sig``): not images."""
    return _ARTIFACT_RE.fullmatch(tag) is not None


def is_moving_tag(tag: str) -> bool:
    """Tags such as ``latest`` or ``stable`` that follow releases rather than name one."""
    return tag.lower() in MOVING_TAGS


def candidate_tags(current: str, tags: Iterable[str], rules: TagRules) -> list[str]:
    """Every tag ``rules`` allow moving to from ``current``, best first (empty if none)."""
    base = _discoverable(current)
    if base is None:
        return []
    found = [
        version
        for version in map(parse_tag, set(tags))
        if version is not None and _acceptable(version, base, rules)
    ]
    found.sort(key=lambda version: version.sort_key, reverse=True)
    return [version.tag for version in found]


def newest_tag(current: str, tags: Iterable[str], rules: TagRules) -> str | None:
    """The best tag ``rules`` allow moving to from ``current``, or ``None``."""
    found = candidate_tags(current, tags, rules)
    return found[0] if found else None


def _discoverable(current: str) -> VersionTag | None:
    return None if is_artifact_tag(current) else parse_tag(current)


def _acceptable(version: VersionTag, base: VersionTag, rules: TagRules) -> bool:
    if is_artifact_tag(version.tag) or not rules.admits(version.tag):
        return False
    if version.line != base.line or (version.is_prerelease and not rules.prereleases):
        return False
    if version.calendar and not base.calendar:
        return False
    if version.calendar and base.calendar and _year_width(version) != _year_width(base):
        return False
    if rules.same_length and len(version.core) != len(base.core):
        return False
    return _within_policy(version.core, base.core, rules.policy) and version.key > base.key


def _within_policy(core: tuple[int, ...], base: tuple[int, ...], policy: VersionPolicy) -> bool:
    """``patch`` keeps major.minor, ``minor`` keeps major; missing components count as 0."""
    kept = _KEPT_COMPONENTS[policy]
    return _head(core, kept) == _head(base, kept)


def _head(core: tuple[int, ...], length: int) -> tuple[int, ...]:
    return (core + (0,) * length)[:length]


def _split_prerelease(suffix: str) -> tuple[str, Prerelease | None]:
    """Take the first pre-release marker (with its separator and number) out of ``suffix``."""
    match = _PRERELEASE_RE.search(suffix)
    if match is None:
        return suffix, None
    number = match["number"]
    prerelease = Prerelease(match["marker"].lower(), None if number is None else int(number))
    return suffix[: match.start()] + suffix[match.end() :], prerelease


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"invalid tag pattern {pattern!r}: {exc}") from None
