"""A daemon reached over ``tcp://`` with TLS: the environment's own CA and client certificate
are used, the server is verified, and a wrong CA is refused with a clear error."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from colibri.domain.environments import TlsFiles
from colibri.engine import connect
from colibri.errors import EngineUnavailable
from tests.support.registry import TLSMaterial, free_port

pytestmark = pytest.mark.docker


class TlsSocketProxy:
    """TLS on 127.0.0.1 (client certificates required) in front of the local Docker socket,
    as a daemon started with ``--tlsverify -H tcp://...`` would answer."""

    def __init__(self, material: TLSMaterial, socket_path: str = "/var/run/docker.sock") -> None:
        self.port = free_port()
        self.socket_path = socket_path
        self.context = ssl.create_default_context(
            ssl.Purpose.CLIENT_AUTH, cafile=str(material.ca_cert)
        )
        self.context.load_cert_chain(str(material.server_cert), str(material.server_key))
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TlsSocketProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(raw,), daemon=True).start()

    def _relay(self, raw: socket.socket) -> None:
        try:
            client = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        upstream = socket.socket(socket.AF_UNIX)
        upstream.connect(self.socket_path)
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.close()


@pytest.fixture
def tls_daemon(tmp_path: Path) -> Iterator[tuple[TlsSocketProxy, TLSMaterial]]:
    material = TLSMaterial.create(tmp_path / "tls")
    with TlsSocketProxy(material) as proxy:
        yield proxy, material


def test_an_environment_with_its_own_tls_files_reaches_the_daemon(tls_daemon) -> None:
    proxy, material = tls_daemon
    files = TlsFiles(str(material.ca_cert), str(material.client_cert), str(material.client_key))
    engine = connect(f"tcp://127.0.0.1:{proxy.port}", timeout=10, tls=files)
    try:
        assert engine.api.version >= "1.41"
        assert isinstance(engine.list_containers(), list)
    finally:
        engine.close()


def test_a_daemon_whose_certificate_is_not_trusted_is_refused(tls_daemon, tmp_path: Path) -> None:
    proxy, material = tls_daemon
    stranger = TLSMaterial.create(tmp_path / "other")
    files = TlsFiles(str(stranger.ca_cert), str(material.client_cert), str(material.client_key))
    with pytest.raises(EngineUnavailable, match="cannot reach the Docker daemon"):
        connect(f"tcp://127.0.0.1:{proxy.port}", timeout=10, tls=files)
