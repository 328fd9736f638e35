"""Which containers Colibri looks after, decided from their labels and the command line.

Opt-in labels (any one is enough):

- ``colibri.enable=true``
- ``io.containers.autoupdate=registry`` (podman; ``image`` is podman's older alias)
- ``com.centurylinklabs.watchtower.enable=true`` (watchtower)

Explicit opt-outs exclude always, even a container named on the command line or selected by
``--all``: ``colibri.enable=false``, ``com.centurylinklabs.watchtower.enable=false`` and
``io.containers.autoupdate=disabled`` (podman's ``local`` policy, "update from local images
only", excludes likewise: it never asks for a registry's image). Colibri's own label decides
when it is readable.

Values are read as the tool that defines the label reads them: podman's policy exactly
(``Registry`` is not a policy), a boolean as ``true``/``false`` (and 1/0, yes/no, on/off). A
value that cannot be read is never guessed: the container is not updated and its check is an
``error`` saying what is wrong, in podman's words for podman's label.

Containers another system runs (:mod:`colibri.domain.orchestrated`) are skipped with the
reason whatever their labels say. A ``colibri.probe`` that cannot work
(:func:`colibri.domain.probing.probe_problem`) makes the check an ``error`` too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from colibri.domain.model import Container
from colibri.domain.orchestrated import orchestrated_by
from colibri.domain.probing import probe_problem
from colibri.domain.transient import replaced_by
from colibri.domain.units import podman_reference_problem
from colibri.domain.versions import TagRules, VersionPolicy
from colibri.errors import ConfigError

__all__ = [
    "ENABLE_LABEL",
    "LabelVerdict",
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
#: podman's auto-update policies (libpod's ``supportedPolicies``) and what each means here.
_PODMAN_POLICIES = {
    "disabled": "disabled",
    "image": "enabled",
    "registry": "enabled",
    "local": "local",
}
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
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class LabelVerdict:
    """The opt-in state; ``reason`` says why for ``DISABLED`` and ``INVALID``; ``warnings``
    are labels that could not be read but did not decide."""

    state: OptIn
    reason: str = ""
    warnings: tuple[str, ...] = ()


def parse_bool(value: str) -> bool | None:
    """``true``/``false`` (and 1/0, yes/no, on/off), case-insensitive; ``None`` otherwise."""
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def opt_in(labels: Mapping[str, str]) -> LabelVerdict:
    """The container's opt-in state, as the module docstring says."""
    others = [
        problem for problem in (_watchtower_problem(labels), _podman_problem(labels)) if problem
    ]
    if ENABLE_LABEL in labels:
        own = parse_bool(labels[ENABLE_LABEL])
        if own is None:
            return LabelVerdict(OptIn.INVALID, _not_boolean(labels, ENABLE_LABEL))
        if own:
            return LabelVerdict(OptIn.ENABLED, warnings=tuple(others))
        return LabelVerdict(OptIn.DISABLED, f"excluded by label ({ENABLE_LABEL}=false)")
    watchtower = (
        parse_bool(labels.get(WATCHTOWER_LABEL, "")) if WATCHTOWER_LABEL in labels else None
    )
    podman = _PODMAN_POLICIES.get(labels[PODMAN_LABEL]) if labels.get(PODMAN_LABEL) else None
    if watchtower is False:
        return LabelVerdict(OptIn.DISABLED, f"excluded by label ({WATCHTOWER_LABEL}=false)")
    if podman in {"disabled", "local"}:
        how = "" if podman == "disabled" else ": podman updates it from local images only"
        return LabelVerdict(OptIn.DISABLED, f"excluded by label ({PODMAN_LABEL}={podman}{how})")
    if others:
        return LabelVerdict(OptIn.INVALID, "; ".join(others))
    if watchtower or podman == "enabled":
        return LabelVerdict(OptIn.ENABLED)
    return LabelVerdict(OptIn.UNSET)


def _watchtower_problem(labels: Mapping[str, str]) -> str | None:
    if WATCHTOWER_LABEL in labels and parse_bool(labels[WATCHTOWER_LABEL]) is None:
        return _not_boolean(labels, WATCHTOWER_LABEL)
    return None


def _podman_problem(labels: Mapping[str, str]) -> str | None:
    """podman's own message for a policy it does not know (an empty value is its default)."""
    value = labels.get(PODMAN_LABEL)
    if not value or value in _PODMAN_POLICIES:
        return None
    valid = " ".join(f'"{name}"' for name in sorted(_PODMAN_POLICIES))
    return (
        f"label {PODMAN_LABEL}: invalid auto-update policy {_go_quote(value)}: "
        f"valid policies are [{valid}]"
    )


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _not_boolean(labels: Mapping[str, str], label: str) -> str:
    return f"label {label}={labels[label]!r} is not true or false"


@dataclass(frozen=True)
class Selection:
    """The containers to act on, and what was asked for but not selected (with why):
    ``excluded`` are skipped (opted out, orchestrated, temporary copies), ``invalid`` have a
    label that cannot be read (their check is an error)."""

    containers: tuple[Container, ...]
    excluded: Mapping[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    invalid: tuple[tuple[Container, str], ...] = ()


def select_containers(
    containers: Iterable[Container],
    *,
    names: Sequence[str] = (),
    all_running: bool = False,
    include_stopped: bool = False,
    engine: str = "docker",
) -> Selection:
    """Apply the selection rules (``engine``: ``docker`` or ``podman``, where the containers
    run).

    Names on the command line select those containers (by name or ID prefix, any state);
    ``all_running`` selects every running container; otherwise the opted-in ones (running only
    unless ``include_stopped``). Explicit opt-outs win in every case; the copies an update
    makes for a moment (:mod:`colibri.domain.transient`) and orchestrated containers are never
    selected, and containers with an unreadable opt-in label go to ``invalid``.
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
    invalid: list[tuple[Container, str]] = []
    for container in chosen:
        original = replaced_by(container.name)
        if original is not None:
            excluded[container.name] = f"a temporary copy made while updating {original}"
            continue
        verdict = opt_in(container.labels)
        warnings.extend(f"{container.name}: {note}; ignored" for note in verdict.warnings)
        orchestrated = orchestrated_by(container.labels, pod=container.pod, engine=engine)
        if verdict.state is OptIn.DISABLED:
            excluded[container.name] = verdict.reason
        elif orchestrated is not None:
            excluded[container.name] = orchestrated
        elif verdict.state is OptIn.INVALID:
            invalid.append((container, verdict.reason))
        elif refused := podman_reference_problem(container.labels, container.config_image):
            invalid.append((container, refused))
        elif (problem := probe_problem(container.labels, container.network_mode)) is not None:
            invalid.append((container, problem))
        else:
            selected.append(container)
    return Selection(tuple(selected), excluded, tuple(missing), tuple(warnings), tuple(invalid))


def _by_flags(pool: list[Container], all_running: bool) -> list[Container]:
    """``--all``: every running container; otherwise the opted-in ones and, to report them,
    those whose opt-in label cannot be read."""
    if all_running:
        return [c for c in pool if c.running]
    wanted = {OptIn.ENABLED, OptIn.INVALID}
    return [c for c in pool if opt_in(c.labels).state in wanted]


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
