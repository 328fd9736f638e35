"""The gate between pulling a candidate image and running it (signature, vulnerabilities)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from colibri.domain.refs import ImageRef

__all__ = ["GateRequest", "GateVerdict"]


@dataclass(frozen=True, slots=True)
class GateRequest:
    """The candidate, exactly as pulled, and what runs now (for "not worse than" rules).

    ``digest`` is what was pulled (an index digest for a multi-arch tag);
    ``platform_digest`` the platform manifest inside it that runs, when known: a signature
    on it is accepted when the index itself is unsigned (docs/registry.md G5).
    """

    ref: ImageRef
    digest: str
    image_id: str
    running_digest: str | None
    running_image_id: str
    labels: Mapping[str, str] = field(default_factory=dict)
    platform_digest: str | None = None


@dataclass(frozen=True, slots=True)
class GateVerdict:
    """``allowed`` False blocks the update; ``reason`` says why, ``details`` what was found."""

    allowed: bool
    reason: str = ""
    warnings: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
