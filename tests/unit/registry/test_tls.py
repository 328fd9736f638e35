"""Scheme and trust per registry host (registry-spec H8)."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from colibri.errors import ConfigError
from colibri.registry.tls import TLSPolicy, is_loopback, split_host_port
from tests.support.registry import TLSMaterial


@pytest.mark.parametrize(
    ("netloc", "expected"),
    [
        ("localhost:5000", True),
        ("127.0.0.1", True),
        ("127.8.9.10:443", True),
        ("[::1]:5000", True),
        ("app.localhost", True),
        ("10.0.0.1:5000", False),
        ("registry.example", False),
        ("[2001:db8::1]:5000", False),
        ("localhostx:5000", False),
    ],
)
def test_loopback(netloc: str, expected: bool) -> None:
    assert is_loopback(netloc) is expected


def test_split_host_port() -> None:
    assert split_host_port("[::1]:5000") == ("::1", "5000")
    assert split_host_port("Example.COM") == ("example.com", None)
    assert split_host_port("r:5000") == ("r", "5000")


def test_https_everywhere_except_loopback_and_listed_hosts(tmp_path: Path) -> None:
    policy = TLSPolicy(
        certs_dir=tmp_path, insecure=["registry.lan:5000", "plain.lan", "10.1.0.0/16"]
    )
    assert policy.scheme("registry.example") == "https"
    assert policy.scheme("localhost:5000") == "http"
    assert policy.scheme("127.0.0.1:5000") == "http"
    assert policy.scheme("registry.lan:5000") == "http"
    assert policy.scheme("registry.lan:5001") == "https"
    assert policy.scheme("plain.lan:8080") == "http"
    assert policy.scheme("10.1.2.3:5000") == "http"
    assert policy.scheme("10.2.2.3:5000") == "https"


def test_loopback_http_can_be_turned_off(tmp_path: Path) -> None:
    assert TLSPolicy(certs_dir=tmp_path, loopback_http=False).scheme("localhost:5000") == "https"


def test_a_certs_dir_means_https_even_on_loopback(tmp_path: Path) -> None:
    material = TLSMaterial.create(tmp_path / "material")
    certs = material.certs_dir(tmp_path / "certs.d", "127.0.0.1:5000")
    policy = TLSPolicy(certs_dir=certs)
    assert policy.scheme("127.0.0.1:5000") == "https"
    assert policy.scheme("127.0.0.1:5001") == "http"


def test_context_trusts_the_ca_and_loads_the_client_cert(tmp_path: Path) -> None:
    material = TLSMaterial.create(tmp_path / "material")
    certs = material.certs_dir(tmp_path / "certs.d", "r.example:443", client=True)
    context = TLSPolicy(certs_dir=certs).ssl_context("r.example:443")
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    subjects = [dict(entry[0] for entry in ca["subject"]) for ca in context.get_ca_certs()]
    assert {"commonName": "colibri test CA"} in subjects
    assert TLSPolicy(certs_dir=certs).ssl_context("r.example:443") is not context
    policy = TLSPolicy(certs_dir=certs)
    assert policy.ssl_context("R.example:443") is policy.ssl_context("r.example:443")


def test_a_client_cert_without_key_is_a_config_error(tmp_path: Path) -> None:
    host_dir = tmp_path / "r.example"
    host_dir.mkdir()
    (host_dir / "client.cert").write_text("x")
    with pytest.raises(ConfigError, match="no matching key"):
        TLSPolicy(certs_dir=tmp_path).ssl_context("r.example")


def test_an_unreadable_ca_is_a_config_error(tmp_path: Path) -> None:
    host_dir = tmp_path / "r.example"
    host_dir.mkdir()
    (host_dir / "ca.crt").write_text("not a certificate")
    with pytest.raises(ConfigError, match="cannot load TLS files"):
        TLSPolicy(certs_dir=tmp_path).ssl_context("r.example")


def test_bad_cidr_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="CIDR"):
        TLSPolicy(insecure=["10.0.0.0/99"])
