"""Open charges: units counted for jobs not yet delivered, refunded when a crashed bot restarts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "quota_charges",
        sa.Column("charge_id", sa.String(32), nullable=False),
        sa.Column("instance", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_key", sa.String(128), nullable=False),
        sa.Column("chat_key", sa.String(128), nullable=False),
        sa.Column("daily_scope", sa.String(264), nullable=False),
        sa.Column("daily_window", sa.BigInteger(), nullable=False),
        sa.Column("hourly_scope", sa.String(264), nullable=True),
        sa.Column("hourly_window", sa.BigInteger(), nullable=True),
        sa.Column("cooldown_at", sa.Float(), nullable=True),
        sa.Column("notify_chat", sa.String(128), nullable=True),
        sa.Column("notify_message", sa.String(128), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("charge_id", name=op.f("pk_quota_charges")),
    )
    # A new table: no batch copy is needed on SQLite for the index either.
    op.create_index("ix_quota_charges_instance", "quota_charges", ["instance"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_quota_charges_instance", table_name="quota_charges")
    op.drop_table("quota_charges")
