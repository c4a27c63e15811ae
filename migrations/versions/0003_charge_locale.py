"""Open charges keep the requester's language, so the restart notice is in their words.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema: a nullable column, so charges already open stay valid (told in English)."""
    # A nullable ADD COLUMN is in place on both SQLite and PostgreSQL: no table copy, no lock
    # beyond the statement, existing rows read NULL.
    op.add_column("quota_charges", sa.Column("locale", sa.String(16), nullable=True))


def downgrade() -> None:
    """Downgrade schema: open charges lose their language (their notices go out in English)."""
    # Batch mode: SQLite before 3.35 has no DROP COLUMN, so the table is copied there (its index
    # with it); on PostgreSQL this is a plain ALTER TABLE ... DROP COLUMN.
    with op.batch_alter_table("quota_charges") as batch:
        batch.drop_column("locale")
