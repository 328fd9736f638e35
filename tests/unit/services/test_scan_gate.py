"""``ScanGate`` over fakes of its ports: ordering, reuse, fail-closed paths, "not worse",
signatures (with multi-arch G5), and the verdict's details."""

from __future__ import annotations

from datetime import timedelta

import pytest

from colibri.domain.criteria import Criteria, Level, OnFailure
from colibri.domain.gate import GateRequest
from colibri.domain.gate_policy import GatePolicy
from colibri.domain.refs import parse_reference
from colibri.domain.scanning import ScannerInfo, ScanReport
from colibri.domain.signatures import SignatureStatus
from colibri.services.gate import NO_KEY, NO_SCANNER, ScanGate
from tests.support.fake_scanners import DIGEST_A, DIGEST_B, NOW, InProcessScanner, finding
from tests.support.gate_fakes import FakeVerifier, FixedClock, MemoryStore

REF = parse_reference("registry.lan/team/app:1")
RUNNING = "sha256:" + "c" * 64
PLATFORM = "sha256:" + "d" * 64
CRITICAL = finding("CVE-2024-9", "critical")
HIGH = finding("CVE-2024-7", "high")


def request(**labels: str) -> GateRequest:
    return GateRequest(
        ref=REF,
        digest=DIGEST_A,
        image_id="sha256:new",
        running_digest=RUNNING,
        running_image_id="sha256:old",
        labels=labels,
    )


def gate(
    level: Level = Level.NEVER,
    *,
    scanner: InProcessScanner | None = None,
    store: MemoryStore | None = None,
    verifier: FakeVerifier | None = None,
    require_signature: bool = False,
    **options: object,
) -> ScanGate:
    policy = GatePolicy(Criteria(level, **options), require_signature)  # type: ignore[arg-type]
    return ScanGate(policy, FixedClock(), scanner=scanner, store=store, verifier=verifier)


def test_nothing_configured_allows_without_scanning() -> None:
    scanner = InProcessScanner("trivy", [CRITICAL])
    verdict = gate(scanner=scanner).evaluate(request())
    assert verdict.allowed and verdict.reason == "no gate configured"
    assert scanner.calls == []


def test_a_critical_finding_blocks_and_the_report_is_stored() -> None:
    scanner, store = InProcessScanner("trivy", [CRITICAL]), MemoryStore()
    verdict = gate(Level.CRITICAL, scanner=scanner, store=store).evaluate(request())
    assert not verdict.allowed
    assert verdict.reason == "blocked: 1 critical (CVE-2024-9)"
    assert scanner.calls == [(REF.name, DIGEST_A)]
    assert [r.digest for r in store.reports] == [DIGEST_A]
    details = verdict.details
    assert details["decision"]["outcome"] == "vulnerable"
    assert details["reports"]["candidate"]["origin"] == "scanned"
    assert details["reports"]["candidate"]["record_id"] == 1
    assert details["policy"]["criteria"]["level"] == "critical"


def test_a_finding_below_the_level_allows() -> None:
    scanner = InProcessScanner("trivy", [HIGH])
    verdict = gate(Level.CRITICAL, scanner=scanner).evaluate(request())
    assert verdict.allowed and verdict.reason == "allowed: no critical findings"


def test_a_stored_report_for_the_same_db_build_is_reused() -> None:
    scanner, store = InProcessScanner("trivy", [HIGH]), MemoryStore()
    first = gate(Level.HIGH, scanner=scanner, store=store).evaluate(request())
    second = gate(Level.HIGH, scanner=scanner, store=store).evaluate(request())
    assert not first.allowed and not second.allowed
    assert len(scanner.calls) == 1
    assert second.details["reports"]["candidate"]["origin"] == "reused"


def test_a_label_turns_the_gate_on_for_one_container() -> None:
    scanner = InProcessScanner("trivy", [HIGH])
    verdict = gate(scanner=scanner).evaluate(request(**{"colibri.criteria": "high"}))
    assert not verdict.allowed and scanner.calls


def test_an_invalid_label_blocks_naming_it_and_scans_nothing() -> None:
    scanner = InProcessScanner("trivy", [])
    verdict = gate(Level.HIGH, scanner=scanner).evaluate(request(**{"colibri.criteria": "hi"}))
    assert not verdict.allowed
    assert verdict.reason.startswith("invalid gate settings: label colibri.criteria='hi'")
    assert scanner.calls == []


