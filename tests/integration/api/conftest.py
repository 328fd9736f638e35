"""The API as ``colibri serve`` runs it: the real app on the real services on the real store
(SQLite and PostgreSQL, through ``database_url``), with in-memory stand-ins only where a test
must not reach the outside: every environment's Docker daemon is one ``FakeEngine`` (so that
no request, however made up its endpoint, connects anywhere), the registry a
``FakeRegistry``, and notifications land in a list.

In the Docker stand-in, ``web`` runs ``reg.example:5000/web:1`` and is up to date, ``api``
runs ``reg.example:5000/api:1`` whose tag has moved on (an update is available).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from colibri.api import ApiServices, create_app
from colibri.config import Settings
from colibri.domain.environments import Environment
from colibri.domain.gate import GateRequest, GateVerdict
from colibri.domain.gate_policy import GateOverrides
from colibri.domain.messages import Message
from colibri.domain.model import DOCKER_MANIFEST, RemoteManifest
from colibri.domain.ports import Engine, Gate
from colibri.domain.tokens import NewApiToken, Permission
from colibri.errors import EngineUnavailable, NotifyError
from colibri.notify.urls import validate_url
from colibri.registry.clock import SystemClock
from colibri.services.audit import AuditService
from colibri.services.bad_digests import BadDigestService
from colibri.services.containers import ContainerService
from colibri.services.environments import EnvironmentService
from colibri.services.health import HealthService
from colibri.services.metrics import MetricsService
from colibri.services.runner import RunnerStores, SettingRunner, UpdateTools
from colibri.services.runs import RunService
from colibri.services.schedules import ScheduleService
from colibri.services.sessions import SessionService
from colibri.services.skips import SkipService
from colibri.services.targets import TargetService
from colibri.services.tokens import TokenService
from colibri.store import Store
from tests.fakes import FakeEngine, FakeRegistry, digest_of, local_image
from tests.support.api import ApiClient

REGISTRY = "reg.example:5000"
CURRENT = digest_of("current")
NEWER = digest_of("newer")


@dataclass
class Docker:
    """The daemon of every environment (one ``FakeEngine``), and the registry. Environments
    named in ``down`` do not answer."""

    engine: FakeEngine = field(default_factory=FakeEngine)
    registry: FakeRegistry = field(default_factory=FakeRegistry)
    down: set[str] = field(default_factory=set)

    def engine_for(self, environment: Environment) -> Engine:
        if environment.name in self.down:
            raise EngineUnavailable(f"the daemon of {environment.name} does not answer")
        return self.engine


class PassingGate:
    def evaluate(self, request: GateRequest) -> GateVerdict:
        return GateVerdict(True)


class PassingGates:
    def gate_for(self, overrides: GateOverrides) -> Gate:
        return PassingGate()


@dataclass
class Inbox:
    """A notifier that keeps what it is asked to send (or refuses, with ``failing``)."""

    sent: list[tuple[str, Message]] = field(default_factory=list)
    failing: str | None = None

    def send(self, target_url: str, message: Message) -> None:
        if self.failing is not None:
            raise NotifyError(self.failing)
        self.sent.append((target_url, message))


@pytest.fixture
def docker() -> Docker:
    made = Docker()
    for name, tag_digest in (("web", CURRENT), ("api", NEWER)):
        image = local_image(name, f"{REGISTRY}/{name}@{CURRENT}")
        made.engine.add(name, f"{REGISTRY}/{name}:1", image, colibri_enable="true")
        made.registry.set_tag(f"{REGISTRY}/{name}:1", RemoteManifest(tag_digest, DOCKER_MANIFEST))
    return made


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def api_services(store: Store, docker: Docker, inbox: Inbox) -> Iterator[ApiServices]:
    """The real use cases on ``store``; runs drained at the end."""
    clock = SystemClock()
    metrics = MetricsService(CollectorRegistry())
    runner = SettingRunner(
        RunnerStores(
            store.environments, store.auto_updates, store.journal, store.container_statuses
        ),
        UpdateTools(docker, docker.registry, PassingGates()),
        None,
        metrics,
        clock,
    )
    runs = RunService(
        store.journal,
        runner,
        store.auto_updates,
        store.environments,
        clock,
        activity=store.activity,
        workers=2,
    )
    yield ApiServices(
        environments=EnvironmentService(store.environments, clock),
        schedules=ScheduleService(store.auto_updates, store.environments, clock),
        runs=runs,
        containers=ContainerService(
            store.environments,
            store.container_statuses,
            docker,
            docker.registry,
            None,
            metrics,
            clock,
        ),
        tokens=TokenService(store.tokens, clock),
        targets=TargetService(store.notification_targets, inbox, validate_url, clock),
        metrics=metrics,
        health=HealthService(store.environments, docker),
        sessions=SessionService(store.web_sessions, store.tokens, clock),
        skips=SkipService(store.skips, clock),
        audit=AuditService(store.audit),
        bad_digests=BadDigestService(store.bad_digests, store.journal, clock),
        plans=store.label_slots,
    )
    runs.drain(30)


@pytest.fixture
def app(api_services: ApiServices, api_settings: Settings) -> FastAPI:
    return create_app(api_services, api_settings)


@pytest.fixture
def admin_token(store: Store) -> str:
    """The first token, as ``colibri serve`` makes it on an empty store."""
    issued = TokenService(store.tokens, SystemClock()).ensure_admin(None)
    assert issued is not None
    return issued.secret


@pytest.fixture
def client(app: FastAPI, admin_token: str, make_api_client: Callable[..., ApiClient]) -> ApiClient:
    """A client sending the admin token."""
    return make_api_client(app, admin_token)


@pytest.fixture
def token_for(store: Store) -> Callable[..., str]:
    """``token_for(*permissions, expired=False)``: the secret of a new token."""
    made = 0

    def issue(*permissions: Permission, expired: bool = False) -> str:
        nonlocal made
        made += 1
        expires = datetime.now(UTC) - timedelta(minutes=1) if expired else None
        new = NewApiToken(f"token-{made}", frozenset(permissions), expires_at=expires)
        return store.tokens.create(new).secret

    return issue
