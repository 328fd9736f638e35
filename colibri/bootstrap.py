"""The composition root: settings -> concrete adapters -> use cases.

The only module that names concrete adapters. Heavy imports (the store, SQLAlchemy) happen
inside the functions that need them, so ``colibri check`` starts fast.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from colibri.config import Settings
from colibri.domain.health import VerifyPolicy
from colibri.domain.journal import Step
from colibri.domain.ports import Journal
from colibri.domain.refs import ImageRef
from colibri.errors import ConfigError
from colibri.services.check import CheckService

if TYPE_CHECKING:
    from colibri.services.update import UpdateService
    from colibri.update.executor import UpdateOptions

__all__ = ["checker", "journal", "update_options", "updater"]


@contextmanager
def checker(settings: Settings) -> Iterator[CheckService]:
    """A check service on the configured daemon and registries."""
    with ExitStack() as stack:
        yield _checker(settings, stack)


def _checker(settings: Settings, stack: ExitStack) -> CheckService:
    from colibri.engine import connect
    from colibri.registry.client import RegistryClient
    from colibri.registry.credentials import DockerConfigCredentials
    from colibri.registry.ratelimits import RetryPolicy
    from colibri.registry.tls import TLSPolicy

    engine = connect(
        settings.docker_host or None,
        timeout=settings.engine_timeout,
        pool_size=settings.engine_concurrency,
    )
    stack.callback(engine.close)
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
    return CheckService(engine, registry, concurrency=settings.engine_concurrency)


@contextmanager
def journal(settings: Settings) -> Iterator[Journal]:
    """The update journal in the configured database (migrated on open)."""
    from colibri.store.factory import make_store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with make_store(settings.effective_database_url) as store:
        yield store.journal


@contextmanager
def updater(settings: Settings) -> Iterator[UpdateService]:
    """An update service: check, executor, recovery, journal."""
    from colibri.engine.probe import NetworkProber
    from colibri.registry.clock import SystemClock
    from colibri.registry.credentials import DockerConfigCredentials
    from colibri.services.update import UpdateService
    from colibri.update.executor import Executor
    from colibri.update.recovery import Recoverer
    from colibri.update.verify import Verifier

    with ExitStack() as stack:
        check = _checker(settings, stack)
        store_journal = stack.enter_context(journal(settings))
        clock = SystemClock()
        credentials = DockerConfigCredentials(settings.docker_config / "config.json")

        def registry_auth(ref: ImageRef) -> Mapping[str, str] | None:
            found = credentials.lookup(ref.registry_key)
            if found is None:
                return None
            if found.identity_token:
                return {"identitytoken": found.identity_token}
            return {"username": found.username, "password": found.password}

        engine = check.engine
        executor = Executor(
            engine,
            store_journal,
            clock,
            environment=settings.environment,
            prober=NetworkProber(),
            registry_auth=registry_auth,
        )
        verifier = Verifier(engine, clock)
        recoverer = Recoverer(
            engine,
            store_journal,
            verifier,
            environment=settings.environment,
        )
        yield UpdateService(check, executor, recoverer)


def update_options(settings: Settings, *, dry_run: bool, cleanup: bool) -> UpdateOptions:
    """Options for ``colibri update`` from the settings and the command line."""
    from colibri.update.executor import UpdateOptions

    failpoint = settings.failpoint or None
    if failpoint is not None and failpoint not in {step.value for step in Step}:
        known = ", ".join(step.value for step in Step)
        raise ConfigError(f"COLIBRI_FAILPOINT={failpoint!r}: not a step name ({known})")
    return UpdateOptions(
        dry_run=dry_run,
        cleanup=cleanup,
        verify=VerifyPolicy(
            health_timeout=settings.health_timeout,
            stability_window=settings.stability_window,
            probe_timeout=settings.probe_timeout,
        ),
        failpoint=failpoint,
    )
