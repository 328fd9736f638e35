"""Manifest checks against a MockTransport registry (registry-spec H1-H9, §11 cases 14-16,
27, 28): exact requests, digests, media types, status handling, caching and single-flight."""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from colibri import __version__
from colibri.domain.refs import parse_reference
from colibri.errors import (
    DigestMismatch,
    ManifestUnknown,
    RegistryError,
    RegistryProtocolError,
    RegistryUnavailable,
    UnsupportedManifest,
)
from colibri.registry import Credential, RetryPolicy, StaticCredentials
from tests.unit.registry.fakes import (
    ACCEPT,
    BASE,
    HOST,
    OCI_INDEX,
    OCI_MANIFEST,
    FakeClock,
    MockRegistry,
    digest_of,
    index_body,
    make_client,
    manifest_body,
    manifest_response,
)

REF = parse_reference(f"{HOST}/team/app:1.0")
MANIFEST_URL = rf"{BASE}/v2/team/app/manifests/1\.0$"
BODY = manifest_body("one")
DIGEST = digest_of(BODY)
INDEX = index_body(
    [
        {
            "mediaType": OCI_MANIFEST,
            "digest": DIGEST,
            "size": len(BODY),
            "platform": {"os": "linux", "architecture": "amd64"},
        }
    ]
)


def test_head_sends_exactly_the_four_accept_types_after_one_ping() -> None:
    mock = MockRegistry().on("HEAD", MANIFEST_URL, manifest_response(INDEX, OCI_INDEX, head=True))
    client = make_client(mock)
    remote = client.head(REF)
    assert (remote.digest, remote.media_type, remote.body) == (digest_of(INDEX), OCI_INDEX, None)
    ping, head = mock.requests
    assert (ping.method, ping.url.path) == ("GET", "/v2/")
    assert head.headers["accept"] == ACCEPT
    assert head.headers["user-agent"] == f"colibri/{__version__}"
    assert (
        "*/*" not in head.headers["accept"]
        and "distribution.manifest.v1" not in head.headers["accept"]
    )


def test_head_answering_the_digest_costs_no_get() -> None:
    mock = MockRegistry().on("HEAD", MANIFEST_URL, manifest_response(INDEX, OCI_INDEX, head=True))
    make_client(mock).head(REF)
    assert mock.count("GET", "/manifests/") == 0


def test_missing_digest_header_falls_back_to_get_and_hashes_the_exact_bytes() -> None:
    pretty = json.dumps(json.loads(INDEX), indent=4).encode()
    mock = (
        MockRegistry()
        .on("HEAD", MANIFEST_URL, manifest_response(pretty, OCI_INDEX, head=True, digest=None))
        .on("GET", MANIFEST_URL, manifest_response(pretty, OCI_INDEX, digest=None))
    )
    remote = make_client(mock).head(REF)
    assert remote.digest == digest_of(pretty) != digest_of(INDEX)
    assert remote.body == pretty and remote.children[0].digest == DIGEST
    [get] = mock.sent("GET", "/manifests/")
    assert get.headers["accept-encoding"] == "identity"
    assert get.headers["accept"] == ACCEPT


def test_get_body_not_matching_its_digest_header_is_a_mismatch() -> None:
    mock = (
        MockRegistry()
        .on("HEAD", MANIFEST_URL, manifest_response(BODY, head=True, digest=None))
        .on("GET", MANIFEST_URL, manifest_response(BODY, digest=digest_of(b"other")))
    )
    with pytest.raises(DigestMismatch) as caught:
        make_client(mock).head(REF)
    assert caught.value.kind == "digest_mismatch" and caught.value.registry == HOST


def test_get_by_digest_must_hash_to_that_digest() -> None:
    wanted = digest_of(b"wanted")
    mock = MockRegistry().on("GET", f"/manifests/{wanted}", manifest_response(BODY, digest=None))
    with pytest.raises(DigestMismatch, match="hashes to"):
        make_client(mock).fetch(REF.by_digest(wanted))


