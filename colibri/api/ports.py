"""What the REST API needs of the use cases, as ``typing.Protocol`` classes.

The API calls ``colibri.services`` through exactly these methods and nothing else, so the
composition root can hand it the real services and the tests small fakes. Conventions, as the
store's: an unknown id gives ``None`` (``get``/``update``/``start_now``) or ``False``
(``delete``); a value the domain refuses raises ``colibri.domain.invalid.Invalid`` naming the
field; a clash with stored rows raises a ``StoreError`` with ``kind == "conflict"`` and a
``field`` attribute. ``colibri.services`` implements them (``EnvironmentService``,
``ScheduleService``, ``RunService``, ``ContainerService``, ``TokenService``,
``TargetService``, ``MetricsService``, ``HealthService``, ``SkipService``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from colibri.domain.audit import AuditAction, AuditEntry, AuditResource
    from colibri.domain.bad_digests import BadDigest
    from colibri.domain.container_status import ContainerStatus
    from colibri.domain.environments import Environment, NewEnvironment
    from colibri.domain.journal import RunRecord
    from colibri.domain.notifications import NewNotificationTarget, NotificationTarget
    from colibri.domain.service_plan import LabelSlot
    from colibri.domain.sessions import IssuedSession
    from colibri.domain.settings import AutoUpdateConfig, AutoUpdateSetting, NewAutoUpdate
    from colibri.domain.skips import Skip
    from colibri.domain.tokens import ApiToken, IssuedToken
    from colibri.services.containers import CheckSummary
    from colibri.services.runs import Pause
    from colibri.services.skips import SkipRequest
    from colibri.services.targets import DeliveryReport

__all__ = [
    "AuditApi",
    "BadDigestApi",
    "ContainerApi",
    "EnvironmentApi",
    "HealthApi",
    "MetricsApi",
    "PlanApi",
    "RunApi",
    "ScheduleApi",
    "SessionApi",
    "SkipApi",
    "TargetApi",
    "TokenApi",
]


class EnvironmentApi(Protocol):
    """The Docker hosts (``EnvironmentService``)."""

    def list(self) -> Sequence[Environment]: ...

    def get(self, environment_id: int) -> Environment | None: ...

    def find(self, name: str) -> Environment | None:
        """The environment named ``name``, or ``None``."""
        ...

    def create(self, new: NewEnvironment) -> Environment: ...

    def update(self, environment_id: int, new: NewEnvironment) -> Environment | None: ...

    def delete(self, environment_id: int) -> bool:
        """``StoreError`` (conflict, field ``environment_id``) while settings use it."""
        ...


class ScheduleApi(Protocol):
    """Per-container auto-update settings (``ScheduleService``); it computes run times."""

    def list(
        self, environment_id: int | None = None, limit: int = 100, offset: int = 0
    ) -> Sequence[AutoUpdateSetting]: ...

    def get(self, setting_id: int) -> AutoUpdateSetting | None: ...

    def create(self, new: NewAutoUpdate) -> AutoUpdateSetting:
        """Store it with its first run time. ``Invalid`` naming ``environment_id`` for an
        unknown environment; ``StoreError`` (conflict on ``container_name``) for a second
        setting of one container."""
        ...

    def update(self, setting_id: int, config: AutoUpdateConfig) -> AutoUpdateSetting | None: ...

    def delete(self, setting_id: int) -> bool: ...

    def describe_cron(self, expr: str, timezone: str = "UTC") -> tuple[str, Sequence[datetime]]:
        """A human description of ``expr`` and its next five run times (UTC) read in
        ``timezone``; ``Invalid`` naming ``cron`` (or ``timezone``) and why."""
        ...


class RunApi(Protocol):
    """Update runs (``RunService``)."""

    def start_now(self, setting_id: int) -> str | None:
        """Start the setting's update in the background and return its run id at once;
        ``None`` for an unknown setting. (A container being updated already makes the run
        ``skipped``.)"""
        ...

    def list_runs(
        self,
        container_name: str | None = None,
        environment: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Sequence[RunRecord]: ...

    def get_run(self, run_id: str) -> RunRecord | None:
        """One run with its steps and logs, or ``None``."""
        ...

    def start_batch(
        self, environment: Environment, names: Sequence[str], *, dry_run: bool = False
    ) -> Mapping[str, str]:
        """Update these containers now as one batch, in the background; each one's run id."""
        ...

    def wait(self, run_id: str, timeout: float = 3600.0) -> RunRecord | None:
        """The run once finished (still running after ``timeout``), or ``None``."""
        ...

    def watch(self, run_id: str, after: int = 0) -> Iterator[Mapping[str, Any] | Pause]:
        """Progress events of the run after event id ``after`` until it has finished, each
        with an ``id`` and an ``event`` key: ``started``, ``step``, ``log``, and last
        ``finished`` with the outcome; a ``Pause`` where the follower should wait before the
        next step (each step is one short read)."""
        ...

    def watch_all(self, after: int | None = None) -> Iterator[Mapping[str, Any] | Pause | None]:
        """Every run's events after ``after`` (``None``: from now on), without end; ``None``
        now and then when nothing happens, ``Pause`` as in ``watch``."""
        ...


