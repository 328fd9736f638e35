"""TLS: trust only through a Docker certs.d directory, client certificates, no silent HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from colibri.errors import RegistryError
from colibri.registry import TLSPolicy
from tests.integration.registry.conftest import ClientFactory, ref
from tests.support.registry import RegistryServer, TLSMaterial, unique_repository

pytestmark = pytest.mark.registry


def test_trusted_through_certs_d(tls_registry: RegistryServer, make_client: ClientFactory) -> None:
    repository = unique_repository()
    pushed = tls_registry.push_image(repository, "1", runnable=False)
    client = make_client(tls=TLSPolicy(certs_dir=tls_registry.certs_dir))
    mark = tls_registry.log_mark()
    assert client.head(ref(tls_registry.host, repository, "1")).digest == pushed.digest
    assert [(r.method, r.status) for r in tls_registry.requests(mark)] == [
        ("GET", 200),
        ("HEAD", 200),
    ]


def test_without_certs_d_the_client_says_how_to_trust_it(
    tls_registry: RegistryServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    client = make_client(tls=TLSPolicy(certs_dir=tmp_path))
    with pytest.raises(RegistryError, match="answers HTTPS only") as caught:
        client.head(ref(tls_registry.host, unique_repository(), "1"))
    assert not caught.value.transient
    assert f"{tmp_path}/{tls_registry.host}/ca.crt" in str(caught.value)


def test_an_untrusted_certificate_is_refused(
    tls_registry: RegistryServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    stranger = TLSMaterial.create(tmp_path / "other-ca")
    certs = stranger.certs_dir(tmp_path / "certs.d", tls_registry.host)
    mark = tls_registry.log_mark()
    with pytest.raises(RegistryError, match="CERTIFICATE_VERIFY_FAILED") as caught:
        make_client(tls=TLSPolicy(certs_dir=certs)).head(ref(tls_registry.host, "x", "1"))
    assert not caught.value.transient and type(caught.value) is RegistryError
    assert tls_registry.requests(mark) == []


def test_client_certificate_from_certs_d(
    mtls_registry: RegistryServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    repository = unique_repository()
    pushed = mtls_registry.push_image(repository, "1", runnable=False)
    client = make_client(tls=TLSPolicy(certs_dir=mtls_registry.certs_dir))
    assert client.head(ref(mtls_registry.host, repository, "1")).digest == pushed.digest
    assert mtls_registry.certs_dir is not None
    without = tmp_path / "certs.d"
    shutil.copytree(mtls_registry.certs_dir, without)
    (without / mtls_registry.host / "client.cert").unlink()
    (without / mtls_registry.host / "client.key").unlink()
    with pytest.raises(RegistryError, match="TLS with") as caught:
        make_client(tls=TLSPolicy(certs_dir=without)).head(ref(mtls_registry.host, repository, "1"))
    assert not caught.value.transient and caught.value.__cause__ is None
