"""Containers run by systemd units, updated the way podman auto-update updates them.

A container that ``podman generate systemd --new`` or Quadlet created carries the label
``PODMAN_SYSTEMD_UNIT=<unit>``: its unit recreates it at every start (``podman run
--replace``) from the unit's own command line and image reference. On podman such a container
is updated through its unit: pull by digest, point the tag at it, restart the unit, verify; on
failure point the tag back and restart the unit again. On Docker no unit runs it (the label
was copied, or a unit drives the docker CLI Colibri cannot see): it is skipped.

Podman's own rules apply where a user relies on them: podman's ``registry`` policy
(``io.containers.autoupdate=registry``, or its older alias ``image``) needs a fully qualified
reference with a tag and without a digest, and a reference that is not is an error worded as
podman words it. Colibri's own labels stay as lenient as they are on Docker.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "PODMAN_ENGINE",
    "UNIT_LABEL",
    "podman_reference_problem",
    "unit_of",
    "unit_skip_reason",
]

UNIT_LABEL = "PODMAN_SYSTEMD_UNIT"
PODMAN_ENGINE = "podman"
_PODMAN_LABEL = "io.containers.autoupdate"
_COLIBRI_LABEL = "colibri.enable"
_REGISTRY_POLICIES = frozenset({"registry", "image"})


def unit_of(labels: Mapping[str, str]) -> str | None:
    """The systemd unit that runs a container with these labels, if any."""
    unit = labels.get(UNIT_LABEL, "").strip()
    return unit or None


def unit_skip_reason(labels: Mapping[str, str], engine: str) -> str | None:
    """Why a unit's container is not updated on ``engine``, or ``None`` when it is (on
    podman, through its unit) or when no unit runs it."""
    unit = unit_of(labels)
    if unit is None or engine == PODMAN_ENGINE:
        return None
    return f"run by the systemd unit {unit}: the unit recreates it (update it through the unit)"


def podman_reference_problem(labels: Mapping[str, str], reference: str) -> str | None:
    """Podman's error for a ``registry`` policy on a reference it would refuse, or ``None``.

    Only when podman's label is what opts the container in (Colibri's own label, when set,
    decides instead)."""
    policy = labels.get(_PODMAN_LABEL, "").strip()
    if policy not in _REGISTRY_POLICIES or _COLIBRI_LABEL in labels:
        return None
    text = reference.removeprefix("docker://")
    name, _, digest = text.partition("@")
    if digest:
        return f'auto updates require fully-qualified image references without digest: "{text}"'
    first, slash, _ = name.partition("/")
    if not slash or not (first == "localhost" or "." in first or ":" in first):
        return f'auto updates require fully-qualified image reference: "{text}"'
    if name.rfind(":") <= name.rfind("/"):
        return f'auto updates require fully-qualified image references (no tag): "{text}"'
    return None
