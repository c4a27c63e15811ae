"""The open-charge ledger: a row per unit counted for a job whose result is not delivered yet."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.quota.models import CooldownMark, OpenCharge, UsageCounter
from bot.quota.records import Grant, RecoveredCharge

__all__ = ["give_back", "open_charge", "open_charges_of"]


async def open_charge(
    conn: AsyncConnection,
    grant: Grant,
    *,
    instance: str,
    platform: str,
    notify_chat: str | None,
    notify_message: str | None,
    now: float,
    locale: str | None = None,
) -> None:
    """Record grant as open, in the caller's transaction (the one that counted it).

    platform is the frontend that made the charge, as it names itself; recovery hands the charge
    back to that frontend, whatever its keys look like. locale is the requester's language code
    (at most LOCALE_LENGTH characters, checked by the caller), kept only while the charge is open
    so that a restart notice can be in their language; None: they are told in English. now is
    unix seconds.
    """
    grant.charge_id = uuid.uuid4().hex
    await conn.execute(
        insert(OpenCharge).values(
            charge_id=grant.charge_id,
            instance=instance,
            platform=platform,
            user_key=grant.user,
            chat_key=grant.chat,
            daily_scope=grant.daily_scope,
            daily_window=grant.daily_window,
            hourly_scope=grant.hourly_scope,
            hourly_window=grant.hourly_window,
            cooldown_at=grant.cooldown_at,
            notify_chat=notify_chat,
            notify_message=notify_message,
            locale=locale,
            created_at=now,
        )
    )


async def give_back(conn: AsyncConnection, grant: Grant) -> bool:
    """Close grant's charge and uncount it; False (nothing done) if the charge was closed already."""
    if grant.charge_id is not None:
        closed = await conn.execute(
            delete(OpenCharge).where(OpenCharge.charge_id == grant.charge_id)
        )
        # Gone: settled, or refunded by another process (recover()). Never uncount twice.
        if closed.rowcount != 1:
            return False
    await _uncount(conn, grant.daily_scope, grant.daily_window)
    if grant.hourly_scope is not None and grant.hourly_window is not None:
        await _uncount(conn, grant.hourly_scope, grant.hourly_window)
    if grant.cooldown_at is not None:
        await conn.execute(
            delete(CooldownMark).where(
                CooldownMark.user_key == grant.user,
                CooldownMark.last_at == grant.cooldown_at,
            )
        )
    return True


async def open_charges_of(
    conn: AsyncConnection, instance: str
) -> list[tuple[Grant, RecoveredCharge]]:
    """Every charge `instance` holds open, oldest first, as a grant and whom to tell."""
    rows = (
        await conn.execute(
            select(OpenCharge)
            .where(OpenCharge.instance == instance)
            .order_by(OpenCharge.created_at)
        )
    ).all()
    return [
        (
            Grant(
                row.user_key,
                row.chat_key,
                row.daily_scope,
                row.daily_window,
                0,
                0,
                hourly_scope=row.hourly_scope,
                hourly_window=row.hourly_window,
                cooldown_at=row.cooldown_at,
                charge_id=row.charge_id,
            ),
            RecoveredCharge(
                row.platform,
                row.user_key,
                row.chat_key,
                row.notify_chat,
                row.notify_message,
                locale=row.locale,
            ),
        )
        for row in rows
    ]


async def _uncount(conn: AsyncConnection, scope: str, window: int) -> None:
    await conn.execute(
        update(UsageCounter)
        .where(
            UsageCounter.scope == scope,
            UsageCounter.window_start == window,
            UsageCounter.used > 0,
        )
        .values(used=UsageCounter.used - 1)
    )
