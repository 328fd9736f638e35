"""``make_scanner``: the configured scanner(s) behind the ``Scanner`` port.

``COLIBRI_SCANNER=trivy|grype|both`` selects the kind; :class:`ScanOptions` carries the rest
(program paths, timeout, image source, Trivy server, offline mode). The composition root reads
the settings and calls this; nothing else names the concrete adapters.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from colibri.domain.ports import Scanner
from colibri.errors import ConfigError
from colibri.scan._common import ImageSource
from colibri.scan.combined import CombinedScanner
from colibri.scan.grype import GrypeScanner
from colibri.scan.trivy import DEFAULT_TIMEOUT, TrivyScanner

__all__ = ["ScanOptions", "ScannerKind", "make_scanner"]


class ScannerKind(StrEnum):
    """Which scanner(s) gate updates."""

    TRIVY = "trivy"
    GRYPE = "grype"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """How to run the scanners; defaults find ``trivy``/``grype`` on ``PATH``."""

    trivy_path: str = "trivy"
    grype_path: str = "grype"
    timeout: float = DEFAULT_TIMEOUT
    source: ImageSource = ImageSource.DOCKER
    trivy_server: str | None = None
    trivy_token: str | None = None
    trivy_cache_dir: str | None = None
    grype_db_dir: str | None = None
    offline: bool = False


def make_scanner(kind: ScannerKind | str, options: ScanOptions | None = None) -> Scanner:
    """One adapter for ``trivy``/``grype``, a :class:`CombinedScanner` of both for ``both``.

    An unknown kind is a ``ConfigError`` naming ``COLIBRI_SCANNER`` and the accepted values.
    """
    options = options or ScanOptions()
    try:
        chosen = ScannerKind(str(kind).strip().lower())
    except ValueError:
        accepted = ", ".join(member.value for member in ScannerKind)
        raise ConfigError(f"COLIBRI_SCANNER must be one of {accepted}, got {kind!r}") from None
    if options.timeout <= 0:
        raise ConfigError(f"scan timeout must be positive, got {options.timeout!r}")
    if chosen is ScannerKind.TRIVY:
        return _trivy(options)
    if chosen is ScannerKind.GRYPE:
        return _grype(options)
    return CombinedScanner([_trivy(options), _grype(options)])


def _trivy(options: ScanOptions) -> TrivyScanner:
    return TrivyScanner(
        options.trivy_path,
        timeout=options.timeout,
        source=options.source,
        server=options.trivy_server,
        token=options.trivy_token,
        cache_dir=options.trivy_cache_dir,
        offline=options.offline,
    )


def _grype(options: ScanOptions) -> GrypeScanner:
    return GrypeScanner(
        options.grype_path,
        timeout=options.timeout,
        source=options.source,
        db_dir=options.grype_db_dir,
        offline=options.offline,
    )
