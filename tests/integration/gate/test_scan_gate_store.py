"""``ScanGate`` with the real store (SQLite and PostgreSQL) and the fake scanner executables:
reports reused per digest and DB build, failures never hiding a good record, the running image
rescanned on the candidate's DB build, fail-closed paths through a real subprocess
(scanning.md §7 cases 12-15, 18-21)."""

from __future__ import annotations

from datetime import timedelta

from colibri.domain.criteria import Criteria, Level, OnFailure
from colibri.domain.gate import GateRequest, GateVerdict
from colibri.domain.gate_policy import GatePolicy
from colibri.domain.refs import parse_reference
from colibri.registry.clock import SystemClock
from colibri.scan import ScanOptions, TrivyScanner, make_scanner
from colibri.services.gate import ScanGate
from colibri.store import Store
from tests.support.fake_scanners import DIGEST_A, DIGEST_B, FakeScanners, finding

REF = parse_reference("localhost:5000/team/app:2")
RUNNING = "sha256:" + "c" * 64
CRITICAL = finding("CVE-2024-9", "critical")
HIGH = finding("CVE-2024-7", "high")


def request(digest: str = DIGEST_A, **labels: str) -> GateRequest:
    return GateRequest(REF, digest, "sha256:new", RUNNING, "sha256:old", labels)


def trivy_gate(
    fakes: FakeScanners, store: Store, level: Level = Level.CRITICAL, **options: object
) -> ScanGate:
    scanner = TrivyScanner(fakes.trivy, timeout=options.pop("timeout", 20))  # type: ignore[arg-type]
    policy = GatePolicy(Criteria(level, **options))  # type: ignore[arg-type]
    return ScanGate(policy, SystemClock(), scanner=scanner, store=store.reports)


def evaluate(gate: ScanGate, req: GateRequest | None = None) -> GateVerdict:
    return gate.evaluate(req or request())


def test_case_19_a_second_decision_on_the_same_digest_and_db_does_not_rescan(
    fake_scanners: FakeScanners, store: Store
) -> None:
    fake_scanners.set_findings("trivy", [CRITICAL])
    first = evaluate(trivy_gate(fake_scanners, store))
    second = evaluate(trivy_gate(fake_scanners, store))
    assert not first.allowed and not second.allowed
    assert len(fake_scanners.scan_calls("trivy")) == 1
    assert first.details["reports"]["candidate"]["origin"] == "scanned"
    assert first.details["reports"]["candidate"]["record_id"] is not None
    assert second.details["reports"]["candidate"]["origin"] == "reused"


def test_case_19_a_newer_db_build_rescans(fake_scanners: FakeScanners, store: Store) -> None:
    evaluate(trivy_gate(fake_scanners, store))
    fake_scanners.configure("trivy", db_age=timedelta(minutes=5))
    evaluate(trivy_gate(fake_scanners, store))
    assert len(fake_scanners.scan_calls("trivy")) == 2


def test_case_19_a_failed_scan_never_replaces_a_good_record(
    fake_scanners: FakeScanners, store: Store
) -> None:
    fake_scanners.set_findings("trivy", [HIGH])
    good = evaluate(trivy_gate(fake_scanners, store))
    assert good.allowed
    scanners = TrivyScanner(fake_scanners.trivy).describe()
    fake_scanners.configure("trivy", mode="fail", db_age=timedelta(minutes=5))
    failed = evaluate(trivy_gate(fake_scanners, store))
    assert not failed.allowed and "scan failed" in failed.reason
    kept = store.reports.latest_good_report(DIGEST_A, scanners)
    assert kept is not None and [f.id for f in kept.findings] == ["CVE-2024-7"]
    assert store.reports.reusable_report(DIGEST_A, scanners) == kept


def test_case_20_same_tag_new_digest_is_a_new_scan(
    fake_scanners: FakeScanners, store: Store
) -> None:
    fake_scanners.set_findings("trivy", [CRITICAL], digest=DIGEST_B)
    assert evaluate(trivy_gate(fake_scanners, store), request(DIGEST_A)).allowed
    assert not evaluate(trivy_gate(fake_scanners, store), request(DIGEST_B)).allowed
    assert [c.argv[-1].rpartition("@")[2] for c in fake_scanners.scan_calls("trivy")] == [
        DIGEST_A,
        DIGEST_B,
    ]


