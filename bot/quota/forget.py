"""Forgetting one user: their preferences and history go, the current period's counts stay.

Today's counters, a cooldown that still runs and open charges are what the limits are made of:
deleting them would hand a fresh quota to anyone who asks to be forgotten. They are kept and go
with the periodic purge once they can no longer matter (QuotaService.purge_expired).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import QUOTA_LIMIT_RANGES
from bot.quota import statements as sql
from bot.quota.models import ChatLimits, CooldownMark, OpenCharge, UsageCounter, UserPreference
from bot.quota.records import ForgetResult

__all__ = ["FORGOTTEN_ADMIN", "forget_user"]

# What a chat's limits say changed them once their admin was forgotten (a valid key: no spaces).
FORGOTTEN_ADMIN: Final = "forgotten"
_DAY_S: Final = 86_400
_HOUR_S: Final = 3_600


async def forget_user(conn: AsyncConnection, user: str, now: float) -> ForgetResult:
    """Delete `user`'s preferences and history in the caller's transaction; report what went."""
    today, this_hour = sql.window(now, _DAY_S), sql.window(now, _HOUR_S)
    # The same rule as the purge: a mark older than the longest cooldown limits nobody.
    longest_cooldown = QUOTA_LIMIT_RANGES["cooldown_s"][1]
    # Exactly the user's key: a Discord server's default style ("dc:server:<id>") is the
    # server's, kept.
    preferences = await conn.execute(delete(UserPreference).where(UserPreference.user_key == user))
    days = _daily_scopes_of(user)
    # A Telegram private chat has the user's key ("tg:<id>"), so its hourly counter is theirs.
    own_chat_hours = UsageCounter.scope == sql.hourly_scope(user)
    past = await conn.execute(
        delete(UsageCounter).where(
            or_(
                and_(days, UsageCounter.window_start < today),
                and_(own_chat_hours, UsageCounter.window_start < this_hour),
            )
        )
    )
    spent = await conn.execute(
        delete(CooldownMark).where(
            CooldownMark.user_key == user, CooldownMark.last_at < now - longest_cooldown
        )
    )
    # The limits belong to the chat and stay; only the name of who set them goes.
    admin = await conn.execute(
        update(ChatLimits).where(ChatLimits.updated_by == user).values(updated_by=FORGOTTEN_ADMIN)
    )
    counters = await _count(conn, UsageCounter, or_(days, own_chat_hours))
    charges = await _count(conn, OpenCharge, OpenCharge.user_key == user)
    last_at: float | None = await conn.scalar(
        select(CooldownMark.last_at).where(CooldownMark.user_key == user)
    )
    kept = counters + charges + (last_at is not None)
    kept_until = None
    if kept:
        # Today's counts (and the charges made today) matter until midnight UTC; a cooldown
        # mark until the longest cooldown an admin may set has passed.
        kept_until = float(today + _DAY_S)
        if last_at is not None:
            kept_until = max(kept_until, last_at + longest_cooldown)
    return ForgetResult(
        preferences=int(preferences.rowcount),
        history=int(past.rowcount) + int(spent.rowcount),
        admin_marks=int(admin.rowcount),
        kept=kept,
        kept_until=kept_until,
    )


def _daily_scopes_of(user: str) -> ColumnElement[bool]:
    # "day <chat> <user>": chat keys hold no spaces, so the last word is the user; autoescape
    # keeps a "%" or "_" in a key from acting as a LIKE wildcard.
    return and_(
        UsageCounter.scope.startswith("day ", autoescape=True),
        UsageCounter.scope.endswith(f" {user}", autoescape=True),
    )


async def _count(conn: AsyncConnection, model: type[Any], where: ColumnElement[bool]) -> int:
    value = await conn.scalar(select(func.count()).select_from(model).where(where))
    return int(value or 0)
