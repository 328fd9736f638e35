"""``ScanGate``: the ``Gate`` port. Signature first, then the vulnerability criteria.

For one pulled candidate (a ``GateRequest``), in this order:

1. the container's gate settings: the global :class:`GatePolicy` with its label overrides;
   an invalid label blocks, naming the label (a setting is never ignored silently);
2. the signature, when required: the candidate digest must carry a valid signature by a
   configured key (``SignatureVerifier``); otherwise blocked, and nothing is scanned;
3. the vulnerability criteria, unless ``never``: the candidate's report is reused when one
   was stored for exactly the current scanners and DB builds, else the candidate is scanned
   (``<repository>@<digest>``, in the local daemon after the pull) and the report, or the
   failure, is stored; with "not worse than the running image", when the candidate's findings
   block, the running image's report from the same DB build is reused or scanned and the
   pure ``criteria.evaluate`` compares both (it falls back to the absolute rule when that
   report cannot be had);
4. the ``Decision`` becomes the verdict: ``allowed``, ``reason`` = its summary, its warnings,
   and ``details`` with the policy, the signature result, the decision and the report records.

Decisions worth knowing:

* Fail closed: a scanner that is needed but missing (``COLIBRI_SCANNER=none``), crashes,
  times out, prints garbage or has a stale DB blocks, unless the failure policy is ``warn``
  (then the warning is in the verdict, and the executor writes it to the run's journal). When
  the DB is already known to be stale and the policy blocks, the candidate is not scanned.
* A signature that cannot be looked up (registry unreachable) blocks rather than defers: the
  transaction knows only allowed and blocked, and a blocked run is tried again at the next
  check; the reason says the lookup failed, not that the image is unsigned.
* Multi-arch (docs/registry.md G5): the pulled digest is checked first (the index, normally);
  when it is not validly signed and the platform manifest that runs is, that is accepted and
  said in a warning and in ``details["signature"]["verified_digest"]``.
* ``evaluate`` never raises for a scanner or signature failure: those are verdicts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from colibri.domain.criteria import (
    Criteria,
    Decision,
    OnFailure,
    Outcome,
    db_age_problem,
    evaluate,
)
from colibri.domain.gate import GateRequest, GateVerdict
from colibri.domain.gate_policy import GatePolicy
from colibri.domain.ports import Clock, Scanner, ScanStore, SignatureVerifier
from colibri.domain.refs import ImageRef
from colibri.domain.scanning import ScanFailure, ScanReport
from colibri.domain.signatures import SignatureResult, SignatureStatus
from colibri.errors import ColibriError, ConfigError
from colibri.services.reports import Obtained, ReportSource

__all__ = ["ScanGate"]

logger = logging.getLogger(__name__)

NO_SCANNER = "no vulnerability scanner is configured (set COLIBRI_SCANNER)"
NO_KEY = "a signature is required but no public key is configured (set COLIBRI_COSIGN_KEY)"
_SIGNATURE_WORDS = {
    SignatureStatus.UNSIGNED: "unsigned",
    SignatureStatus.INVALID: "signature invalid",
    SignatureStatus.ERROR: "signature check failed",
}


@dataclass(frozen=True, slots=True)
class _SignatureCheck:
    """The signature step's outcome: the pulled digest's result, the platform manifest's."""

    index: SignatureResult
    platform: SignatureResult | None = None

    @property
    def accepted(self) -> SignatureResult | None:
        verified = [r for r in (self.index, self.platform) if r is not None and r.verified]
        return verified[0] if verified else None

    @property
    def warnings(self) -> tuple[str, ...]:
        accepted = self.accepted
        if accepted is None or accepted is self.index:
            return ()
        return (
            f"{self.index.digest} is not validly signed ({self.index.status}); accepted the "
            f"signature of its platform manifest {accepted.digest}",
        )

    @property
    def reason(self) -> str:
        return f"{_SIGNATURE_WORDS.get(self.index.status, 'signed')}: {self.index.describe()}"

    def to_dict(self) -> dict[str, Any]:
        accepted = self.accepted
        return {
            "verified": accepted is not None,
            "verified_digest": accepted.digest if accepted else None,
            "index": self.index.to_dict(),
            "platform": self.platform.to_dict() if self.platform else None,
        }


