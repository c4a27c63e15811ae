"""Per-user daily, per-chat hourly and cooldown limits, counted atomically in the database."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from bot.config import QUOTA_LIMIT_RANGES, QuotaSettings
from bot.db import Database
from bot.quota.access import guarded_transaction, retrying
from bot.quota.errors import LimitOutOfRange, QuotaExceeded
from bot.quota.ledger import give_back, open_charge, open_charges_of
from bot.quota.models import (
    KEY_LENGTH,
    ChatLimits,
    CooldownMark,
    OpenCharge,
    UsageCounter,
    UserPreference,
)
from bot.quota.records import (
    UNCHANGED,
    EffectiveLimits,
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
# Both dialects spell the conditional upsert the same way; others lack a single-statement form.
_DIALECTS: Final = ("sqlite", "postgresql")
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
        if db.dialect not in _DIALECTS:
            raise ValueError(f"quotas need SQLite or PostgreSQL, not {db.dialect}")
        self._db = db
        self._defaults = settings
        self._clock = clock
        self._instance = instance
        self._retry_delays_s = tuple(retry_delays_s)

    @property
    def instance(self) -> str:
        """The name this process's open charges carry."""
        return self._instance

    async def consume(
        self,
        user: str,
        chat: str,
        *,
        notify_chat: str | None = None,
        notify_message: str | None = None,
    ) -> Grant:
        """Count one photo for user in chat, or raise QuotaExceeded having counted nothing.

        The grant stays an open charge until settle() or refund(); notify_chat/notify_message say
        where to tell the user if this process dies first. QuotaUnavailable: nothing counted.
        """
        _check_key("user", user)
        _check_key("chat", chat)
        now = self._clock()
        async with self._transaction(write=True) as conn:
            # Any raise below leaves the transaction block, which rolls back every count so far.
            limits = await self._limits(conn, chat)
            if limits.daily_per_user == 0:
                raise QuotaExceeded("daily", None, 0)
            day = _window(now, DAY_S)
            daily_scope = _daily_scope(chat, user)
            used = await self._count(conn, daily_scope, day, limits.daily_per_user)
            if used is None:
                raise QuotaExceeded("daily", _until(day + DAY_S, now), limits.daily_per_user)
            grant = Grant(user, chat, daily_scope, day, used, limits.daily_per_user)
            if limits.per_chat_per_hour > 0:
                hour = _window(now, HOUR_S)
                hourly_scope = _hourly_scope(chat)
                if await self._count(conn, hourly_scope, hour, limits.per_chat_per_hour) is None:
                    raise QuotaExceeded(
                        "chat_hourly", _until(hour + HOUR_S, now), limits.per_chat_per_hour
                    )
                grant.hourly_scope, grant.hourly_window = hourly_scope, hour
            if limits.cooldown_s > 0:
                await self._start_cooldown(conn, user, now, limits.cooldown_s)
                grant.cooldown_at = now
            # In the same transaction as the counts: a crash leaves both or neither.
            await open_charge(
                conn,
                grant,
                instance=self._instance,
                notify_chat=notify_chat,
                notify_message=notify_message,
                now=now,
            )
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
        """The user's counts, limits and waits in chat, for /quota."""
        _check_key("user", user)
        _check_key("chat", chat)
        now = self._clock()
        day, hour = _window(now, DAY_S), _window(now, HOUR_S)
        async with self._transaction() as conn:
            limits = await self._limits(conn, chat)
            used = await self._used(conn, _daily_scope(chat, user), day)
            hourly = await self._used(conn, _hourly_scope(chat), hour)
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
            resets_in_s=_until(day + DAY_S, now),
            cooldown_remaining_s=cooldown_left,
            chat_hourly_used=hourly,
            chat_hourly_limit=limits.per_chat_per_hour,
            chat_hourly_resets_in_s=_until(hour + HOUR_S, now),
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
        _check_key("chat", chat)
        _check_key("admin", updated_by)
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
                _check_limit(name, value)
            changes[name] = value
        async with self._transaction(write=True) as conn:
            if changes:
                stamp = {"updated_by": updated_by, "updated_at": self._clock()}
                await conn.execute(
                    self._upsert(
                        ChatLimits,
                        {"chat_key": chat, **changes, **stamp},
                        ChatLimits.chat_key,
                        {**changes, **stamp},
                    )
                )
            return await self._limits(conn, chat)

    async def chat_limits(self, chat: str) -> EffectiveLimits:
        """The limits chat runs under now, with the overridden ones named."""
        _check_key("chat", chat)
        async with self._transaction() as conn:
            return await self._limits(conn, chat)

    async def get_style(self, user: str) -> str | None:
        """The style the user picked last, or None if they never did."""
        _check_key("user", user)
        async with self._transaction() as conn:
            style: str | None = await conn.scalar(
                select(UserPreference.style).where(UserPreference.user_key == user)
            )
        return style

    async def set_style(self, user: str, style: str) -> None:
        """Remember user's style (the caller checks that the style exists)."""
        _check_key("user", user)
        if not style or len(style) > _STYLE_LENGTH or not style.isprintable():
            raise ValueError(f"style must be 1..{_STYLE_LENGTH} printable characters: {style!r}")
        values = {"style": style, "updated_at": self._clock()}
        async with self._transaction(write=True) as conn:
            await conn.execute(
                self._upsert(
                    UserPreference, {"user_key": user, **values}, UserPreference.user_key, values
                )
            )

    async def purge_expired(self) -> int:
        """Delete counters of past days and cooldown marks that can no longer matter; return how many."""
        now = self._clock()
        oldest_cooldown = now - QUOTA_LIMIT_RANGES["cooldown_s"][1]
        async with self._transaction(write=True) as conn:
            counters = await conn.execute(
                delete(UsageCounter).where(UsageCounter.window_start < _window(now, DAY_S))
            )
            marks = await conn.execute(
                delete(CooldownMark).where(CooldownMark.last_at < oldest_cooldown)
            )
        return int(counters.rowcount) + int(marks.rowcount)

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        return await retrying(attempt, self._retry_delays_s)

    def _transaction(self, *, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        return guarded_transaction(self._db, write=write)

    async def _limits(self, conn: AsyncConnection, chat: str) -> EffectiveLimits:
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
        defaults = self._defaults
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

    async def _count(
        self, conn: AsyncConnection, scope: str, window: int, limit: int
    ) -> int | None:
        # One statement: the row lock (or SQLite's write lock) makes check and increment atomic.
        stmt = self._upsert(
            UsageCounter,
            {"scope": scope, "window_start": window, "used": 1},
            (UsageCounter.scope, UsageCounter.window_start),
            {"used": UsageCounter.used + 1},
            where=UsageCounter.used < limit,
        ).returning(UsageCounter.used)
        used: int | None = await conn.scalar(stmt)
        return used

    async def _used(self, conn: AsyncConnection, scope: str, window: int) -> int:
        used = await conn.scalar(
            select(UsageCounter.used).where(
                UsageCounter.scope == scope, UsageCounter.window_start == window
            )
        )
        return int(used or 0)

    async def _start_cooldown(
        self, conn: AsyncConnection, user: str, now: float, cooldown_s: int
    ) -> None:
        stmt = self._upsert(
            CooldownMark,
            {"user_key": user, "last_at": now},
            CooldownMark.user_key,
            {"last_at": now},
            where=CooldownMark.last_at <= now - cooldown_s,
        ).returning(CooldownMark.last_at)
        if await conn.scalar(stmt) is not None:
            return
        last_at = await conn.scalar(
            select(CooldownMark.last_at).where(CooldownMark.user_key == user)
        )
        wait = cooldown_s if last_at is None else math.ceil(last_at + cooldown_s - now)
        # Clamped: a clock that stepped back must not promise a wait longer than the cooldown.
        raise QuotaExceeded("cooldown", min(cooldown_s, max(1, wait)), cooldown_s)

    def _upsert(
        self,
        model: type[Any],
        values: Mapping[str, Any],
        key: InstrumentedAttribute[Any] | tuple[InstrumentedAttribute[Any], ...],
        set_: Mapping[str, Any],
        *,
        where: ColumnElement[bool] | None = None,
    ) -> sqlite.Insert | postgresql.Insert:
        keys = list(key) if isinstance(key, tuple) else [key]
        if self._db.dialect == "sqlite":
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


def _window(now: float, length: int) -> int:
    """Start of the UTC-aligned window of the given length that contains now."""
    return int(now // length) * length


def _until(deadline: float, now: float) -> int:
    # Rounded up, so a user who waits the number we said is never refused again.
    return max(1, math.ceil(deadline - now))


def _daily_scope(chat: str, user: str) -> str:
    # Keys hold no whitespace (_check_key), so the spaces keep scopes unambiguous.
    return f"day {chat} {user}"


def _hourly_scope(chat: str) -> str:
    return f"hour {chat}"


def _check_key(what: str, key: str) -> None:
    if (
        not isinstance(key, str)
        or not 0 < len(key) <= KEY_LENGTH
        or not key.isprintable()
        or any(c.isspace() for c in key)
    ):
        raise ValueError(
            f"{what} key must be 1..{KEY_LENGTH} printable characters without spaces: {key!r}"
        )


def _check_limit(name: str, value: int) -> None:
    low, high = QUOTA_LIMIT_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, not {value!r}")
    if not low <= value <= high:
        raise LimitOutOfRange(name, value, low, high)
