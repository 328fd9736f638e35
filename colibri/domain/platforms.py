"""Platform normalisation and the choice of an index child (docs/registry.md C7).

The platform that matters is the running image's (``Os``/``Architecture``/``Variant`` of the
image the container runs), never the host's. Names are normalised as containerd's
``normalizeArch`` does: ``x86_64`` is ``amd64``; ``aarch64`` is ``arm64``, whose ``v8`` variant
is the default and is dropped; a bare ``arm`` is ``arm/v7``; ``armhf`` is always ``arm/v7`` and
``armel`` always ``arm/v6``; ``i386`` is ``386`` without variant; ``macos`` is ``darwin``.

On Windows the ``os.version`` matters too: an image for build 17763 does not run where one for
20348 does. Entries are matched on the build (``10.0.17763``), not on the revision that follows
it, because every monthly patch of the same image changes the revision.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from colibri.domain.model import Descriptor, Platform

__all__ = ["choose_child", "normalise_platform", "parse_platform"]

#: Architecture aliases; a variant here is forced, whatever the image said.
_ARCH_ALIASES: dict[str, tuple[str, str | None]] = {
    "x86_64": ("amd64", None),
    "x86-64": ("amd64", None),
    "aarch64": ("arm64", None),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v6"),
    "i386": ("386", None),
    "i686": ("386", None),
}
_FORCED_VARIANT = frozenset({"armhf", "armel", "i386", "i686"})
_VARIANT_ALIASES: dict[str, dict[str, str | None]] = {
    "amd64": {"v1": None},
    "arm64": {"8": None, "v8": None, "v8.0": None, "9": "v9", "9.0": "v9", "v9.0": "v9"},
    "arm": {"": "v7", "5": "v5", "6": "v6", "7": "v7", "8": "v8"},
}
_OS_ALIASES = {"macos": "darwin"}
ATTESTATION_ANNOTATION = "vnd.docker.reference.type"
_COMPONENT_RE = re.compile(r"[A-Za-z0-9_-]+")


def normalise_platform(platform: Platform) -> Platform:
    """Return the containerd-normal form of ``platform`` (an empty OS is taken as linux)."""
    os_name = platform.os.lower() or "linux"
    arch, variant = _normalise_arch(platform.architecture, platform.variant or "")
    return Platform(_OS_ALIASES.get(os_name, os_name), arch, variant, platform.os_version or None)


def _normalise_arch(architecture: str, variant: str) -> tuple[str, str | None]:
    raw = architecture.lower()
    arch, forced = _ARCH_ALIASES.get(raw, (raw, None))
    if raw in _FORCED_VARIANT:
        return arch, forced
    wanted = variant.lower()
    aliases = _VARIANT_ALIASES.get(arch, {})
    if wanted in aliases:
        return arch, aliases[wanted]
    return arch, wanted or None


def parse_platform(text: str) -> Platform:
    """Parse ``os/arch[/variant]`` (as given to ``docker pull --platform``); each part is
    letters, digits, ``_`` and ``-`` only, as containerd requires."""
    parts = text.strip().split("/")
    if len(parts) < 2 or len(parts) > 3 or not all(parts):
        raise ValueError(f"invalid platform {text!r}: expected os/architecture[/variant]")
    for part in parts:
        if not _COMPONENT_RE.fullmatch(part):
            raise ValueError(
                f"invalid platform {text!r}: {part!r} is not letters, digits, '_' and '-'"
            )
    variant = parts[2] if len(parts) == 3 else None
    return normalise_platform(Platform(parts[0], parts[1], variant))


def choose_child(children: Iterable[Descriptor], wanted: Platform) -> Descriptor | None:
    """Pick the index entry for ``wanted``: exact variant first, then first match in order.

    Attestation entries (``unknown/unknown``, or annotated as attestation manifests) are never
    chosen. An entry without variant fits any wanted variant, and an entry with one fits a
    wanted platform without. On Windows, entries of another build are skipped and an exact
    ``os.version`` beats one of the same build. Returns ``None`` when no entry fits (the
    container's status is then ``no_platform``).
    """
    target = normalise_platform(wanted)
    best: Descriptor | None = None
    best_score = 0
    for child in children:
        score = _fit(child, target)
        if score > best_score:
            best, best_score = child, score
    return best


def _fit(child: Descriptor, target: Platform) -> int:
    """How well ``child`` fits ``target``: 0 not at all, higher is better (ties: first wins)."""
    if not _is_image_entry(child):
        return 0
    assert child.platform is not None
    have = normalise_platform(child.platform)
    if (have.os, have.architecture) != (target.os, target.architecture):
        return 0
    if not _os_version_compatible(have.os_version, target.os_version):
        return 0
    if have.variant == target.variant:
        variant_score = 2
    elif _variant_compatible(have.variant, target.variant):
        variant_score = 1
    else:
        return 0
    exact_version = have.os_version == target.os_version
    return variant_score * 2 + int(exact_version)


def _is_image_entry(child: Descriptor) -> bool:
    if child.platform is None:
        return False
    if child.platform.os.lower() == "unknown" or child.platform.architecture.lower() == "unknown":
        return False
    return child.annotations.get(ATTESTATION_ANNOTATION) != "attestation-manifest"


def _variant_compatible(have: str | None, want: str | None) -> bool:
    """An entry without variant fits any wanted variant; otherwise variants must agree."""
    return have is None or want is None


def _os_version_compatible(have: str | None, want: str | None) -> bool:
    """Same Windows build (``10.0.17763``); unknown on either side is no objection."""
    if not have or not want:
        return True
    return _build(have) == _build(want)


def _build(os_version: str) -> tuple[str, ...]:
    return tuple(os_version.split(".")[:3])
