"""Misbehaving registries, simulated by the fault proxy in front of a real registry.

Each test asserts the outcome, the error kind, and the requests the proxy received from our
client. Backoffs go through a fake clock, so nothing here waits for real except the timeout."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from colibri.errors import (
    DigestMismatch,
    RateLimited,
    RegistryProtocolError,
    RegistryUnavailable,
    UnsupportedManifest,
)
from colibri.registry import Credential, RetryPolicy, StaticCredentials
from tests.integration.registry.conftest import ClientFactory, ref
from tests.support.fault_proxy import (
    Body,
    CorruptBody,
    DropHeader,
    FaultProxy,
    Hang,
    Paginate,
    RateLimit,
    Redirect,
    Schema1,
    SetHeaders,
    Status,
)
from tests.support.registry import (
    TOKEN_PASSWORD,
    TOKEN_USER,
    RegistryServer,
    unique_repository,
)
from tests.support.token_issuer import TokenIssuer
from tests.unit.registry.fakes import FakeClock

pytestmark = pytest.mark.registry

MANIFESTS = "/manifests/"


@pytest.fixture
def pushed(registry: RegistryServer) -> tuple[str, str]:
    repository = unique_repository("faults")
    return repository, registry.push_image(repository, "1", runnable=False, pretty=True).digest


def test_pass_through_counts_our_requests(
    fault_proxy: FaultProxy, pushed: tuple[str, str], make_client: ClientFactory
) -> None:
    repository, digest = pushed
    client = make_client()
    assert client.head(ref(fault_proxy.host, repository, "1")).digest == digest
    assert [(s.method, s.path) for s in fault_proxy.requests()] == [
        ("GET", "/v2/"),
        ("HEAD", f"/v2/{repository}/manifests/1"),
    ]


def test_long_retry_after_defers_that_registry_only(
    fault_proxy: FaultProxy,
    registry: RegistryServer,
    pushed: tuple[str, str],
    make_client: ClientFactory,
) -> None:
    repository, digest = pushed
    clock = FakeClock()
    fault_proxy.inject(RateLimit("120"), method="HEAD")
    client = make_client(clock=clock)
    with pytest.raises(RateLimited) as caught:
        client.head(ref(fault_proxy.host, repository, "1"))
    assert caught.value.retry_after == 120 and caught.value.kind == "rate_limited"
    with pytest.raises(RateLimited, match="deferred"):
        client.head(ref(fault_proxy.host, repository, "other"))
    assert fault_proxy.count("HEAD") == 1 and clock.sleeps == []
    assert client.head(ref(registry.host, repository, "1")).digest == digest
    fault_proxy.clear()
    clock.advance(121)
    assert client.head(ref(fault_proxy.host, repository, "1")).digest == digest
    assert fault_proxy.count("HEAD") == 2


def test_short_retry_after_is_honoured_then_succeeds(
    fault_proxy: FaultProxy, pushed: tuple[str, str], make_client: ClientFactory
) -> None:
    repository, digest = pushed
    clock = FakeClock()
    fault_proxy.inject(RateLimit("1"), method="HEAD", times=2)
    client = make_client(clock=clock)
    assert client.head(ref(fault_proxy.host, repository, "1")).digest == digest
    assert clock.sleeps == [1.0, 1.0] and fault_proxy.count("HEAD") == 3
    stats = client.stats()[fault_proxy.host]
    assert (stats.throttled, stats.retries) == (2, 2)


def test_server_errors_become_unavailable_after_short_retries(
    fault_proxy: FaultProxy, pushed: tuple[str, str], make_client: ClientFactory
) -> None:
    repository, _ = pushed
    clock = FakeClock()
    fault_proxy.inject(Status(500), path=MANIFESTS)
    client = make_client(clock=clock, retry=RetryPolicy())
    with pytest.raises(RegistryUnavailable, match="HTTP 500") as caught:
        client.head(ref(fault_proxy.host, repository, "1"))
    assert caught.value.transient and type(caught.value) is RegistryUnavailable
    assert fault_proxy.count("HEAD") == 3 and clock.sleeps == [0.5, 1.0]


def test_a_hanging_registry_times_out(
    fault_proxy: FaultProxy, pushed: tuple[str, str], make_client: ClientFactory
) -> None:
    repository, _ = pushed
    fault_proxy.inject(Hang(10), path=MANIFESTS)
    client = make_client(timeout=0.5, retry=RetryPolicy(transient_attempts=1))
    started = time.monotonic()
    with pytest.raises(RegistryUnavailable, match="timed out"):
        client.head(ref(fault_proxy.host, repository, "1"))
    assert time.monotonic() - started < 3
    assert fault_proxy.count("HEAD") == 1


def test_missing_digest_header_is_computed_from_the_exact_bytes(
    fault_proxy: FaultProxy, pushed: tuple[str, str], make_client: ClientFactory
) -> None:
    repository, digest = pushed  # pushed pretty-printed: whitespace is part of the digest
    fault_proxy.inject(DropHeader("Docker-Content-Digest"), path=MANIFESTS)
    remote = make_client().head(ref(fault_proxy.host, repository, "1"))
    assert remote.digest == digest and remote.body is not None and b"\n   " in remote.body
    assert [s.method for s in fault_proxy.requests() if MANIFESTS in s.path] == ["HEAD", "GET"]


def test_body_not_matching_its_digest(
    fault_proxy: FaultProxy, pushed: tuple[str, str], make_client: ClientFactory
) -> None:
    repository, _ = pushed
    fault_proxy.inject(CorruptBody(), method="GET", path=MANIFESTS)
    with pytest.raises(DigestMismatch) as caught:
        make_client().fetch(ref(fault_proxy.host, repository, "1"))
    assert caught.value.kind == "digest_mismatch" and caught.value.registry == fault_proxy.host


def test_garbage_manifest(
    fault_proxy: FaultProxy, pushed: tuple[str, str], make_client: ClientFactory
) -> None:
    repository, _ = pushed
    fault_proxy.inject(Body(b"<html>Service Temporarily Unavailable</html>"), path=MANIFESTS)
    with pytest.raises(RegistryProtocolError, match="not valid JSON") as caught:
        make_client().fetch(ref(fault_proxy.host, repository, "1"))
    assert caught.value.kind == "bad_response"


def test_index_with_a_broken_child(
    fault_proxy: FaultProxy, pushed: tuple[str, str], make_client: ClientFactory
) -> None:
    repository, _ = pushed
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "x", "size": 1}],
    }
    fault_proxy.inject(Body(json.dumps(index).encode(), "application/vnd.oci.image.index.v1+json"))
    with pytest.raises(RegistryProtocolError, match=r"'manifests\[0\]\.digest' is missing"):
        make_client().fetch(ref(fault_proxy.host, repository, "1"))


def test_schema1_answer(
    fault_proxy: FaultProxy, pushed: tuple[str, str], make_client: ClientFactory
) -> None:
    repository, _ = pushed
    fault_proxy.inject(Schema1(), path=MANIFESTS)
    with pytest.raises(UnsupportedManifest, match="schema1"):
        make_client().head(ref(fault_proxy.host, repository, "1"))
    [head] = [s for s in fault_proxy.requests() if s.method == "HEAD"]
    assert head.status == 200


def test_quota_exhausted_allows_heads_only(
    fault_proxy: FaultProxy, pushed: tuple[str, str], make_client: ClientFactory
) -> None:
    repository, digest = pushed
    fault_proxy.inject(
        SetHeaders({"RateLimit-Limit": "100;w=21600", "RateLimit-Remaining": "0;w=21600"})
    )
    client = make_client()
    assert client.head(ref(fault_proxy.host, repository, "1")).digest == digest
    with pytest.raises(RateLimited, match="pulls left"):
        client.fetch(ref(fault_proxy.host, repository, "1"))
    assert fault_proxy.count("GET", MANIFESTS) == 0
    rate = client.stats()[fault_proxy.host].rate_limit
    assert rate is not None and (rate.limit, rate.remaining, rate.window) == (100, 0, 21600)


@pytest.mark.parametrize(
    ("style", "page_size", "expected_pages"),
    [("link", None, 3), ("bare", None, 3), ("none", 2, 3), ("loop", None, 2)],
)
def test_tag_pagination_styles(
    fault_proxy: FaultProxy,
    registry: RegistryServer,
    make_client: ClientFactory,
    style: str,
    page_size: int | None,
    expected_pages: int,
) -> None:
    repository = unique_repository("pages")
    tags = ["a", "b", "c", "d", "e"]
    for tag in tags:
        registry.push_image(repository, tag, runnable=False)
    fault_proxy.inject(Paginate(2, style), path="/tags/list")
    found = make_client().list_tags(ref(fault_proxy.host, repository), page_size=page_size)
    assert found == (tags if style != "loop" else ["a", "b"])
    assert fault_proxy.count("GET", "/tags/list") == expected_pages


def test_redirect_to_another_host_carries_no_credentials(
    make_fault_proxy: Callable[[RegistryServer], FaultProxy],
    token_registry: RegistryServer,
    token_issuer: TokenIssuer,
    make_client: ClientFactory,
) -> None:
    token_issuer.reset()
    proxy = make_fault_proxy(token_registry)
    repository = unique_repository("public/moved")
    digest = token_registry.push_image(repository, "1", runnable=False).digest
    target = f"{token_registry.url}/v2/{repository}/manifests/1"
    proxy.inject(Redirect(target), method="HEAD", path=MANIFESTS)
    credentials = StaticCredentials({proxy.host: Credential(TOKEN_USER, TOKEN_PASSWORD)})
    mark = token_registry.log_mark()
    assert (
        make_client(credentials=credentials).head(ref(proxy.host, repository, "1")).digest == digest
    )
    [redirected] = [s for s in proxy.requests() if s.method == "HEAD"]
    assert redirected.authorized and redirected.status == 307
    direct = [(r.method, r.status) for r in token_registry.requests(mark) if r.kind == "manifests"]
    assert direct == [("HEAD", 401), ("HEAD", 200)]
    users = [r.user for r in token_issuer.requests()]
    assert users == [TOKEN_USER, None]  # the target host got an anonymous token