@dataclass
class _Judgement:
    """The criteria step's outcome."""

    decision: Decision
    reports: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class ScanGate:
    """Signature and vulnerability gate over the ``Scanner``, ``ScanStore`` and
    ``SignatureVerifier`` ports; each may be absent when nothing can require it."""

    def __init__(
        self,
        policy: GatePolicy,
        clock: Clock,
        *,
        scanner: Scanner | None = None,
        store: ScanStore | None = None,
        verifier: SignatureVerifier | None = None,
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.scanner = scanner
        self.store = store
        self.verifier = verifier

    def evaluate(self, request: GateRequest) -> GateVerdict:
        """The verdict on ``request``'s candidate (see the module docstring)."""
        try:
            policy = self.policy.with_labels(request.labels)
        except ConfigError as exc:
            return GateVerdict(False, f"invalid gate settings: {exc}", details={"error": str(exc)})
        details: dict[str, Any] = {"policy": policy.to_dict()}
        warnings: list[str] = []
        if policy.require_signature:
            signature = self._signature(request)
            details["signature"] = signature.to_dict()
            if signature.accepted is None:
                return GateVerdict(False, signature.reason, details=details)
            warnings.extend(signature.warnings)
        if not policy.criteria.scans:
            reason = "signature verified" if policy.require_signature else "no gate configured"
            return GateVerdict(True, reason, tuple(warnings), details)
        judgement = self._judge(policy.criteria, request)
        decision = judgement.decision
        details.update(decision=decision.to_dict(), reports=judgement.reports)
        warnings.extend([*decision.warnings, *judgement.warnings])
        return GateVerdict(decision.allowed, decision.summary, tuple(warnings), details)

    # -- signature ------------------------------------------------------------------------------

    def _signature(self, request: GateRequest) -> _SignatureCheck:
        index = self._verify(request.ref, request.digest)
        platform = request.platform_digest
        if index.verified or not platform or platform == request.digest:
            return _SignatureCheck(index)
        return _SignatureCheck(index, self._verify(request.ref, platform))

    def _verify(self, ref: ImageRef, digest: str) -> SignatureResult:
        if self.verifier is None:
            return SignatureResult(SignatureStatus.ERROR, ref.name, digest, detail=NO_KEY)
        try:
            return self.verifier.verify(ref, digest)
        except ColibriError as exc:  # the port promises not to raise; fail closed if it does
            return SignatureResult(SignatureStatus.ERROR, ref.name, digest, detail=str(exc))

    # -- vulnerabilities --------------------------------------------------------------------------

    def _judge(self, criteria: Criteria, request: GateRequest) -> _Judgement:
        now = self.clock.now()
        repository = request.ref.name
        if self.scanner is None:
            failure = ScanFailure(NO_SCANNER, "", repository, request.digest)
            return _Judgement(evaluate(criteria, failure, now=now))
        source = ReportSource(self.scanner, self.store, self.clock)
        candidate = self._candidate(source, criteria, repository, request.digest)
        judgement = _Judgement(
            evaluate(criteria, candidate.result, now=now),
            {"candidate": candidate.to_dict()},
            list(candidate.warnings),
        )
        if _compare_with_running(criteria, judgement.decision, request, candidate.report):
            assert request.running_digest is not None and candidate.report is not None
            running = self._running(source, repository, request.running_digest, candidate.report)
            judgement.decision = evaluate(
                criteria, candidate.result, now=now, running=running.result
            )
            judgement.reports["running"] = running.to_dict()
            judgement.warnings.extend(running.warnings)
        return judgement

    def _candidate(
        self, source: ReportSource, criteria: Criteria, repository: str, digest: str
    ) -> Obtained:
        """The candidate's report: stored for these scanners and DB builds, or scanned now
        (not when the DB is known to be too old and the policy blocks on that anyway)."""
        scanners = source.describe(repository, digest)
        if isinstance(scanners, Obtained):
            return scanners
        reused = source.reusable(repository, digest, scanners)
        if reused is not None:
            return reused
        stale = db_age_problem(scanners, now=self.clock.now(), max_age=criteria.max_db_age)
        if stale and criteria.on_failure is OnFailure.BLOCK:
            logger.warning("not scanning %s@%s: %s", repository, digest, stale)
            return Obtained(ScanReport(repository, digest, scanners), "skipped")
        return source.scan(repository, digest, scanners)

    def _running(
        self, source: ReportSource, repository: str, digest: str, candidate: ScanReport
    ) -> Obtained:
        """The running image's report from the candidate's scanners and DB builds."""
        reused = source.reusable(repository, digest, candidate.scanners)
        return reused or source.scan(repository, digest, candidate.scanners)


def _compare_with_running(
    criteria: Criteria, decision: Decision, request: GateRequest, candidate: ScanReport | None
) -> bool:
    """True when "not worse than running" could still allow what the findings block."""
    return (
        criteria.not_worse_than_running
        and decision.outcome is Outcome.VULNERABLE
        and request.running_digest is not None
        and request.running_digest != request.digest
        and candidate is not None
    )
