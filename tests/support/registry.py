"""Real distribution registries (Debian's ``docker-registry``) on 127.0.0.1 for the tests.

``RegistryServer`` runs one registry process on a free port with its own storage and config.
Session fixtures, one process each (tests use their own repository names):

* ``registry``: anonymous;
* ``basic_registry``: htpasswd (bcrypt) Basic auth, user ``BASIC_USER``/``BASIC_PASSWORD``;
* ``token_registry``: bearer tokens from ``token_issuer`` (``tests.support.token_issuer``),
  user ``TOKEN_USER``/``TOKEN_PASSWORD``, refresh token ``REFRESH_TOKEN``, anonymous pull only
  under ``public/``;
* ``tls_registry``: HTTPS with a certificate from a test CA; ``tls_registry.certs_dir`` is a
  Docker-style ``certs.d`` directory trusting it; ``mtls_registry`` also requires a client
  certificate (``client.cert``/``client.key`` in its certs dir).

Counting what a client did: ``server.log_mark()`` before, ``server.requests(mark)`` after,
parses the registry's access log and keeps the lines whose User-Agent starts with ``colibri/``
(our client; fixtures push with another agent). The token issuer counts token requests.

Pushing without Docker: ``push_blob``, ``push_manifest``, ``push_image`` (any image config, the
busybox rootfs as default layer, so the daemon can pull and run it), ``push_index`` (OCI index
or Docker manifest list, optional buildx-style attestation entries) and ``push_multiarch`` (the
linux/amd64 image exported from the daemon with ``get_image`` plus a linux/arm64 sibling).
``push`` still pushes a daemon image with ``docker push``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import ipaddress
import json
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import tarfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.images import rootfs_tar
from tests.support.token_issuer import TokenIssuer

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
IN_TOTO = "application/vnd.in-toto+json"

BASIC_USER, BASIC_PASSWORD = "basic-user", "basic-secret"
TOKEN_USER, TOKEN_PASSWORD = "token-user", "token-secret"
REFRESH_TOKEN = "refresh-token-of-token-user"
FIXTURE_AGENT = "colibri-test-fixture"
CLIENT_AGENT = "colibri/"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def registry_binary() -> str:
    found = shutil.which("docker-registry") or shutil.which("registry")
    if not found:
        pytest.fail(
            "docker-registry is not installed: run `scripts/setup-system test`", pytrace=False
        )
    return found


def htpasswd_line(user: str, password: str) -> str:
    """A bcrypt htpasswd entry, made by Apache's ``htpasswd`` (apache2-utils)."""
    binary = shutil.which("htpasswd")
    if not binary:
        pytest.fail(
            "htpasswd is not installed (apache2-utils): run `scripts/setup-system test`",
            pytrace=False,
        )
    done = subprocess.run(
        [binary, "-Bbn", user, password], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- TLS material ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TLSMaterial:
    """A test CA, a server certificate for 127.0.0.1/localhost, and a client certificate."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    @classmethod
    def create(cls, directory: Path) -> TLSMaterial:
        directory.mkdir(parents=True, exist_ok=True)
        ca_key, ca = _ca_certificate()
        paths = {
            name: directory / name
            for name in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")
        }
        paths["ca.pem"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        for stem, server in (("server", True), ("client", False)):
            key, cert = _leaf_certificate(ca_key, ca, server=server)
            paths[f"{stem}.pem"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            paths[f"{stem}.key"].write_bytes(_pem_key(key))
        return cls(
            paths["ca.pem"],
            paths["server.pem"],
            paths["server.key"],
            paths["client.pem"],
            paths["client.key"],
        )

    def certs_dir(self, directory: Path, host: str, *, client: bool = False) -> Path:
        """A Docker ``certs.d`` layout trusting the CA for ``host`` (and a client cert)."""
        host_dir = directory / host
        host_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.ca_cert, host_dir / "ca.crt")
        if client:
            shutil.copy(self.client_cert, host_dir / "client.cert")
            shutil.copy(self.client_key, host_dir / "client.key")
        return directory

    def ssl_context(self, *, client: bool = False) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        if client:
            context.load_cert_chain(str(self.client_cert), str(self.client_key))
        return context


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _ca_certificate() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "colibri test CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf_certificate(
    ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, *, server: bool
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    common_name = "127.0.0.1" if server else "colibri test client"
    now = dt.datetime.now(dt.UTC)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
    return key, builder.sign(ca_key, hashes.SHA256())


# -- access log --------------------------------------------------------------------------------

_ACCESS_RE = re.compile(
    r'^\S+ \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) (?P<target>\S+) [^"]*" '
    r'(?P<status>\d{3}) \S+ "[^"]*" "(?P<agent>[^"]*)"'
)


@dataclass(frozen=True)
class LoggedRequest:
    """One line of the registry's access log."""

    method: str
    path: str
    query: str
    status: int
    user_agent: str

    @property
    def kind(self) -> str:
        """``manifests``, ``blobs``, ``tags``, ``ping``... from the path."""
        if self.path.rstrip("/") == "/v2":
            return "ping"
        for kind in ("manifests", "blobs", "tags", "referrers"):
            if f"/{kind}/" in self.path:
                return kind
        return "other"


def parse_access_log(text: str) -> list[LoggedRequest]:
    found = []
    for line in text.splitlines():
        match = _ACCESS_RE.match(line)
        if match:
            path, _, query = match.group("target").partition("?")
            found.append(
                LoggedRequest(
                    match.group("method"),
                    path,
                    query,
                    int(match.group("status")),
                    match.group("agent"),
                )
            )
    return found


# -- images --------------------------------------------------------------------------------------


def tiny_layer(marker: str) -> bytes:
    """An uncompressed layer tar holding only ``/colibri-marker``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        content = marker.encode() + b"\n"
        info = tarfile.TarInfo("colibri-marker")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def gzip_layer(tar: bytes) -> bytes:
    """Deterministic gzip of an uncompressed layer tar."""
    return gzip.compress(tar, compresslevel=6, mtime=0)


def image_config(
    diff_ids: Sequence[str],
    *,
    architecture: str = "amd64",
    os: str = "linux",
    variant: str | None = None,
    config: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An image configuration (the ``docker inspect`` ``Config`` goes in ``config``)."""
    document: dict[str, Any] = {
        "architecture": architecture,
        "os": os,
        "created": "2024-01-01T00:00:00Z",
        "config": dict(config or {"Cmd": ["sleep", "3600"]}),
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "colibri tests"}],
    }
    if variant:
        document["variant"] = variant
    return document


