"""Environments: the Docker hosts ``colibri serve`` manages (``/api/environments``).

A thin use case over the ``Environments`` port: the domain checks names, endpoints and labels
when a ``NewEnvironment`` is built; the store keeps names unique and refuses to delete an
environment that auto-update settings still use (a ``StoreError`` with ``kind ==
"conflict"`` and ``field == "environment_id"``, which the API answers with 409).

``ensure_local`` runs at every start: the environment named ``local`` always exists, on the
endpoint this process was configured with (``COLIBRI_DOCKER_HOST``/``DOCKER_HOST``, else the
local socket), so a fresh install can be used at once and a changed socket path is followed.
"""

from __future__ import annotations

import builtins
import logging

from colibri.domain.environments import (
    HOST_CREDENTIALS,
    LOCAL_ENVIRONMENT,
    NO_CREDENTIALS,
    Endpoint,
    Environment,
    NewEnvironment,
)
from colibri.domain.ports import Clock, Environments

__all__ = ["EnvironmentService"]

log = logging.getLogger(__name__)


class EnvironmentService:
    """List, read, create, change and delete environments; unknown ids give ``None``/``False``.

    ``clock`` is accepted like the other services take it; the store stamps the rows.
    """

    def __init__(self, environments: Environments, clock: Clock) -> None:
        self.environments = environments
        self.clock = clock

    def list(self) -> builtins.list[Environment]:
        """Every environment, by name."""
        return self.environments.list_environments()

    def get(self, environment_id: int) -> Environment | None:
        """One environment, or ``None``."""
        return self.environments.get(environment_id)

    def find(self, name: str) -> Environment | None:
        """The environment named ``name``, or ``None``."""
        return self.environments.find(name)

    def create(self, new: NewEnvironment) -> Environment:
        """Add an environment; a taken name is a conflict on ``name``."""
        created = self.environments.create(new)
        log.info("environment %s created (%s)", created.name, created.endpoint.scheme)
        return created

    def update(self, environment_id: int, new: NewEnvironment) -> Environment | None:
        """Replace name, endpoint and labels; ``None`` for an unknown id."""
        return self.environments.update(environment_id, new)

    def delete(self, environment_id: int) -> bool:
        """Delete an environment and its container statuses; ``False`` for an unknown id. A
        conflict on ``environment_id`` while auto-update settings use it."""
        return self.environments.delete(environment_id)

    def ensure_local(self, endpoint: str) -> Environment:
        """The ``local`` environment, created on ``endpoint`` when missing, its endpoint set
        to ``endpoint`` when it differs (labels are kept). ``Invalid`` for a bad endpoint.

        It is the daemon the operator configured, so it gets this host's registry
        credentials, except over plain TCP to another machine (a ``tcp://`` endpoint without
        TLS material is reached as the docker CLI would, and this value cannot tell whether
        ``DOCKER_TLS_VERIFY`` will give it TLS)."""
        plain = endpoint.lower().startswith("tcp://") and not _loopback(endpoint)
        wanted = Endpoint(endpoint, insecure=plain)
        credentials = NO_CREDENTIALS if plain else HOST_CREDENTIALS
        if plain:
            log.warning(
                "environment %s is another machine over plain TCP: registry credentials are "
                "not sent to it",
                LOCAL_ENVIRONMENT,
            )
        local = self.environments.ensure(
            NewEnvironment(LOCAL_ENVIRONMENT, wanted, registry_credentials=credentials)
        )
        if local.endpoint == wanted and local.registry_credentials == credentials:
            return local
        log.info("environment %s now uses %s", LOCAL_ENVIRONMENT, wanted.scheme)
        changed = self.environments.update(
            local.id,
            NewEnvironment(
                local.name, wanted, dict(local.labels), registry_credentials=credentials
            ),
        )
        return changed or local


def _loopback(endpoint: str) -> bool:
    from urllib.parse import urlsplit

    from colibri.domain.environments import is_loopback_host

    return is_loopback_host(urlsplit(endpoint).hostname or "")
