"""Operator controls: skips and snoozes, the digests Colibri has seen (with what their
configuration says), the window and minimum age of an auto-update setting, and what the
controls said at a container's last check.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-04

Frozen history: plain SQLAlchemy types only (``UtcDateTime`` is ``DateTime(timezone=True)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "skips",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("environment", sa.String(length=64), nullable=False),
        sa.Column("container_name", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_skips"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_skips_environment_container_name", "skips", ["environment", "container_name"]
    )
    op.create_table(
        "seen_images",
        sa.Column("digest", sa.String(length=255), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_seen_images"),
    )
    with op.batch_alter_table("auto_update_settings") as batch:
        batch.add_column(sa.Column("window", sa.Text(), nullable=True))
        batch.add_column(sa.Column("min_age", sa.String(length=32), nullable=True))
    with op.batch_alter_table("container_statuses") as batch:
        batch.add_column(sa.Column("controls", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("container_statuses") as batch:
        batch.drop_column("controls")
    with op.batch_alter_table("auto_update_settings") as batch:
        batch.drop_column("min_age")
        batch.drop_column("window")
    op.drop_table("seen_images")
    op.drop_index("ix_skips_environment_container_name", table_name="skips")
    op.drop_table("skips")