def test_case_12_the_running_image_on_an_older_db_build_is_rescanned(
    fake_scanners: FakeScanners, store: Store
) -> None:
    fake_scanners.set_findings("trivy", [HIGH])
    fake_scanners.configure("trivy", db_age=timedelta(days=1))
    old = TrivyScanner(fake_scanners.trivy, timeout=20).scan(REF.name, RUNNING)
    store.reports.save_report(old, at=old.scanned_at or SystemClock().now())
    fake_scanners.configure("trivy", db_age=timedelta(hours=1))
    verdict = evaluate(trivy_gate(fake_scanners, store, Level.HIGH, not_worse_than_running=True))
    assert verdict.allowed, verdict.reason
    scanned = [c.argv[-1].rpartition("@")[2] for c in fake_scanners.scan_calls("trivy")]
    assert scanned == [RUNNING, DIGEST_A, RUNNING]
    assert verdict.details["reports"]["running"]["origin"] == "scanned"


def test_case_13_a_failing_running_rescan_falls_back_to_the_absolute_rule(
    fake_scanners: FakeScanners, store: Store
) -> None:
    fake_scanners.set_findings("trivy", [HIGH], digest=DIGEST_A)
    fake_scanners.configure("trivy", report_digests=[DIGEST_A])  # any other digest is refused
    verdict = evaluate(trivy_gate(fake_scanners, store, Level.HIGH, not_worse_than_running=True))
    assert not verdict.allowed
    reasons = " ".join(verdict.details["decision"]["reasons"])
    assert "the running image has no usable scan; the absolute rule applies" in reasons
    assert verdict.details["reports"]["running"]["origin"] == "failed"


def test_case_14_a_crash_blocks_and_under_warn_allows_with_a_stored_warning(
    fake_scanners: FakeScanners, store: Store
) -> None:
    fake_scanners.configure("trivy", mode="fail")
    blocked = evaluate(trivy_gate(fake_scanners, store))
    assert not blocked.allowed and "unable to find the specified image" in blocked.reason
    warned = evaluate(trivy_gate(fake_scanners, store, on_failure=OnFailure.WARN))
    assert warned.allowed
    assert any("update allowed without a usable scan" in w for w in warned.warnings)
    scanners = TrivyScanner(fake_scanners.trivy).describe()
    assert store.reports.reusable_report(DIGEST_A, scanners) is None  # failures are not reused
    assert len(fake_scanners.scan_calls("trivy")) == 2


def test_case_15_a_hanging_scanner_is_killed_and_blocks(
    fake_scanners: FakeScanners, store: Store
) -> None:
    fake_scanners.configure("trivy", mode="hang")
    verdict = evaluate(trivy_gate(fake_scanners, store, timeout=1.5))
    assert not verdict.allowed and "timed out" in verdict.reason


def test_case_18_a_stale_db_blocks_without_scanning(
    fake_scanners: FakeScanners, store: Store
) -> None:
    fake_scanners.configure("trivy", db_age=timedelta(days=6))
    verdict = evaluate(trivy_gate(fake_scanners, store))
    assert not verdict.allowed and "vulnerability DB is 6 days old" in verdict.reason
    assert fake_scanners.scan_calls("trivy") == []


def test_case_21_a_report_about_another_digest_blocks(
    fake_scanners: FakeScanners, store: Store
) -> None:
    fake_scanners.configure("trivy", report_digests=[DIGEST_B])
    verdict = evaluate(trivy_gate(fake_scanners, store))
    assert not verdict.allowed and f"but {REF.name}@{DIGEST_A} was asked for" in verdict.reason


def test_both_scanners_reuse_only_their_combined_record(
    fake_scanners: FakeScanners, store: Store
) -> None:
    options = ScanOptions(
        trivy_path=str(fake_scanners.trivy), grype_path=str(fake_scanners.grype), timeout=20
    )
    gate = ScanGate(
        GatePolicy(Criteria(Level.CRITICAL)),
        SystemClock(),
        scanner=make_scanner("both", options),
        store=store.reports,
    )
    fake_scanners.set_findings("grype", [CRITICAL])
    assert not gate.evaluate(request()).allowed
    assert not gate.evaluate(request()).allowed
    assert len(fake_scanners.scan_calls("trivy")) == len(fake_scanners.scan_calls("grype")) == 1
