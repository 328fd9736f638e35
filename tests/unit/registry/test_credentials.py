"""Docker config.json and credential helpers (registry-spec A10, A11, §11 cases 42-44)."""

from __future__ import annotations

import base64
import json
import stat
import time
from pathlib import Path

import pytest

from colibri.errors import CredentialError
from colibri.registry.credentials import (
    ChainedCredentials,
    Credential,
    DockerConfigCredentials,
    NoCredentials,
    StaticCredentials,
    normalise_registry_key,
)

ECR = "123.dkr.ecr.us-east-1.amazonaws.com"


class Helpers:
    """Writes ``docker-credential-<name>`` scripts into a directory on PATH."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(exist_ok=True)

    def add(self, name: str, script: str) -> Path:
        path = self.directory / f"docker-credential-{name}"
        path.write_text("#!/bin/sh\n" + script)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return path

    def answering(self, name: str, answer: dict[str, str], stdin_log: Path) -> None:
        self.add(name, f"cat > {stdin_log}\necho '{json.dumps(answer)}'\n")


@pytest.fixture
def helpers(tmp_path: Path) -> Helpers:
    return Helpers(tmp_path / "bin")


def _source(
    tmp_path: Path, helpers: Helpers, config: object, **kwargs: float
) -> DockerConfigCredentials:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    environ = {"PATH": f"{helpers.directory}:/usr/bin:/bin", "HOME": str(tmp_path)}
    return DockerConfigCredentials(path, environ=environ, **kwargs)


def _auth(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("registry", ["docker.io", "index.docker.io", "registry-1.docker.io"])
def test_hub_auth_splits_at_the_first_colon(
    tmp_path: Path, helpers: Helpers, registry: str
) -> None:
    source = _source(
        tmp_path, helpers, {"auths": {"https://index.docker.io/v1/": {"auth": _auth("user:pa:ss")}}}
    )
    assert source.lookup(registry) == Credential("user", "pa:ss")


def test_trailing_nuls_are_trimmed(tmp_path: Path, helpers: Helpers) -> None:
    source = _source(tmp_path, helpers, {"auths": {"r.example": {"auth": _auth("u:p\x00\x00")}}})
    assert source.lookup("r.example") == Credential("u", "p")


def test_keys_are_normalised(tmp_path: Path, helpers: Helpers) -> None:
    config = {"auths": {"http://R.Example:5000/v2/": {"auth": _auth("u:p")}}}
    source = _source(tmp_path, helpers, config)
    assert source.lookup("r.example:5000") == Credential("u", "p")
    assert source.lookup("r.example") is None


def test_identity_token_entry(tmp_path: Path, helpers: Helpers) -> None:
    config = {"auths": {"r.example": {"auth": _auth("u:"), "identitytoken": "refresh"}}}
    credential = _source(tmp_path, helpers, config).lookup("r.example")
    assert credential is not None
    assert credential.refresh_token == "refresh" and credential.username == "u"


def test_username_password_fields(tmp_path: Path, helpers: Helpers) -> None:
    config = {"auths": {"r.example": {"username": "u", "password": "p"}}}
    assert _source(tmp_path, helpers, config).lookup("r.example") == Credential("u", "p")


def test_cred_helper_gets_the_host_on_stdin(tmp_path: Path, helpers: Helpers) -> None:
    log = tmp_path / "stdin"
    helpers.answering("ecr-login", {"ServerURL": ECR, "Username": "AWS", "Secret": "P"}, log)
    source = _source(
        tmp_path,
        helpers,
        {"credHelpers": {ECR: "ecr-login"}, "auths": {ECR: {"auth": _auth("x:y")}}},
    )
    assert source.lookup(ECR) == Credential("AWS", "P")
    assert log.read_text() == ECR


def test_hub_helper_gets_the_index_server_address(tmp_path: Path, helpers: Helpers) -> None:
    log = tmp_path / "stdin"
    helpers.answering("desktop", {"Username": "u", "Secret": "s"}, log)
    source = _source(tmp_path, helpers, {"credsStore": "desktop"})
    assert source.lookup("docker.io") == Credential("u", "s")
    assert log.read_text() == "https://index.docker.io/v1/"


def test_token_username_means_identity_token(tmp_path: Path, helpers: Helpers) -> None:
    helpers.answering("acr", {"Username": "<token>", "Secret": "R"}, tmp_path / "stdin")
    credential = _source(tmp_path, helpers, {"credHelpers": {"r.example": "acr"}}).lookup(
        "r.example"
    )
    assert credential == Credential(identity_token="R")
    assert (
        credential is not None and credential.basic_pair is None and credential.refresh_token == "R"
    )


def test_empty_entry_asks_the_store_and_not_found_is_anonymous(
    tmp_path: Path, helpers: Helpers
) -> None:
    log = tmp_path / "asked"
    helpers.add(
        "desktop", f"cat > {log}\necho 'credentials not found in native keychain'\nexit 1\n"
    )
    source = _source(tmp_path, helpers, {"credsStore": "desktop", "auths": {"ghcr.io": {}}})
    assert source.lookup("ghcr.io") is None
    assert log.read_text() == "ghcr.io"


def test_store_miss_falls_back_to_auths(tmp_path: Path, helpers: Helpers) -> None:
    helpers.add("desktop", "echo 'credentials not found' >&2\nexit 1\n")
    config = {"credsStore": "desktop", "auths": {"r.example": {"auth": _auth("u:p")}}}
    assert _source(tmp_path, helpers, config).lookup("r.example") == Credential("u", "p")


def test_cred_helper_miss_is_anonymous_even_with_auths(tmp_path: Path, helpers: Helpers) -> None:
    helpers.add("h", "echo 'credentials not found'\nexit 1\n")
    config = {"credHelpers": {"r.example": "h"}, "auths": {"r.example": {"auth": _auth("u:p")}}}
    assert _source(tmp_path, helpers, config).lookup("r.example") is None


def test_missing_helper_is_a_credential_error(tmp_path: Path, helpers: Helpers) -> None:
    source = _source(tmp_path, helpers, {"credHelpers": {"r.example": "nowhere"}})
    with pytest.raises(CredentialError, match="docker-credential-nowhere is not on PATH"):
        source.lookup("r.example")


def test_failing_helper_is_a_credential_error(tmp_path: Path, helpers: Helpers) -> None:
    helpers.add("broken", "echo 'keychain locked' >&2\nexit 3\n")
    source = _source(tmp_path, helpers, {"credHelpers": {"r.example": "broken"}})
    with pytest.raises(CredentialError, match=r"exit 3.*keychain locked") as caught:
        source.lookup("r.example")
    assert not caught.value.transient


def test_helper_timeout_is_transient_and_quick(tmp_path: Path, helpers: Helpers) -> None:
    helpers.add("slow", "exec sleep 30\n")
    source = _source(tmp_path, helpers, {"credHelpers": {"r.example": "slow"}}, helper_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(CredentialError, match="timed out") as caught:
        source.lookup("r.example")
    assert caught.value.transient
    assert time.monotonic() - started < 3


def test_helper_children_are_killed_on_timeout(tmp_path: Path, helpers: Helpers) -> None:
    helpers.add("forks", "sleep 30 &\nsleep 30\n")
    source = _source(tmp_path, helpers, {"credHelpers": {"r.example": "forks"}}, helper_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(CredentialError, match="timed out"):
        source.lookup("r.example")
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    "output",
    ["not json", '["list"]', '{"Username": "u"}', '{"Username": 1, "Secret": "TOPSECRET"}'],
)
def test_bad_helper_output_never_shows_the_secret(
    tmp_path: Path, helpers: Helpers, output: str
) -> None:
    helpers.add("odd", f"echo '{output}'\n")
    source = _source(tmp_path, helpers, {"credHelpers": {"r.example": "odd"}})
    with pytest.raises(CredentialError) as caught:
        source.lookup("r.example")
    assert "TOPSECRET" not in str(caught.value)


def test_empty_secret_is_anonymous(tmp_path: Path, helpers: Helpers) -> None:
    helpers.answering("empty", {"Username": "u", "Secret": ""}, tmp_path / "log")
    assert (
        _source(tmp_path, helpers, {"credHelpers": {"r.example": "empty"}}).lookup("r.example")
        is None
    )


def test_missing_config_means_no_credentials(tmp_path: Path) -> None:
    source = DockerConfigCredentials(tmp_path / "absent.json", environ={})
    assert source.lookup("r.example") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "not a JSON object"),
        ('{"auths": []}', "'auths' is not an object"),
        ('{"auths": {"r.example": {"auth": "%%%"}}}', "not user:password"),
        ('{"auths": {"r.example": {"auth": "dXNlcg=="}}}', "not user:password"),
    ],
)
def test_broken_config_is_a_credential_error_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(CredentialError, match=message) as caught:
        DockerConfigCredentials(path, environ={}).lookup("r.example")
    assert str(path) in str(caught.value)


def test_config_location_from_docker_config_then_home(tmp_path: Path) -> None:
    assert DockerConfigCredentials(environ={"DOCKER_CONFIG": "/etc/dc"}).path == Path(
        "/etc/dc/config.json"
    )
    assert DockerConfigCredentials(environ={"HOME": "/home/u"}).path == Path(
        "/home/u/.docker/config.json"
    )


def test_secrets_stay_out_of_repr() -> None:
    credential = Credential("user", "PASSWORD-1", "TOKEN-2")
    assert "PASSWORD-1" not in repr(credential) and "TOKEN-2" not in repr(credential)
    assert "PASSWORD-1" not in credential.identity and "user" in credential.identity
    assert credential.identity != Credential("user", "other").identity


def test_null_guid_user_carries_a_refresh_token() -> None:
    credential = Credential("00000000-0000-0000-0000-000000000000", "acr-refresh")
    assert credential.refresh_token == "acr-refresh"


def test_static_and_chained_sources() -> None:
    static = StaticCredentials({"https://index.docker.io/v1/": Credential("hub", "p")})
    chained = ChainedCredentials(NoCredentials(), static)
    assert chained.lookup("registry-1.docker.io") == Credential("hub", "p")
    assert chained.lookup("other.example") is None


@pytest.mark.parametrize(
    ("key", "normal"),
    [
        ("https://index.docker.io/v1/", "docker.io"),
        ("Docker.IO", "docker.io"),
        ("registry-1.docker.io", "docker.io"),
        ("https://ghcr.io", "ghcr.io"),
        ("localhost:5000/some/path", "localhost:5000"),
    ],
)
def test_normalise_registry_key(key: str, normal: str) -> None:
    assert normalise_registry_key(key) == normal
