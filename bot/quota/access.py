"""Database access for the quota service: busy or unreachable becomes QuotaUnavailable."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import Database
from bot.quota.errors import QuotaUnavailable

__all__ = ["guarded_transaction", "is_unavailable", "retrying"]

log = logging.getLogger(__name__)
T = TypeVar("T")


@contextlib.asynccontextmanager
async def guarded_transaction(db: Database, *, write: bool) -> AsyncIterator[AsyncConnection]:
    """db.transaction(), raising QuotaUnavailable when the database is locked or unreachable."""
    try:
        async with db.transaction(write=write) as conn:
            yield conn
    except (OSError, DBAPIError) as exc:
        if not is_unavailable(exc, db.dialect):
            raise
        raise QuotaUnavailable(str(exc).splitlines()[0]) from exc


async def retrying(attempt: Callable[[], Awaitable[T]], delays_s: Sequence[float]) -> T:
    """attempt(), tried again after each delay while it raises QuotaUnavailable."""
    for delay in delays_s:
        try:
            return await attempt()
        except QuotaUnavailable as exc:
            log.warning("quota database unavailable (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)
    return await attempt()


def is_unavailable(exc: BaseException, dialect: str) -> bool:
    """A database that is busy or unreachable, as opposed to a bug in a query."""
    if isinstance(exc, OSError):  # TimeoutError, ConnectionRefusedError... from the driver
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc.orig, OSError):
        return True
    text = str(exc.orig).lower()
    if dialect == "sqlite":
        # "database is locked" past busy_timeout; "no such table" and the like stay bugs.
        return "locked" in text or "busy" in text
    # asyncpg: the server went away, refuses connections, or is shutting down.
    return any(w in text for w in ("connection", "shutting down", "too many clients"))
