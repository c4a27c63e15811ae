"""Quotas: usage counters, cooldown marks, per-chat limit overrides, user preferences.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "quota_usage",
        sa.Column("scope", sa.String(264), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.CheckConstraint("used >= 0", name=op.f("ck_quota_usage_used_not_negative")),
        sa.PrimaryKeyConstraint("scope", "window_start", name=op.f("pk_quota_usage")),
    )
    op.create_table(
        "quota_cooldowns",
        sa.Column("user_key", sa.String(128), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("user_key", name=op.f("pk_quota_cooldowns")),
    )
    op.create_table(
        "chat_limits",
        sa.Column("chat_key", sa.String(128), nullable=False),
        sa.Column("daily_per_user", sa.Integer(), nullable=True),
        sa.Column("per_chat_per_hour", sa.Integer(), nullable=True),
        sa.Column("cooldown_s", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chat_key", name=op.f("pk_chat_limits")),
    )
    op.create_table(
        "user_preferences",
        sa.Column("user_key", sa.String(128), nullable=False),
        sa.Column("style", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("user_key", name=op.f("pk_user_preferences")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("user_preferences")
    op.drop_table("chat_limits")
    op.drop_table("quota_cooldowns")
    op.drop_table("quota_usage")
