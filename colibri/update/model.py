"""The update transaction's inputs and result, shared by the executor and its callers."""

from __future__ import annotations

from dataclasses import dataclass, field

from colibri.domain.gate import GateRequest, GateVerdict
from colibri.domain.health import VerifyPolicy
from colibri.domain.journal import RunStatus
from colibri.domain.model import Container
from colibri.domain.refs import ImageRef

__all__ = ["AllowAll", "UpdateOptions", "UpdateOutcome", "UpdateRequest"]


@dataclass(frozen=True)
class UpdateRequest:
    """One container and the image it should move to (from the check)."""

    container: Container
    ref: ImageRef
    remote_digest: str
    expected_digest: str | None = None
    current_digest: str | None = None
    platform: str | None = None


@dataclass(frozen=True)
class UpdateOptions:
    """How to run an update. ``failpoint`` names a step after which to die (tests only)."""

    dry_run: bool = False
    cleanup: bool = False
    verify: VerifyPolicy = field(default_factory=VerifyPolicy)
    trigger: str = "cli"
    failpoint: str | None = None
    run_id: str | None = None  # continue this journal run (its caller created it); else new


@dataclass(frozen=True)
class UpdateOutcome:
    """The result printed by ``colibri update --format json``."""

    container: str
    status: RunStatus
    reason: str = ""
    old_digest: str | None = None
    new_digest: str | None = None
    old_image_id: str | None = None
    new_image_id: str | None = None
    downtime_ms: int | None = None
    run_id: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "container": self.container,
            "status": self.status.value,
            "old_digest": self.old_digest,
            "new_digest": self.new_digest,
            "old_image_id": self.old_image_id,
            "new_image_id": self.new_image_id,
            "reason": self.reason,
            "downtime_ms": self.downtime_ms,
            "run_id": self.run_id,
        }


class AllowAll:
    """The gate when no scan or signature is required."""

    def evaluate(self, request: GateRequest) -> GateVerdict:
        return GateVerdict(True, "no gate configured")
