"""Manifest, index, tag-list and digest parsing (registry-spec H2-H4, C7 inputs)."""

from __future__ import annotations

import json
import re

import pytest

from colibri.domain.model import Platform
from colibri.errors import DigestMismatch, RegistryProtocolError, UnsupportedManifest
from colibri.registry.manifests import (
    accepted_header_type,
    compute_digest,
    error_summary,
    media_type_of,
    parse_manifest,
    parse_referrers,
    parse_tags,
    validate_digest,
    verify_digest,
)
from tests.unit.registry.fakes import DOCKER_LIST, OCI_INDEX, OCI_MANIFEST, digest_of, manifest_body

CHILD = digest_of(b"child")
OTHER = digest_of(b"other")


def _index(*entries: dict[str, object], media_type: str | None = OCI_INDEX) -> bytes:
    document: dict[str, object] = {"schemaVersion": 2, "manifests": list(entries)}
    if media_type:
        document["mediaType"] = media_type
    return json.dumps(document).encode()


def test_index_children_keep_platform_variant_os_version_and_annotations() -> None:
    body = _index(
        {
            "mediaType": OCI_MANIFEST,
            "digest": CHILD,
            "size": 12,
            "platform": {"os": "linux", "architecture": "arm", "variant": "v7"},
        },
        {
            "mediaType": OCI_MANIFEST,
            "digest": OTHER,
            "size": 3,
            "platform": {"os": "windows", "architecture": "amd64", "os.version": "10.0.17763"},
            "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
        },
    )
    manifest = parse_manifest(body, OCI_INDEX, digest_of(body))
    assert manifest.is_index and manifest.body == body
    first, second = manifest.children
    assert (first.digest, first.size) == (CHILD, 12)
    assert first.platform == Platform("linux", "arm", "v7")
    assert second.platform == Platform("windows", "amd64", None, "10.0.17763")
    assert second.annotations == {"vnd.docker.reference.type": "attestation-manifest"}


def test_docker_manifest_list_with_parameters_in_content_type() -> None:
    body = _index({"mediaType": OCI_MANIFEST, "digest": CHILD, "size": 1}, media_type=DOCKER_LIST)
    manifest = parse_manifest(body, f"{DOCKER_LIST}; charset=utf-8", "sha256:" + "0" * 64)
    assert manifest.media_type == DOCKER_LIST
    assert manifest.children[0].platform is None


def test_image_manifest_has_no_children() -> None:
    body = manifest_body()
    manifest = parse_manifest(body, OCI_MANIFEST, digest_of(body))
    assert manifest.children == () and not manifest.is_index


@pytest.mark.parametrize("content_type", [None, "", "application/json", "text/plain"])
def test_generic_content_type_uses_the_body_media_type(content_type: str | None) -> None:
    body = _index({"mediaType": OCI_MANIFEST, "digest": CHILD, "size": 1}, media_type=DOCKER_LIST)
    assert parse_manifest(body, content_type, CHILD).media_type == DOCKER_LIST


def test_media_type_is_inferred_when_nothing_declares_it() -> None:
    index = _index({"mediaType": OCI_MANIFEST, "digest": CHILD, "size": 1}, media_type=None)
    assert parse_manifest(index, None, CHILD).media_type == OCI_INDEX
    image = manifest_body(media_type=None)
    assert parse_manifest(image, "application/json", CHILD).media_type == OCI_MANIFEST


def test_body_media_type_must_agree_with_content_type() -> None:
    with pytest.raises(RegistryProtocolError, match="declares mediaType"):
        parse_manifest(manifest_body(), OCI_INDEX, CHILD)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json",
    ],
)
def test_schema1_content_type_is_unsupported(content_type: str) -> None:
    with pytest.raises(UnsupportedManifest, match="schema1"):
        accepted_header_type(content_type)


def test_schema1_body_is_unsupported_even_when_labelled_json() -> None:
    body = json.dumps({"schemaVersion": 1, "fsLayers": [], "signatures": []}).encode()
    with pytest.raises(UnsupportedManifest, match="schema1"):
        parse_manifest(body, "application/json", CHILD)


def test_unknown_specific_type_is_unsupported() -> None:
    with pytest.raises(UnsupportedManifest, match="artifact"):
        accepted_header_type("application/vnd.oci.artifact.manifest.v1+json")


