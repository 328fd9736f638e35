"""What an environment is trusted with: plain TCP (``insecure``) and registry credentials.

Revision ID: 0004
Revises: 0005
Create Date: 2026-12-04

``registry_credentials`` is ``none`` (the daemon pulls without credentials), ``host`` (this
host's Docker ``config.json``) or the name of a Docker ``config.json`` in the environment
files directory. Existing environments get ``none``, except ``local``, which has always used
the host's. ``insecure`` (plain ``tcp://`` to a host that is not this machine) starts false.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN: a batch copy would lose SQLite's AUTOINCREMENT (ids never reused)
    op.add_column(
        "environments",
        sa.Column("insecure", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "environments",
        sa.Column(
            "registry_credentials", sa.String(length=255), nullable=False, server_default="none"
        ),
    )
    op.execute("UPDATE environments SET registry_credentials = 'host' WHERE name = 'local'")


def downgrade() -> None:
    with op.batch_alter_table("environments", table_kwargs={"sqlite_autoincrement": True}) as table:
        table.drop_column("registry_credentials")
        table.drop_column("insecure")
