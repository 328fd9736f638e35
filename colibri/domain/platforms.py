"""Platform normalisation and the choice of an index child (registry-spec C7).

The platform that matters is the running image's (``Os``/``Architecture``/``Variant`` of the
image the container runs), never the host's. Names are normalised as containerd does:
``x86_64`` is ``amd64``, ``aarch64`` is ``arm64`` (whose ``v8`` variant is the default and is
dropped), a bare ``arm`` is ``arm/v7``.
"""

from __future__ import annotations

from collections.abc import Iterable

from colibri.domain.model import Descriptor, Platform

__all__ = ["choose_child", "normalise_platform", "parse_platform"]

_ARCH_ALIASES = {
    "x86_64": ("amd64", None),
    "x86-64": ("amd64", None),
    "amd64": ("amd64", None),
    "aarch64": ("arm64", None),
    "arm64": ("arm64", None),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v6"),
    "i386": ("386", None),
    "i686": ("386", None),
    "386": ("386", None),
}
ATTESTATION_ANNOTATION = "vnd.docker.reference.type"


def normalise_platform(platform: Platform) -> Platform:
    """Return the containerd-normal form of ``platform``."""
    os_name = platform.os.lower() or "linux"
    arch, implied_variant = _ARCH_ALIASES.get(platform.architecture.lower(), (None, None))
    if arch is None:
        arch = platform.architecture.lower()
    variant = (platform.variant or implied_variant or "").lower() or None
    if arch == "arm64" and variant == "v8":
        variant = None
    if arch == "arm" and variant is None:
        variant = "v7"
    if arch == "amd64" and variant == "v1":
        variant = None
    return Platform(os_name, arch, variant, platform.os_version or None)


def parse_platform(text: str) -> Platform:
    """Parse ``os/arch[/variant]`` (as given to ``docker pull --platform``)."""
    parts = text.strip().split("/")
    if len(parts) < 2 or len(parts) > 3 or not all(parts):
        raise ValueError(f"invalid platform {text!r}: expected os/architecture[/variant]")
    variant = parts[2] if len(parts) == 3 else None
    return normalise_platform(Platform(parts[0], parts[1], variant))


def choose_child(children: Iterable[Descriptor], wanted: Platform) -> Descriptor | None:
    """Pick the index entry for ``wanted``: exact variant first, then first match in order.

    Attestation entries (``unknown/unknown``, or annotated as attestation manifests) are never
    chosen. Returns ``None`` when no entry fits (the container's status is then ``no_platform``).
    """
    target = normalise_platform(wanted)
    candidates = [child for child in children if _is_image_entry(child)]
    loose: Descriptor | None = None
    for child in candidates:
        assert child.platform is not None
        have = normalise_platform(child.platform)
        if (have.os, have.architecture) != (target.os, target.architecture):
            continue
        if target.os_version and have.os_version and have.os_version != target.os_version:
            continue
        if have.variant == target.variant:
            return child
        if loose is None and _variant_compatible(have.variant, target.variant):
            loose = child
    return loose


def _is_image_entry(child: Descriptor) -> bool:
    if child.platform is None:
        return False
    if child.platform.os == "unknown" or child.platform.architecture == "unknown":
        return False
    return child.annotations.get(ATTESTATION_ANNOTATION) != "attestation-manifest"


def _variant_compatible(have: str | None, want: str | None) -> bool:
    """An entry without variant fits any wanted variant; otherwise variants must agree."""
    return have is None or want is None
