"""Authentication against a MockTransport registry (registry-spec §3, §11 cases 7-13)."""

from __future__ import annotations

import base64
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

import httpx
import pytest

from colibri.domain.refs import parse_reference
from colibri.errors import CredentialError, RegistryAuthError, RegistryProtocolError
from colibri.registry import Credential, StaticCredentials
from tests.unit.registry.fakes import (
    HOST,
    FakeClock,
    MockRegistry,
    digest_of,
    make_client,
    manifest_body,
    manifest_response,
)

REALM = "https://auth.example/token"
REF = parse_reference(f"{HOST}/team/app:1.0")
BODY = manifest_body()
OK = manifest_response(BODY, head=True)
USER = Credential("alice", "PASSWORD-123")


def bearer(realm: str = REALM, **params: str) -> httpx.Response:
    parts = [f'realm="{realm}"'] + [f'{k}="{v}"' for k, v in params.items()]
    return httpx.Response(401, headers={"WWW-Authenticate": "Bearer " + ",".join(parts)})


def token(value: str = "tok", **extra: object) -> httpx.Response:
    return httpx.Response(200, json={"token": value, **extra})


def wants(value: str) -> callable:  # type: ignore[valid-type]
    """A manifest route that answers 200 only to ``Bearer <value>``, else 401."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") == f"Bearer {value}":
            return manifest_response(BODY, head=True)
        return bearer(service="svc", error="invalid_token")

    return answer


def creds(credential: Credential = USER) -> StaticCredentials:
    return StaticCredentials({HOST: credential})


def query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.url.query.decode())


def test_hub_style_bearer_flow_and_token_reuse() -> None:
    clock = FakeClock()
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="registry.docker.io"))
        .on(
            "GET",
            "auth.example",
            httpx.Response(200, json={"access_token": "x", "expires_in": 300}),
        )
        .on("HEAD", "/manifests/", wants("x"))
    )
    client = make_client(mock, clock)
    client.head(REF)
    client.head(REF.with_tag("2.0"))
    [token_request] = mock.sent("GET", "auth.example")
    assert query(token_request) == {
        "service": ["registry.docker.io"],
        "scope": ["repository:team/app:pull"],
    }
    assert "authorization" not in token_request.headers  # anonymous
    clock.advance(265)
    client.head(REF.with_tag("2.5"))  # 35 s left: still good
    assert mock.count("GET", "auth.example") == 1
    clock.advance(10)  # 25 s left of 300: below 10 %, refresh
    client.head(REF.with_tag("3.0"))
    assert mock.count("GET", "auth.example") == 2
    assert client.stats()[HOST].token_requests == 2


def test_tokens_are_per_repository_scope() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("GET", "auth.example", token("x"))
        .on("HEAD", "/manifests/", wants("x"))
    )
    client = make_client(mock)
    client.head(REF)
    client.head(parse_reference(f"{HOST}/team/other:1"))
    scopes = [query(r)["scope"] for r in mock.sent("GET", "auth.example")]
    assert scopes == [["repository:team/app:pull"], ["repository:team/other:pull"]]


def test_credentials_go_as_basic_on_the_token_request_only() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("GET", "auth.example", token("x"))
        .on("HEAD", "/manifests/", wants("x"))
    )
    make_client(mock, credentials=creds()).head(REF)
    [token_request] = mock.sent("GET", "auth.example")
    expected = "Basic " + base64.b64encode(b"alice:PASSWORD-123").decode()
    assert token_request.headers["authorization"] == expected
    assert mock.sent("HEAD")[0].headers["authorization"] == "Bearer x"


def test_token_without_lifetime_lasts_sixty_seconds() -> None:
    clock = FakeClock()
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("GET", "auth.example", token("t"))
        .on("HEAD", "/manifests/", wants("t"))
    )
    client = make_client(mock, clock)
    client.head(REF)
    clock.advance(49)
    client.head(REF.with_tag("b"))
    clock.advance(2)  # 9 s left: refresh
    client.head(REF.with_tag("c"))
    assert mock.count("GET", "auth.example") == 2


def test_token_field_wins_over_access_token() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("GET", "auth.example", httpx.Response(200, json={"token": "a", "access_token": "b"}))
        .on("HEAD", "/manifests/", wants("a"))
    )
    assert make_client(mock).head(REF).digest == digest_of(BODY)


def test_realm_case_is_kept_and_scopes_are_united() -> None:
    realm = "https://auth.example/Artifactory/api/docker/Repo/v2/token"
    mock = (
        MockRegistry()
        .on("HEAD", "/manifests/", bearer(realm, service="r", scope="repository:a/b:pull,push"), OK)
        .on("GET", "Artifactory", token("x"))
    )
    make_client(mock).head(REF)
    [token_request] = mock.sent("GET", "auth.example")
    assert token_request.url.path == "/Artifactory/api/docker/Repo/v2/token"
    assert query(token_request)["scope"] == ["repository:a/b:pull,push", "repository:team/app:pull"]


def test_realm_only_challenge_sends_no_service() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer("https://auth.example/v2/token"))
        .on("GET", "auth.example", token("x"))
        .on("HEAD", "/manifests/", wants("x"))
    )
    make_client(mock).head(REF)
    [token_request] = mock.sent("GET", "auth.example")
    assert "service" not in query(token_request)


def test_basic_challenge_with_credentials() -> None:
    expected = "Basic " + base64.b64encode(b"alice:PASSWORD-123").decode()
    mock = (
        MockRegistry()
        .on(
            "GET",
            "/v2/$",
            httpx.Response(401, headers={"WWW-Authenticate": 'BASIC realm="Sonatype Nexus"'}),
        )
        .on("HEAD", "/manifests/", OK)
    )
    make_client(mock, credentials=creds()).head(REF)
    assert mock.sent("HEAD")[0].headers["authorization"] == expected


def test_basic_challenge_without_credentials_is_auth_required_without_a_head() -> None:
    mock = MockRegistry().on(
        "GET", "/v2/$", httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'})
    )
    with pytest.raises(RegistryAuthError) as caught:
        make_client(mock).head(REF)
    assert caught.value.kind == "auth_required" and caught.value.registry == HOST
    assert mock.count("HEAD") == 0


def test_refused_cached_token_is_evicted_and_retried_once() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("GET", "auth.example", token("old"), token("new"))
        .on("HEAD", "/manifests/", wants("new"))
    )
    client = make_client(mock)
    assert client.head(REF).digest == digest_of(BODY)
    assert [r.headers["authorization"] for r in mock.sent("HEAD")] == ["Bearer old", "Bearer new"]
    client.head(REF.with_tag("next"))  # the new token is the cached one now
    assert mock.count("GET", "auth.example") == 2 and mock.count("HEAD") == 3


def test_second_refusal_is_an_auth_error() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("GET", "auth.example", token("a"), token("b"))
        .on("HEAD", "/manifests/", bearer(service="svc"))
    )
    with pytest.raises(RegistryAuthError) as caught:
        make_client(mock, credentials=creds()).head(REF)
    assert caught.value.kind == "auth" and "alice" in str(caught.value)
    assert "PASSWORD-123" not in str(caught.value)
    assert (mock.count("HEAD"), mock.count("GET", "auth.example")) == (2, 2)


def test_anonymous_refusal_says_credentials_are_required() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("GET", "auth.example", token("a"))
        .on("HEAD", "/manifests/", bearer(service="svc", error="insufficient_scope"))
    )
    with pytest.raises(RegistryAuthError, match="insufficient_scope") as caught:
        make_client(mock).head(REF)
    assert caught.value.kind == "auth_required"


@pytest.mark.parametrize("status", [401, 403])
def test_insufficient_scope_asks_for_the_named_scope_once(status: int) -> None:
    challenge = 'Bearer realm="https://auth.example/token",service="svc",error="insufficient_scope",scope="repository:x/y:pull"'
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("GET", "auth.example", token("narrow"), token("wide"))
        .on(
            "HEAD",
            "/manifests/",
            httpx.Response(status, headers={"WWW-Authenticate": challenge}),
            OK,
        )
    )
    make_client(mock).head(REF)
    first, second = mock.sent("GET", "auth.example")
    assert query(second)["scope"] == ["repository:team/app:pull", "repository:x/y:pull"]
    assert query(first)["scope"] == ["repository:team/app:pull"]
    assert mock.sent("HEAD")[1].headers["authorization"] == "Bearer wide"


def test_plain_403_is_denied_without_retry() -> None:
    mock = MockRegistry().on("HEAD", "/manifests/", httpx.Response(403))
    with pytest.raises(RegistryAuthError, match="denied") as caught:
        make_client(mock).head(REF)
    assert caught.value.kind == "auth" and mock.count("HEAD") == 1


def test_a_401_without_challenge_uses_the_ping_challenge_of_that_host() -> None:
    target = "https://mirror.example/v2/team/app/manifests/1.0"
    mock = (
        MockRegistry()
        .on(
            "HEAD",
            f"{HOST}/v2/team/app/manifests/",
            httpx.Response(307, headers={"Location": target}),
        )
        .on("HEAD", "mirror.example", httpx.Response(401), OK)
        .on("GET", "mirror.example/v2/$", bearer("https://auth.example/mirror", service="m"))
        .on("GET", "auth.example/mirror", token("m"))
    )
    make_client(mock).head(REF)
    assert [r.headers.get("authorization") for r in mock.sent("HEAD", "mirror")] == [
        None,
        "Bearer m",
    ]
    assert query(mock.sent("GET", "auth.example")[0])["scope"] == ["repository:team/app:pull"]


def test_identity_token_uses_the_oauth2_refresh_flow() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on(
            "POST",
            "auth.example",
            httpx.Response(200, json={"access_token": "o", "expires_in": 300}),
        )
        .on("HEAD", "/manifests/", wants("o"))
    )
    make_client(mock, credentials=creds(Credential(identity_token="REFRESH-9"))).head(REF)
    [post] = mock.sent("POST")
    form = parse_qs(post.content.decode())
    assert form == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["REFRESH-9"],
        "client_id": ["colibri"],
        "scope": ["repository:team/app:pull"],
        "service": ["svc"],
    }
    assert "authorization" not in post.headers and mock.count("GET", "auth.example") == 0


def test_no_oauth2_endpoint_falls_back_to_get_with_the_password() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("POST", "auth.example", httpx.Response(404))
        .on("GET", "auth.example", token("g"))
        .on("HEAD", "/manifests/", wants("g"))
    )
    acr = Credential("00000000-0000-0000-0000-000000000000", "ACR-REFRESH")
    make_client(mock, credentials=creds(acr)).head(REF)
    assert mock.count("POST") == 1
    assert mock.sent("GET", "auth.example")[0].headers["authorization"].startswith("Basic ")


def test_credentials_are_never_sent_to_a_plain_http_realm() -> None:
    mock = MockRegistry().on("GET", "/v2/$", bearer("http://auth.example/token", service="svc"))
    with pytest.raises(RegistryAuthError, match="plain-HTTP token realm"):
        make_client(mock, credentials=creds()).head(REF)
    assert mock.count("GET", "auth.example") == 0


def test_anonymous_token_from_a_plain_http_realm_is_fine() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer("http://auth.example/token", service="svc"))
        .on("GET", "auth.example", token("x"))
        .on("HEAD", "/manifests/", wants("x"))
    )
    make_client(mock).head(REF)


@pytest.mark.parametrize(
    "realm", ["http://127.0.0.1:5001/token", "http://localhost/token", "http://[::1]:80/t"]
)
def test_loopback_realms_may_receive_credentials(realm: str) -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(realm, service="svc"))
        .on("GET", "/t", token("x"))
        .on("HEAD", "/manifests/", wants("x"))
    )
    make_client(mock, credentials=creds()).head(REF)
    assert mock.sent("GET", "/t")[0].headers["authorization"].startswith("Basic ")


def test_token_endpoint_refusing_credentials() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("GET", "auth.example", httpx.Response(401, json={"details": "bad"}))
    )
    with pytest.raises(RegistryAuthError, match="refused our credentials") as caught:
        make_client(mock, credentials=creds()).head(REF)
    assert caught.value.kind == "auth" and "PASSWORD" not in str(caught.value)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(200, content=b"<html>"), RegistryProtocolError),
        (httpx.Response(200, json={"expires_in": 60}), RegistryAuthError),
        (httpx.Response(400, json={}), RegistryAuthError),
    ],
)
def test_bad_token_answers(answer: httpx.Response, error: type[Exception]) -> None:
    mock = (
        MockRegistry().on("GET", "/v2/$", bearer(service="svc")).on("GET", "auth.example", answer)
    )
    with pytest.raises(error):
        make_client(mock).head(REF)


def test_bearer_without_realm_is_a_protocol_error() -> None:
    mock = MockRegistry().on(
        "GET", "/v2/$", httpx.Response(401, headers={"WWW-Authenticate": 'Bearer service="x"'})
    )
    with pytest.raises(RegistryProtocolError, match="without realm"):
        make_client(mock).head(REF)


def test_token_cache_is_keyed_by_credential_identity() -> None:
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("GET", "auth.example", token("x"))
        .on("HEAD", "/manifests/", wants("x"))
    )
    second = "other.example"
    client = make_client(
        mock,
        credentials=StaticCredentials({HOST: USER, second: Credential("bob", "pw")}),
    )
    client.head(REF)
    client.head(parse_reference(f"{second}/team/app:1.0"))  # same realm, service, scope
    users = [r.headers["authorization"] for r in mock.sent("GET", "auth.example")]
    assert len(users) == 2 and users[0] != users[1]


def test_concurrent_callers_share_one_token_request() -> None:
    def slow_token(request: httpx.Request) -> httpx.Response:
        time.sleep(0.2)
        return httpx.Response(200, json={"token": "x"})

    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("GET", "auth.example", slow_token)
        .on("HEAD", "/manifests/", wants("x"))
    )
    client = make_client(mock)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda n: client.head(REF.with_tag(f"t{n}")), range(6)))
    assert mock.count("GET", "auth.example") == 1 and mock.count("GET", "/v2/$") == 1


class CountingSource:
    def __init__(self, result: Credential | None = None, error: Exception | None = None) -> None:
        self.calls = 0
        self.result = result
        self.error = error
        self.lock = threading.Lock()

    def lookup(self, registry: str) -> Credential | None:
        with self.lock:
            self.calls += 1
        if self.error:
            raise self.error
        return self.result


def test_credentials_are_looked_up_once_per_client() -> None:
    source = CountingSource(USER)
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", bearer(service="svc"))
        .on("GET", "auth.example", token("x"))
        .on("HEAD", "/manifests/", wants("x"))
    )
    client = make_client(mock, credentials=source)
    for tag in ("a", "b", "c"):
        client.head(REF.with_tag(tag))
    assert source.calls == 1


def test_credential_errors_surface_and_are_remembered() -> None:
    source = CountingSource(error=CredentialError("helper exploded"))
    mock = MockRegistry().on("GET", "/v2/$", bearer(service="svc"))
    client = make_client(mock, credentials=source)
    for tag in ("a", "b"):
        with pytest.raises(CredentialError, match="helper exploded"):
            client.head(REF.with_tag(tag))
    assert source.calls == 1 and mock.count("GET", "auth.example") == 0


def test_concurrent_first_lookups_run_the_source_once() -> None:
    class SlowSource(CountingSource):
        def lookup(self, registry: str) -> Credential | None:
            time.sleep(0.2)
            return super().lookup(registry)

    source = SlowSource(USER)
    mock = (
        MockRegistry()
        .on("GET", "/v2/$", httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'}))
        .on("HEAD", "/manifests/", OK)
    )
    client = make_client(mock, credentials=source)
    with ThreadPoolExecutor(5) as pool:
        list(pool.map(lambda n: client.head(REF.with_tag(f"t{n}")), range(5)))
    assert source.calls == 1
