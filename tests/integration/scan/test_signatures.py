"""Cosign signatures verified in Python against the real test registry (registry-spec §9,
scanning.md §7 case 22): real keys, real manifests pushed through the registry API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from colibri.domain.refs import ImageRef, parse_reference
from colibri.domain.signatures import SignatureStatus
from colibri.registry import RegistryClient, RetryPolicy
from colibri.scan.cosign import CosignVerifier, load_public_keys
from tests.support.cosign import CosignSigner, simple_signing_payload
from tests.support.registry import (
    OCI_MANIFEST,
    PushedImage,
    RegistryServer,
    unique_repository,
)

pytestmark = pytest.mark.registry


@pytest.fixture
def client() -> Iterator[RegistryClient]:
    with RegistryClient(
        timeout=5.0,
        retry=RetryPolicy(transient_attempts=2, transient_delay=0.05),
        trust_env=False,
    ) as opened:
        yield opened


def verifier_for(
    client: RegistryClient, *signers: CosignSigner, signature_repository: ImageRef | None = None
) -> CosignVerifier:
    keys = tuple(k for s in signers for k in load_public_keys(s.public_pem, "test key"))
    return CosignVerifier(client, keys, signature_repository=signature_repository)


@pytest.fixture
def image(registry: RegistryServer) -> tuple[ImageRef, PushedImage]:
    repository = unique_repository("signed")
    pushed = registry.push_image(repository, "1", runnable=False)
    return parse_reference(f"{registry.host}/{repository}:1"), pushed


def test_a_valid_sig_tag_signature_verifies(
    registry: RegistryServer, client: RegistryClient, cosign_signer: CosignSigner, image
) -> None:
    ref, pushed = image
    cosign_signer.push_sig(registry, pushed.repository, pushed.digest)
    result = verifier_for(client, cosign_signer).verify(ref, pushed.digest)
    assert result.status is SignatureStatus.VERIFIED, result
    assert result.signer == cosign_signer.fingerprint
    assert result.format == "simplesigning"
    assert result.source.startswith("sig-tag ")


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_rsa_and_ed25519_keys_verify_too(
    registry: RegistryServer, client: RegistryClient, image, kind: str
) -> None:
    ref, pushed = image
    signer = CosignSigner.generate(kind)
    signer.push_sig(registry, pushed.repository, pushed.digest)
    assert verifier_for(client, signer).verify(ref, pushed.digest).verified


def test_a_signature_by_another_key_is_invalid(
    registry: RegistryServer,
    client: RegistryClient,
    cosign_signer: CosignSigner,
    other_signer: CosignSigner,
    image,
) -> None:
    ref, pushed = image
    other_signer.push_sig(registry, pushed.repository, pushed.digest)
    result = verifier_for(client, cosign_signer).verify(ref, pushed.digest)
    assert result.status is SignatureStatus.INVALID
    assert "not signed by a trusted key" in result.detail


def test_a_signature_over_another_digest_is_invalid(
    registry: RegistryServer, client: RegistryClient, cosign_signer: CosignSigner, image
) -> None:
    ref, pushed = image
    other = registry.push_image(pushed.repository, "2", runnable=False)
    repository = f"{registry.host}/{pushed.repository}"
    # a genuine signature of the other image, copied under this image's .sig tag
    payload = simple_signing_payload(other.digest, repository)
    cosign_signer.push_sig(registry, pushed.repository, pushed.digest, payload=payload)
    result = verifier_for(client, cosign_signer).verify(ref, pushed.digest)
    assert result.status is SignatureStatus.INVALID
    assert other.digest in result.detail


def test_a_payload_naming_another_repository_is_invalid(
    registry: RegistryServer, client: RegistryClient, cosign_signer: CosignSigner, image
) -> None:
    ref, pushed = image
    payload = simple_signing_payload(pushed.digest, f"{registry.host}/somebody-else")
    cosign_signer.push_sig(registry, pushed.repository, pushed.digest, payload=payload)
    result = verifier_for(client, cosign_signer).verify(ref, pushed.digest)
    assert result.status is SignatureStatus.INVALID
    assert "somebody-else" in result.detail


def test_a_tampered_payload_is_invalid(
    registry: RegistryServer, client: RegistryClient, cosign_signer: CosignSigner, image
) -> None:
    ref, pushed = image
    honest = simple_signing_payload(pushed.digest, f"{registry.host}/{pushed.repository}")
    tampered = honest.replace(b'"optional":null', b'"optional":{"evil":"yes"}')
    assert tampered != honest
    cosign_signer.push_sig(registry, pushed.repository, pushed.digest, uploaded=tampered)
    result = verifier_for(client, cosign_signer).verify(ref, pushed.digest)
    assert result.status is SignatureStatus.INVALID
    assert "not signed by a trusted key" in result.detail


def test_an_unsigned_image_is_unsigned(client: RegistryClient, cosign_signer, image) -> None:
    ref, pushed = image
    result = verifier_for(client, cosign_signer).verify(ref, pushed.digest)
    assert result.status is SignatureStatus.UNSIGNED
    assert result.checked == 0


def test_one_trusted_key_among_several_is_enough(
    registry: RegistryServer,
    client: RegistryClient,
    cosign_signer: CosignSigner,
    other_signer: CosignSigner,
    image,
) -> None:
    ref, pushed = image
    cosign_signer.push_sig(registry, pushed.repository, pushed.digest)
    result = verifier_for(client, other_signer, cosign_signer).verify(ref, pushed.digest)
    assert result.verified and result.signer == cosign_signer.fingerprint


def test_signatures_in_a_separate_signature_repository(
    registry: RegistryServer, client: RegistryClient, cosign_signer: CosignSigner, image
) -> None:
    ref, pushed = image
    elsewhere = unique_repository("signatures")
    cosign_signer.push_sig(
        registry, pushed.repository, pushed.digest, signature_repository=elsewhere
    )
    assert not verifier_for(client, cosign_signer).verify(ref, pushed.digest).verified
    configured = parse_reference(f"{registry.host}/{elsewhere}")
    verifier = verifier_for(client, cosign_signer, signature_repository=configured)
    assert verifier.verify(ref, pushed.digest).verified


def test_a_cosign_v3_bundle_in_the_referrers_tag_verifies(
    registry: RegistryServer, client: RegistryClient, cosign_signer: CosignSigner, image
) -> None:
    ref, pushed = image
    cosign_signer.push_bundle(registry, pushed.repository, pushed.digest)
    result = verifier_for(client, cosign_signer).verify(ref, pushed.digest)
    assert result.status is SignatureStatus.VERIFIED, result
    assert result.format == "bundle-dsse"
    assert result.source.startswith("referrers-tag sha256-")


def test_a_message_signature_bundle_over_the_digest_verifies(
    registry: RegistryServer, client: RegistryClient, cosign_signer: CosignSigner, image
) -> None:
    ref, pushed = image
    cosign_signer.push_bundle(registry, pushed.repository, pushed.digest, message=True)
    result = verifier_for(client, cosign_signer).verify(ref, pushed.digest)
    assert result.verified and result.format == "bundle-message"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"predicate": "https://slsa.dev/provenance/v1"}, "an attestation"),
        ({"subject": "sha256:" + "0" * 64}, "do not include"),
        ({"message": True, "subject": "sha256:" + "0" * 64}, "the message signed is"),
    ],
)
def test_bundles_that_prove_something_else_are_invalid(
    registry: RegistryServer,
    client: RegistryClient,
    cosign_signer: CosignSigner,
    image,
    change: dict[str, object],
    why: str,
) -> None:
    ref, pushed = image
    cosign_signer.push_bundle(registry, pushed.repository, pushed.digest, **change)
    result = verifier_for(client, cosign_signer).verify(ref, pushed.digest)
    assert result.status is SignatureStatus.INVALID
    assert why in result.detail


def test_a_bundle_by_another_key_is_invalid(
    registry: RegistryServer,
    client: RegistryClient,
    cosign_signer: CosignSigner,
    other_signer: CosignSigner,
    image,
) -> None:
    ref, pushed = image
    cosign_signer.push_bundle(registry, pushed.repository, pushed.digest, signed_by=other_signer)
    result = verifier_for(client, cosign_signer).verify(ref, pushed.digest)
    assert result.status is SignatureStatus.INVALID


def test_a_garbage_sig_manifest_is_invalid_not_unsigned(
    registry: RegistryServer, client: RegistryClient, cosign_signer: CosignSigner, image
) -> None:
    ref, pushed = image
    config = registry.push_blob(pushed.repository, b"{}")
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config, "size": 2},
        "layers": [],
    }
    tag = pushed.digest.replace(":", "-") + ".sig"
    registry.push_manifest(pushed.repository, tag, json.dumps(manifest).encode(), OCI_MANIFEST)
    result = verifier_for(client, cosign_signer).verify(ref, pushed.digest)
    assert result.status is SignatureStatus.INVALID
    assert "no simple-signing layer" in result.detail


def test_an_unreachable_registry_is_an_error_not_unsigned(cosign_signer: CosignSigner) -> None:
    with RegistryClient(
        timeout=0.5,
        connect_timeout=0.5,
        retry=RetryPolicy(transient_attempts=1, transient_delay=0.01),
        trust_env=False,
    ) as unreachable:
        ref = parse_reference("127.0.0.1:9/nowhere:1")
        result = verifier_for(unreachable, cosign_signer).verify(ref, "sha256:" + "a" * 64)
    assert result.status is SignatureStatus.ERROR
    assert "lookup failed" in result.detail


def test_a_verified_result_is_cached_per_digest(
    registry: RegistryServer, client: RegistryClient, cosign_signer: CosignSigner, image
) -> None:
    ref, pushed = image
    cosign_signer.push_sig(registry, pushed.repository, pushed.digest)
    verifier = verifier_for(client, cosign_signer)
    assert verifier.verify(ref, pushed.digest).verified
    mark = registry.log_mark()
    assert verifier.verify(ref, pushed.digest).verified
    assert registry.requests(mark) == []
