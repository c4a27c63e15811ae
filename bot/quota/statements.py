"""The quota service's SQL and keys: conditional upserts, counters, cooldowns, limits, windows."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from bot.config import QUOTA_LIMIT_RANGES, QuotaSettings
from bot.quota.errors import LimitOutOfRange, QuotaExceeded
from bot.quota.models import (
    KEY_LENGTH,
    LOCALE_LENGTH,
    PLATFORM_LENGTH,
    ChatLimits,
    CooldownMark,
    UsageCounter,
)
from bot.quota.records import EffectiveLimits

__all__ = [
    "DIALECTS",
    "check_key",
    "check_limit",
    "check_locale",
    "check_platform",
    "count",
    "daily_scope",
    "hourly_scope",
    "limits_of",
    "start_cooldown",
    "until",
    "upsert",
    "used",
    "window",
]

# Both dialects spell the conditional upsert the same way; others lack a single-statement form.
DIALECTS: Final = ("sqlite", "postgresql")


def upsert(
    dialect: str,
    model: type[Any],
    values: Mapping[str, Any],
    key: InstrumentedAttribute[Any] | tuple[InstrumentedAttribute[Any], ...],
    set_: Mapping[str, Any],
    *,
    where: ColumnElement[bool] | None = None,
) -> sqlite.Insert | postgresql.Insert:
    """INSERT values, or on a clash on key UPDATE set_ (only where `where` holds)."""
    keys = list(key) if isinstance(key, tuple) else [key]
    if dialect == "sqlite":
        return (
            sqlite.insert(model)
            .values(values)
            .on_conflict_do_update(index_elements=keys, set_=set_, where=where)
        )
    return (
        postgresql.insert(model)
        .values(values)
        .on_conflict_do_update(index_elements=keys, set_=set_, where=where)
    )


async def limits_of(conn: AsyncConnection, chat: str, defaults: QuotaSettings) -> EffectiveLimits:
    """The limits chat runs under: its admin's overrides over `defaults`."""
    row = (
        await conn.execute(
            select(
                ChatLimits.daily_per_user,
                ChatLimits.per_chat_per_hour,
                ChatLimits.cooldown_s,
                ChatLimits.updated_by,
                ChatLimits.updated_at,
            ).where(ChatLimits.chat_key == chat)
        )
    ).one_or_none()
    if row is None:
        return EffectiveLimits(
            defaults.daily_per_user, defaults.per_chat_per_hour, defaults.cooldown_s
        )
    overrides = {
        "daily_per_user": row.daily_per_user,
        "per_chat_per_hour": row.per_chat_per_hour,
        "cooldown_s": row.cooldown_s,
    }
    effective = {
        name: getattr(defaults, name) if value is None else value
        for name, value in overrides.items()
    }
    return EffectiveLimits(
        **effective,
        overridden=frozenset(name for name, value in overrides.items() if value is not None),
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


async def count(
    conn: AsyncConnection, dialect: str, scope: str, window_start: int, limit: int
) -> int | None:
    """Count one more in scope's window: the new count, or None (nothing counted) at limit."""
    # One statement: the row lock (or SQLite's write lock) makes check and increment atomic.
    stmt = upsert(
        dialect,
        UsageCounter,
        {"scope": scope, "window_start": window_start, "used": 1},
        (UsageCounter.scope, UsageCounter.window_start),
        {"used": UsageCounter.used + 1},
        where=UsageCounter.used < limit,
    ).returning(UsageCounter.used)
    counted: int | None = await conn.scalar(stmt)
    return counted


async def used(conn: AsyncConnection, scope: str, window_start: int) -> int:
    """How many scope counted in the window starting at window_start (0 if none)."""
    value = await conn.scalar(
        select(UsageCounter.used).where(
            UsageCounter.scope == scope, UsageCounter.window_start == window_start
        )
    )
    return int(value or 0)


async def start_cooldown(
    conn: AsyncConnection, dialect: str, user: str, now: float, cooldown_s: int
) -> None:
    """Mark user's cooldown as started at now, or raise QuotaExceeded if it still runs."""
    stmt = upsert(
        dialect,
        CooldownMark,
        {"user_key": user, "last_at": now},
        CooldownMark.user_key,
        {"last_at": now},
        where=CooldownMark.last_at <= now - cooldown_s,
    ).returning(CooldownMark.last_at)
    if await conn.scalar(stmt) is not None:
        return
    last_at = await conn.scalar(select(CooldownMark.last_at).where(CooldownMark.user_key == user))
    wait = cooldown_s if last_at is None else math.ceil(last_at + cooldown_s - now)
    # Clamped: a clock that stepped back must not promise a wait longer than the cooldown.
    raise QuotaExceeded("cooldown", min(cooldown_s, max(1, wait)), cooldown_s)


def window(now: float, length: int) -> int:
    """Start of the UTC-aligned window of the given length (seconds) that contains now."""
    return int(now // length) * length


def until(deadline: float, now: float) -> int:
    """Whole seconds from now to deadline, at least 1."""
    # Rounded up, so a user who waits the number we said is never refused again.
    return max(1, math.ceil(deadline - now))


def daily_scope(chat: str, user: str) -> str:
    """The counter key of user's daily count in chat."""
    # Keys hold no whitespace (check_key), so the spaces keep scopes unambiguous.
    return f"day {chat} {user}"


def hourly_scope(chat: str) -> str:
    """The counter key of chat's hourly count."""
    return f"hour {chat}"


def check_key(what: str, key: str) -> None:
    """ValueError unless key is 1..KEY_LENGTH printable characters without whitespace."""
    if (
        not isinstance(key, str)
        or not 0 < len(key) <= KEY_LENGTH
        or not key.isprintable()
        or any(c.isspace() for c in key)
    ):
        raise ValueError(
            f"{what} key must be 1..{KEY_LENGTH} printable characters without spaces: {key!r}"
        )


def check_platform(platform: str) -> None:
    """ValueError unless platform is 1..PLATFORM_LENGTH lowercase ASCII letters or digits."""
    if (
        not isinstance(platform, str)
        or not 0 < len(platform) <= PLATFORM_LENGTH
        or not (platform.isascii() and platform.isalnum() and platform == platform.lower())
    ):
        raise ValueError(
            f"platform must be 1..{PLATFORM_LENGTH} lowercase letters or digits: {platform!r}"
        )


def check_locale(locale: str | None) -> None:
    """ValueError unless locale is None or 1..LOCALE_LENGTH ASCII letters, digits, '-' or '_'."""
    # Checked here, not left to the column: PostgreSQL would refuse a longer one only after the
    # counts were written in the same transaction, and SQLite would store it whole.
    if locale is None:
        return
    if (
        not isinstance(locale, str)
        or not 0 < len(locale) <= LOCALE_LENGTH
        or not (locale.isascii() and locale.replace("-", "").replace("_", "").isalnum())
    ):
        raise ValueError(
            f"locale must be 1..{LOCALE_LENGTH} ASCII letters, digits, '-' or '_': {locale!r}"
        )


def check_limit(name: str, value: int) -> None:
    """TypeError unless value is an int; LimitOutOfRange outside QUOTA_LIMIT_RANGES[name]."""
    low, high = QUOTA_LIMIT_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, not {value!r}")
    if not low <= value <= high:
        raise LimitOutOfRange(name, value, low, high)
