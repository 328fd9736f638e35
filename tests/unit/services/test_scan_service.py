"""``ScanService`` (``colibri scan``) over fakes: which digest is scanned, when it is pulled,
what is stored, and the JSON document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from colibri.domain.criteria import Criteria, Level
from colibri.domain.model import DOCKER_MANIFEST, LocalImage, RemoteManifest
from colibri.errors import ScanError
from colibri.services.scan import ScanService
from tests.fakes import FakeEngine, FakeRegistry, local_image
from tests.support.fake_scanners import DIGEST_A, DIGEST_B, InProcessScanner, finding
from tests.support.gate_fakes import FixedClock, MemoryStore

REPO = "registry.lan/team/app"


@dataclass
class PullingEngine(FakeEngine):
    """The fake engine, plus pulls and lookups by ``repository@digest``."""

    pulled: list[tuple[str, str]] = field(default_factory=list)

    def inspect_image(self, name_or_id: str) -> LocalImage | None:
        found = super().inspect_image(name_or_id)
        if found is None and "@" in name_or_id:
            return next((i for i in self.images.values() if name_or_id in i.repo_digests), None)
        return found

    def pull(
        self,
        repository: str,
        digest: str,
        *,
        platform: str | None = None,
        auth: Mapping[str, str] | None = None,
    ) -> None:
        self.pulled.append((repository, digest))


def service(
    engine: PullingEngine,
    registry: FakeRegistry | None = None,
    scanner: InProcessScanner | None = None,
    store: MemoryStore | None = None,
    level: Level = Level.HIGH,
    pull_missing: bool = True,
) -> ScanService:
    return ScanService(
        engine,
        registry or FakeRegistry(),
        scanner or InProcessScanner("trivy", [finding("CVE-2024-1", "high")]),
        FixedClock(),
        Criteria(level),
        store=store,
        pull_missing=pull_missing,
    )


def test_a_local_image_is_scanned_by_the_digest_it_was_pulled_as() -> None:
    engine = PullingEngine()
    image = local_image("app", f"{REPO}@{DIGEST_A}", tags=(f"{REPO}:1",))
    engine.images[image.id] = image
    scanner, store = InProcessScanner("trivy", []), MemoryStore()
    outcome = service(engine, scanner=scanner, store=store).scan(f"{REPO}:1")
    assert scanner.calls == [(REPO, DIGEST_A)]
    assert engine.pulled == []
    assert outcome.digest == DIGEST_A and outcome.record_id == 1
    assert outcome.decision.allowed and [r.digest for r in store.reports] == [DIGEST_A]


def test_an_image_that_is_not_local_is_resolved_in_the_registry_and_pulled() -> None:
    engine, registry = PullingEngine(), FakeRegistry()
    registry.set_tag(f"{REPO}:1", RemoteManifest(DIGEST_B, DOCKER_MANIFEST))
    outcome = service(engine, registry).scan(f"{REPO}:1")
    assert engine.pulled == [(REPO, DIGEST_B)] and outcome.pulled
    assert outcome.digest == DIGEST_B
    assert outcome.decision.blocked  # one high finding at level high


def test_remote_scanning_pulls_nothing() -> None:
    engine, registry = PullingEngine(), FakeRegistry()
    registry.set_tag(f"{REPO}:1", RemoteManifest(DIGEST_B, DOCKER_MANIFEST))
    outcome = service(engine, registry, pull_missing=False).scan(f"{REPO}:1")
    assert engine.pulled == [] and not outcome.pulled


def test_a_digest_reference_is_scanned_as_named() -> None:
    engine, scanner = PullingEngine(), InProcessScanner("trivy", [])
    service(engine, scanner=scanner).scan(f"{REPO}@{DIGEST_A}")
    assert scanner.calls == [(REPO, DIGEST_A)]
    assert engine.pulled == [(REPO, DIGEST_A)]


def test_a_locally_built_image_without_a_digest_is_refused() -> None:
    engine = PullingEngine()
    image = local_image("built", tags=(f"{REPO}:dev",))
    engine.images[image.id] = image
    with pytest.raises(ScanError, match=r"has no digest from registry\.lan/team/app"):
        service(engine).scan(f"{REPO}:dev")


def test_a_failed_scan_is_an_outcome_stored_as_a_failure() -> None:
    engine, store = PullingEngine(), MemoryStore()
    scanner = InProcessScanner("trivy", error="exit status 1")
    outcome = service(engine, scanner=scanner, store=store).scan(f"{REPO}@{DIGEST_A}")
    assert outcome.failure is not None and outcome.report is None
    assert outcome.decision.blocked
    assert [f.digest for f in store.failures] == [DIGEST_A]
    document = outcome.to_dict()
    assert document["error"] == "trivy: exit status 1"
    assert document["findings"] == [] and document["counts"] == {}


def test_the_json_document() -> None:
    engine = PullingEngine()
    outcome = service(engine, level=Level.CRITICAL).scan(f"{REPO}@{DIGEST_A}")
    document = outcome.to_dict()
    assert document["image"] == f"{REPO}@{DIGEST_A}"
    assert document["repository"] == REPO and document["digest"] == DIGEST_A
    assert [s["name"] for s in document["scanners"]] == ["trivy"]
    assert document["scanners"][0]["db_built_at"]
    assert document["counts"]["high"] == 1 and document["counts"]["critical"] == 0
    assert [f["id"] for f in document["findings"]] == ["CVE-2024-1"]
    assert document["decision"]["allowed"] is True
    assert document["decision"]["level"] == "critical"
    assert document["error"] is None
