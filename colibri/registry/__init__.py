"""The OCI distribution client: manifests, tags, blobs and referrers of any registry.

Build one :class:`RegistryClient` per check run and share it between threads::

    client = RegistryClient(
        credentials=ChainedCredentials(StaticCredentials(configured), DockerConfigCredentials()),
        tls=TLSPolicy(certs_dir=Path("/etc/docker/certs.d"), insecure={"registry.lan:5000"}),
    )
    remote = client.head(parse_reference("nginx:1.27"))

Modules: ``client`` (the facade and its caches), ``session`` (authorisation and redirects),
``auth`` (challenges, tokens), ``exchange`` (the only httpx user: retries, rate limits,
counters), ``credentials``, ``tls``, and the pure parsers ``challenges``, ``links``,
``manifests``, ``ratelimits``, ``tokens``.
"""

from __future__ import annotations

from colibri.registry.client import RegistryClient
from colibri.registry.clock import SystemClock
from colibri.registry.credentials import (
    ChainedCredentials,
    Credential,
    CredentialSource,
    DockerConfigCredentials,
    NoCredentials,
    StaticCredentials,
)
from colibri.registry.manifests import Referrer
from colibri.registry.ratelimits import RateLimitStatus, RetryPolicy
from colibri.registry.state import RegistryStats
from colibri.registry.tls import DEFAULT_CERTS_DIR, TLSPolicy

__all__ = [
    "DEFAULT_CERTS_DIR",
    "ChainedCredentials",
    "Credential",
    "CredentialSource",
    "DockerConfigCredentials",
    "NoCredentials",
    "RateLimitStatus",
    "Referrer",
    "RegistryClient",
    "RegistryStats",
    "RetryPolicy",
    "StaticCredentials",
    "SystemClock",
    "TLSPolicy",
]
