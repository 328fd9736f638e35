"""Lock holders named by their process instance: a random id per process, and the machine
(boot and PID namespace) on which its PID means something.

Revision ID: 0003
Revises: 0011
Create Date: 2026-12-04

Both columns are nullable: rows written before them have neither, and are read as before
(by host name and PID).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("locks", sa.Column("instance", sa.String(length=64), nullable=True))
    op.add_column("locks", sa.Column("machine", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("locks") as batch:
        batch.drop_column("machine")
        batch.drop_column("instance")
