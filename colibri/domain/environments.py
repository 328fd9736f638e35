"""Environments: the Docker hosts Colibri manages, and how to reach each one.

An endpoint is a Docker host URL in one of three forms, as ``DOCKER_HOST`` spells them:

* ``unix:///var/run/docker.sock``: a local socket (an absolute path, no host part);
* ``tcp://host:port``: the daemon's TCP socket, with TLS material (the CA, client certificate
  and key files, named in the environment files directory of the machine running Colibri)
  and ``verify`` (check the daemon's certificate; off only for a daemon whose certificate
  cannot be checked). Without TLS, a daemon that is not on this machine (loopback) is
  refused unless the endpoint is marked ``insecure``: the Docker API over plain TCP gives
  root on that host to anyone on the path;
* ``ssh://[user@]host[:port]``: the daemon through SSH; keys come from the SSH agent or
  configuration, so a password in the URL is refused, and so is a user or host starting with
  ``-`` (``ssh`` would read it as an option).

An environment also says which registry credentials its daemon may be given with a pull
(``X-Registry-Auth``): :data:`NO_CREDENTIALS` (the default: none), :data:`HOST_CREDENTIALS`
(this host's Docker ``config.json``, as the ``local`` environment has), or the name of a
Docker ``config.json`` of its own in the environment files directory. Credentials never go
to a plain-TCP daemon on another machine. Who may grant them is the API's decision
(:func:`grants_credentials`).

Every rule is checked when the value is built, so an ``Endpoint`` that exists is usable. The
environment named :data:`LOCAL_ENVIRONMENT` is created by the store's migrations on
:data:`LOCAL_ENDPOINT`; it is the one the CLI's ``COLIBRI_ENVIRONMENT`` names by default.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from urllib.parse import SplitResult, urlsplit

from colibri.domain.invalid import Invalid

__all__ = [
    "HOST_CREDENTIALS",
    "LOCAL_ENDPOINT",
    "LOCAL_ENVIRONMENT",
    "NO_CREDENTIALS",
    "Endpoint",
    "EndpointScheme",
    "Environment",
    "NewEnvironment",
    "TlsFiles",
    "check_environment_name",
    "check_file_name",
    "check_labels",
    "grants_credentials",
    "is_loopback_host",
]

LOCAL_ENVIRONMENT = "local"
NO_CREDENTIALS = "none"
HOST_CREDENTIALS = "host"
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})*")
LOCAL_ENDPOINT = "unix:///var/run/docker.sock"
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_FORMS = "unix:///path/to/docker.sock, tcp://host:port or ssh://user@host[:port]"
_PASSWORD = re.compile(r"(//[^/@:]*):[^/@]*@")


class EndpointScheme(StrEnum):
    """How the daemon is reached."""

    UNIX = "unix"
    TCP = "tcp"
    SSH = "ssh"


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """TLS material for a ``tcp://`` endpoint: file names in the environment files directory
    (:func:`check_file_name`), client cert and key together."""

    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    verify: bool = True

    def __post_init__(self) -> None:
        for name in ("ca", "cert", "key"):
            path = getattr(self, name)
            if path is not None:
                check_file_name(path, f"endpoint.tls.{name}", absolute=True)
        if (self.cert is None) != (self.key is None):
            raise Invalid("endpoint.tls", "a client certificate and its key go together")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A Docker host URL, checked when built (see the module's docstring for the forms)."""

    url: str
    tls: TlsFiles | None = None
    insecure: bool = False

    def __post_init__(self) -> None:
        scheme = _check_url(self.url)
        if self.tls is not None and scheme is not EndpointScheme.TCP:
            raise Invalid("endpoint.tls", f"TLS material applies to tcp:// only, not {scheme}://")
        if self.insecure and (scheme is not EndpointScheme.TCP or self.tls is not None):
            raise Invalid("endpoint.insecure", "applies to tcp:// without TLS only")
        plain = scheme is EndpointScheme.TCP and self.tls is None and not self.insecure
        if plain and not is_loopback_host(urlsplit(self.url).hostname or ""):
            raise Invalid(
                "endpoint.tls",
                f"{self.url!r} is another machine over plain TCP: give its TLS material, "
                "or set endpoint.insecure if the network between is trusted",
            )

    @property
    def plain_remote(self) -> bool:
        """A daemon on another machine reached without TLS."""
        return self.scheme is EndpointScheme.TCP and self.tls is None and self.insecure

    @property
    def scheme(self) -> EndpointScheme:
        """``unix``, ``tcp`` or ``ssh``."""
        return EndpointScheme(self.url.partition(":")[0].lower())


@dataclass(frozen=True, slots=True)
class NewEnvironment:
    """What a user says about an environment: its unique name, endpoint and labels."""

    name: str
    endpoint: Endpoint
    labels: Mapping[str, str] = field(default_factory=dict)
    registry_credentials: str = NO_CREDENTIALS

    def __post_init__(self) -> None:
        check_environment_name(self.name)
        check_labels(self.labels)
        _check_credentials(self.registry_credentials, self.endpoint)