@pytest.mark.parametrize("level", [Level.CRITICAL, Level.LOW])
def test_a_scanner_crash_blocks_and_is_stored_as_a_failure(level: Level) -> None:
    scanner, store = InProcessScanner("trivy", error="exit status 1: FATAL"), MemoryStore()
    verdict = gate(level, scanner=scanner, store=store).evaluate(request())
    assert not verdict.allowed
    assert verdict.reason.startswith("blocked: scan failed: trivy: exit status 1")
    assert [f.digest for f in store.failures] == [DIGEST_A] and store.reports == []


def test_a_scanner_crash_with_failure_policy_warn_allows_with_a_warning() -> None:
    scanner = InProcessScanner("trivy", error="timed out after 600 s")
    verdict = gate(Level.CRITICAL, scanner=scanner, on_failure=OnFailure.WARN).evaluate(request())
    assert verdict.allowed
    assert any("timed out" in warning for warning in verdict.warnings)


def test_a_stale_db_blocks_without_scanning() -> None:
    scanner = InProcessScanner("trivy", [], built=NOW - timedelta(days=6))
    verdict = gate(Level.CRITICAL, scanner=scanner).evaluate(request())
    assert not verdict.allowed and "6 days old" in verdict.reason
    assert scanner.calls == []
    assert verdict.details["reports"]["candidate"]["origin"] == "skipped"


def test_a_stale_db_with_warn_is_scanned_and_judged_with_a_warning() -> None:
    scanner = InProcessScanner("trivy", [CRITICAL], built=NOW - timedelta(days=6))
    verdict = gate(Level.CRITICAL, scanner=scanner, on_failure=OnFailure.WARN).evaluate(request())
    assert not verdict.allowed and scanner.calls  # the critical finding still blocks
    assert any("6 days old" in warning for warning in verdict.warnings)


def test_no_scanner_configured_blocks_a_container_that_asks_for_a_scan() -> None:
    verdict = gate(Level.NEVER).evaluate(request(**{"colibri.criteria": "critical"}))
    assert not verdict.allowed and NO_SCANNER in verdict.reason
    warned = gate(Level.NEVER).evaluate(
        request(**{"colibri.criteria": "critical", "colibri.scan-failure": "warn"})
    )
    assert warned.allowed and warned.warnings


def test_a_store_that_fails_does_not_change_the_verdict_but_warns() -> None:
    scanner, store = InProcessScanner("trivy", [CRITICAL]), MemoryStore(broken=True)
    verdict = gate(Level.CRITICAL, scanner=scanner, store=store).evaluate(request())
    assert not verdict.allowed
    assert verdict.warnings == ("the scan record could not be stored: database is locked",)


# -- not worse than the running image -----------------------------------------------------------


def test_not_worse_scans_the_running_image_and_allows_equal_counts() -> None:
    scanner = InProcessScanner("trivy", by_digest={DIGEST_A: [HIGH], RUNNING: [HIGH]})
    verdict = gate(Level.HIGH, scanner=scanner, not_worse_than_running=True).evaluate(request())
    assert verdict.allowed, verdict.reason
    assert "not worse than the running image" in verdict.reason
    assert [digest for _, digest in scanner.calls] == [DIGEST_A, RUNNING]
    assert verdict.details["reports"]["running"]["origin"] == "scanned"


def test_not_worse_blocks_one_more_high() -> None:
    scanner = InProcessScanner("trivy", by_digest={DIGEST_A: [HIGH, CRITICAL], RUNNING: [HIGH]})
    verdict = gate(Level.HIGH, scanner=scanner, not_worse_than_running=True).evaluate(request())
    assert not verdict.allowed
    assert "worse than the running image" in " ".join(verdict.details["decision"]["reasons"])


def test_not_worse_rescans_a_running_report_from_another_db_build() -> None:
    scanner, store = InProcessScanner("trivy", [HIGH]), MemoryStore()
    old_build = ScannerInfo("trivy", "trivy-1.0", "2", NOW - timedelta(days=2))
    store.reports.append(ScanReport(REF.name, RUNNING, (old_build,), (HIGH,)))
    verdict = gate(Level.HIGH, scanner=scanner, store=store, not_worse_than_running=True).evaluate(
        request()
    )
    assert verdict.allowed
    assert [digest for _, digest in scanner.calls] == [DIGEST_A, RUNNING]


