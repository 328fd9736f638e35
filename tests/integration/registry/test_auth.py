"""Authentication against real registries: htpasswd Basic and bearer tokens from our issuer.

Counts come from the registry's access log and the issuer's record, filtered to our client's
User-Agent: one HEAD per unique reference, tokens reused across references of one scope."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from colibri.errors import RegistryAuthError
from colibri.registry import Credential, DockerConfigCredentials, StaticCredentials
from tests.integration.registry.conftest import ClientFactory, ref
from tests.support.registry import (
    BASIC_PASSWORD,
    BASIC_USER,
    REFRESH_TOKEN,
    TOKEN_PASSWORD,
    TOKEN_USER,
    RegistryServer,
    unique_repository,
)
from tests.support.token_issuer import TokenIssuer

pytestmark = pytest.mark.registry


@pytest.fixture
def issuer(token_issuer: TokenIssuer) -> Iterator[TokenIssuer]:
    token_issuer.reset()
    yield token_issuer
    token_issuer.reset()


def _heads(server: RegistryServer, mark: int) -> list[tuple[str, int]]:
    return [(r.path, r.status) for r in server.requests(mark) if r.method == "HEAD"]


# -- Basic ---------------------------------------------------------------------------------------


def test_basic_credentials_are_sent_directly(
    basic_registry: RegistryServer, make_client: ClientFactory
) -> None:
    repository = unique_repository()
    pushed = basic_registry.push_image(repository, "1", runnable=False)
    credentials = StaticCredentials({basic_registry.host: Credential(BASIC_USER, BASIC_PASSWORD)})
    client = make_client(credentials=credentials)
    mark = basic_registry.log_mark()
    assert client.head(ref(basic_registry.host, repository, "1")).digest == pushed.digest
    client.head(ref(basic_registry.host, repository, "1"))
    seen = [(r.method, r.kind, r.status) for r in basic_registry.requests(mark)]
    assert seen == [("GET", "ping", 401), ("HEAD", "manifests", 200)]


def test_basic_without_credentials_is_auth_required_before_any_head(
    basic_registry: RegistryServer, make_client: ClientFactory
) -> None:
    mark = basic_registry.log_mark()
    with pytest.raises(RegistryAuthError) as caught:
        make_client().head(ref(basic_registry.host, unique_repository(), "1"))
    assert caught.value.kind == "auth_required"
    assert _heads(basic_registry, mark) == []


def test_basic_wrong_password_is_refused(
    basic_registry: RegistryServer, make_client: ClientFactory
) -> None:
    repository = unique_repository()
    basic_registry.push_image(repository, "1", runnable=False)
    credentials = StaticCredentials({basic_registry.host: Credential(BASIC_USER, "WRONG-PW")})
    with pytest.raises(RegistryAuthError) as caught:
        make_client(credentials=credentials).head(ref(basic_registry.host, repository, "1"))
    assert caught.value.kind == "auth" and "WRONG-PW" not in str(caught.value)


# -- bearer tokens -------------------------------------------------------------------------------


def test_tokens_are_reused_across_references_of_one_scope(
    token_registry: RegistryServer, issuer: TokenIssuer, make_client: ClientFactory
) -> None:
    first, second = unique_repository(), unique_repository()
    digests = {
        tag: token_registry.push_image(first, tag, runnable=False).digest for tag in ("a", "b", "c")
    }
    token_registry.push_image(second, "a", runnable=False)
    credentials = StaticCredentials({token_registry.host: Credential(TOKEN_USER, TOKEN_PASSWORD)})
    client = make_client(credentials=credentials)
    mark = token_registry.log_mark()
    for tag, digest in digests.items():
        assert client.head(ref(token_registry.host, first, tag)).digest == digest
        client.head(ref(token_registry.host, first, tag))
    client.head(ref(token_registry.host, second, "a"))
    scopes = [(r.method, r.user, r.scopes) for r in issuer.requests()]
    assert scopes == [
        ("GET", TOKEN_USER, (f"repository:{first}:pull",)),
        ("GET", TOKEN_USER, (f"repository:{second}:pull",)),
    ]
    heads = _heads(token_registry, mark)
    assert len(heads) == 4 and all(status == 200 for _, status in heads)
    assert client.stats()[token_registry.host].token_requests == 2


def test_anonymous_pull_of_a_public_repository(
    token_registry: RegistryServer, issuer: TokenIssuer, make_client: ClientFactory
) -> None:
    repository = unique_repository("public/app")
    pushed = token_registry.push_image(repository, "1", runnable=False)
    assert make_client().head(ref(token_registry.host, repository, "1")).digest == pushed.digest
    [request] = issuer.requests()
    assert request.user is None and request.service == token_registry.issuer.service  # type: ignore[union-attr]


def test_anonymous_pull_of_a_private_repository_needs_credentials(
    token_registry: RegistryServer, issuer: TokenIssuer, make_client: ClientFactory
) -> None:
    repository = unique_repository("private")
    token_registry.push_image(repository, "1", runnable=False)
    mark = token_registry.log_mark()
    with pytest.raises(RegistryAuthError, match="insufficient_scope") as caught:
        make_client().head(ref(token_registry.host, repository, "1"))
    assert caught.value.kind == "auth_required"
    assert [status for _, status in _heads(token_registry, mark)] == [401, 401]
    assert issuer.count() == 2  # the refused token was evicted and asked for once more


def test_wrong_password_is_refused_by_the_issuer(
    token_registry: RegistryServer, issuer: TokenIssuer, make_client: ClientFactory
) -> None:
    credentials = StaticCredentials({token_registry.host: Credential(TOKEN_USER, "WRONG-PW")})
    mark = token_registry.log_mark()
    with pytest.raises(RegistryAuthError, match="refused our credentials") as caught:
        make_client(credentials=credentials).head(
            ref(token_registry.host, unique_repository(), "1")
        )
    assert caught.value.kind == "auth" and "WRONG-PW" not in str(caught.value)
    assert _heads(token_registry, mark) == []


def _helper(bin_dir: Path, answer: dict[str, str]) -> None:
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "docker-credential-colibri-test"
    script.write_text(f"#!/bin/sh\ncat > /dev/null\necho '{json.dumps(answer)}'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_identity_token_from_a_helper_uses_the_oauth2_refresh_flow(
    token_registry: RegistryServer, issuer: TokenIssuer, make_client: ClientFactory, tmp_path: Path
) -> None:
    repository = unique_repository()
    pushed = token_registry.push_image(repository, "1", runnable=False)
    _helper(tmp_path / "bin", {"Username": "<token>", "Secret": REFRESH_TOKEN})
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credHelpers": {token_registry.host: "colibri-test"}}))
    environ = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    client = make_client(credentials=DockerConfigCredentials(config, environ=environ))
    assert client.head(ref(token_registry.host, repository, "1")).digest == pushed.digest
    [request] = issuer.requests()
    assert (request.method, request.grant_type, request.user) == (
        "POST",
        "refresh_token",
        TOKEN_USER,
    )


def test_without_oauth2_endpoint_the_password_flow_is_used(
    token_registry: RegistryServer, issuer: TokenIssuer, make_client: ClientFactory
) -> None:
    issuer.behaviour.oauth = False
    repository = unique_repository()
    pushed = token_registry.push_image(repository, "1", runnable=False)
    credential = Credential(TOKEN_USER, TOKEN_PASSWORD, identity_token="unknown-to-the-issuer")
    client = make_client(credentials=StaticCredentials({token_registry.host: credential}))
    assert client.head(ref(token_registry.host, repository, "1")).digest == pushed.digest
    assert [(r.method, r.status) for r in issuer.requests()] == [("POST", 404), ("GET", 200)]


@pytest.mark.parametrize("fields", [("access_token",), ("token", "access_token")])
def test_either_token_field_is_accepted(
    token_registry: RegistryServer,
    issuer: TokenIssuer,
    make_client: ClientFactory,
    fields: tuple[str, ...],
) -> None:
    issuer.behaviour.fields = fields
    issuer.behaviour.expires_in = None
    repository = unique_repository("public/f")
    pushed = token_registry.push_image(repository, "1", runnable=False)
    assert make_client().head(ref(token_registry.host, repository, "1")).digest == pushed.digest
