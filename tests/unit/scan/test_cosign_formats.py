"""The cosign formats and keys, without a registry: payload claims, bundles, PAE, PEM keys."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from colibri.errors import ConfigError
from colibri.scan.cosign import load_public_keys
from colibri.scan.cosign.formats import (
    DsseBundle,
    FormatError,
    MessageBundle,
    check_message_digest,
    check_simple_signing,
    check_statement,
    decode_base64,
    pae,
    parse_bundle,
)
from tests.support.cosign import CosignSigner, simple_signing_payload, statement

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32
REPO = "registry.lan:5000/team/app"


def test_a_correct_payload_passes() -> None:
    check_simple_signing(simple_signing_payload(DIGEST, REPO), DIGEST, REPO)


@pytest.mark.parametrize(
    ("named", "ok"),
    [
        ("registry.lan:5000/team/app", True),
        ("registry.lan:5000/team/app:1.2", True),  # a tag in the reference is ignored
        (f"registry.lan:5000/team/app@{DIGEST}", True),
        (f"registry.lan:5000/team/app@{OTHER}", False),  # a digest must be the signed one
        ("registry.lan:5000/team/other", False),
        ("registry.lan/team/app", False),  # another port is another registry
        ("not a reference", False),
    ],
)
def test_the_payload_must_name_the_repository(named: str, ok: bool) -> None:
    payload = simple_signing_payload(DIGEST, named)
    if ok:
        check_simple_signing(payload, DIGEST, REPO)
    else:
        with pytest.raises(FormatError, match="names"):
            check_simple_signing(payload, DIGEST, REPO)


def test_hub_aliases_name_the_same_repository() -> None:
    payload = simple_signing_payload(DIGEST, "index.docker.io/library/nginx")
    check_simple_signing(payload, DIGEST, "docker.io/library/nginx")


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (simple_signing_payload(OTHER, REPO), "signs"),
        (simple_signing_payload(DIGEST, REPO, kind="something else"), "payload type"),
        (b"not json", "not JSON"),
        (b"[]", "not a JSON object"),
        (json.dumps({"critical": {"type": "cosign container image signature"}}).encode(), "image"),
    ],
)
def test_payloads_that_claim_something_else_fail(payload: bytes, problem: str) -> None:
    with pytest.raises(FormatError, match=problem):
        check_simple_signing(payload, DIGEST, REPO)


def test_pae_is_the_dsse_encoding() -> None:
    assert pae("a/b", b"hello") == b"DSSEv1 3 a/b 5 hello"


def test_a_statement_for_the_digest_with_the_sign_predicate_passes() -> None:
    check_statement(statement(DIGEST), DIGEST)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (statement(OTHER), "do not include"),
        (statement(DIGEST, predicate="https://slsa.dev/provenance/v1"), "attestation"),
        (json.dumps({"_type": "x", "subject": []}).encode(), "not an in-toto statement"),
    ],
)
def test_other_statements_fail(payload: bytes, problem: str) -> None:
    with pytest.raises(FormatError, match=problem):
        check_statement(payload, DIGEST)


def test_bundles_parse_into_their_signed_content() -> None:
    signer = CosignSigner.generate()
    dsse = parse_bundle(json.dumps(signer._dsse_bundle(statement(DIGEST))).encode())
    assert isinstance(dsse, DsseBundle) and dsse.payload == statement(DIGEST)
    message = parse_bundle(json.dumps(signer._message_bundle(DIGEST)).encode())
    assert isinstance(message, MessageBundle)
    check_message_digest(message, DIGEST)
    with pytest.raises(FormatError, match="the message signed is"):
        check_message_digest(message, OTHER)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"mediaType": "application/json"}, "not a sigstore bundle"),
        ({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}, "neither"),
        (
            {
                "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                "dsseEnvelope": {"payloadType": "x", "payload": "e30=", "signatures": []},
            },
            "no signatures",
        ),
    ],
)
def test_malformed_bundles_fail(document: dict[str, object], problem: str) -> None:
    with pytest.raises(FormatError, match=problem):
        parse_bundle(json.dumps(document).encode())


def test_base64_standard_and_url_safe() -> None:
    data = bytes(range(250, 256)) * 3
    assert decode_base64(base64.b64encode(data).decode(), "x") == data
    assert decode_base64(base64.urlsafe_b64encode(data).decode().rstrip("="), "x") == data
    with pytest.raises(FormatError, match="x is not base64"):
        decode_base64("!!!", "x")


def test_keys_load_from_pem_with_fingerprints() -> None:
    first, second = CosignSigner.generate(), CosignSigner.generate("ed25519")
    keys = load_public_keys(first.public_pem + b"\n" + second.public_pem, "keys.pem")
    assert [key.fingerprint for key in keys] == [first.fingerprint, second.fingerprint]
    assert [key.algorithm for key in keys] == ["ecdsa-secp256r1", "ed25519"]
    assert keys[0].verify(first.sign(b"m"), b"m")
    assert not keys[0].verify(first.sign(b"m"), b"n")
    assert not keys[1].verify_digest(b"sig", b"0" * 32)


@pytest.mark.parametrize(
    ("pem", "problem"),
    [
        (b"", "no PEM 'PUBLIC KEY' block"),
        (b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n", "cannot be read"),
    ],
)
def test_unusable_key_files_are_config_errors(pem: bytes, problem: str) -> None:
    with pytest.raises(ConfigError, match=f"cosign.pub: .*{problem}"):
        load_public_keys(pem, "cosign.pub")


def test_weak_rsa_keys_are_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    pem = weak.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ConfigError, match="too weak"):
        load_public_keys(pem, "weak.pub")


def test_a_p384_key_verifies_sha256_signatures_as_cosign_makes_them() -> None:
    signer = CosignSigner(ec.generate_private_key(ec.SECP384R1()))
    (key,) = load_public_keys(signer.public_pem, "p384.pub")
    assert key.verify(signer.sign(b"payload"), b"payload")