@pytest.mark.parametrize(
    "media_type",
    [
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json",
    ],
)
def test_schema1_is_unsupported(media_type: str) -> None:
    mock = MockRegistry().on("HEAD", MANIFEST_URL, manifest_response(b"{}", media_type, head=True))
    with pytest.raises(UnsupportedManifest) as caught:
        make_client(mock).head(REF)
    assert caught.value.kind == "unsupported_manifest"
    assert mock.sent("HEAD")[0].headers["accept"] == ACCEPT


@pytest.mark.parametrize("content_type", ["application/json", "application/octet-stream", ""])
def test_generic_head_content_type_is_resolved_with_a_get(content_type: str) -> None:
    mock = (
        MockRegistry()
        .on("HEAD", MANIFEST_URL, manifest_response(BODY, content_type, head=True))
        .on("GET", MANIFEST_URL, manifest_response(BODY, content_type))
    )
    assert make_client(mock).head(REF).media_type == OCI_MANIFEST
    assert mock.count("GET", "/manifests/") == 1


def test_404_on_a_private_registry_is_confirmed_with_one_get() -> None:
    missing = httpx.Response(
        404, json={"errors": [{"code": "MANIFEST_UNKNOWN", "message": "gone"}]}
    )
    mock = (
        MockRegistry()
        .on("HEAD", MANIFEST_URL, httpx.Response(404))
        .on("GET", MANIFEST_URL, missing)
    )
    with pytest.raises(ManifestUnknown, match="MANIFEST_UNKNOWN: gone") as caught:
        make_client(mock).head(REF)
    assert caught.value.kind == "manifest_unknown"
    assert (mock.count("HEAD"), mock.count("GET", "/manifests/")) == (1, 1)


def test_a_head_404_contradicted_by_the_get_uses_the_get() -> None:
    mock = (
        MockRegistry()
        .on("HEAD", MANIFEST_URL, httpx.Response(404))
        .on("GET", MANIFEST_URL, manifest_response(BODY, OCI_MANIFEST))
    )
    assert make_client(mock).head(REF).digest == DIGEST


def test_404_on_docker_hub_costs_no_get() -> None:
    mock = MockRegistry().on(
        "HEAD", "registry-1.docker.io/v2/library/nginx/manifests/gone", httpx.Response(404)
    )
    with pytest.raises(ManifestUnknown):
        make_client(mock).head(parse_reference("nginx:gone"))
    assert mock.count("GET", "/manifests/") == 0
    assert mock.sent("HEAD")[0].url.host == "registry-1.docker.io"


@pytest.mark.parametrize("status", [405, 501])
def test_head_not_allowed_uses_get(status: int) -> None:
    mock = (
        MockRegistry()
        .on("HEAD", MANIFEST_URL, httpx.Response(status))
        .on("GET", MANIFEST_URL, manifest_response(BODY))
    )
    assert make_client(mock).head(REF).digest == DIGEST


def test_server_errors_are_retried_briefly_then_unavailable() -> None:
    clock = FakeClock()
    mock = MockRegistry().on("HEAD", MANIFEST_URL, httpx.Response(503))
    with pytest.raises(RegistryUnavailable, match="HTTP 503") as caught:
        make_client(mock, clock).head(REF)
    assert caught.value.transient and caught.value.kind == "unavailable"
    assert mock.count("HEAD") == 3 and clock.sleeps == [0.5, 1.0]


def test_a_transient_failure_then_success() -> None:
    mock = MockRegistry().on(
        "HEAD", MANIFEST_URL, httpx.Response(502), manifest_response(BODY, head=True)
    )
    client = make_client(mock)
    assert client.head(REF).digest == DIGEST
    assert client.stats()[HOST].retries == 1


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow"),
        httpx.ReadTimeout("slow"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("garbage"),
        httpx.PoolTimeout("busy"),
        httpx.WriteError("broken pipe"),
        httpx.ProxyError("proxy"),
    ],
)
def test_no_httpx_exception_escapes(error: httpx.HTTPError) -> None:
    def raise_it(request: httpx.Request) -> httpx.Response:
        raise error

    mock = MockRegistry().on("HEAD", MANIFEST_URL, raise_it)
    with pytest.raises(RegistryUnavailable) as caught:
        make_client(mock).head(REF)
    assert not isinstance(caught.value, httpx.HTTPError)
    assert caught.value.__cause__ is None and caught.value.registry == HOST