class ContainerApi(Protocol):
    """The last check of every container (``ContainerService``)."""

    def list_statuses(self, environment_id: int | None = None) -> Sequence[ContainerStatus]: ...

    def check_now(self, environment_id: int | None = None) -> CheckSummary | None:
        """Check the environment's containers (every environment's with ``None``) now and
        record their statuses; ``None`` for an unknown environment. An environment whose
        daemon cannot be asked is reported in the summary, not raised."""
        ...


class SkipApi(Protocol):
    """Skips and snoozes (``SkipService``)."""

    def skip(self, request: SkipRequest, offered: str | None = None) -> Skip:
        """Record it; ``Invalid`` naming the field that is wrong."""
        ...

    def unskip(self, environment: str, container_name: str) -> int: ...

    def delete(self, skip_id: int) -> bool: ...

    def list_skips(
        self, environment: str | None = None, container_name: str | None = None
    ) -> list[Skip]: ...


class TokenApi(Protocol):
    """API tokens (``TokenService``)."""

    def authenticate(self, presented: str) -> ApiToken | None:
        """The active token whose secret is ``presented``, or ``None``."""
        ...

    def create(
        self, name: str, permissions: Iterable[str], expires_at: datetime | None = None
    ) -> IssuedToken:
        """A new token and its secret; ``Invalid`` naming the field, a conflict on ``name``."""
        ...

    def list(self) -> Sequence[ApiToken]:
        """Every token, revoked ones included."""
        ...

    def revoke(self, token_id: int) -> ApiToken | None: ...


class SessionApi(Protocol):
    """Browser sessions made from API tokens (``SessionService``)."""

    def sign_in(self, presented_token: str) -> tuple[IssuedSession, ApiToken] | None:
        """A new session for an active token, or ``None``."""
        ...

    def authenticate(self, presented: str) -> tuple[IssuedSession, ApiToken] | None:
        """The active session whose secret is ``presented``, with its token."""
        ...

    def sign_out(self, presented: str) -> bool: ...


class TargetApi(Protocol):
    """Notification targets (``TargetService``)."""

    def list(self) -> Sequence[NotificationTarget]: ...

    def get(self, target_id: int) -> NotificationTarget | None: ...

    def create(self, new: NewNotificationTarget) -> NotificationTarget: ...

    def update(self, target_id: int, new: NewNotificationTarget) -> NotificationTarget | None: ...

    def delete(self, target_id: int) -> bool: ...

    def test_send(self, target_id: int) -> DeliveryReport | None:
        """Send a test message to the target and say how it went; ``None`` for an unknown
        id. Never raises for a failed delivery."""
        ...


class MetricsApi(Protocol):
    """Prometheus metrics."""

    def render(self) -> bytes:
        """The text exposition format."""
        ...

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` of what :meth:`render` gives."""
        ...


class HealthApi(Protocol):
    """Whether the parts Colibri needs answer."""

    def check(self) -> Mapping[str, bool]:
        """Each part (``store``, ``daemon``) and whether it answers now; never raises."""
        ...


class AuditApi(Protocol):
    """The audit trail (``AuditService``)."""

    def record(
        self,
        token: ApiToken | None,
        action: AuditAction,
        resource: AuditResource,
        resource_id: object,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> AuditEntry | None:
        """Record one change; never raises for a store failure (``None`` then)."""
        ...

    def list(
        self, resource: AuditResource | None = None, limit: int = 100, offset: int = 0
    ) -> Sequence[AuditEntry]: ...


class BadDigestApi(Protocol):
    """The digests not to try again (``BadDigestService``)."""

    def list(
        self, environment_id: int | None = None, container_name: str | None = None
    ) -> Sequence[BadDigest]: ...

    def clear(self, environment_id: int, container_name: str, digest: str | None = None) -> int:
        """Forget a container's records (only ``digest``'s when given); how many."""
        ...


class PlanApi(Protocol):
    """The plans of the opted-in containers (``colibri.store.label_slots.SqlLabelSlots``)."""

    def list_slots(self, environment_id: int | None = None) -> Sequence[LabelSlot]: ...
