"""Environments: endpoint URLs in the three Docker forms, TLS material, names and labels."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from colibri.domain.environments import (
    LOCAL_ENDPOINT,
    Endpoint,
    EndpointScheme,
    Environment,
    NewEnvironment,
    TlsFiles,
    grants_credentials,
)
from colibri.domain.invalid import Invalid

NOW = datetime(2026, 12, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        (LOCAL_ENDPOINT, EndpointScheme.UNIX),
        ("unix:///run/user/1000/docker.sock", EndpointScheme.UNIX),
        ("tcp://docker.example.com:2376", EndpointScheme.TCP),
        ("tcp://10.0.0.5:2375", EndpointScheme.TCP),
        ("tcp://[::1]:2376", EndpointScheme.TCP),
        ("TCP://host:2376", EndpointScheme.TCP),
        ("ssh://deploy@docker.example.com", EndpointScheme.SSH),
        ("ssh://deploy@docker.example.com:2222", EndpointScheme.SSH),
        ("ssh://docker.example.com", EndpointScheme.SSH),
    ],
)
def test_the_three_docker_forms_are_accepted(url: str, scheme: EndpointScheme) -> None:
    remote_tcp = scheme is EndpointScheme.TCP and "[::1]" not in url
    assert Endpoint(url, insecure=remote_tcp).scheme is scheme


@pytest.mark.parametrize("url", ["tcp://10.0.0.5:2375", "tcp://docker.lan:2375"])
def test_plain_tcp_to_another_machine_needs_tls_or_an_explicit_insecure(url: str) -> None:
    with pytest.raises(Invalid, match="plain TCP") as raised:
        Endpoint(url)
    assert raised.value.field == "endpoint.tls"
    assert Endpoint(url, insecure=True).plain_remote
    assert not Endpoint("tcp://127.0.0.1:2375").plain_remote  # this machine
    assert not Endpoint("tcp://localhost:2375").insecure


@pytest.mark.parametrize(
    "url", ["ssh://-oProxyCommand=touch%20x@host", "ssh://-oProxyCommand=x", "ssh://me@-p22"]
)
def test_an_ssh_user_or_host_that_would_be_an_option_is_refused(url: str) -> None:
    with pytest.raises(Invalid, match="must not start with '-'"):
        Endpoint(url)


def test_registry_credentials_go_only_where_granted_and_never_in_clear_text() -> None:
    tls = TlsFiles(ca="ca.pem")
    remote = NewEnvironment("lan", Endpoint("tcp://lan:2376", tls), registry_credentials="host")
    assert grants_credentials(None, remote)
    assert not grants_credentials(None, NewEnvironment("lan", Endpoint("tcp://lan:2376", tls)))
    stored = Environment(1, "lan", remote.endpoint, {}, NOW, registry_credentials="host")
    relabelled = NewEnvironment("lan", remote.endpoint, {"a": "b"}, registry_credentials="host")
    assert not grants_credentials(stored, relabelled)
    moved = NewEnvironment("lan", Endpoint("tcp://evil:2376", tls), registry_credentials="host")
    assert grants_credentials(stored, moved)
    with pytest.raises(Invalid, match="clear text") as raised:
        NewEnvironment(
            "lan", Endpoint("tcp://lan:2375", insecure=True), registry_credentials="host"
        )
    assert raised.value.field == "registry_credentials"
    with pytest.raises(Invalid, match="file name") as raised:
        NewEnvironment("lan", Endpoint(LOCAL_ENDPOINT), registry_credentials="../config.json")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://host:2375", "unsupported scheme"),
        ("npipe:////./pipe/docker_engine", "unsupported scheme"),
        ("/var/run/docker.sock", "unsupported scheme"),
        ("", "unsupported scheme"),
        ("unix://var/run/docker.sock", "absolute path"),
        ("unix:///", "absolute path"),
        ("tcp://host", "needs a port"),
        ("tcp://host:99999", "not a valid URL"),
        ("tcp://host:0", "port 0"),
        ("tcp://:2376", "names no host"),
        ("tcp://host:2376/v1.43", "path"),
        ("tcp://admin@host:2376", "takes no user"),
        ("ssh://", "names no host"),
        ("tcp://host:2376?tls=1", "query"),
        (" tcp://host:2376", "spaces"),
    ],
)
def test_a_wrong_endpoint_says_what_is_wrong(url: str, words: str) -> None:
    with pytest.raises(Invalid, match=words) as raised:
        Endpoint(url)
    assert raised.value.field == "endpoint.url"


def test_an_ssh_password_is_refused_and_not_echoed() -> None:
    with pytest.raises(Invalid, match="no password") as raised:
        Endpoint("ssh://deploy:hunter2@host")
    assert "hunter2" not in str(raised.value)


def test_a_password_never_shows_in_any_endpoint_message() -> None:
    with pytest.raises(Invalid) as raised:
        Endpoint("https://user:hunter2@host:2376")
    assert "hunter2" not in str(raised.value)
    assert "user:***@host" in str(raised.value)


def test_tls_material_goes_with_tcp_only() -> None:
    tls = TlsFiles(ca="/certs/ca.pem", cert="/certs/cert.pem", key="/certs/key.pem")
    assert Endpoint("tcp://host:2376", tls).tls == tls

    with pytest.raises(Invalid, match="tcp:// only") as raised:
        Endpoint("ssh://host", tls)
    assert raised.value.field == "endpoint.tls"


def test_tls_files_are_names_in_a_directory_and_cert_and_key_go_together() -> None:
    assert TlsFiles(ca="lan/ca.pem").ca == "lan/ca.pem"
    for name in ("../ca.pem", "/etc/../ca.pem", ".hidden", "ca\x00.pem"):
        with pytest.raises(Invalid, match="environment files directory") as raised:
            TlsFiles(ca=name)
        assert raised.value.field == "endpoint.tls.ca"
    with pytest.raises(Invalid, match="together"):
        TlsFiles(cert="/certs/cert.pem")
    assert not TlsFiles(ca="/certs/ca.pem", verify=False).verify


@pytest.mark.parametrize("name", ["local", "prod-1", "a.b_c", "x" * 64])
def test_environment_names(name: str) -> None:
    assert NewEnvironment(name, Endpoint(LOCAL_ENDPOINT)).name == name


@pytest.mark.parametrize("name", ["", "x" * 65, "with space", "slash/y", "é"])
def test_bad_environment_names_are_refused(name: str) -> None:
    with pytest.raises(Invalid) as raised:
        NewEnvironment(name, Endpoint(LOCAL_ENDPOINT))
    assert raised.value.field == "name"


def test_labels_are_strings() -> None:
    endpoint = Endpoint(LOCAL_ENDPOINT)
    assert NewEnvironment("a", endpoint, {"site": "paris"}).labels == {"site": "paris"}
    with pytest.raises(Invalid, match=r"labels\.site"):
        NewEnvironment("a", endpoint, {"site": 3})  # type: ignore[dict-item]
    with pytest.raises(Invalid, match="label names"):
        NewEnvironment("a", endpoint, {" ": "x"})


def test_an_environment_is_a_plain_value() -> None:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    one = Environment(1, "local", Endpoint(LOCAL_ENDPOINT), {}, at)
    assert one == Environment(1, "local", Endpoint(LOCAL_ENDPOINT), {}, at)
