"""The ``colibri scan IMAGE`` use case: scan one image by digest, store and judge the report.

The image is named by any reference. Its digest comes from the reference itself
(``repo@sha256:…``), else from the local image's ``RepoDigests`` for that repository, else
from the registry (HEAD of the tag); an image that is not in the daemon is pulled by that
digest first when the scanners read the daemon (``pull_missing``), or scanned remotely. What is
scanned is always ``<repository>@<digest>``: a locally built image without a registry digest
cannot be scanned this way (it is refused with a reason).

The scan is always fresh (a person asked for it); the report, or the failure, is stored like
the gate's, and judged by the configured criteria (``never`` included: then it only informs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from colibri.domain.criteria import Criteria, Decision, evaluate
from colibri.domain.model import LocalImage
from colibri.domain.ports import Clock, Engine, Registry, Scanner, ScanStore
from colibri.domain.refs import ImageRef, parse_reference
from colibri.domain.scanning import ScanFailure, ScanReport
from colibri.errors import BadReference, ScanError
from colibri.services.reports import Obtained, ReportSource

__all__ = ["ScanOutcome", "ScanService"]

logger = logging.getLogger(__name__)

RegistryAuth = Callable[[ImageRef], Mapping[str, str] | None]


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """One scan, as ``colibri scan`` prints it."""

    image: str
    repository: str
    digest: str
    result: ScanReport | ScanFailure
    decision: Decision
    record_id: int | None = None
    pulled: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def report(self) -> ScanReport | None:
        return self.result if isinstance(self.result, ScanReport) else None

    @property
    def failure(self) -> ScanFailure | None:
        return self.result if isinstance(self.result, ScanFailure) else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``colibri scan --format json``."""
        report = self.report
        return {
            "image": self.image,
            "repository": self.repository,
            "digest": self.digest,
            "scanners": [info.to_dict() for info in report.scanners] if report else [],
            "counts": {s.value: n for s, n in report.counts.items()} if report else {},
            "findings": [finding.to_dict() for finding in report.findings] if report else [],
            "error": self.failure.message if self.failure else None,
            "decision": self.decision.to_dict(),
            "record_id": self.record_id,
            "pulled": self.pulled,
            "warnings": list(self.warnings),
        }


class ScanService:
    """Scans images on request, through the ports."""

    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        scanner: Scanner,
        clock: Clock,
        criteria: Criteria,
        *,
        store: ScanStore | None = None,
        pull_missing: bool = True,
        registry_auth: RegistryAuth | None = None,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.clock = clock
        self.criteria = criteria
        self.source = ReportSource(scanner, store, clock)
        self.pull_missing = pull_missing
        self.registry_auth = registry_auth or (lambda _ref: None)

    def scan(self, image: str) -> ScanOutcome:
        """Resolve, (pull,) scan, store and judge ``image``. Raises ``ColibriError`` when the
        image cannot be resolved or pulled (``ScanError`` when it has no registry digest); a
        failed scan is an outcome, not an error."""
        ref = parse_reference(image)
        digest, local = self._digest(ref)
        pulled = False
        if local is None and self.pull_missing:
            logger.info("pulling %s@%s to scan it", ref.name, digest)
            self.engine.pull(ref.name, digest, auth=self.registry_auth(ref))
            pulled = True
        scanners = self.source.describe(ref.name, digest)
        if not isinstance(scanners, Obtained):
            scanners = self.source.scan(ref.name, digest, scanners)
        obtained = scanners
        decision = evaluate(self.criteria, obtained.result, now=self.clock.now())
        return ScanOutcome(
            image,
            ref.name,
            digest,
            obtained.result,
            decision,
            obtained.record_id,
            pulled,
            obtained.warnings,
        )

    def _digest(self, ref: ImageRef) -> tuple[str, LocalImage | None]:
        """The digest to scan, and the local image when the daemon has it."""
        if ref.digest is not None:
            return ref.digest, self.engine.inspect_image(str(ref.by_digest(ref.digest)))
        local = self.engine.inspect_image(ref.familiar())
        if local is None:
            return self.registry.head(ref).digest, None
        digest = _repository_digest(local, ref)
        if digest is None:
            raise ScanError(
                f"{ref.familiar()} has no digest from {ref.name} (built locally, or pulled "
                "from elsewhere): push it, or name the image by repository@digest"
            )
        return digest, local


def _repository_digest(image: LocalImage, ref: ImageRef) -> str | None:
    """The digest ``image`` was pulled as from ``ref``'s repository (its ``RepoDigests``)."""
    for entry in image.repo_digests:
        try:
            named = parse_reference(entry)
        except BadReference:
            continue
        if named.name == ref.name and named.digest is not None:
            return named.digest
    return None