def test_a_broken_redirect_url_is_a_protocol_error() -> None:
    mock = MockRegistry().on(
        "HEAD", MANIFEST_URL, httpx.Response(307, headers={"Location": "http://[broken/x"})
    )
    with pytest.raises(RegistryProtocolError):
        make_client(mock).head(REF)


def test_each_tag_costs_one_request_per_client_until_forgotten() -> None:
    mock = MockRegistry().on("HEAD", "/manifests/", manifest_response(BODY, head=True))
    client = make_client(mock)
    for _ in range(3):
        client.head(REF)
        client.head(REF.with_digest(DIGEST))  # name:tag@digest is looked up by its tag
    client.head(REF.with_tag("2.0"))
    assert mock.count("HEAD") == 2
    client.forget_tags()
    client.head(REF)
    assert mock.count("HEAD") == 3
    assert mock.count("GET", "/v2/$") == 1


def test_concurrent_callers_share_one_head() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.2)
        return manifest_response(BODY, head=True)

    mock = MockRegistry().on("HEAD", MANIFEST_URL, slow)
    client = make_client(mock)
    with ThreadPoolExecutor(8) as pool:
        digests = list(pool.map(lambda _: client.head(REF).digest, range(8)))
    assert digests == [DIGEST] * 8
    assert mock.count("HEAD") == 1 and mock.count("GET", "/v2/$") == 1


def test_definitive_errors_are_remembered_transient_ones_are_not() -> None:
    mock = (
        MockRegistry()
        .on("HEAD", "/manifests/gone", httpx.Response(404))
        .on("GET", "/manifests/gone", httpx.Response(404))
        .on("HEAD", "/manifests/flaky", httpx.Response(500))
    )
    client = make_client(mock, retry=RetryPolicy(transient_attempts=1))
    for _ in range(2):
        with pytest.raises(ManifestUnknown):
            client.head(REF.with_tag("gone"))
        with pytest.raises(RegistryUnavailable):
            client.head(REF.with_tag("flaky"))
    assert mock.count("HEAD", "gone") == 1
    assert mock.count("HEAD", "flaky") == 2


def test_fetch_after_head_gets_the_digest_head_saw_once() -> None:
    mock = (
        MockRegistry()
        .on("HEAD", MANIFEST_URL, manifest_response(INDEX, OCI_INDEX, head=True))
        .on("GET", f"/manifests/{digest_of(INDEX)}", manifest_response(INDEX, OCI_INDEX))
    )
    client = make_client(mock)
    client.head(REF)
    first = client.fetch(REF)
    client.forget_tags()
    again = client.fetch(REF.by_digest(digest_of(INDEX)))
    assert first is again and first.body == INDEX
    assert [c.digest for c in first.children] == [DIGEST]
    assert mock.count("GET", "/manifests/") == 1


def test_fetch_by_tag_checks_the_header_and_parses() -> None:
    mock = MockRegistry().on("GET", MANIFEST_URL, manifest_response(INDEX, OCI_INDEX))
    client = make_client(mock)
    remote = client.fetch(REF)
    assert remote.digest == digest_of(INDEX) and remote.is_index
    assert client.head(REF) is remote  # the tag is known now: no HEAD
    assert mock.count("HEAD") == 0


def test_fetch_of_garbage_names_the_problem_and_the_registry() -> None:
    mock = MockRegistry().on("GET", MANIFEST_URL, manifest_response(b"<html>oops", OCI_INDEX))
    with pytest.raises(RegistryProtocolError, match="not valid JSON") as caught:
        make_client(mock).fetch(REF)
    assert caught.value.registry == HOST and caught.value.kind == "bad_response"


def test_pinned_reference_heads_its_digest_and_checks_the_answer() -> None:
    other = digest_of(b"other")
    mock = (
        MockRegistry()
        .on("HEAD", f"/manifests/{DIGEST}", manifest_response(BODY, head=True))
        .on("HEAD", f"/manifests/{other}", manifest_response(BODY, head=True))
    )
    client = make_client(mock)
    assert client.head(REF.by_digest(DIGEST)).digest == DIGEST
    client.forget_tags()
    assert client.head(REF.by_digest(DIGEST)).digest == DIGEST
    assert mock.count("HEAD") == 1  # digests are cached for ever
    with pytest.raises(DigestMismatch):
        client.head(REF.by_digest(other))