@dataclass(frozen=True, slots=True)
class Environment:
    """A stored environment."""

    id: int
    name: str
    endpoint: Endpoint
    labels: Mapping[str, str]
    created_at: datetime
    registry_credentials: str = NO_CREDENTIALS


def check_environment_name(name: str) -> str:
    """``name`` if it is 1-64 letters, digits, ``_``, ``.`` or ``-``; ``Invalid`` otherwise."""
    if not _NAME.fullmatch(name):
        raise Invalid("name", f"{name!r} must be 1-64 letters, digits, '_', '.' or '-'")
    return name


def check_file_name(name: str, field_name: str, *, absolute: bool = False) -> str:
    """``name`` if it names a file inside a directory (``certs/ca.pem``): no ``..``, no
    hidden files, no absolute path unless ``absolute`` (which must then still lie in the
    directory: the caller knows which); ``Invalid`` for ``field_name`` otherwise."""
    if absolute and name.startswith("/"):
        if "\x00" not in name and ".." not in name.split("/") and name.isprintable():
            return name
    elif _FILE_NAME.fullmatch(name) and ".." not in name.split("/"):
        return name
    raise Invalid(
        field_name,
        f"{name!r} must be a file name in the environment files directory "
        "(letters, digits, '_', '.', '-', sub-directories with '/', no '..')",
    )


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a URL's host part) is this machine: ``localhost`` or a loopback
    address. Any other name may resolve anywhere."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def grants_credentials(before: Environment | None, after: NewEnvironment) -> bool:
    """Whether saving ``after`` (over ``before``, ``None`` for a new one) gives a daemon
    registry credentials it did not have: credentials chosen or changed, or an environment
    that has them moved to another endpoint."""
    if after.registry_credentials == NO_CREDENTIALS:
        return False
    if before is None:
        return True
    return (
        before.registry_credentials != after.registry_credentials
        or before.endpoint != after.endpoint
    )


def _check_credentials(value: str, endpoint: Endpoint) -> None:
    if value not in (NO_CREDENTIALS, HOST_CREDENTIALS):
        check_file_name(value, "registry_credentials")
    if value != NO_CREDENTIALS and endpoint.plain_remote:
        raise Invalid(
            "registry_credentials",
            "registry credentials would cross the network in clear text to a plain-TCP "
            "daemon: give the endpoint TLS, or use none",
        )


def check_labels(labels: Mapping[str, str]) -> Mapping[str, str]:
    """``labels`` if every key is a non-empty string and every value a string."""
    for key, value in labels.items():
        if not isinstance(key, str) or not key.strip():
            raise Invalid("labels", f"label names must be non-empty strings, got {key!r}")
        if not isinstance(value, str):
            raise Invalid(f"labels.{key}", f"expected a string, got {value!r}")
    return labels


def _check_url(given: str) -> EndpointScheme:
    """The scheme of a valid endpoint URL; ``Invalid`` naming what is wrong otherwise.

    Messages show the URL with any password masked."""
    url = _PASSWORD.sub(r"\1:***@", given)
    try:
        parts = urlsplit(given.strip())
        port = parts.port
    except ValueError as exc:
        raise Invalid("endpoint.url", f"{url!r} is not a valid URL ({exc})") from None
    try:
        scheme = EndpointScheme(parts.scheme.lower())
    except ValueError:
        raise Invalid(
            "endpoint.url", f"{url!r} has an unsupported scheme; expected {_FORMS}"
        ) from None
    if given != given.strip() or parts.query or parts.fragment:
        raise Invalid("endpoint.url", f"{url!r} must not carry spaces, a query or a fragment")
    if scheme is EndpointScheme.UNIX:
        _check_unix(url, parts)
    else:
        _check_network(url, parts, scheme, port)
    return scheme


def _check_unix(url: str, parts: SplitResult) -> None:
    if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
        raise Invalid(
            "endpoint.url",
            f"{url!r}: a unix socket needs an absolute path, as in unix:///var/run/docker.sock",
        )


def _check_network(url: str, parts: SplitResult, scheme: EndpointScheme, port: int | None) -> None:
    if not parts.hostname:
        raise Invalid("endpoint.url", f"{url!r} names no host; expected {_FORMS}")
    if parts.hostname.startswith("-") or (parts.username or "").startswith("-"):
        raise Invalid("endpoint.url", f"{url!r}: a user or host must not start with '-'")
    if parts.path not in ("", "/"):
        raise Invalid("endpoint.url", f"{url!r} must not have a path after the host")
    if scheme is EndpointScheme.TCP:
        if parts.username is not None or parts.password is not None:
            raise Invalid("endpoint.url", "a tcp:// endpoint takes no user; use TLS material")
        if port is None:
            raise Invalid("endpoint.url", f"{url!r} needs a port, as in tcp://host:2376")
    elif parts.password is not None:
        raise Invalid("endpoint.url", "an ssh:// endpoint takes no password; use an SSH key")
    if port == 0:
        raise Invalid("endpoint.url", f"{url!r}: port 0 is not a port")
