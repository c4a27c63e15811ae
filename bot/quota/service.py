"""Per-user daily, per-chat hourly and cooldown limits, counted atomically in the database."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Final, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import QUOTA_LIMIT_RANGES, QuotaSettings
from bot.db import Database
from bot.quota import statements as sql
from bot.quota.access import FullReports, guarded_transaction, retrying
from bot.quota.errors import QuotaExceeded, QuotaUnavailable
from bot.quota.forget import forget_user
from bot.quota.ledger import give_back, open_charge, open_charges_of
from bot.quota.models import (
    ChatLimits,
    CooldownMark,
    OpenCharge,
    UsageCounter,
    UserPreference,
)
from bot.quota.records import (
    UNCHANGED,
    EffectiveLimits,
    ForgetResult,
    Grant,
    QuotaStatus,
    RecoveredCharge,
    Unchanged,
)

__all__ = ["DAY_S", "DEFAULT_INSTANCE", "HOUR_S", "RETRY_DELAYS_S", "QuotaService"]

T = TypeVar("T")

DAY_S: Final = 86_400
HOUR_S: Final = 3_600
_STYLE_LENGTH: Final = 64
DEFAULT_INSTANCE: Final = "default"
# Waits between tries of a refund or settle that found the database unavailable. A refund that
# still fails leaves its open charge behind, and this instance's next start refunds it.
RETRY_DELAYS_S: Final = (0.5, 1.0, 2.0)


class QuotaService:
    """Counts photos per user and chat; safe across tasks, connections and processes."""

    def __init__(
        self,
        db: Database,
        settings: QuotaSettings,
        clock: Callable[[], float] = time.time,
        *,
        instance: str = DEFAULT_INSTANCE,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
    ) -> None:
        if db.dialect not in sql.DIALECTS:
            raise ValueError(f"quotas need SQLite or PostgreSQL, not {db.dialect}")
        self._db = db
        self._defaults = settings
        self._clock = clock
        self._instance = instance
        self._retry_delays_s = tuple(retry_delays_s)
        self._full = FullReports(db.url)

    @property
    def instance(self) -> str:
        """The name this process's open charges carry."""
        return self._instance

    async def consume(
        self,
        user: str,
        chat: str,
        *,
        platform: str,
        notify_chat: str | None = None,
        notify_message: str | None = None,
        locale: str | None = None,
    ) -> Grant:
        """Count one photo for user in chat, or raise QuotaExceeded having counted nothing.

        The grant stays an open charge until settle() or refund(); if this process dies first,
        recover() hands it back to the frontend named `platform` (stored with the charge), which
        tells the user in notify_chat, replying to notify_message, in the language `locale` (the
        requester's bot.i18n code; None: English). QuotaUnavailable: nothing counted. ValueError:
        a malformed key, platform or locale (over 16 characters or not a language tag).
        """
        sql.check_key("user", user)
        sql.check_key("chat", chat)
        sql.check_platform(platform)
        sql.check_locale(locale)
        now = self._clock()
        async with self._transaction(write=True) as conn:
            # Any raise below leaves the transaction block, which rolls back every count so far.
            limits = await sql.limits_of(conn, chat, self._defaults)
            if limits.daily_per_user == 0:
                raise QuotaExceeded("daily", None, 0)
            day = sql.window(now, DAY_S)
            daily_scope = sql.daily_scope(chat, user)
            used = await sql.count(conn, self._db.dialect, daily_scope, day, limits.daily_per_user)
            if used is None:
                raise QuotaExceeded("daily", sql.until(day + DAY_S, now), limits.daily_per_user)
            grant = Grant(user, chat, daily_scope, day, used, limits.daily_per_user)
            if limits.per_chat_per_hour > 0:
                hour = sql.window(now, HOUR_S)
                hourly_scope = sql.hourly_scope(chat)
                hourly = limits.per_chat_per_hour
                if await sql.count(conn, self._db.dialect, hourly_scope, hour, hourly) is None:
                    raise QuotaExceeded("chat_hourly", sql.until(hour + HOUR_S, now), hourly)
                grant.hourly_scope, grant.hourly_window = hourly_scope, hour
            if limits.cooldown_s > 0:
                await sql.start_cooldown(conn, self._db.dialect, user, now, limits.cooldown_s)
                grant.cooldown_at = now
            # In the same transaction as the counts: a crash leaves both or neither.
            await open_charge(
                conn,
                grant,
                instance=self._instance,
                platform=platform,
                notify_chat=notify_chat,
                notify_message=notify_message,
                now=now,
                locale=locale,
            )
        self._full.wrote()
        return grant

    async def settle(self, grant: Grant) -> None:
        """Close grant's open charge once its result was delivered: it stays counted for good."""
        if grant.settled or grant.refunded or grant.charge_id is None:
            return
        grant.settled = True
        charge_id = grant.charge_id

        async def close() -> None:
            async with self._transaction(write=True) as conn:
                await conn.execute(delete(OpenCharge).where(OpenCharge.charge_id == charge_id))

        try:
            await self._retrying(close)
        except BaseException:
            grant.settled = False
            raise

    async def refund(self, grant: Grant) -> None:
        """Give back exactly what grant consumed; a second refund of the same grant does nothing.

        Retried with backoff while the database is unavailable; if it still is, QuotaUnavailable
        is raised and the open charge stays for recover() at this instance's next start.
        """
        if grant.refunded or grant.settled:
            return
        # Set before the first await, so two concurrent refunds cannot both get through.
        grant.refunded = True

        async def attempt() -> None:
            async with self._transaction(write=True) as conn:
                await give_back(conn, grant)

        try:
            await self._retrying(attempt)
        except BaseException:
            grant.refunded = False
            raise

    async def recover(self, instance: str | None = None) -> list[RecoveredCharge]:
        """Refund every charge `instance` (default: this one) left open when it stopped or died.

        Call it at start-up, before taking new work: another process with the same instance name
        would have its jobs in flight refunded. One transaction per charge, so a crash midway
        loses nothing and a second call refunds nothing twice.
        """
        owner = self._instance if instance is None else instance
        async with self._transaction() as conn:
            charges = await open_charges_of(conn, owner)
        recovered = []
        for grant, charge in charges:
            async with self._transaction(write=True) as conn:
                if await give_back(conn, grant):  # False: its own job closed it meanwhile
                    recovered.append(charge)
        return recovered

    async def open_charges(self) -> int:
        """How many charges are open across all instances (for tests and operators)."""
        async with self._transaction() as conn:
            count = await conn.scalar(select(func.count()).select_from(OpenCharge))
        return int(count or 0)

    async def status(self, user: str, chat: str) -> QuotaStatus:
        """The user's counts, limits and waits in chat, for /quota (QuotaUnavailable: no answer)."""
        sql.check_key("user", user)
        sql.check_key("chat", chat)
        now = self._clock()
        day, hour = sql.window(now, DAY_S), sql.window(now, HOUR_S)
        async with self._transaction() as conn:
            limits = await sql.limits_of(conn, chat, self._defaults)
            used = await sql.used(conn, sql.daily_scope(chat, user), day)
            hourly = await sql.used(conn, sql.hourly_scope(chat), hour)
            last_at = await conn.scalar(
                select(CooldownMark.last_at).where(CooldownMark.user_key == user)
            )
        cooldown_left = 0
        if limits.cooldown_s > 0 and last_at is not None:
            cooldown_left = min(
                limits.cooldown_s, max(0, math.ceil(last_at + limits.cooldown_s - now))
            )
        return QuotaStatus(
            used_today=used,
            daily_limit=limits.daily_per_user,
            remaining_today=max(0, limits.daily_per_user - used),
            resets_in_s=sql.until(day + DAY_S, now),
            cooldown_remaining_s=cooldown_left,
            chat_hourly_used=hourly,
            chat_hourly_limit=limits.per_chat_per_hour,
            chat_hourly_resets_in_s=sql.until(hour + HOUR_S, now),
        )

    async def set_chat_limits(
        self,
        chat: str,
        *,
        daily_per_user: int | Unchanged | None = UNCHANGED,
        per_chat_per_hour: int | Unchanged | None = UNCHANGED,
        cooldown_s: int | Unchanged | None = UNCHANGED,
        updated_by: str,
    ) -> EffectiveLimits:
        """Override chat's limits (None restores the default, UNCHANGED leaves one alone)."""
        sql.check_key("chat", chat)
        sql.check_key("admin", updated_by)
        requested = {
            "daily_per_user": daily_per_user,
            "per_chat_per_hour": per_chat_per_hour,
            "cooldown_s": cooldown_s,
        }
        changes: dict[str, int | None] = {}
        for name, value in requested.items():
            if isinstance(value, Unchanged):
                continue
            if value is not None:
                sql.check_limit(name, value)
            changes[name] = value
        async with self._transaction(write=True) as conn:
            if changes:
                stamp = {"updated_by": updated_by, "updated_at": self._clock()}
                await conn.execute(
                    sql.upsert(
                        self._db.dialect,
                        ChatLimits,
                        {"chat_key": chat, **changes, **stamp},
                        ChatLimits.chat_key,
                        {**changes, **stamp},
                    )
                )
            return await sql.limits_of(conn, chat, self._defaults)

    async def chat_limits(self, chat: str) -> EffectiveLimits:
        """The limits chat runs under now, with the overridden ones named."""
        sql.check_key("chat", chat)
        async with self._transaction() as conn:
            return await sql.limits_of(conn, chat, self._defaults)

    async def get_style(self, user: str) -> str | None:
        """The style the user picked last, or None if they never did or the database is
        unavailable (the caller then uses its default, and the charge that follows is refused)."""
        sql.check_key("user", user)
        try:
            async with self._transaction() as conn:
                style: str | None = await conn.scalar(
                    select(UserPreference.style).where(UserPreference.user_key == user)
                )
        except QuotaUnavailable:
            return None
        return style

    async def set_style(self, user: str, style: str) -> None:
        """Remember user's style (the caller checks that the style exists)."""
        sql.check_key("user", user)
        if not style or len(style) > _STYLE_LENGTH or not style.isprintable():
            raise ValueError(f"style must be 1..{_STYLE_LENGTH} printable characters: {style!r}")
        values = {"style": style, "updated_at": self._clock()}
        async with self._transaction(write=True) as conn:
            await conn.execute(
                sql.upsert(
                    self._db.dialect,
                    UserPreference,
                    {"user_key": user, **values},
                    UserPreference.user_key,
                    values,
                )
            )

    async def forget(self, user: str) -> ForgetResult:
        """Delete user's preferences and history, keeping what today's limits are made of.

        Idempotent, and fine for a user never seen. QuotaUnavailable: nothing was deleted.
        """
        sql.check_key("user", user)
        async with self._transaction(write=True) as conn:
            return await forget_user(conn, user, self._clock())

    async def purge_expired(self) -> int:
        """Delete counters of past days and cooldown marks that can no longer matter; return how many."""
        now = self._clock()
        oldest_cooldown = now - QUOTA_LIMIT_RANGES["cooldown_s"][1]
        async with self._transaction(write=True) as conn:
            counters = await conn.execute(
                delete(UsageCounter).where(UsageCounter.window_start < sql.window(now, DAY_S))
            )
            marks = await conn.execute(
                delete(CooldownMark).where(CooldownMark.last_at < oldest_cooldown)
            )
        return int(counters.rowcount) + int(marks.rowcount)

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        return await retrying(attempt, self._retry_delays_s)

    def _transaction(self, *, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        return guarded_transaction(self._db, write=write, full=self._full)
