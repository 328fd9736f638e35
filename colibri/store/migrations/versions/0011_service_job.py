"""What ``colibri serve`` needs to do the job by itself: the event log (ids for replay), the
audit trail, bad digests, the label-driven schedule slots; settings' criteria get ``inherit``.

Revision ID: 0011
Revises: 0002
Create Date: 2026-12-04

Before this revision a setting's ``criteria: never`` meant "as configured globally"; it now
means "never scan this container" and ``inherit`` means the global policy. Stored ``never``
rows become ``inherit``, so nothing changes for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER_REUSED = {"sqlite_autoincrement": True}


def _time(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int | None = None, *, nullable: bool = False) -> sa.Column[Any]:
    kind = sa.Text() if length is None else sa.String(length=length)
    return sa.Column(name, kind, nullable=nullable)


def _environment_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["environment_id"],
        ["environments.id"],
        name=f"fk_{table}_environment_id_environments",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    _create_events()
    _create_audit_log()
    _create_bad_digests()
    _create_label_slots()
    op.execute("UPDATE auto_update_settings SET criteria = 'inherit' WHERE criteria = 'never'")


def downgrade() -> None:
    op.execute("UPDATE auto_update_settings SET criteria = 'never' WHERE criteria = 'inherit'")
    op.drop_index("ix_label_slots_due", table_name="label_slots")
    op.drop_table("label_slots")
    op.drop_table("bad_digests")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_events_run", table_name="events")
    op.drop_index("ix_events_at", table_name="events")
    op.drop_table("events")


def _create_events() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _time("at"),
        _text("kind", 32),
        _text("run_id", 64, nullable=True),
        _text("environment", 255),
        _text("container", 255),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        **NEVER_REUSED,
    )
    op.create_index("ix_events_run", "events", ["run_id", "id"])
    op.create_index("ix_events_at", "events", ["at"])


def _create_audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _time("at"),
        sa.Column("token_id", sa.Integer(), nullable=True),
        _text("actor", 255),
        _text("action", 32),
        _text("resource", 32),
        _text("resource_id", 64),
        sa.Column("before", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("after", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        **NEVER_REUSED,
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def _create_bad_digests() -> None:
    op.create_table(
        "bad_digests",
        sa.Column("environment_id", sa.Integer(), nullable=False),
        _text("container_name", 255),
        _text("digest", 255),
        _text("status", 32),
        _text("reason"),
        _text("run_id", 64, nullable=True),
        _time("recorded_at"),
        _environment_fk("bad_digests"),
        sa.PrimaryKeyConstraint(
            "environment_id", "container_name", "digest", name="pk_bad_digests"
        ),
    )


def _create_label_slots() -> None:
    op.create_table(
        "label_slots",
        sa.Column("environment_id", sa.Integer(), nullable=False),
        _text("container_name", 255),
        _text("cron", 255),
        _text("timezone", 64),
        _text("source", 16),
        _text("mode", 16),
        sa.Column("cleanup", sa.Boolean(), nullable=False),
        _time("next_run_at", nullable=True),
        _time("last_run_at", nullable=True),
        _text("last_run_id", 64, nullable=True),
        _text("last_status", 32, nullable=True),
        _environment_fk("label_slots"),
        sa.PrimaryKeyConstraint("environment_id", "container_name", name="pk_label_slots"),
    )
    op.create_index("ix_label_slots_due", "label_slots", ["next_run_at"])