def test_manifest_bodies_are_capped() -> None:
    huge = b" " * (4 * 1024 * 1024 + 1)
    mock = MockRegistry().on("GET", MANIFEST_URL, manifest_response(huge, digest=None))
    with pytest.raises(RegistryProtocolError, match="larger than"):
        make_client(mock).fetch(REF)


def test_redirect_to_another_host_drops_authorization() -> None:
    target = "https://cdn.example/v2/team/app/manifests/1.0"
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'}))
        .on("HEAD", MANIFEST_URL, httpx.Response(307, headers={"Location": target}))
        .on("HEAD", "cdn.example", manifest_response(BODY, head=True))
    )
    client = make_client(mock, credentials=StaticCredentials({HOST: Credential("u", "p")}))
    assert client.head(REF).digest == DIGEST
    first, second = mock.sent("HEAD")
    assert first.headers["authorization"].startswith("Basic ")
    assert "authorization" not in second.headers


def test_redirect_on_the_same_host_keeps_authorization() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'}))
        .on(
            "HEAD",
            MANIFEST_URL,
            httpx.Response(308, headers={"Location": "/v2/team/app/manifests/moved"}),
        )
        .on("HEAD", "/manifests/moved", manifest_response(BODY, head=True))
    )
    client = make_client(mock, credentials=StaticCredentials({HOST: Credential("u", "p")}))
    client.head(REF)
    assert all(r.headers["authorization"].startswith("Basic ") for r in mock.sent("HEAD"))


def test_redirect_loops_are_cut() -> None:
    mock = MockRegistry().on(
        "HEAD",
        "/manifests/",
        httpx.Response(302, headers={"Location": "/v2/team/app/manifests/1.0"}),
    )
    with pytest.raises(RegistryProtocolError, match="redirects"):
        make_client(mock).head(REF)
    assert mock.count("HEAD") == 6


def test_one_debug_line_per_request_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="colibri.registry")
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'}))
        .on("HEAD", MANIFEST_URL, manifest_response(BODY, head=True))
    )
    make_client(mock, credentials=StaticCredentials({HOST: Credential("u", "SECRET-PW")})).head(REF)
    lines = [r.getMessage() for r in caplog.records if r.name == "colibri.registry.exchange"]
    assert lines == [f"GET {BASE}/v2/ -> 401", f"HEAD {BASE}/v2/team/app/manifests/1.0 -> 200"]
    assert "SECRET-PW" not in caplog.text and "dTpTRUNSRVQtUFc" not in caplog.text


def test_tls_trouble_is_not_transient() -> None:
    import ssl

    def fail(request: httpx.Request) -> httpx.Response:
        try:
            raise ssl.SSLCertVerificationError(1, "certificate verify failed")
        except ssl.SSLError as exc:
            raise httpx.ConnectError("tls") from exc

    mock = MockRegistry().on("GET", "/v2/$", fail)
    with pytest.raises(RegistryError, match=r"TLS with registry\.example failed") as caught:
        make_client(mock).head(REF)
    assert not caught.value.transient
    assert "certs.d/registry.example/ca.crt" in str(caught.value)


def test_stats_count_requests_by_method() -> None:
    mock = MockRegistry().on("HEAD", MANIFEST_URL, manifest_response(BODY, head=True))
    client = make_client(mock)
    client.head(REF)
    stats = client.stats()[HOST]
    assert stats.requests == {"GET": 1, "HEAD": 1}
    assert (stats.throttled, stats.retries, stats.token_requests) == (0, 0, 0)
    assert stats.deferred_for is None and stats.rate_limit is None


def test_threads_never_exceed_the_registry_concurrency() -> None:
    active = peak = 0
    lock = threading.Lock()

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1
        return manifest_response(BODY, head=True)

    mock = MockRegistry().on("HEAD", "/manifests/", slow)
    client = make_client(mock, concurrency=2)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: client.head(REF.with_tag(f"t{n}")), range(8)))
    assert mock.count("HEAD") == 8 and peak == 2
