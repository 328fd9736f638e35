"""The clients every command shares: the Docker engine, the registry client, the store."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from colibri.config import Settings
from colibri.domain.refs import ImageRef
from colibri.services.check import CheckService

if TYPE_CHECKING:
    from colibri.domain.ports import Engine, Registry
    from colibri.registry.client import RegistryClient
    from colibri.registry.credentials import DockerConfigCredentials
    from colibri.services.controls import Controls
    from colibri.store.factory import Store


def check_service(settings: Settings, stack: ExitStack) -> CheckService:
    from colibri.engine import connect

    engine = connect(
        settings.docker_host or None,
        timeout=settings.engine_timeout,
        pool_size=settings.engine_concurrency,
    )
    stack.callback(engine.close)
    registry = registry_client(settings, stack)
    return CheckService(
        engine,
        registry,
        concurrency=settings.engine_concurrency,
        controls=controls(settings, stack, engine, registry),
    )


def controls(settings: Settings, stack: ExitStack, engine: Engine, registry: Registry) -> Controls:
    """The operator's controls for a one-shot command; the store opens only if needed."""
    from colibri.registry.clock import SystemClock
    from colibri.services.controls import ControlDefaults, Controls, ControlStores, control_stores

    def stores() -> ControlStores:
        store = stack.enter_context(open_store(settings))
        return control_stores(
            store.skips,
            store.seen_images,
            store.environments,
            store.auto_updates,
            settings.environment,
        )

    return Controls(
        engine,
        registry,
        SystemClock(),
        stores,
        environment=settings.environment,
        defaults=ControlDefaults(settings.window, settings.min_age),
    )


def registry_client(settings: Settings, stack: ExitStack) -> RegistryClient:
    """The registry client (closed with ``stack``): one per process, so rate limits and
    their counters are shared by everything that asks registries."""
    from colibri.registry.client import RegistryClient
    from colibri.registry.credentials import DockerConfigCredentials
    from colibri.registry.ratelimits import RetryPolicy
    from colibri.registry.tls import TLSPolicy

    registry = RegistryClient(
        credentials=DockerConfigCredentials(settings.docker_config / "config.json"),
        tls=TLSPolicy(certs_dir=settings.certs_dir, insecure=settings.insecure_registries),
        concurrency=settings.registry_concurrency,
        timeout=settings.registry_timeout,
        retry=RetryPolicy(
            wait_budget=settings.rate_limit_wait,
            rate_limit_reserve=settings.rate_limit_reserve,
        ),
    )
    stack.callback(registry.close)
    return registry


@contextmanager
def open_store(settings: Settings) -> Iterator[Store]:
    from colibri.store.factory import make_store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with make_store(settings.effective_database_url) as store:
        yield store


def registry_auth_for(settings: Settings) -> Callable[[ImageRef], Mapping[str, str] | None]:
    """What the daemon needs to pull from a registry: Docker's configured credentials (read
    when the first pull needs them)."""
    loaded: list[DockerConfigCredentials] = []

    def registry_auth(ref: ImageRef) -> Mapping[str, str] | None:
        if not loaded:
            from colibri.registry.credentials import DockerConfigCredentials

            loaded.append(DockerConfigCredentials(settings.docker_config / "config.json"))
        found = loaded[0].lookup(ref.registry_key)
        if found is None:
            return None
        if found.identity_token:
            return {"identitytoken": found.identity_token}
        return {"username": found.username, "password": found.password}

    return registry_auth
