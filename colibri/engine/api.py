"""The Docker Engine API over httpx: endpoints, API version negotiation, error translation.

Colibri talks to the daemon with the same HTTP stack it uses for registries, for three
reasons measured in ``make bench``: the Docker SDK (requests + urllib3) adds about 0.1 s to
every command's start, its per-call overhead is several times httpx's, and raw JSON in and out
is all Colibri needs (inspect documents in, create bodies out). Hosts are reached as the docker
CLI reaches them: a unix socket, ``tcp://`` (TLS from ``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH``),
or ``ssh://`` through OpenSSH forwarding the remote socket to a local one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from colibri.domain.environments import TlsFiles
from colibri.errors import (
    ConfigError,
    EngineConflict,
    EngineError,
    EngineNotFound,
    EngineUnavailable,
)

__all__ = ["DEFAULT_HOST", "EngineAPI", "open_api"]

log = logging.getLogger(__name__)

DEFAULT_HOST = "unix:///var/run/docker.sock"
MIN_API = (1, 41)  # Docker 20.10, what Debian 12 ships
MAX_API = (1, 47)
REMOTE_SOCKET = "/var/run/docker.sock"


class EngineAPI:
    """A versioned Engine API client. Thread-safe (one httpx.Client with a pool)."""

    def __init__(self, client: httpx.Client, *, host: str, closer: Any = None) -> None:
        self.client = client
        self.host = host
        self.version = "1.41"
        self.server: Mapping[str, Any] = {}  # the daemon's /version document
        self._closer = closer

    def close(self) -> None:
        self.client.close()
        if self._closer is not None:
            self._closer()

    def negotiate(self) -> None:
        """Use the daemon's API version, capped at the newest this code knows."""
        info = self.json("GET", "/version", versioned=False, action="ask the daemon its version")
        self.server = dict(info or {})
        server = _parse_version(str(info.get("ApiVersion") or "1.41"))
        if server < MIN_API:
            raise EngineError(
                f"the Docker daemon at {self.host} speaks API {_text(server)}; "
                f"Colibri needs {_text(MIN_API)} (Docker 20.10) or newer"
            )
        self.version = _text(min(server, MAX_API))

    def json(
        self,
        method: str,
        path: str,
        *,
        action: str,
        versioned: bool = True,
        allow: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> Any:
        """Send one request and return its JSON body (``None`` when empty)."""
        response = self.send(method, path, action=action, versioned=versioned, **kwargs)
        if response.status_code in allow or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise EngineError(f"{action}: the daemon answered something that is not JSON") from exc

    def send(
        self, method: str, path: str, *, action: str, versioned: bool = True, **kwargs: Any
    ) -> httpx.Response:
        url = self.url(path, versioned=versioned)
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise EngineUnavailable(f"{action}: the Docker daemon did not answer in time") from exc
        except httpx.TransportError as exc:
            raise EngineUnavailable(f"{action}: cannot reach the Docker daemon ({exc})") from exc
        log.debug("%s %s -> %s", method, url, response.status_code)
        _raise_for_status(response, action)
        return response

    def stream_lines(
        self, method: str, path: str, *, action: str, versioned: bool = True, **kwargs: Any
    ) -> Iterator[Any]:
        """Decoded JSON lines of a streaming answer (``docker pull`` progress)."""
        url = self.url(path, versioned=versioned)
        try:
            with self.client.stream(method, url, **kwargs) as response:
                if response.status_code >= 400:
                    response.read()
                    _raise_for_status(response, action)
                for line in response.iter_lines():
                    if line.strip():
                        yield _decode_line(line, action)
        except httpx.TimeoutException as exc:
            raise EngineUnavailable(f"{action}: the Docker daemon did not answer in time") from exc
        except httpx.TransportError as exc:
            raise EngineUnavailable(
                f"{action}: the connection to the daemon broke ({exc})"
            ) from exc

    def url(self, path: str, *, versioned: bool = True) -> str:
        return f"/v{self.version}{path}" if versioned else path


def quote_name(name: str) -> str:
    """A container, image or network name for a URL path (slashes and colons kept)."""
    return quote(name, safe="/:@")


def open_api(
    host: str | None, *, timeout: float, pool_size: int, tls: TlsFiles | None = None
) -> EngineAPI:
    """Open ``host`` (else ``DOCKER_HOST``, else the local socket) and negotiate the version.
    ``tls`` gives a ``tcp://`` host its own TLS material (an environment's); without it the
    docker CLI's variables apply."""
    target = host or os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    scheme = urlsplit(target).scheme
    limits = httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
    options: dict[str, Any] = {"timeout": httpx.Timeout(timeout), "limits": limits}
    closer = None
    if scheme == "unix":
        client = _unix_client(urlsplit(target).path, options)
    elif scheme == "tcp":
        client = _tcp_client(target, options, tls)
    elif scheme == "ssh":
        socket_path, closer = _ssh_forward(target, timeout)
        client = _unix_client(socket_path, options)
    else:
        raise ConfigError(
            f"Docker host {target!r}: expected unix:///path, tcp://host:port or ssh://user@host"
        )
    api = EngineAPI(client, host=target, closer=closer)
    try:
        api.negotiate()
    except Exception:
        api.close()
        raise
    return api


def _unix_client(path: str, options: dict[str, Any]) -> httpx.Client:
    return httpx.Client(  # no TLS on a local socket: skip loading the CA bundle
        transport=httpx.HTTPTransport(uds=path, limits=options["limits"], verify=False),
        base_url="http://docker",
        timeout=options["timeout"],
    )


def _tcp_client(target: str, options: dict[str, Any], tls: TlsFiles | None) -> httpx.Client:
    """TLS from ``tls`` when given; else as the docker CLI does it: ``DOCKER_TLS_VERIFY`` turns
    it on, ``DOCKER_CERT_PATH`` (default ``~/.docker``) holds ca.pem, cert.pem and key.pem."""
    netloc = urlsplit(target).netloc
    if tls is None and os.environ.get("DOCKER_TLS_VERIFY"):
        cert_dir = Path(os.environ.get("DOCKER_CERT_PATH") or Path.home() / ".docker")
        tls = TlsFiles(
            str(cert_dir / "ca.pem"), str(cert_dir / "cert.pem"), str(cert_dir / "key.pem")
        )
    if tls is None:
        return httpx.Client(base_url=f"http://{netloc}", **options)
    return httpx.Client(base_url=f"https://{netloc}", verify=_tls_context(tls), **options)


def _tls_context(tls: TlsFiles) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(cafile=tls.ca)
        if not tls.verify:  # the operator's explicit choice for this daemon (docker --tls)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if tls.cert and tls.key:
            context.load_cert_chain(tls.cert, tls.key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"Docker TLS files {tls.ca}, {tls.cert}, {tls.key}: {exc}") from exc
    return context


def _ssh_forward(target: str, timeout: float) -> tuple[str, Any]:
    """Forward the remote daemon's socket to a local one with OpenSSH (non-interactive)."""
    ssh = shutil.which("ssh")
    if ssh is None:
        raise ConfigError(f"Docker host {target!r}: the ssh client is not installed")
    parts = urlsplit(target)
    directory = tempfile.mkdtemp(prefix="colibri-ssh-")
    local = str(Path(directory) / "docker.sock")
    argv = [
        ssh,
        "-nNT",
        "-o",
        "BatchMode=yes",
        "-o",
        "ExitOnForwardFailure=yes",
        "-L",
        f"{local}:{REMOTE_SOCKET}",
    ]
    if parts.port:
        argv += ["-p", str(parts.port)]
    argv.append(f"{parts.username}@{parts.hostname}" if parts.username else str(parts.hostname))
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while not Path(local).exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            error = (process.stderr.read() if process.stderr else b"").decode(errors="replace")
            shutil.rmtree(directory, ignore_errors=True)
            raise EngineUnavailable(f"ssh to {parts.hostname} failed: {error.strip()[:300]}")
        time.sleep(0.05)

    def close() -> None:
        process.terminate()
        shutil.rmtree(directory, ignore_errors=True)

    return local, close


def _raise_for_status(response: httpx.Response, action: str) -> None:
    if response.status_code < 400:
        return
    message = f"{action}: {_daemon_message(response)}"
    if response.status_code == 404:
        raise EngineNotFound(message)
    if response.status_code == 409:
        raise EngineConflict(message)
    raise EngineError(message)


def _daemon_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or f"HTTP {response.status_code}"
    if isinstance(body, Mapping) and body.get("message"):
        return str(body["message"])
    return f"HTTP {response.status_code}"


def _decode_line(line: str, action: str) -> Any:
    try:
        return json.loads(line)
    except ValueError as exc:
        raise EngineError(f"{action}: unreadable progress line {line[:100]!r}") from exc


def _parse_version(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        return MIN_API


def _text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"
