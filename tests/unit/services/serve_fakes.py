"""In-memory fakes of the ports ``colibri serve``'s use cases and scheduler work on.

They follow the store's contracts (unknown ids give ``None``/``False``, ``due`` is ordered,
``claim`` succeeds once per slot, ``record_result`` only pushes the next run later) so the
use cases can be tested without a database; the integration tests run the same use cases on
the real store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from colibri.domain.container_status import ContainerStatus
from colibri.domain.environments import (
    LOCAL_ENDPOINT,
    LOCAL_ENVIRONMENT,
    Endpoint,
    Environment,
    NewEnvironment,
)
from colibri.domain.events import EventKind
from colibri.domain.gate import GateRequest, GateVerdict
from colibri.domain.gate_policy import GateOverrides
from colibri.domain.journal import LockOwner, NewRun, RunRecord, RunStatus, Step, StepRecord
from colibri.domain.messages import Message
from colibri.domain.model import CheckStatus
from colibri.domain.notifications import NotificationTarget
from colibri.domain.ports import Engine, Gate
from colibri.domain.settings import (
    FAILED_STATUSES,
    AutoUpdateConfig,
    AutoUpdateSetting,
    NewAutoUpdate,
)
from colibri.errors import EngineUnavailable, LockHeld, StoreError
from colibri.store.conflicts import StoreConflict
from tests.fakes import FakeClock

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday


@dataclass
class FakeEnvironments:
    clock: FakeClock
    rows: dict[int, Environment] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.create(NewEnvironment(LOCAL_ENVIRONMENT, Endpoint(LOCAL_ENDPOINT)))

    def create(self, new: NewEnvironment) -> Environment:
        if self.find(new.name) is not None:
            raise StoreConflict(f"{new.name} exists", field="name")
        created = Environment(
            len(self.rows) + 1, new.name, new.endpoint, dict(new.labels), self.clock.now()
        )
        self.rows[created.id] = created
        return created

    def ensure(self, new: NewEnvironment) -> Environment:
        return self.find(new.name) or self.create(new)

    def get(self, environment_id: int) -> Environment | None:
        return self.rows.get(environment_id)

    def find(self, name: str) -> Environment | None:
        return next((e for e in self.rows.values() if e.name == name), None)

    def list_environments(self) -> list[Environment]:
        return sorted(self.rows.values(), key=lambda e: e.name)

    def update(self, environment_id: int, new: NewEnvironment) -> Environment | None:
        current = self.rows.get(environment_id)
        if current is None:
            return None
        changed = replace(current, name=new.name, endpoint=new.endpoint, labels=new.labels)
        self.rows[environment_id] = changed
        return changed

    def delete(self, environment_id: int) -> bool:
        if environment_id in self.used:
            raise StoreConflict("settings use it", field="environment_id")
        return self.rows.pop(environment_id, None) is not None


@dataclass
class FakeAutoUpdates:
    """Settings in memory; ``claims`` counts the successful ones, ``fail_due`` breaks ``due``."""

    clock: FakeClock
    rows: dict[int, AutoUpdateSetting] = field(default_factory=dict)
    claims: list[tuple[int, datetime, datetime | None]] = field(default_factory=list)
    due_queries: int = 0
    fail_due: StoreError | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, new: NewAutoUpdate) -> AutoUpdateSetting:
        if self.find(new.environment_id, new.container_name) is not None:
            raise StoreConflict("exists", field="container_name")
        now = self.clock.now()
        setting = AutoUpdateSetting(
            len(self.rows) + 1,
            new.environment_id,
            new.container_name,
            new.config,
            now,
            now,
            next_run_at=new.next_run_at if new.config.enabled else None,
        )
        self.rows[setting.id] = setting
        return setting

    def get(self, setting_id: int) -> AutoUpdateSetting | None:
        return self.rows.get(setting_id)

    def find(self, environment_id: int, container_name: str) -> AutoUpdateSetting | None:
        return next(
            (
                s
                for s in self.rows.values()
                if (s.environment_id, s.container_name) == (environment_id, container_name)
            ),
            None,
        )

    def list_settings(
        self, *, environment_id: int | None = None, limit: int = 100, offset: int = 0
    ) -> list[AutoUpdateSetting]:
        found = [
            s
            for s in self.rows.values()
            if environment_id is None or s.environment_id == environment_id
        ]
        found.sort(key=lambda s: (s.environment_id, s.container_name))
        return found[offset : offset + limit]

    def update(
        self, setting_id: int, config: AutoUpdateConfig, *, next_run_at: datetime | None
    ) -> AutoUpdateSetting | None:
        current = self.rows.get(setting_id)
        if current is None:
            return None
        changed = replace(
            current,
            config=config,
            next_run_at=next_run_at if config.enabled else None,
            updated_at=self.clock.now(),
        )
        self.rows[setting_id] = changed
        return changed

    def delete(self, setting_id: int) -> bool:
        return self.rows.pop(setting_id, None) is not None

    def due(self, now: datetime, limit: int) -> list[AutoUpdateSetting]:
        self.due_queries += 1
        if self.fail_due is not None:
            raise self.fail_due
        with self.lock:
            due = [s for s in self.rows.values() if s.is_due(now)]
        due.sort(key=lambda s: (s.next_run_at, s.id))
        return due[:limit]

    def claim(
        self, setting_id: int, expected_next_run_at: datetime, new_next_run_at: datetime | None
    ) -> bool:
        with self.lock:
            current = self.rows.get(setting_id)
            if current is None or not current.config.enabled:
                return False
            if current.next_run_at != expected_next_run_at:
                return False
            self.rows[setting_id] = replace(current, next_run_at=new_next_run_at)
            self.claims.append((setting_id, expected_next_run_at, new_next_run_at))
            return True

    def record_result(
        self,
        setting_id: int,
        status: RunStatus,
        *,
        run_id: str | None = None,
        finished_at: datetime | None = None,
        next_run_at: datetime | None = None,
    ) -> AutoUpdateSetting | None:
        with self.lock:
            current = self.rows.get(setting_id)
            if current is None:
                return None
            failures = current.consecutive_failures + 1 if status in FAILED_STATUSES else 0
            following = current.next_run_at
            if next_run_at is not None and following is not None and following < next_run_at:
                following = next_run_at
            changed = replace(
                current,
                last_run_at=finished_at or self.clock.now(),
                last_run_id=run_id,
                last_status=status,
                consecutive_failures=failures,
                next_run_at=following,
            )
            self.rows[setting_id] = changed
            return changed


@dataclass
class FakeJournal:
    """Runs, steps, logs and locks in memory (the journal's contract, single process)."""

    clock: FakeClock
    runs: dict[str, RunRecord] = field(default_factory=dict)
    locks: dict[str, LockOwner] = field(default_factory=dict)
    foreign_locks: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start_run(self, run: NewRun) -> RunRecord:
        record = RunRecord(
            id=run.run_id or f"run{len(self.runs) + 1}",
            environment=run.environment,
            container_name=run.container_name,
            container_id=run.container_id,
            image=run.image,
            status=RunStatus.RUNNING,
            trigger=run.trigger,
            dry_run=run.dry_run,
            started_at=self.clock.now(),
            old_image_id=run.old_image_id,
            old_digest=run.old_digest,
            new_digest=run.new_digest,
        )
        with self.lock:
            self.runs[record.id] = record
        return record

    def record_step(self, run_id: str, step: Step, data: Mapping[str, Any] | None = None) -> None:
        with self.lock:
            run = self._run(run_id)
            row = StepRecord(run_id, len(run.steps) + 1, step, self.clock.now(), dict(data or {}))
            self.runs[run_id] = replace(run, steps=(*run.steps, row))

    def update_run(self, run_id: str, **fields: Any) -> None:
        with self.lock:
            self.runs[run_id] = replace(self._run(run_id), **fields)

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        *,
        reason: str = "",
        downtime_ms: int | None = None,
        new_image_id: str | None = None,
    ) -> None:
        with self.lock:
            run = self._run(run_id)
            self.runs[run_id] = replace(
                run,
                status=status,
                reason=reason or run.reason,
                finished_at=self.clock.now(),
                downtime_ms=downtime_ms if downtime_ms is not None else run.downtime_ms,
            )

    def log(self, run_id: str, level: str, message: str) -> None:
        with self.lock:
            run = self._run(run_id)
            self.runs[run_id] = replace(run, logs=(*run.logs, (self.clock.now(), level, message)))

    def get_run(self, run_id: str) -> RunRecord:
        with self.lock:
            return self._run(run_id)

    def list_runs(
        self,
        *,
        container_name: str | None = None,
        environment: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[RunRecord]:
        runs = [
            replace(r, steps=(), logs=())
            for r in reversed(self.runs.values())
            if container_name in (None, r.container_name) and environment in (None, r.environment)
        ]
        return runs[offset : offset + limit]

    def unfinished_runs(self, environment: str | None = None) -> list[RunRecord]:
        return [r for r in self.runs.values() if r.status is RunStatus.RUNNING]

    def acquire_lock(self, key: str, owner: LockOwner, ttl_seconds: float) -> None:
        with self.lock:
            if key in self.foreign_locks:
                raise LockHeld(f"lock {key!r} is held by run elsewhere")
            self.locks[key] = owner

    def refresh_lock(self, key: str, owner: LockOwner, ttl_seconds: float) -> None:
        pass

    def release_lock(self, key: str, owner: LockOwner) -> None:
        with self.lock:
            if self.locks.get(key) == owner:
                del self.locks[key]

    def lock_holder(self, key: str) -> LockOwner | None:
        return self.locks.get(key)

    def _run(self, run_id: str) -> RunRecord:
        if run_id not in self.runs:
            raise StoreError(f"read run {run_id}: unknown run id {run_id!r}")
        return self.runs[run_id]


@dataclass
class FakeStatuses:
    rows: dict[tuple[int, str], ContainerStatus] = field(default_factory=dict)

    def record(self, statuses: Iterable[ContainerStatus]) -> int:
        count = 0
        for status in statuses:
            self.rows[(status.environment_id, status.container_name)] = status
            count += 1
        return count

    def get(self, environment_id: int, container_name: str) -> ContainerStatus | None:
        return self.rows.get((environment_id, container_name))

    def list_statuses(self, environment_id: int | None = None) -> list[ContainerStatus]:
        return [
            s
            for key, s in sorted(self.rows.items())
            if environment_id is None or key[0] == environment_id
        ]

    def forget_unchecked(self, environment_id: int, before: datetime) -> int:
        gone = [k for k, s in self.rows.items() if k[0] == environment_id and s.checked_at < before]
        for key in gone:
            del self.rows[key]
        return len(gone)


@dataclass
class FakeMetrics:
    checks: list[CheckStatus] = field(default_factory=list)
    runs: list[tuple[RunStatus, str, float]] = field(default_factory=list)

    def observe_check(self, status: CheckStatus) -> None:
        self.checks.append(status)

    def observe_run(self, status: RunStatus, trigger: str, seconds: float) -> None:
        self.runs.append((status, trigger, seconds))


@dataclass
class FakeEngines:
    """One engine per environment name; a name in ``down`` is unreachable."""

    engines: dict[str, Engine] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)

    def engine_for(self, environment: Environment) -> Engine:
        self.asked.append(environment.name)
        if environment.name in self.down:
            raise EngineUnavailable(f"the daemon of {environment.name} does not answer")
        return self.engines[environment.name]


