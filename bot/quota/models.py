"""Tables of the quota service; migrations/versions must create exactly these."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base

__all__ = [
    "KEY_LENGTH",
    "LOCALE_LENGTH",
    "PLATFORM_LENGTH",
    "ChatLimits",
    "CooldownMark",
    "OpenCharge",
    "UsageCounter",
    "UserPreference",
]

# Longest user or chat key ("tg:-1001234567890" is 17); scopes hold a chat and a user.
KEY_LENGTH = 128
# Longest platform name a frontend gives the quota service ("telegram", "discord").
PLATFORM_LENGTH = 16
# Longest language code an open charge keeps ("ko", "pt-BR"; bot.i18n stores a primary subtag).
LOCALE_LENGTH = 16


class UsageCounter(Base):
    """How many photos one scope (a user in a chat, or a whole chat) used in one time window."""

    __tablename__ = "quota_usage"
    __table_args__ = (CheckConstraint("used >= 0", name="used_not_negative"),)

    scope: Mapped[str] = mapped_column(String(2 * KEY_LENGTH + 8), primary_key=True)
    # Unix seconds of the window's start (UTC day or clock hour); integers compare exactly.
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    used: Mapped[int] = mapped_column(Integer, nullable=False)


class CooldownMark(Base):
    """When a user last got a photo granted, for the per-user cooldown."""

    __tablename__ = "quota_cooldowns"

    user_key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    # Unix seconds from the service's clock.
    last_at: Mapped[float] = mapped_column(Float, nullable=False)


class ChatLimits(Base):
    """An admin's per-chat overrides; NULL means "use the default from config.toml"."""

    __tablename__ = "chat_limits"

    chat_key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    daily_per_user: Mapped[int | None] = mapped_column(Integer, nullable=True)
    per_chat_per_hour: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cooldown_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(KEY_LENGTH), nullable=False)
    updated_at: Mapped[float] = mapped_column(Float, nullable=False)


class UserPreference(Base):
    """A user's remembered choices."""

    __tablename__ = "user_preferences"

    user_key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    style: Mapped[str] = mapped_column(String(64), nullable=False)
    updated_at: Mapped[float] = mapped_column(Float, nullable=False)


class OpenCharge(Base):
    """A unit counted for a job whose result was not delivered yet; refunded if its process dies."""

    __tablename__ = "quota_charges"
    __table_args__ = (Index("ix_quota_charges_instance", "instance"),)

    charge_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The bot process that made it ([bot] instance): only that process's restart refunds it.
    instance: Mapped[str] = mapped_column(String(64), nullable=False)
    # The frontend that made it, as the caller of consume() named it: whom recovery tells.
    platform: Mapped[str] = mapped_column(String(PLATFORM_LENGTH), nullable=False)
    user_key: Mapped[str] = mapped_column(String(KEY_LENGTH), nullable=False)
    chat_key: Mapped[str] = mapped_column(String(KEY_LENGTH), nullable=False)
    # What the grant counted, so a refund in another process gives back exactly that.
    daily_scope: Mapped[str] = mapped_column(String(2 * KEY_LENGTH + 8), nullable=False)
    daily_window: Mapped[int] = mapped_column(BigInteger, nullable=False)
    hourly_scope: Mapped[str | None] = mapped_column(String(2 * KEY_LENGTH + 8), nullable=True)
    hourly_window: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cooldown_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Where to tell the user after a restart: platform chat/channel id and message to reply to.
    notify_chat: Mapped[str | None] = mapped_column(String(KEY_LENGTH), nullable=True)
    notify_message: Mapped[str | None] = mapped_column(String(KEY_LENGTH), nullable=True)
    # The requester's language code (bot.i18n Lang.code), so the restart notice is in their words;
    # NULL for charges made before revision 0003 or without one: those are told in English.
    locale: Mapped[str | None] = mapped_column(String(LOCALE_LENGTH), nullable=True)
    created_at: Mapped[float] = mapped_column(Float, nullable=False)
