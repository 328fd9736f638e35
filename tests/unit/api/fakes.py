"""In-memory stand-ins for the services the API calls (``colibri.api.ports``), for unit tests.

They follow the ports' conventions (``None``/``False`` for unknown ids, a ``StoreError`` of
kind ``conflict`` naming the field for duplicates) and nothing more: the real services over
the real store are exercised by ``tests/integration/api``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from colibri.api.deps import ApiServices
from colibri.domain.audit import AuditEntry, AuditResource, NewAuditEntry
from colibri.domain.bad_digests import BadDigest
from colibri.domain.container_status import ContainerStatus
from colibri.domain.cron import check_cron
from colibri.domain.environments import Environment, NewEnvironment
from colibri.domain.invalid import Invalid
from colibri.domain.journal import RunRecord, RunStatus
from colibri.domain.model import CheckStatus
from colibri.domain.notifications import NewNotificationTarget, NotificationTarget
from colibri.domain.service_plan import LabelSlot
from colibri.domain.sessions import IssuedSession, WebSession
from colibri.domain.settings import (
    AutoUpdateConfig,
    AutoUpdateSetting,
    NewAutoUpdate,
    check_timezone,
)
from colibri.domain.tokens import ApiToken, IssuedToken, Permission
from colibri.errors import LockHeld
from colibri.services.audit import AuditService
from colibri.services.containers import CheckSummary, EnvironmentCheck
from colibri.services.runs import Pause
from colibri.services.skips import SkipService
from colibri.services.targets import DeliveryReport
from colibri.store.conflicts import StoreConflict
from tests.fakes import FakeClock, MemorySkips

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeEnvironments:
    rows: dict[int, Environment] = field(default_factory=dict)

    def list(self) -> Sequence[Environment]:
        return sorted(self.rows.values(), key=lambda env: env.name)

    def get(self, environment_id: int) -> Environment | None:
        return self.rows.get(environment_id)

    def find(self, name: str) -> Environment | None:
        return next((env for env in self.rows.values() if env.name == name), None)

    def create(self, new: NewEnvironment) -> Environment:
        self._unique(new.name, None)
        created = Environment(len(self.rows) + 1, new.name, new.endpoint, new.labels, NOW)
        self.rows[created.id] = created
        return created

    def update(self, environment_id: int, new: NewEnvironment) -> Environment | None:
        if environment_id not in self.rows:
            return None
        self._unique(new.name, environment_id)
        current = self.rows[environment_id]
        self.rows[environment_id] = replace(
            current, name=new.name, endpoint=new.endpoint, labels=new.labels
        )
        return self.rows[environment_id]

    def delete(self, environment_id: int) -> bool:
        return self.rows.pop(environment_id, None) is not None

    def _unique(self, name: str, own: int | None) -> None:
        if any(env.name == name and env.id != own for env in self.rows.values()):
            raise StoreConflict(f"an environment named {name!r} already exists", field="name")


@dataclass
class FakeSchedules:
    environments: FakeEnvironments
    rows: dict[int, AutoUpdateSetting] = field(default_factory=dict)

    def list(
        self, environment_id: int | None = None, limit: int = 100, offset: int = 0
    ) -> Sequence[AutoUpdateSetting]:
        found = [s for s in self.rows.values() if environment_id in (None, s.environment_id)]
        return found[offset : offset + limit]

    def get(self, setting_id: int) -> AutoUpdateSetting | None:
        return self.rows.get(setting_id)

    def create(self, new: NewAutoUpdate) -> AutoUpdateSetting:
        if self.environments.get(new.environment_id) is None:
            raise Invalid("environment_id", f"there is no environment {new.environment_id}")
        key = (new.environment_id, new.container_name)
        if any((s.environment_id, s.container_name) == key for s in self.rows.values()):
            raise StoreConflict(
                f"{new.container_name!r} already has a setting", field="container_name"
            )
        setting = AutoUpdateSetting(
            len(self.rows) + 1, new.environment_id, new.container_name, new.config, NOW, NOW
        )
        self.rows[setting.id] = setting
        return setting

    def update(self, setting_id: int, config: AutoUpdateConfig) -> AutoUpdateSetting | None:
        if setting_id not in self.rows:
            return None
        self.rows[setting_id] = replace(self.rows[setting_id], config=config)
        return self.rows[setting_id]

    def delete(self, setting_id: int) -> bool:
        return self.rows.pop(setting_id, None) is not None

    def describe_cron(self, expr: str, timezone: str = "UTC") -> tuple[str, Sequence[datetime]]:
        cron = check_cron(expr)
        check_timezone(timezone)
        return f"cron {cron}", [NOW + timedelta(hours=hour) for hour in range(1, 6)]


@dataclass
class FakeRuns:
    runs: dict[str, RunRecord] = field(default_factory=dict)
    events: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    locked: set[int] = field(default_factory=set)
    schedules: FakeSchedules | None = None
    started: list[int] = field(default_factory=list)
    follow_error: Exception | None = None
    everything: list[Mapping[str, Any] | None] = field(default_factory=list)
    followed_after: list[int | None] = field(default_factory=list)
    batches: list[tuple[str, tuple[str, ...], bool]] = field(default_factory=list)

    def start_now(self, setting_id: int) -> str | None:
        if self.schedules is None or self.schedules.get(setting_id) is None:
            return None
        if setting_id in self.locked:
            raise LockHeld(f"an update of setting {setting_id} is running")
        self.started.append(setting_id)
        return f"{len(self.started):032x}"

    def list_runs(
        self,
        container_name: str | None = None,
        environment: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Sequence[RunRecord]:
        found = [
            run
            for run in self.runs.values()
            if container_name in (None, run.container_name)
            and environment in (None, run.environment)
        ]
        return found[offset : offset + limit]

    def get_run(self, run_id: str) -> RunRecord | None:
        return self.runs.get(run_id)

    def wait(self, run_id: str, timeout: float = 3600.0) -> RunRecord | None:
        return self.runs.get(run_id)

    def start_batch(
        self, environment: Environment, names: Sequence[str], *, dry_run: bool = False
    ) -> Mapping[str, str]:
        self.batches.append((environment.name, tuple(names), dry_run))
        return {name: f"{len(self.batches):016x}{index:016x}" for index, name in enumerate(names)}

    def watch(self, run_id: str, after: int = 0) -> Iterator[Mapping[str, Any] | Pause]:
        self.followed_after.append(after)
        for event in self.events.get(run_id, []):
            yield event
            yield Pause(0.0)
        if self.follow_error is not None:
            raise self.follow_error

    def watch_all(self, after: int | None = None) -> Iterator[Mapping[str, Any] | Pause | None]:
        self.followed_after.append(after)
        yield from self.everything


@dataclass
class FakeContainers:
    statuses: list[ContainerStatus] = field(default_factory=list)
    checked: list[int | None] = field(default_factory=list)
    known: list[int] = field(default_factory=list)
    list_error: Exception | None = None
    check_error: Exception | None = None

    def list_statuses(self, environment_id: int | None = None) -> Sequence[ContainerStatus]:
        if self.list_error is not None:
            raise self.list_error
        return [s for s in self.statuses if environment_id in (None, s.environment_id)]

    def check_now(self, environment_id: int | None = None) -> CheckSummary | None:
        if self.check_error is not None:
            raise self.check_error
        if environment_id is not None and environment_id not in self.known:
            return None
        self.checked.append(environment_id)
        parts = [
            EnvironmentCheck(known, f"env{known}", {CheckStatus.UP_TO_DATE: 2})
            for known in self.known
            if environment_id in (None, known)
        ]
        return CheckSummary(tuple(parts))


@dataclass
class FakeTokens:
    tokens: dict[str, ApiToken] = field(default_factory=dict)

    def add(self, secret: str, *permissions: Permission, **changes: Any) -> ApiToken:
        token = ApiToken(
            len(self.tokens) + 1, f"t{len(self.tokens)}", secret[:16], frozenset(permissions), NOW
        )
        self.tokens[secret] = replace(token, **changes)
        return self.tokens[secret]

    def authenticate(self, presented: str) -> ApiToken | None:
        token = self.tokens.get(presented)
        return token if token is not None and token.is_active(NOW) else None

    def create(
        self, name: str, permissions: Iterable[str], expires_at: datetime | None = None
    ) -> IssuedToken:
        secret = f"colibri_{name}_{len(self.tokens):040d}"
        made = self.add(secret, *(Permission(p) for p in permissions), name=name)
        return IssuedToken(replace(made, expires_at=expires_at), secret)

    def list(self) -> Sequence[ApiToken]:
        return sorted(self.tokens.values(), key=lambda token: token.id)

    def revoke(self, token_id: int) -> ApiToken | None:
        for secret, token in self.tokens.items():
            if token.id == token_id:
                self.tokens[secret] = replace(token, revoked_at=token.revoked_at or NOW)
                return self.tokens[secret]
        return None


@dataclass
class FakeSessions:
    """Sessions over ``FakeTokens``: each sign-in makes an opaque secret for its token."""

    tokens: FakeTokens
    live: dict[str, str] = field(default_factory=dict)

    def sign_in(self, presented_token: str) -> tuple[IssuedSession, ApiToken] | None:
        token = self.tokens.authenticate(presented_token)
        if token is None:
            return None
        secret = f"session-{len(self.live)}-{token.id}"
        self.live[secret] = presented_token
        return IssuedSession(_session(token), secret), token

    def authenticate(self, presented: str) -> tuple[IssuedSession, ApiToken] | None:
        secret = self.live.get(presented)
        token = None if secret is None else self.tokens.authenticate(secret)
        return None if token is None else (IssuedSession(_session(token), presented), token)

    def sign_out(self, presented: str) -> bool:
        return self.live.pop(presented, None) is not None


def _session(token: ApiToken) -> WebSession:
    return WebSession(1, token.id, NOW, NOW + timedelta(hours=12))


@dataclass
class FakeTargets:
    rows: dict[int, NotificationTarget] = field(default_factory=dict)
    failing: str | None = None
    sent: list[int] = field(default_factory=list)

    def list(self) -> Sequence[NotificationTarget]:
        return sorted(self.rows.values(), key=lambda target: target.name)

    def get(self, target_id: int) -> NotificationTarget | None:
        return self.rows.get(target_id)

    def create(self, new: NewNotificationTarget) -> NotificationTarget:
        if any(target.name == new.name for target in self.rows.values()):
            raise StoreConflict(f"a target named {new.name!r} already exists", field="name")
        target = NotificationTarget(
            len(self.rows) + 1, new.name, new.url, new.events, new.enabled, NOW
        )
        self.rows[target.id] = target
        return target

    def update(self, target_id: int, new: NewNotificationTarget) -> NotificationTarget | None:
        if target_id not in self.rows:
            return None
        current = self.rows[target_id]
        self.rows[target_id] = replace(
            current, name=new.name, url=new.url, events=new.events, enabled=new.enabled
        )
        return self.rows[target_id]

    def delete(self, target_id: int) -> bool:
        return self.rows.pop(target_id, None) is not None

    def test_send(self, target_id: int) -> DeliveryReport | None:
        target = self.rows.get(target_id)
        if target is None:
            return None
        if self.failing is not None:
            return DeliveryReport(target_id, target.name, False, self.failing)
        self.sent.append(target_id)
        return DeliveryReport(target_id, target.name, True)


@dataclass
class FakeMetrics:
    text: bytes = b"# HELP colibri_checks_total Checks.\ncolibri_checks_total 3.0\n"

    def render(self) -> bytes:
        return self.text

    @property
    def content_type(self) -> str:
        return "text/plain; version=1.0.0; charset=utf-8"


@dataclass
class FakeHealth:
    parts: dict[str, bool] = field(default_factory=lambda: {"store": True, "daemon": True})

    def check(self) -> Mapping[str, bool]:
        return dict(self.parts)


@dataclass
class Fakes:
    """Every fake, and the ``ApiServices`` made of them."""

    environments: FakeEnvironments = field(default_factory=FakeEnvironments)
    schedules: FakeSchedules = field(init=False)
    runs: FakeRuns = field(default_factory=FakeRuns)
    containers: FakeContainers = field(default_factory=FakeContainers)
    tokens: FakeTokens = field(default_factory=FakeTokens)
    targets: FakeTargets = field(default_factory=FakeTargets)
    metrics: FakeMetrics = field(default_factory=FakeMetrics)
    health: FakeHealth = field(default_factory=FakeHealth)
    sessions: FakeSessions = field(init=False)
    skips: SkipService = field(default_factory=lambda: SkipService(MemorySkips(), FakeClock()))
    audit_store: FakeAuditStore = field(default_factory=lambda: FakeAuditStore())
    bad_digests: FakeBadDigests = field(default_factory=lambda: FakeBadDigests())
    plans: FakePlans = field(default_factory=lambda: FakePlans())

    def __post_init__(self) -> None:
        self.schedules = FakeSchedules(self.environments)
        self.sessions = FakeSessions(self.tokens)

    def services(self) -> ApiServices:
        self.runs.schedules = self.schedules
        return ApiServices(
            environments=self.environments,
            schedules=self.schedules,
            runs=self.runs,
            containers=self.containers,
            tokens=self.tokens,
            targets=self.targets,
            metrics=self.metrics,
            health=self.health,
            sessions=self.sessions,
            skips=self.skips,
            audit=AuditService(self.audit_store),
            bad_digests=self.bad_digests,
            plans=self.plans,
        )


def run_record(run_id: str = "a" * 32, **changes: Any) -> RunRecord:
    """A finished run of ``web``."""
    run = RunRecord(
        id=run_id,
        environment="local",
        container_name="web",
        container_id="c" * 64,
        image="nginx:1.27",
        status=RunStatus.UPDATED,
        trigger="api",
        dry_run=False,
        started_at=NOW,
        finished_at=NOW + timedelta(seconds=3),
    )
    return replace(run, **changes)


@dataclass
class FakeAuditStore:
    """The audit trail in a list, newest last."""

    entries: list[AuditEntry] = field(default_factory=list)

    def record(self, new: NewAuditEntry) -> AuditEntry:
        entry = AuditEntry(
            id=len(self.entries) + 1,
            at=NOW,
            actor=new.actor,
            action=new.action,
            resource=new.resource,
            resource_id=new.resource_id,
            before=new.before,
            after=new.after,
            token_id=new.token_id,
        )
        self.entries.append(entry)
        return entry

    def list_entries(
        self, *, resource: AuditResource | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]:
        found = [e for e in reversed(self.entries) if resource in (None, e.resource)]
        return found[offset : offset + limit]

    def forget_before(self, before: datetime) -> int:
        kept = [e for e in self.entries if e.at >= before]
        forgotten, self.entries = len(self.entries) - len(kept), kept
        return forgotten


@dataclass
class FakeBadDigests:
    records: list[BadDigest] = field(default_factory=list)

    def list(
        self, environment_id: int | None = None, container_name: str | None = None
    ) -> Sequence[BadDigest]:
        return [
            r
            for r in self.records
            if environment_id in (None, r.environment_id)
            and container_name in (None, r.container_name)
        ]

    def clear(self, environment_id: int, container_name: str, digest: str | None = None) -> int:
        gone = [r for r in self.list(environment_id, container_name) if digest in (None, r.digest)]
        self.records = [r for r in self.records if r not in gone]
        return len(gone)


@dataclass
class FakePlans:
    slots: list[LabelSlot] = field(default_factory=list)

    def list_slots(self, environment_id: int | None = None) -> Sequence[LabelSlot]:
        return [s for s in self.slots if environment_id in (None, s.environment_id)]
