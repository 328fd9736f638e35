"""The service's tables: environments (with ``local``), auto-update settings, API tokens,
notification targets and their de-duplication log, the last check of each container.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Frozen history: plain SQLAlchemy types only (``UtcDateTime`` is ``DateTime(timezone=True)``).
Tables whose ids users see are ``AUTOINCREMENT`` on SQLite, so ids are never reused. The
``local`` environment (the local Docker socket) is inserted here, so every database has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER_REUSED = {"sqlite_autoincrement": True}


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _time(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int | None = None, *, nullable: bool = False) -> sa.Column[Any]:
    kind = sa.Text() if length is None else sa.String(length=length)
    return sa.Column(name, kind, nullable=nullable)


def _flag(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _environment_fk(table: str, *, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["environment_id"],
        ["environments.id"],
        name=f"fk_{table}_environment_id_environments",
        ondelete=ondelete,
    )


def upgrade() -> None:
    _create_environments()
    _create_auto_update_settings()
    _create_api_tokens()
    _create_notification_targets()
    _create_notification_log()
    _create_container_statuses()


def _create_environments() -> None:
    environments = op.create_table(
        "environments",
        _id(),
        _text("name", 64),
        _text("endpoint"),
        sa.Column("tls", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_environments"),
        sa.UniqueConstraint("name", name="uq_environments_name"),
        **NEVER_REUSED,
    )
    op.bulk_insert(
        environments,
        [
            {
                "name": "local",
                "endpoint": "unix:///var/run/docker.sock",
                "tls": None,
                "labels": {},
                "created_at": datetime.now(UTC),
            }
        ],
    )


def _create_auto_update_settings() -> None:
    op.create_table(
        "auto_update_settings",
        _id(),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        _text("container_name", 255),
        _flag("enabled"),
        _text("schedule_type", 16),
        _text("cron", 255),
        _text("timezone", 64),
        _text("criteria", 16),
        sa.Column("gate", sa.JSON(), nullable=False),
        _text("policy", 16),
        _flag("notify"),
        _time("next_run_at", nullable=True),
        _time("last_run_at", nullable=True),
        _text("last_run_id", 64, nullable=True),
        _text("last_status", 32, nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        _environment_fk("auto_update_settings"),
        sa.PrimaryKeyConstraint("id", name="pk_auto_update_settings"),
        sa.UniqueConstraint(
            "environment_id",
            "container_name",
            name="uq_auto_update_settings_environment_id_container_name",
        ),
        **NEVER_REUSED,
    )
    op.create_index(
        "ix_auto_update_settings_due", "auto_update_settings", ["enabled", "next_run_at", "id"]
    )


def _create_api_tokens() -> None:
    op.create_table(
        "api_tokens",
        _id(),
        _text("name", 255),
        _text("token_hash", 64),
        _text("prefix", 32),
        sa.Column("permissions", sa.JSON(), nullable=False),
        _time("created_at"),
        _time("last_used_at", nullable=True),
        _time("expires_at", nullable=True),
        _time("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("name", name="uq_api_tokens_name"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
        **NEVER_REUSED,
    )


def _create_notification_targets() -> None:
    op.create_table(
        "notification_targets",
        _id(),
        _text("name", 255),
        _text("url"),
        sa.Column("events", sa.JSON(), nullable=False),
        _flag("enabled"),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_notification_targets"),
        sa.UniqueConstraint("name", name="uq_notification_targets_name"),
        **NEVER_REUSED,
    )


def _create_notification_log() -> None:
    op.create_table(
        "notification_log",
        _text("key", 1024),
        _time("created_at"),
        sa.PrimaryKeyConstraint("key", name="pk_notification_log"),
    )


def _create_container_statuses() -> None:
    op.create_table(
        "container_statuses",
        sa.Column("environment_id", sa.Integer(), nullable=False),
        _text("container_name", 255),
        _text("container_id", 128),
        _text("image"),
        _text("status", 32),
        _text("current_digest", 255, nullable=True),
        _text("remote_digest", 255, nullable=True),
        _text("reason"),
        _time("checked_at"),
        _environment_fk("container_statuses", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("environment_id", "container_name", name="pk_container_statuses"),
    )


def downgrade() -> None:
    for table in (
        "container_statuses",
        "notification_log",
        "notification_targets",
        "api_tokens",
        "auto_update_settings",
        "environments",
    ):
        op.drop_table(table)
