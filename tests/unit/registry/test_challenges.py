"""WWW-Authenticate parsing (registry-spec A2, §11 cases 9, 10, 11)."""

from __future__ import annotations

import pytest

from colibri.registry.challenges import (
    Challenge,
    parse_challenges,
    pull_scope,
    scope_for_path,
    split_scopes,
)


def test_hub_bearer_challenge() -> None:
    [challenge] = parse_challenges(
        [
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
            'scope="repository:library/nginx:pull"'
        ]
    )
    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://auth.docker.io/token"
    assert challenge.service == "registry.docker.io"
    assert challenge.scopes == ("repository:library/nginx:pull",)


def test_realm_case_is_preserved_and_scope_with_commas_is_one_value() -> None:
    [challenge] = parse_challenges(
        [
            'Bearer realm="https://r.example/Artifactory/api/docker/Repo/v2/token",'
            'service="r",scope="repository:a/b:pull,push"'
        ]
    )
    assert challenge.realm == "https://r.example/Artifactory/api/docker/Repo/v2/token"
    assert challenge.scopes == ("repository:a/b:pull,push",)


def test_realm_only_challenge_has_no_service() -> None:
    [challenge] = parse_challenges(['Bearer realm="https://europe-docker.pkg.dev/v2/token"'])
    assert challenge.service is None
    assert challenge.scopes == ()


@pytest.mark.parametrize("scheme", ["BASIC", "basic", "Basic", "bAsIc"])
def test_scheme_is_case_insensitive(scheme: str) -> None:
    [challenge] = parse_challenges([f'{scheme} realm="Sonatype Nexus"'])
    assert challenge.scheme == "basic"
    assert challenge.realm == "Sonatype Nexus"


def test_parameter_names_are_case_insensitive_values_are_not() -> None:
    [challenge] = parse_challenges(['Bearer REALM="https://A/Token", Service="Svc"'])
    assert challenge.params == {"realm": "https://A/Token", "service": "Svc"}


def test_several_challenges_in_one_header_and_across_headers() -> None:
    challenges = parse_challenges(
        [
            'Negotiate, Basic realm="a, b", Bearer realm="https://t/x",error="insufficient_scope"',
            "Basic realm=plain",
        ]
    )
    assert [c.scheme for c in challenges] == ["negotiate", "basic", "bearer", "basic"]
    assert challenges[1].realm == "a, b"
    assert challenges[2].error == "insufficient_scope"
    assert challenges[3].realm == "plain"


def test_quoted_string_escapes_and_spaces_around_equals() -> None:
    [challenge] = parse_challenges(['Bearer realm = "a\\"b" , service=svc'])
    assert challenge.realm == 'a"b'
    assert challenge.service == "svc"


def test_token68_challenge() -> None:
    [challenge] = parse_challenges(["Basic dXNlcjpwYXNz=="])
    assert challenge == Challenge("basic", {}, "dXNlcjpwYXNz==")


@pytest.mark.parametrize("header", ["", "   ", ",,,", '"quoted"', "=x"])
def test_garbage_yields_nothing_rather_than_failing(header: str) -> None:
    assert parse_challenges([header]) == []


def test_unterminated_quote_keeps_what_parsed() -> None:
    [challenge] = parse_challenges(['Bearer realm="https://t/x", service="unterminated'])
    assert challenge.realm == "https://t/x"
    assert challenge.service == "unterminated"


def test_scopes_split_on_spaces_only() -> None:
    assert split_scopes("repository:a:pull repository:b:pull,push") == (
        "repository:a:pull",
        "repository:b:pull,push",
    )


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/v2/library/nginx/manifests/latest", "repository:library/nginx:pull"),
        ("/v2/a/b/c/blobs/sha256:00", "repository:a/b/c:pull"),
        ("/v2/app/tags/list", "repository:app:pull"),
        ("/v2/app/referrers/sha256:00", "repository:app:pull"),
        ("/v2/", None),
        ("/bucket/object", None),
    ],
)
def test_scope_for_path(path: str, scope: str | None) -> None:
    assert scope_for_path(path) == scope


def test_pull_scope() -> None:
    assert pull_scope("library/nginx") == "repository:library/nginx:pull"
