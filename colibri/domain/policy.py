"""Which containers Colibri looks after, decided from their labels and the command line.

Opt-in labels (any one is enough):

- ``colibri.enable=true``
- ``io.containers.autoupdate=registry`` (podman; ``image`` is podman's older alias)
- ``com.centurylinklabs.watchtower.enable=true`` (watchtower)

``colibri.enable=false`` always excludes, even a container named on the command line or
selected by ``--all``; ``com.centurylinklabs.watchtower.enable=false`` excludes likewise, since
it says the owner does not want the container touched. A label with a value that is neither
true nor false is treated as "not opted in" and reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from colibri.domain.model import Container
from colibri.domain.transient import replaced_by
from colibri.domain.versions import TagRules, VersionPolicy
from colibri.errors import ConfigError

__all__ = [
    "ENABLE_LABEL",
    "OptIn",
    "Selection",
    "opt_in",
    "parse_bool",
    "select_containers",
    "tag_rules",
]

ENABLE_LABEL = "colibri.enable"
PODMAN_LABEL = "io.containers.autoupdate"
WATCHTOWER_LABEL = "com.centurylinklabs.watchtower.enable"
_PODMAN_REGISTRY_POLICIES = frozenset({"registry", "image"})
POLICY_LABEL = "colibri.policy"
INCLUDE_TAGS_LABEL = "colibri.include-tags"
EXCLUDE_TAGS_LABEL = "colibri.exclude-tags"
PRERELEASES_LABEL = "colibri.prereleases"
DIGEST_POLICY = "digest"
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


class OptIn(StrEnum):
    """What a container's labels say."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    UNSET = "unset"


def parse_bool(value: str) -> bool | None:
    """``true``/``false`` (and 1/0, yes/no, on/off), case-insensitive; ``None`` otherwise."""
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def opt_in(labels: Mapping[str, str]) -> tuple[OptIn, list[str]]:
    """The container's opt-in state and warnings about labels that could not be read.

    Colibri's own label decides when it is readable; otherwise a watchtower opt-out excludes,
    and any compatible opt-in enables.
    """
    warnings: list[str] = []
    own = _read_bool(labels, ENABLE_LABEL, warnings)
    if own is not None:
        return (OptIn.ENABLED if own else OptIn.DISABLED), warnings
    watchtower = _read_bool(labels, WATCHTOWER_LABEL, warnings)
    if watchtower is False:
        return OptIn.DISABLED, warnings
    podman = labels.get(PODMAN_LABEL, "").strip().lower() in _PODMAN_REGISTRY_POLICIES
    if watchtower or podman:
        return OptIn.ENABLED, warnings
    return OptIn.UNSET, warnings


def _read_bool(labels: Mapping[str, str], label: str, warnings: list[str]) -> bool | None:
    if label not in labels:
        return None
    value = parse_bool(labels[label])
    if value is None:
        warnings.append(f"label {label}={labels[label]!r} is not true or false; ignored")
    return value


@dataclass(frozen=True)
class Selection:
    """The containers to act on, and what was asked for but not selected (with why)."""

    containers: tuple[Container, ...]
    excluded: Mapping[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def select_containers(
    containers: Iterable[Container],
    *,
    names: Sequence[str] = (),
    all_running: bool = False,
    include_stopped: bool = False,
) -> Selection:
    """Apply the selection rules.

    Names on the command line select those containers (by name or ID prefix, any state);
    ``all_running`` selects every running container; otherwise the opted-in ones (running only
    unless ``include_stopped``). Explicit opt-outs win in every case, and the copies an update
    makes for a moment (:mod:`colibri.domain.transient`) are never selected.
    """
    pool = list(containers)
    chosen, missing = _by_names(pool, names) if names else (_by_flags(pool, all_running), [])
    if names and all_running:
        chosen = _unique([*chosen, *_by_flags(pool, True)])
    if not names and not all_running:
        chosen = [c for c in chosen if include_stopped or c.running]
    selected: list[Container] = []
    excluded: dict[str, str] = {}
    warnings: list[str] = []
    for container in chosen:
        original = replaced_by(container.name)
        if original is not None:
            excluded[container.name] = f"a temporary copy made while updating {original}"
            continue
        state, notes = opt_in(container.labels)
        warnings.extend(f"{container.name}: {note}" for note in notes)
        if state is OptIn.DISABLED:
            excluded[container.name] = "excluded by label (enable=false)"
        else:
            selected.append(container)
    return Selection(tuple(selected), excluded, tuple(missing), tuple(warnings))


def _by_flags(pool: list[Container], all_running: bool) -> list[Container]:
    if all_running:
        return [c for c in pool if c.running]
    return [c for c in pool if opt_in(c.labels)[0] is OptIn.ENABLED]


def _by_names(pool: list[Container], names: Sequence[str]) -> tuple[list[Container], list[str]]:
    chosen: list[Container] = []
    missing: list[str] = []
    for wanted in names:
        match = _find(pool, wanted)
        if match is None:
            missing.append(wanted)
        else:
            chosen.append(match)
    return _unique(chosen), missing


def _find(pool: list[Container], wanted: str) -> Container | None:
    bare = wanted.lstrip("/")
    for container in pool:
        if container.name == bare or container.id == bare:
            return container
    prefixed = [c for c in pool if len(bare) >= 4 and c.id.startswith(bare)]
    return prefixed[0] if len(prefixed) == 1 else None


def _unique(containers: list[Container]) -> list[Container]:
    seen: set[str] = set()
    unique: list[Container] = []
    for container in containers:
        if container.id not in seen:
            seen.add(container.id)
            unique.append(container)
    return unique


def tag_rules(labels: Mapping[str, str], default_policy: str = DIGEST_POLICY) -> TagRules | None:
    """How this container follows newer version tags, or ``None`` to follow its tag's digest.

    ``colibri.policy`` is ``digest`` (default), ``patch``, ``minor``, ``major`` or ``all``;
    ``colibri.include-tags`` and ``colibri.exclude-tags`` are regular expressions matching whole
    tags; ``colibri.prereleases=true`` admits release candidates and the like. Raises
    ``ConfigError`` naming the label that cannot be read.
    """
    text = labels.get(POLICY_LABEL, default_policy).strip().lower()
    if text == DIGEST_POLICY:
        return None
    try:
        policy = VersionPolicy.parse(text)
    except ConfigError:
        raise ConfigError(
            f"label {POLICY_LABEL}={text!r}: expected digest, patch, minor, major or all"
        ) from None
    prereleases = parse_bool(labels.get(PRERELEASES_LABEL, "false"))
    if prereleases is None:
        raise ConfigError(
            f"label {PRERELEASES_LABEL}={labels[PRERELEASES_LABEL]!r}: not true or false"
        )
    try:
        return TagRules(
            policy,
            include=labels.get(INCLUDE_TAGS_LABEL),
            exclude=labels.get(EXCLUDE_TAGS_LABEL),
            prereleases=prereleases,
        )
    except ConfigError as exc:
        raise ConfigError(f"labels {INCLUDE_TAGS_LABEL}/{EXCLUDE_TAGS_LABEL}: {exc}") from None
