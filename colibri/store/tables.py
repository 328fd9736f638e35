"""The tables, as SQLAlchemy 2 typed declarative classes.

These rows never leave the store: repositories turn them into the domain's frozen dataclasses
(``colibri.domain.journal``). The schema itself is created and evolved only by the Alembic
migrations in ``colibri/store/migrations``; a test checks that the two agree.

Conventions, so that later migrations stay easy:

- every constraint and index has a deterministic name (``NAMING_CONVENTION``), which Alembic's
  batch mode needs to alter SQLite tables;
- enumerations are stored as short strings, not database enums, so adding a value needs no
  migration;
- times are :class:`~colibri.store.types.UtcDateTime`, documents are ``JSON``;
- integer ids of things users create and delete are never reused (``AUTOINCREMENT`` on
  SQLite), so an id an API client remembers cannot come to mean another row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from colibri.store.types import UtcDateTime

__all__ = [
    "ApiTokenRow",
    "AuditRow",
    "AutoUpdateSettingRow",
    "BadDigestRow",
    "Base",
    "ContainerStatusRow",
    "EnvironmentRow",
    "EventRow",
    "LabelSlotRow",
    "LockRow",
    "NotificationLogRow",
    "NotificationTargetRow",
    "RunLogRow",
    "RunRow",
    "RunStepRow",
    "ScanRecordRow",
    "SeenImageRow",
    "SkipRow",
    "WebSessionRow",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(32)
NAME = String(255)
DIGEST = String(255)


class Base(DeclarativeBase):
    """Declarative base holding the metadata Alembic compares against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON()}