def test_not_worse_falls_back_to_the_absolute_rule_when_the_running_scan_fails() -> None:
    class RunningFails(InProcessScanner):
        def scan(self, image: str, digest: str) -> ScanReport:
            if digest == RUNNING:
                self.error = "image not found"
            return super().scan(image, digest)

    scanner = RunningFails("trivy", [HIGH])
    verdict = gate(Level.HIGH, scanner=scanner, not_worse_than_running=True).evaluate(request())
    assert not verdict.allowed
    assert "the running image has no usable scan" in " ".join(
        verdict.details["decision"]["reasons"]
    )


def test_not_worse_is_not_needed_when_the_candidate_passes() -> None:
    scanner = InProcessScanner("trivy", [])
    gate(Level.HIGH, scanner=scanner, not_worse_than_running=True).evaluate(request())
    assert [digest for _, digest in scanner.calls] == [DIGEST_A]


# -- signatures ---------------------------------------------------------------------------------


def test_an_unsigned_image_is_blocked_before_anything_is_scanned() -> None:
    scanner, verifier = InProcessScanner("trivy", []), FakeVerifier()
    verdict = gate(
        Level.CRITICAL, scanner=scanner, verifier=verifier, require_signature=True
    ).evaluate(request())
    assert not verdict.allowed
    assert verdict.reason.startswith(f"unsigned: {REF.name}@{DIGEST_A} has no signature")
    assert scanner.calls == []
    assert verdict.details["signature"]["verified"] is False


@pytest.mark.parametrize(
    ("status", "words"),
    [(SignatureStatus.INVALID, "signature invalid"), (SignatureStatus.ERROR, "check failed")],
)
def test_invalid_and_unverifiable_signatures_block(status: SignatureStatus, words: str) -> None:
    verifier = FakeVerifier({DIGEST_A: status})
    verdict = gate(verifier=verifier, require_signature=True).evaluate(request())
    assert not verdict.allowed and words in verdict.reason


def test_a_signed_image_goes_on_to_the_scan() -> None:
    scanner = InProcessScanner("trivy", [CRITICAL])
    verifier = FakeVerifier({DIGEST_A: SignatureStatus.VERIFIED})
    verdict = gate(
        Level.CRITICAL, scanner=scanner, verifier=verifier, require_signature=True
    ).evaluate(request())
    assert not verdict.allowed and scanner.calls
    assert verdict.details["signature"]["verified_digest"] == DIGEST_A


def test_signature_required_without_a_key_blocks() -> None:
    verdict = gate().evaluate(request(**{"colibri.require-signature": "true"}))
    assert not verdict.allowed and NO_KEY in verdict.reason


def test_an_unsigned_index_with_a_signed_platform_manifest_is_accepted() -> None:
    verifier = FakeVerifier({PLATFORM: SignatureStatus.VERIFIED})
    multiarch = GateRequest(REF, DIGEST_A, "sha256:new", None, "sha256:old", {}, PLATFORM)
    verdict = gate(verifier=verifier, require_signature=True).evaluate(multiarch)
    assert verdict.allowed and verdict.reason == "signature verified"
    assert verifier.calls == [DIGEST_A, PLATFORM]
    assert verdict.details["signature"]["verified_digest"] == PLATFORM
    assert "accepted the signature of its platform manifest" in verdict.warnings[0]


def test_a_signed_index_does_not_look_at_the_platform_manifest() -> None:
    verifier = FakeVerifier({DIGEST_A: SignatureStatus.VERIFIED})
    multiarch = GateRequest(REF, DIGEST_A, "sha256:new", None, "sha256:old", {}, PLATFORM)
    verdict = gate(verifier=verifier, require_signature=True).evaluate(multiarch)
    assert verdict.allowed and verifier.calls == [DIGEST_A] and not verdict.warnings


def test_neither_index_nor_platform_signed_blocks_with_the_index_reason() -> None:
    verifier = FakeVerifier()
    multiarch = GateRequest(REF, DIGEST_B, "sha256:new", None, "sha256:old", {}, PLATFORM)
    verdict = gate(verifier=verifier, require_signature=True).evaluate(multiarch)
    assert not verdict.allowed and DIGEST_B in verdict.reason
    assert verdict.details["signature"]["platform"]["status"] == "unsigned"
