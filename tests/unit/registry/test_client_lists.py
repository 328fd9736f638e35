"""Tags, referrers and blobs (registry-spec T1, G2, §11 case 31)."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from colibri.domain.refs import parse_reference
from colibri.errors import DigestMismatch, ManifestUnknown, RegistryProtocolError
from colibri.registry import Credential, Referrer, StaticCredentials
from tests.unit.registry.fakes import (
    BASE,
    HOST,
    OCI_INDEX,
    OCI_MANIFEST,
    MockRegistry,
    digest_of,
    make_client,
)

REF = parse_reference(f"{HOST}/app:1")
TAGS = f"{BASE}/v2/app/tags/list"
SIG = "application/vnd.dev.sigstore.bundle.v0.3+json"
SBOM = "application/spdx+json"
SUBJECT = digest_of(b"subject")


def page(tags: list[str], link: str | None = None) -> httpx.Response:
    headers = {"Link": link} if link else {}
    return httpx.Response(200, headers=headers, json={"name": "app", "tags": tags})


def test_all_pages_are_followed_whatever_the_link_style() -> None:
    mock = (
        MockRegistry()
        .on("GET", r"tags/list$", page(["a", "b"], '</v2/app/tags/list?last=b&n=2>; rel="next"'))
        .on("GET", r"last=b&n=2$", page(["c", "d"], f"{TAGS}?next_page=XYZ; rel=next"))
        .on("GET", r"next_page=XYZ$", page(["e"]))
    )
    assert make_client(mock).list_tags(REF) == ["a", "b", "c", "d", "e"]
    urls = [str(r.url) for r in mock.sent("GET", "tags")]
    assert urls == [TAGS, f"{TAGS}?last=b&n=2", f"{TAGS}?next_page=XYZ"]


def test_a_repeated_url_stops_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    mock = (
        MockRegistry()
        .on("GET", r"tags/list$", page(["a"], "</v2/app/tags/list?p=2>; rel=next"))
        .on("GET", r"p=2$", page(["b", "a"], "</v2/app/tags/list>; rel=next"))
    )
    with caplog.at_level(logging.WARNING, logger="colibri.registry"):
        assert make_client(mock).list_tags(REF) == ["a", "b"]
    assert "stopping pagination" in caplog.text
    assert mock.count("GET", "tags") == 2


def test_last_is_used_only_without_link_and_with_a_full_page() -> None:
    mock = (
        MockRegistry()
        .on("GET", r"tags/list\?n=2$", page(["a", "b"]))
        .on("GET", r"n=2&last=b$", page(["c"]))
    )
    assert make_client(mock).list_tags(REF, page_size=2) == ["a", "b", "c"]
    mock = MockRegistry().on("GET", r"tags/list\?n=3$", page(["a", "b"]))
    assert make_client(mock).list_tags(REF, page_size=3) == ["a", "b"]
    assert mock.count("GET", "tags") == 1
    mock = MockRegistry().on("GET", r"tags/list$", page(["a", "b"]))
    make_client(mock).list_tags(REF)
    assert mock.count("GET", "tags") == 1


def test_pages_are_capped() -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("p", "0"))
        return page([f"t{number}"], f"</v2/app/tags/list?p={number + 1}>; rel=next")

    mock = MockRegistry().on("GET", "tags/list", endless)
    assert len(make_client(mock).list_tags(REF)) == 200


def test_missing_repository() -> None:
    mock = MockRegistry().on(
        "GET", "tags/list", httpx.Response(404, json={"errors": [{"code": "NAME_UNKNOWN"}]})
    )
    with pytest.raises(ManifestUnknown, match="NAME_UNKNOWN"):
        make_client(mock).list_tags(REF)


def test_garbage_tag_list() -> None:
    mock = MockRegistry().on("GET", "tags/list", httpx.Response(200, json={"tags": "a,b"}))
    with pytest.raises(RegistryProtocolError, match="list of strings"):
        make_client(mock).list_tags(REF)


def referrers_page(
    *entries: tuple[str, str | None], link: str | None = None, filtered: bool = False
) -> httpx.Response:
    manifests = []
    for marker, artifact_type in entries:
        entry = {"mediaType": OCI_MANIFEST, "digest": digest_of(marker.encode()), "size": 9}
        if artifact_type:
            entry["artifactType"] = artifact_type
        manifests.append(entry)
    headers = {"Content-Type": OCI_INDEX}
    if link:
        headers["Link"] = link
    if filtered:
        headers["OCI-Filters-Applied"] = "artifactType"
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
    return httpx.Response(200, headers=headers, content=body.encode())


def test_no_referrers_api_is_none() -> None:
    mock = MockRegistry().on("GET", "/referrers/", httpx.Response(404))
    assert make_client(mock).referrers(REF, SUBJECT) is None
    [request] = mock.sent("GET", "/referrers/")
    assert request.headers["accept"] == OCI_INDEX


def test_referrers_are_filtered_when_the_registry_did_not() -> None:
    mock = (
        MockRegistry()
        .on(
            "GET",
            "/referrers/",
            referrers_page(
                ("s1", SIG), ("b1", SBOM), link="</v2/app/referrers/x?page=2>; rel=next"
            ),
        )
        .on("GET", "page=2", referrers_page(("s2", SIG), ("none", None)))
    )
    found = make_client(mock).referrers(REF, SUBJECT, artifact_type=SIG)
    assert found is not None
    assert [r.digest for r in found] == [digest_of(b"s1"), digest_of(b"s2")]
    assert all(isinstance(r, Referrer) and r.artifact_type == SIG for r in found)
    assert mock.sent("GET", "/referrers/")[0].url.params["artifactType"] == SIG


def test_registry_filtered_referrers_are_trusted() -> None:
    mock = MockRegistry().on("GET", "/referrers/", referrers_page(("a", None), filtered=True))
    found = make_client(mock).referrers(REF, SUBJECT, artifact_type=SIG)
    assert found is not None and len(found) == 1


def test_unfiltered_referrers_keep_everything() -> None:
    mock = MockRegistry().on("GET", "/referrers/", referrers_page(("a", SIG), ("b", None)))
    found = make_client(mock).referrers(REF, SUBJECT)
    assert found is not None and len(found) == 2


def test_referrers_of_a_malformed_digest() -> None:
    with pytest.raises(RegistryProtocolError, match="malformed digest"):
        make_client(MockRegistry()).referrers(REF, "sha256:nothex")


def test_blob_is_verified_and_cached() -> None:
    blob = b'{"config": {}}'
    mock = MockRegistry().on("GET", f"/blobs/{digest_of(blob)}", httpx.Response(200, content=blob))
    client = make_client(mock)
    assert client.get_blob(REF, digest_of(blob), 1024) == blob
    assert client.get_blob(REF, digest_of(blob), 1024) == blob
    assert mock.count("GET", "/blobs/") == 1


def test_blob_with_wrong_content() -> None:
    wanted = digest_of(b"wanted")
    mock = MockRegistry().on("GET", "/blobs/", httpx.Response(200, content=b"other"))
    with pytest.raises(DigestMismatch):
        make_client(mock).get_blob(REF, wanted, 1024)


def test_blob_larger_than_allowed() -> None:
    blob = b"x" * 2048
    mock = MockRegistry().on("GET", "/blobs/", httpx.Response(200, content=blob))
    with pytest.raises(RegistryProtocolError, match="larger than 1024"):
        make_client(mock).get_blob(REF, digest_of(blob), 1024)


def test_missing_blob() -> None:
    mock = MockRegistry().on("GET", "/blobs/", httpx.Response(404))
    with pytest.raises(ManifestUnknown, match="blob"):
        make_client(mock).get_blob(REF, digest_of(b"x"), 10)


def test_blob_redirected_to_storage_without_authorization() -> None:
    blob = b"layer"
    storage = "https://storage.example/bucket/object?X-Signature=abc"
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'}))
        .on("GET", "/blobs/", httpx.Response(307, headers={"Location": storage}))
        .on("GET", "storage.example", httpx.Response(200, content=blob))
    )
    client = make_client(mock, credentials=StaticCredentials({HOST: Credential("u", "p")}))
    assert client.get_blob(REF, digest_of(blob), 100) == blob
    [download] = mock.sent("GET", "storage.example")
    assert "authorization" not in download.headers
    assert str(download.url) == storage