def test_generic_header_type_means_unknown() -> None:
    assert accepted_header_type("application/octet-stream") is None
    assert accepted_header_type(f"{OCI_INDEX};q=1") == OCI_INDEX


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"mediaType": OCI_INDEX}).encode(), "'manifests' is missing"),
        (json.dumps({"mediaType": OCI_INDEX, "manifests": {}}).encode(), "not a list"),
        (json.dumps({"mediaType": OCI_INDEX, "manifests": [1]}).encode(), "'manifests[0]'"),
        (
            json.dumps({"mediaType": OCI_INDEX, "manifests": [{"mediaType": "x"}]}).encode(),
            "'manifests[0].digest' is missing",
        ),
        (
            json.dumps(
                {"mediaType": OCI_INDEX, "manifests": [{"mediaType": "x", "digest": "sha256:abc"}]}
            ).encode(),
            "malformed 'manifests[0].digest'",
        ),
        (
            json.dumps(
                {"mediaType": OCI_INDEX, "manifests": [{"digest": CHILD, "mediaType": 3}]}
            ).encode(),
            "'manifests[0].mediaType' is not a string",
        ),
        (
            json.dumps(
                {
                    "mediaType": OCI_INDEX,
                    "manifests": [{"mediaType": "x", "digest": CHILD, "size": "big"}],
                }
            ).encode(),
            "'manifests[0].size' is not a size",
        ),
        (
            json.dumps(
                {
                    "mediaType": OCI_INDEX,
                    "manifests": [{"mediaType": "x", "digest": CHILD, "platform": {"os": "linux"}}],
                }
            ).encode(),
            "lacks os or architecture",
        ),
        (
            json.dumps(
                {
                    "mediaType": OCI_INDEX,
                    "manifests": [{"mediaType": "x", "digest": CHILD, "annotations": {"a": 1}}],
                }
            ).encode(),
            "not a string map",
        ),
        (json.dumps({"mediaType": OCI_MANIFEST, "layers": []}).encode(), "'config'"),
    ],
)
def test_malformed_manifests_name_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(RegistryProtocolError, match=re.escape(message)):
        parse_manifest(body, None, CHILD)


def test_digest_is_over_the_exact_bytes() -> None:
    compact = b'{"a":1}'
    pretty = b'{\n   "a": 1\n}'
    assert compute_digest(compact) != compute_digest(pretty)
    assert compute_digest(pretty) == digest_of(pretty)
    assert compute_digest(b"x", "sha512").startswith("sha512:")
    assert compute_digest(b"x", "md5").startswith("sha256:")


def test_verify_digest() -> None:
    verify_digest(b"x", digest_of(b"x"), what="thing")
    with pytest.raises(DigestMismatch, match="thing was served as"):
        verify_digest(b"y", digest_of(b"x"), what="thing")


@pytest.mark.parametrize(
    "digest",
    ["sha256:abc", "sha256:" + "G" * 64, "md5:" + "0" * 32, "nocolon", "sha256:" + "A" * 64],
)
def test_malformed_or_unsupported_digests(digest: str) -> None:
    with pytest.raises(RegistryProtocolError):
        validate_digest(digest)


def test_tags_page() -> None:
    assert parse_tags(b'{"name":"a","tags":["1","2"]}') == ["1", "2"]
    assert parse_tags(b'{"name":"a","tags":null}') == []
    with pytest.raises(RegistryProtocolError, match="list of strings"):
        parse_tags(b'{"tags":[1]}')


def test_referrers_carry_artifact_type() -> None:
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": CHILD,
                    "size": 5,
                    "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                    "annotations": {"k": "v"},
                }
            ],
        }
    ).encode()
    [referrer] = parse_referrers(body)
    assert referrer.artifact_type == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert referrer.annotations == {"k": "v"}


def test_error_summary() -> None:
    body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown\\u0007"}]}'
    assert error_summary(body) == "MANIFEST_UNKNOWN: manifest unknown?"
    assert error_summary(b"<html>") == ""
    assert error_summary(b'{"errors": "x"}') == ""


def test_media_type_of() -> None:
    assert media_type_of("Application/JSON ; charset=utf-8") == "application/json"
    assert media_type_of(None) == ""