class RunRow(Base):
    """One update of one container (``colibri.domain.journal.RunRecord``)."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_started_at", "started_at"),
        Index("ix_runs_environment_container", "environment", "container_name", "started_at"),
        Index("ix_runs_container", "container_name", "started_at"),
        Index("ix_runs_status", "status", "started_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    environment: Mapped[str] = mapped_column(NAME)
    container_name: Mapped[str] = mapped_column(NAME)
    container_id: Mapped[str] = mapped_column(String(128))
    image: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(64))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    old_image_id: Mapped[str | None] = mapped_column(String(128))
    new_image_id: Mapped[str | None] = mapped_column(String(128))
    old_digest: Mapped[str | None] = mapped_column(DIGEST)
    new_digest: Mapped[str | None] = mapped_column(DIGEST)
    reason: Mapped[str] = mapped_column(Text)
    downtime_ms: Mapped[int | None] = mapped_column(Integer)


class RunStepRow(Base):
    """One journal row of a run, numbered from 1 by ``seq``."""

    __tablename__ = "run_steps"

    run_id: Mapped[str] = mapped_column(
        ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    step: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class RunLogRow(Base):
    """One log line of a run."""

    __tablename__ = "run_logs"
    __table_args__ = (Index("ix_run_logs_run", "run_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    level: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)


class LockRow(Base):
    """A per-key lease: held by a run of one process instance until ``expires_at``.

    ``instance`` is the holder process's random id and ``machine`` where its ``pid`` is
    meaningful; both are empty in rows written before they existed (then ``hostname`` and
    ``pid`` identify the holder)."""

    __tablename__ = "locks"

    key: Mapped[str] = mapped_column(NAME, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    hostname: Mapped[str] = mapped_column(NAME)
    pid: Mapped[int] = mapped_column(Integer)
    instance: Mapped[str | None] = mapped_column(String(64))
    machine: Mapped[str | None] = mapped_column(String(255))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ScanRecordRow(Base):
    """One vulnerability scan of one image digest by one scanner (good or failed)."""

    __tablename__ = "scan_records"
    __table_args__ = (Index("ix_scan_records_lookup", "digest", "scanner", "status", "scanned_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(DIGEST)
    scanner: Mapped[str] = mapped_column(String(64))
    scanner_version: Mapped[str] = mapped_column(String(128))
    db_build: Mapped[str] = mapped_column(String(128))
    scanned_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    error: Mapped[str] = mapped_column(Text)


NEVER_REUSED = {"sqlite_autoincrement": True}
"""Table option: SQLite never hands out an id again after its row was deleted."""


class EnvironmentRow(Base):
    """A Docker host (``colibri.domain.environments.Environment``); ``tls`` is the endpoint's
    TLS material as a document, ``NULL`` for none."""

    __tablename__ = "environments"
    __table_args__ = (UniqueConstraint("name"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(Text)
    tls: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    insecure: Mapped[bool] = mapped_column(Boolean, server_default=false())
    registry_credentials: Mapped[str] = mapped_column(String(255), server_default="none")
    labels: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class AutoUpdateSettingRow(Base):
    """One container's auto-update setting and the scheduler's bookkeeping for it.

    ``ix_auto_update_settings_due`` serves the scheduler's "what is due" query: enabled rows
    in ``(next_run_at, id)`` order, read from the index without touching the others, and
    without a sort.
    """

    __tablename__ = "auto_update_settings"
    __table_args__ = (
        UniqueConstraint("environment_id", "container_name"),
        Index("ix_auto_update_settings_due", "enabled", "next_run_at", "id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    environment_id: Mapped[int] = mapped_column(Integer, ForeignKey("environments.id"))
    container_name: Mapped[str] = mapped_column(NAME)
    enabled: Mapped[bool] = mapped_column(Boolean)
    schedule_type: Mapped[str] = mapped_column(String(16))
    cron: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    criteria: Mapped[str] = mapped_column(String(16))
    gate: Mapped[dict[str, Any]]
    policy: Mapped[str] = mapped_column(String(16))
    notify: Mapped[bool] = mapped_column(Boolean)
    next_run_at: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    last_run_id: Mapped[str | None] = mapped_column(String(64))
    last_status: Mapped[str | None] = mapped_column(String(32))
    consecutive_failures: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    window: Mapped[str | None] = mapped_column(Text)
    min_age: Mapped[str | None] = mapped_column(String(32))


class ApiTokenRow(Base):
    """An API token: the SHA-256 of its secret, never the secret."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("name"), UniqueConstraint("token_hash"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(NAME)
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(32))
    permissions: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSessionRow(Base):
    """A browser session: the SHA-256 of its cookie's secret, the token it acts for."""

    __tablename__ = "web_sessions"
    __table_args__ = (UniqueConstraint("session_hash"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_hash: Mapped[str] = mapped_column(String(64))
    token_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class NotificationTargetRow(Base):
    """An Apprise URL (a secret) and the event names it is subscribed to."""

    __tablename__ = "notification_targets"
    __table_args__ = (UniqueConstraint("name"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(NAME)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class NotificationLogRow(Base):
    """A de-duplication key of a notification already sent, and when it was first seen."""

    __tablename__ = "notification_log"

    key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    created_at: Mapped[datetime]


class ContainerStatusRow(Base):
    """The last check of one container, keyed by environment and container name."""

    __tablename__ = "container_statuses"

    environment_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True
    )
    container_name: Mapped[str] = mapped_column(NAME, primary_key=True)
    container_id: Mapped[str] = mapped_column(String(128))
    image: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    current_digest: Mapped[str | None] = mapped_column(DIGEST)
    remote_digest: Mapped[str | None] = mapped_column(DIGEST)
    reason: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime]
    controls: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class SkipRow(Base):
    """A skipped version or a snooze of one container (``colibri.domain.skips.Skip``)."""

    __tablename__ = "skips"
    __table_args__ = (Index(None, "environment", "container_name"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    environment: Mapped[str] = mapped_column(String(64))
    container_name: Mapped[str] = mapped_column(NAME)
    version: Mapped[str | None] = mapped_column(String(255))
    until: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class SeenImageRow(Base):
    """A candidate digest, when Colibri first saw it, and what its configuration says
    (``created``, the OCI labels): read once, so the registry is asked once per digest."""

    __tablename__ = "seen_images"

    digest: Mapped[str] = mapped_column(DIGEST, primary_key=True)
    first_seen_at: Mapped[datetime]
    created: Mapped[datetime | None]
    labels: Mapped[dict[str, Any]]


class EventRow(Base):
    """One thing that happened to a run (started, a step, a log line, finished), numbered by
    ``id`` across all runs: the id of server-sent events, from which a client resumes."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_run", "run_id", "id"),
        Index("ix_events_at", "at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[str | None] = mapped_column(String(64))
    environment: Mapped[str] = mapped_column(NAME)
    container: Mapped[str] = mapped_column(NAME)
    data: Mapped[dict[str, Any]]


class AuditRow(Base):
    """One change made through the API: who (the token), when, what, before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    token_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(NAME)
    action: Mapped[str] = mapped_column(String(32))
    resource: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class BadDigestRow(Base):
    """A digest whose update of one container failed or was rolled back: not tried again."""

    __tablename__ = "bad_digests"

    environment_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True
    )
    container_name: Mapped[str] = mapped_column(NAME, primary_key=True)
    digest: Mapped[str] = mapped_column(DIGEST, primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime]


class LabelSlotRow(Base):
    """What the service does with one opted-in container (``ContainerPlan``) and, when its
    labels or the default drive its schedule, its next slot (claimed as settings' are)."""

    __tablename__ = "label_slots"
    __table_args__ = (Index("ix_label_slots_due", "next_run_at"),)

    environment_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True
    )
    container_name: Mapped[str] = mapped_column(NAME, primary_key=True)
    cron: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    cleanup: Mapped[bool] = mapped_column(Boolean)
    next_run_at: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    last_run_id: Mapped[str | None] = mapped_column(String(64))
    last_status: Mapped[str | None] = mapped_column(String(32))
