"""Which scheme and which TLS trust to use for a registry host (docs/registry.md H8).

TLS is always verified. Trust is the system store plus, per host, Docker's layout
``<certs_dir>/<host[:port]>/``: every ``*.crt`` is an extra CA, every ``*.cert`` with its
``*.key`` a client certificate. Plain HTTP is used only for hosts without such a directory that
are loopback (``localhost``, 127.0.0.0/8, ``::1``: Docker treats them as insecure too) or that the
operator lists as insecure (``host``, ``host:port`` or a CIDR such as ``10.0.0.0/8``).
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Iterable
from pathlib import Path

from colibri.errors import ConfigError

__all__ = ["DEFAULT_CERTS_DIR", "TLSPolicy", "is_loopback", "split_host_port"]

DEFAULT_CERTS_DIR = Path("/etc/docker/certs.d")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def split_host_port(netloc: str) -> tuple[str, str | None]:
    """``[::1]:5000`` -> ``("::1", "5000")``; ``example.com`` -> ``("example.com", None)``."""
    if netloc.startswith("["):
        host, _, rest = netloc[1:].partition("]")
        return host.lower(), (rest[1:] if rest.startswith(":") else None)
    host, colon, port = netloc.rpartition(":")
    if not colon or not port.isdigit():
        return netloc.lower(), None
    return host.lower(), port


def is_loopback(netloc: str) -> bool:
    """True for ``localhost`` and loopback IP addresses, with or without a port."""
    host, _ = split_host_port(netloc)
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TLSPolicy:
    """Scheme and ``ssl.SSLContext`` per registry host. Thread-safe; contexts are cached."""

    def __init__(
        self,
        *,
        certs_dir: Path | None = DEFAULT_CERTS_DIR,
        insecure: Iterable[str] = (),
        loopback_http: bool = True,
    ) -> None:
        self.certs_dir = certs_dir
        self.loopback_http = loopback_http
        self._insecure_names: set[str] = set()
        self._insecure_networks: list[IPNetwork] = []
        for entry in insecure:
            self._add_insecure(entry.strip().lower())
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def scheme(self, netloc: str) -> str:
        """``https``, unless the host may use plain HTTP and has no certs.d directory."""
        if self.host_dir(netloc) is not None:
            return "https"
        if (self.loopback_http and is_loopback(netloc)) or self.is_insecure(netloc):
            return "http"
        return "https"

    def is_insecure(self, netloc: str) -> bool:
        """True when the operator listed this host (any port, or this port) or its network."""
        netloc = netloc.lower()
        host, _ = split_host_port(netloc)
        if netloc in self._insecure_names or host in self._insecure_names:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self._insecure_networks)

    def host_dir(self, netloc: str) -> Path | None:
        """``<certs_dir>/<host[:port]>`` when it exists."""
        if self.certs_dir is None:
            return None
        candidate = self.certs_dir / netloc.lower()
        return candidate if candidate.is_dir() else None

    def ssl_context(self, netloc: str) -> ssl.SSLContext:
        """The verifying context for ``netloc`` (system CAs plus its certs.d files)."""
        key = netloc.lower()
        with self._lock:
            context = self._contexts.get(key)
            if context is None:
                context = _build_context(self.host_dir(key))
                self._contexts[key] = context
            return context

    def _add_insecure(self, entry: str) -> None:
        if "/" in entry:
            try:
                self._insecure_networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ConfigError(f"insecure registry {entry!r} is not a valid CIDR") from None
        elif entry:
            self._insecure_names.add(entry)


def _build_context(directory: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if directory is None:
        return context
    try:
        for ca_file in sorted(directory.glob("*.crt")):
            context.load_verify_locations(cafile=str(ca_file))
        for cert_file in sorted(directory.glob("*.cert")):
            key_file = cert_file.with_suffix(".key")
            if not key_file.is_file():
                raise ConfigError(f"{cert_file} has no matching key {key_file.name}")
            context.load_cert_chain(str(cert_file), str(key_file))
        for key_file in sorted(directory.glob("*.key")):
            if not key_file.with_suffix(".cert").is_file():
                raise ConfigError(f"{key_file} has no matching certificate (*.cert)")
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"cannot load TLS files from {directory}: {exc}") from None
    return context
