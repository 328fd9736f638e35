"""Initial schema: update runs with their steps and logs, locks, scan records.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Migrations are frozen history: they spell out plain SQLAlchemy types and never import the
models. ``UtcDateTime`` columns are ``DateTime(timezone=True)`` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int | None = None, *, nullable: bool = False) -> sa.Column[Any]:
    kind = sa.Text() if length is None else sa.String(length=length)
    return sa.Column(name, kind, nullable=nullable)


def _run_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["run_id"], ["runs.id"], name=f"fk_{table}_run_id_runs", ondelete="CASCADE"
    )


def upgrade() -> None:
    _create_runs()
    _create_run_steps()
    _create_run_logs()
    _create_locks()
    _create_scan_records()


def _create_runs() -> None:
    op.create_table(
        "runs",
        _text("id", 32),
        _text("environment", 255),
        _text("container_name", 255),
        _text("container_id", 128),
        _text("image"),
        _text("status", 32),
        _text("trigger", 64),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        _time("started_at"),
        _time("finished_at", nullable=True),
        _text("old_image_id", 128, nullable=True),
        _text("new_image_id", 128, nullable=True),
        _text("old_digest", 255, nullable=True),
        _text("new_digest", 255, nullable=True),
        _text("reason"),
        sa.Column("downtime_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_index(
        "ix_runs_environment_container", "runs", ["environment", "container_name", "started_at"]
    )
    op.create_index("ix_runs_container", "runs", ["container_name", "started_at"])
    op.create_index("ix_runs_status", "runs", ["status", "started_at"])


def _create_run_steps() -> None:
    op.create_table(
        "run_steps",
        _text("run_id", 32),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        _text("step", 32),
        _time("at"),
        sa.Column("data", sa.JSON(), nullable=False),
        _run_fk("run_steps"),
        sa.PrimaryKeyConstraint("run_id", "seq", name="pk_run_steps"),
    )


def _create_run_logs() -> None:
    op.create_table(
        "run_logs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _text("run_id", 32),
        _time("at"),
        _text("level", 16),
        _text("message"),
        _run_fk("run_logs"),
        sa.PrimaryKeyConstraint("id", name="pk_run_logs"),
    )
    op.create_index("ix_run_logs_run", "run_logs", ["run_id", "id"])


def _create_locks() -> None:
    op.create_table(
        "locks",
        _text("key", 255),
        _text("run_id", 64),
        _text("hostname", 255),
        sa.Column("pid", sa.Integer(), nullable=False),
        _time("acquired_at"),
        _time("expires_at"),
        sa.PrimaryKeyConstraint("key", name="pk_locks"),
    )


def _create_scan_records() -> None:
    op.create_table(
        "scan_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _text("digest", 255),
        _text("scanner", 64),
        _text("scanner_version", 128),
        _text("db_build", 128),
        _time("scanned_at"),
        _text("status", 16),
        sa.Column("report", sa.JSON(none_as_null=True), nullable=True),
        _text("error"),
        sa.PrimaryKeyConstraint("id", name="pk_scan_records"),
    )
    op.create_index(
        "ix_scan_records_lookup", "scan_records", ["digest", "scanner", "status", "scanned_at"]
    )


def downgrade() -> None:
    for table in ("scan_records", "locks", "run_logs", "run_steps", "runs"):
        op.drop_table(table)