@dataclass(frozen=True)
class PushedImage:
    """A single-platform manifest the fixtures pushed."""

    repository: str
    digest: str
    media_type: str
    size: int
    manifest: bytes = field(repr=False)
    config_digest: str
    platform: Mapping[str, str]
    tag: str | None = None


@dataclass(frozen=True)
class PushedIndex:
    """An index (or Docker manifest list) the fixtures pushed, with its children."""

    repository: str
    digest: str
    media_type: str
    manifest: bytes = field(repr=False)
    children: tuple[PushedImage, ...]
    attestations: tuple[PushedImage, ...] = ()
    tag: str | None = None


def export_docker_image(api: docker.APIClient, image: str) -> tuple[bytes, list[bytes]]:
    """The config bytes and uncompressed layer tars of a daemon image (``docker save``)."""
    archive = b"".join(api.get_image(image))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:

        def read(name: str) -> bytes:
            member = tar.extractfile(name)
            assert member is not None, f"{name} missing from the saved image"
            return member.read()

        manifest = json.loads(read("manifest.json"))[0]
        return read(manifest["Config"]), [read(layer) for layer in manifest["Layers"]]


# -- the server ----------------------------------------------------------------------------------


class RegistryServer:
    """One ``docker-registry`` process on 127.0.0.1."""

    def __init__(
        self,
        workdir: Path,
        *,
        auth: dict[str, Any] | None = None,
        tls: TLSMaterial | None = None,
        client_certs: bool = False,
        issuer: TokenIssuer | None = None,
        basic: tuple[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.tls = tls
        self.client_certs = client_certs
        self.issuer = issuer
        self.basic = basic
        self.url = f"{'https' if tls else 'http'}://{self.host}"
        self.log_path = workdir / "registry.log"
        self._auth = auth
        if issuer is not None:
            self._auth = issuer.registry_auth()
        if basic is not None:
            self._auth = self._htpasswd_auth(*basic)
        self.certs_dir: Path | None = None
        if tls is not None:
            self.certs_dir = tls.certs_dir(workdir / "certs.d", self.host, client=client_certs)
        self._process: subprocess.Popen[bytes] | None = None

    def _htpasswd_auth(self, user: str, password: str) -> dict[str, Any]:
        path = self.workdir / "htpasswd"
        path.write_text(htpasswd_line(user, password) + "\n")
        return {"htpasswd": {"realm": "colibri-basic", "path": str(path)}}

    def config(self) -> dict[str, Any]:
        http: dict[str, Any] = {
            "addr": self.host,
            "secret": secrets.token_hex(16),
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        }
        if self.tls is not None:
            http["tls"] = {
                "certificate": str(self.tls.server_cert),
                "key": str(self.tls.server_key),
            }
            if self.client_certs:
                http["tls"]["clientcas"] = [str(self.tls.ca_cert)]
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": False}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.workdir / "storage")},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": http,
        }
        if self._auth:
            config["auth"] = self._auth
        return config

    def start(self) -> None:
        config_path = self.workdir / "config.yml"
        # JSON is YAML: no YAML library needed.
        config_path.write_text(json.dumps(self.config()))
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [registry_binary(), "serve", str(config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        with self.api_client() as client:
            while time.monotonic() < deadline:
                try:
                    client.get("/v2/", timeout=1)
                    return
                except httpx.HTTPError:
                    if self._process.poll() is not None:
                        break
                    time.sleep(0.05)
        self.stop()
        pytest.fail(f"registry did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def ref(self, repository: str, tag: str = "latest") -> str:
        return f"{self.host}/{repository}:{tag}"

    def push(
        self,
        api: docker.APIClient,
        image: str,
        repository: str,
        tag: str,
        auth_config: dict[str, str] | None = None,
    ) -> str:
        """Tag ``image`` as ``<host>/<repository>:<tag>``, push it, return the pushed digest."""
        target = f"{self.host}/{repository}"
        api.tag(image, target, tag)
        digest = ""
        for event in api.push(target, tag=tag, stream=True, decode=True, auth_config=auth_config):
            if "error" in event:
                raise AssertionError(f"push of {target}:{tag} failed: {event['error']}")
            aux = event.get("aux") or {}
            digest = aux.get("Digest", digest)
        assert digest, f"push of {target}:{tag} reported no digest"
        return str(digest)

    # -- what the registry saw ---------------------------------------------------------------

    def log_mark(self) -> int:
        """A position in the access log; pass it to :meth:`requests`."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def requests(
        self, since: int = 0, *, user_agent: str | None = CLIENT_AGENT
    ) -> list[LoggedRequest]:
        """Requests logged after ``since`` whose User-Agent starts with ``user_agent``."""
        previous = -1
        for _ in range(20):  # let the last lines land (the log is written per request)
            size = self.log_mark()
            if size == previous:
                break
            previous = size
            time.sleep(0.02)
        with self.log_path.open("rb") as handle:
            handle.seek(since)
            text = handle.read().decode("utf-8", "replace")
        found = parse_access_log(text)
        if user_agent is None:
            return found
        return [request for request in found if request.user_agent.startswith(user_agent)]

    # -- pushing through the API -------------------------------------------------------------

    def api_client(self) -> httpx.Client:
        """An admin client for fixtures (its own User-Agent, never counted as ours)."""
        verify: ssl.SSLContext | bool = True
        if self.tls is not None:
            verify = self.tls.ssl_context(client=self.client_certs)
        auth = httpx.BasicAuth(*self.basic) if self.basic else None
        return httpx.Client(
            base_url=self.url,
            verify=verify,
            auth=auth,
            timeout=30,
            headers={"User-Agent": FIXTURE_AGENT},
            trust_env=False,
        )

    def _headers(self, repository: str) -> dict[str, str]:
        if self.issuer is None:
            return {}
        token = self.issuer.mint("fixture", [f"repository:{repository}:pull,push,delete"])
        return {"Authorization": f"Bearer {token}"}

    def push_blob(self, repository: str, data: bytes) -> str:
        digest = sha256_digest(data)
        headers = self._headers(repository)
        with self.api_client() as client:
            if client.head(f"/v2/{repository}/blobs/{digest}", headers=headers).status_code == 200:
                return digest
            started = client.post(f"/v2/{repository}/blobs/uploads/", headers=headers)
            assert started.status_code == 202, f"blob upload refused: {started.text}"
            location = started.headers["location"]
            separator = "&" if "?" in location else "?"
            done = client.put(
                f"{location}{separator}digest={digest}",
                content=data,
                headers={**headers, "Content-Type": "application/octet-stream"},
            )
            assert done.status_code == 201, f"blob upload failed: {done.text}"
        return digest

    def push_manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        """PUT a manifest as-is (its exact bytes are what gets hashed); return its digest."""
        headers = {**self._headers(repository), "Content-Type": media_type}
        with self.api_client() as client:
            answer = client.put(
                f"/v2/{repository}/manifests/{reference}", content=body, headers=headers
            )
        assert answer.status_code == 201, f"manifest push failed: {answer.text}"
        digest = sha256_digest(body)
        assert answer.headers.get("docker-content-digest") == digest
        return digest

    def delete_manifest(self, repository: str, digest: str) -> None:
        with self.api_client() as client:
            answer = client.delete(
                f"/v2/{repository}/manifests/{digest}", headers=self._headers(repository)
            )
        assert answer.status_code == 202, f"manifest delete failed: {answer.text}"

    def push_image(
        self,
        repository: str,
        tag: str | None = "latest",
        *,
        config: Mapping[str, Any] | None = None,
        config_bytes: bytes | None = None,
        layers: Sequence[bytes] | None = None,
        architecture: str = "amd64",
        os: str = "linux",
        variant: str | None = None,
        oci: bool = False,
        pretty: bool = False,
        annotations: Mapping[str, str] | None = None,
        runnable: bool = True,
    ) -> PushedImage:
        """Push one image manifest with any image config.

        ``layers`` are uncompressed tars (default: a fresh busybox rootfs, so the daemon can pull
        and run the image); ``config`` is the image config's ``config`` section (Env, Cmd,
        StopSignal, Healthcheck, Labels...); ``config_bytes`` replaces the whole config
        document verbatim. ``runnable=False`` uses a one-file layer instead of busybox (fast,
        for tests that never run the image). ``pretty`` indents the manifest JSON (its digest
        covers the whitespace). Untagged when ``tag`` is None (push an index's children so).
        """
        if layers is None:
            marker = secrets.token_hex(8)
            layers = [rootfs_tar(marker) if runnable else tiny_layer(marker)]
        tars = list(layers)
        if config_bytes is None:
            diff_ids = [sha256_digest(tar) for tar in tars]
            document = image_config(
                diff_ids, architecture=architecture, os=os, variant=variant, config=config
            )
            config_bytes = json.dumps(document).encode()
        compressed = [gzip_layer(tar) for tar in tars]
        return self._push_parts(
            repository,
            tag,
            config_bytes,
            compressed,
            oci=oci,
            pretty=pretty,
            annotations=annotations,
        )

    def _push_parts(
        self,
        repository: str,
        tag: str | None,
        config_bytes: bytes,
        compressed: Sequence[bytes],
        *,
        oci: bool,
        pretty: bool = False,
        annotations: Mapping[str, str] | None = None,
        config_type: str | None = None,
        layer_type: str | None = None,
    ) -> PushedImage:
        media_type = OCI_MANIFEST if oci else DOCKER_MANIFEST
        config_digest = self.push_blob(repository, config_bytes)
        layer_descriptors = [
            {
                "mediaType": layer_type or (OCI_LAYER if oci else DOCKER_LAYER),
                "digest": self.push_blob(repository, layer),
                "size": len(layer),
            }
            for layer in compressed
        ]
        manifest: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {
                "mediaType": config_type or (OCI_CONFIG if oci else DOCKER_CONFIG),
                "digest": config_digest,
                "size": len(config_bytes),
            },
            "layers": layer_descriptors,
        }
        if annotations:
            manifest["annotations"] = dict(annotations)
        body = json.dumps(manifest, indent=3 if pretty else None).encode()
        digest = self.push_manifest(repository, tag or sha256_digest(body), body, media_type)
        parsed = json.loads(config_bytes)
        platform = {
            "os": parsed.get("os", "unknown"),
            "architecture": parsed.get("architecture", "unknown"),
        }
        if parsed.get("variant"):
            platform["variant"] = parsed["variant"]
        return PushedImage(
            repository, digest, media_type, len(body), body, config_digest, platform, tag
        )

    def push_attestation(self, repository: str, subject: PushedImage) -> PushedImage:
        """A buildx-style attestation manifest (in-toto layer) for ``subject``."""
        statement = json.dumps(
            {
                "_type": "https://in-toto.io/Statement/v0.1",
                "subject": [{"digest": {"sha256": subject.digest[7:]}}],
                "predicateType": "https://spdx.dev/Document",
            }
        ).encode()
        return self._push_parts(
            repository,
            None,
            b'{"architecture":"unknown","os":"unknown"}',
            [statement],
            oci=True,
            layer_type=IN_TOTO,
        )

    def push_index(
        self,
        repository: str,
        tag: str | None,
        children: Sequence[PushedImage],
        *,
        oci: bool = True,
        attestations: bool = False,
        annotations: Mapping[str, str] | None = None,
    ) -> PushedIndex:
        """Push an OCI index (or Docker manifest list) over already pushed ``children``."""
        entries = [
            {
                "mediaType": child.media_type,
                "digest": child.digest,
                "size": child.size,
                "platform": dict(child.platform),
            }
            for child in children
        ]
        proofs: list[PushedImage] = []
        if attestations:
            for child in children:
                proof = self.push_attestation(repository, child)
                proofs.append(proof)
                entries.append(
                    {
                        "mediaType": proof.media_type,
                        "digest": proof.digest,
                        "size": proof.size,
                        "platform": {"os": "unknown", "architecture": "unknown"},
                        "annotations": {
                            "vnd.docker.reference.type": "attestation-manifest",
                            "vnd.docker.reference.digest": child.digest,
                        },
                    }
                )
        media_type = OCI_INDEX if oci else DOCKER_LIST
        document: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "manifests": entries,
        }
        if annotations:
            document["annotations"] = dict(annotations)
        body = json.dumps(document).encode()
        digest = self.push_manifest(repository, tag or sha256_digest(body), body, media_type)
        return PushedIndex(
            repository, digest, media_type, body, tuple(children), tuple(proofs), tag
        )

    def push_multiarch(
        self,
        api: docker.APIClient,
        image: str,
        repository: str,
        tag: str,
        *,
        oci: bool = True,
        attestations: bool = False,
    ) -> PushedIndex:
        """``image`` from the daemon as linux/amd64 plus a linux/arm64 sibling, as one index.

        The amd64 manifest carries the daemon's config bytes verbatim and its layers gzipped;
        the arm64 one the same layers with ``architecture`` rewritten (it cannot run; it only
        has to be a different, valid manifest).
        """
        config_bytes, tars = export_docker_image(api, image)
        compressed = [gzip_layer(tar) for tar in tars]
        amd64 = self._push_parts(repository, None, config_bytes, compressed, oci=oci)
        arm_config = json.loads(config_bytes)
        arm_config.update({"architecture": "arm64", "variant": "v8"})
        arm64 = self._push_parts(
            repository, None, json.dumps(arm_config).encode(), compressed, oci=oci
        )
        return self.push_index(repository, tag, [amd64, arm64], oci=oci, attestations=attestations)


def unique_repository(stem: str = "repo") -> str:
    """A repository name no other test uses."""
    return f"{stem}-{secrets.token_hex(4)}"


def _started(server: RegistryServer) -> Iterator[RegistryServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """An anonymous registry shared by the session (tests use their own repositories)."""
    yield from _started(RegistryServer(tmp_path_factory.mktemp("registry")))


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry behind htpasswd Basic auth (``BASIC_USER``/``BASIC_PASSWORD``)."""
    workdir = tmp_path_factory.mktemp("basic-registry")
    yield from _started(RegistryServer(workdir, basic=(BASIC_USER, BASIC_PASSWORD)))


@pytest.fixture(scope="session")
def token_issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenIssuer]:
    """The token server of ``token_registry``; call ``reset()`` to clear counts/behaviour."""
    issuer = TokenIssuer(
        tmp_path_factory.mktemp("token-issuer"),
        users={TOKEN_USER: TOKEN_PASSWORD},
        refresh_tokens={REFRESH_TOKEN: TOKEN_USER},
    ).start()
    yield issuer
    issuer.stop()


@pytest.fixture(scope="session")
def token_registry(
    tmp_path_factory: pytest.TempPathFactory, token_issuer: TokenIssuer
) -> Iterator[RegistryServer]:
    """A registry that wants bearer tokens from ``token_issuer``."""
    workdir = tmp_path_factory.mktemp("token-registry")
    yield from _started(RegistryServer(workdir, issuer=token_issuer))


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TLSMaterial:
    return TLSMaterial.create(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_registry(
    tmp_path_factory: pytest.TempPathFactory, tls_material: TLSMaterial
) -> Iterator[RegistryServer]:
    """HTTPS with a test CA; trust it through ``tls_registry.certs_dir`` (certs.d layout)."""
    workdir = tmp_path_factory.mktemp("tls-registry")
    yield from _started(RegistryServer(workdir, tls=tls_material))


@pytest.fixture(scope="session")
def mtls_registry(
    tmp_path_factory: pytest.TempPathFactory, tls_material: TLSMaterial
) -> Iterator[RegistryServer]:
    """HTTPS that also requires a client certificate (in ``mtls_registry.certs_dir``)."""
    workdir = tmp_path_factory.mktemp("mtls-registry")
    yield from _started(RegistryServer(workdir, tls=tls_material, client_certs=True))