@dataclass
class FakeGates:
    """Records the overrides each gate was built with; every gate allows."""

    asked: list[GateOverrides] = field(default_factory=list)

    def gate_for(self, overrides: GateOverrides) -> Gate:
        self.asked.append(overrides)
        return _Allow()


class _Allow:
    def evaluate(self, request: GateRequest) -> GateVerdict:
        return GateVerdict(True, "allowed")


def setting_of(
    environment_id: int = 1,
    name: str = "web",
    *,
    config: AutoUpdateConfig | None = None,
    next_run_at: datetime | None = T0,
    failures: int = 0,
    setting_id: int = 1,
) -> AutoUpdateSetting:
    """A stored setting as the store would return it."""
    return AutoUpdateSetting(
        setting_id,
        environment_id,
        name,
        config or AutoUpdateConfig(),
        T0,
        T0,
        next_run_at=next_run_at,
        consecutive_failures=failures,
    )


def statuses_of(runs: Sequence[RunRecord]) -> list[RunStatus]:
    return [run.status for run in runs]


@dataclass
class Inbox:
    """A notifier and its targets: one target that wants everything."""

    sent: list[Message] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)

    def send(self, target_url: str, message: Message) -> None:
        self.sent.append(message)

    def list_targets(self) -> Sequence[NotificationTarget]:
        return [NotificationTarget(1, "ops", "json://x", frozenset(EventKind), True, T0)]

    def first_time(self, key: str) -> bool:
        first = key not in self.keys
        self.keys.add(key)
        return first
