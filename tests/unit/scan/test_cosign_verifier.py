"""The verifier's discovery over a fake ``Registry`` port: the OCI referrers API path (which
the test registry lacks), G3's unlabelled referrers, and failed lookups versus absence."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from colibri.domain.model import OCI_MANIFEST, Descriptor, RemoteManifest
from colibri.domain.refs import ImageRef, parse_reference
from colibri.domain.signatures import SignatureStatus
from colibri.errors import ManifestUnknown, RegistryUnavailable
from colibri.scan.cosign import CosignVerifier, load_public_keys
from tests.support.cosign import BUNDLE, CosignSigner, b64, simple_signing_payload, statement

REF = parse_reference("registry.lan/team/app:1")
DIGEST = "sha256:" + "12" * 32


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class FakeRegistry:
    """Manifests, blobs and tags in memory; ``referrers`` None means "no referrers API"."""

    manifests: dict[str, bytes] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    referrers_list: list[Descriptor] | None = None
    failing: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)

    def fetch(self, ref: ImageRef) -> RemoteManifest:
        self.calls.append(f"fetch {ref.tag or ref.digest}")
        if "fetch" in self.failing:
            raise RegistryUnavailable("503 from registry.lan")
        digest = ref.digest or self.tags.get(ref.tag or "")
        if digest is None or digest not in self.manifests:
            raise ManifestUnknown(f"{ref} not found")
        return RemoteManifest(digest, OCI_MANIFEST, self.manifests[digest])

    def get_blob(self, ref: ImageRef, digest: str, max_bytes: int) -> bytes:
        return self.blobs[digest]

    def referrers(
        self, ref: ImageRef, digest: str, artifact_type: str | None = None
    ) -> list[Descriptor] | None:
        self.calls.append(f"referrers {artifact_type}")
        if "referrers" in self.failing:
            raise RegistryUnavailable("503 from registry.lan")
        if self.referrers_list is None:
            return None
        return [
            entry
            for entry in self.referrers_list
            if artifact_type is None or entry.artifact_type == artifact_type
        ]

    def add_bundle(self, bundle: dict[str, Any], *, artifact_type: str | None = BUNDLE) -> str:
        data = json.dumps(bundle).encode()
        self.blobs[sha(data)] = data
        manifest: dict[str, Any] = {
            "mediaType": OCI_MANIFEST,
            "layers": [{"mediaType": BUNDLE, "digest": sha(data), "size": len(data)}],
        }
        if artifact_type:
            manifest["artifactType"] = artifact_type
        body = json.dumps(manifest).encode()
        self.manifests[sha(body)] = body
        return sha(body)

    # unused parts of the port
    def head(self, ref: ImageRef) -> RemoteManifest:
        raise NotImplementedError

    def forget_tags(self) -> None:
        return None

    def list_tags(self, ref: ImageRef, *, page_size: int | None = None) -> list[str]:
        return []


def verifier(registry: FakeRegistry, signer: CosignSigner) -> CosignVerifier:
    return CosignVerifier(registry, load_public_keys(signer.public_pem, "test"))


def test_a_bundle_from_the_referrers_api_verifies() -> None:
    signer, registry = CosignSigner.generate(), FakeRegistry()
    manifest = registry.add_bundle(signer._dsse_bundle(statement(DIGEST)))
    registry.referrers_list = [Descriptor(manifest, OCI_MANIFEST, artifact_type=BUNDLE)]
    result = verifier(registry, signer).verify(REF, DIGEST)
    assert result.status is SignatureStatus.VERIFIED
    assert result.source == f"referrers {manifest}"
    assert "fetch sha256-" + "12" * 32 not in registry.calls  # no tag-schema fallback


def test_unlabelled_referrers_are_searched_when_the_filtered_list_is_empty() -> None:
    signer, registry = CosignSigner.generate(), FakeRegistry()
    manifest = registry.add_bundle(signer._dsse_bundle(statement(DIGEST)), artifact_type=None)
    registry.referrers_list = [Descriptor(manifest, OCI_MANIFEST)]
    assert verifier(registry, signer).verify(REF, DIGEST).verified
    assert registry.calls[:2] == [f"referrers {BUNDLE}", "referrers None"]


def test_referrers_of_other_artifact_types_are_not_signatures() -> None:
    signer, registry = CosignSigner.generate(), FakeRegistry()
    sbom = registry.add_bundle({"spdx": True}, artifact_type="application/spdx+json")
    registry.referrers_list = [
        Descriptor(sbom, OCI_MANIFEST, artifact_type="application/spdx+json")
    ]
    result = verifier(registry, signer).verify(REF, DIGEST)
    assert result.status is SignatureStatus.UNSIGNED


def test_a_failed_lookup_with_nothing_found_is_an_error_not_unsigned() -> None:
    signer, registry = CosignSigner.generate(), FakeRegistry(failing={"referrers"})
    result = verifier(registry, signer).verify(REF, DIGEST)
    assert result.status is SignatureStatus.ERROR
    assert "lookup failed, referrers: 503" in result.detail


def test_a_valid_signature_wins_over_a_failed_lookup_elsewhere() -> None:
    signer, registry = CosignSigner.generate(), FakeRegistry(failing={"referrers"})
    payload = simple_signing_payload(DIGEST, REF.name)
    registry.blobs[sha(payload)] = payload
    layer = {
        "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
        "digest": sha(payload),
        "annotations": {"dev.cosignproject.cosign/signature": b64(signer.sign(payload))},
    }
    body = json.dumps({"mediaType": OCI_MANIFEST, "layers": [layer]}).encode()
    registry.manifests[sha(body)] = body
    registry.tags["sha256-" + "12" * 32 + ".sig"] = sha(body)
    result = verifier(registry, signer).verify(REF, DIGEST)
    assert result.status is SignatureStatus.VERIFIED
    assert result.format == "simplesigning"


def test_a_malformed_digest_is_an_error_without_any_lookup() -> None:
    signer, registry = CosignSigner.generate(), FakeRegistry()
    result = verifier(registry, signer).verify(REF, "sha256:short")
    assert result.status is SignatureStatus.ERROR
    assert registry.calls == []
