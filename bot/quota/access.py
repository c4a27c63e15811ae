"""Database access for the quota service: busy, lost, full or unreachable becomes QuotaUnavailable."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Final, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import Database, DatabaseFileLost
from bot.quota.errors import QuotaDatabaseFull, QuotaDatabaseLost, QuotaUnavailable

__all__ = ["FullReports", "guarded_transaction", "is_full", "is_unavailable", "retrying"]

log = logging.getLogger(__name__)
T = TypeVar("T")

# SQLite's primary result codes for a file that cannot be written or opened (the low byte of
# an extended code): SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN.
_SQLITE_IOERR: Final = 10
_SQLITE_CANTOPEN: Final = 14
# While the database stays full, at most one log line per this many seconds.
FULL_REPORT_INTERVAL_S: Final = 60.0


class FullReports:
    """Logs a full database once when it fills, at most every interval_s while it stays full
    (with how many transactions it refused meanwhile), and once when writes work again."""

    def __init__(
        self,
        url: str,
        interval_s: float = FULL_REPORT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._interval_s = interval_s
        self._clock = clock
        self._full = False
        self._refused = 0  # since the last line
        self._refused_total = 0
        self._next_report = 0.0

    def refused(self, detail: str) -> None:
        """A transaction failed because the database is full."""
        self._refused += 1
        self._refused_total += 1
        now = self._clock()
        if not self._full:
            self._full = True
            log.error(
                "the quota database %s is full (%s): photos are refused until space is freed",
                self._url,
                detail,
            )
        elif now >= self._next_report:
            log.error(
                "the quota database %s is still full: %d more refused", self._url, self._refused
            )
        else:
            return
        self._refused = 0
        self._next_report = now + self._interval_s

    def wrote(self) -> None:
        """A transaction that adds rows committed: the database is no longer full."""
        if self._full:
            self._full = False
            log.warning(
                "the quota database %s takes writes again (%d refused while it was full)",
                self._url,
                self._refused_total,
            )
            self._refused = self._refused_total = 0


@contextlib.asynccontextmanager
async def guarded_transaction(
    db: Database, *, write: bool, full: FullReports | None = None
) -> AsyncIterator[AsyncConnection]:
    """db.transaction(), raising QuotaUnavailable when the database is locked, lost, full or
    unreachable; `full` (if given) logs a full database instead of each refusal doing so."""
    try:
        async with db.transaction(write=write) as conn:
            yield conn
    except DatabaseFileLost as exc:  # logged once by db
        raise QuotaDatabaseLost(exc.path, exc.reason) from exc
    except (OSError, DBAPIError) as exc:
        if is_full(exc):
            detail = str(getattr(exc, "orig", exc))
            if full is not None:
                full.refused(detail)
            raise QuotaDatabaseFull(detail) from None  # one line above, no traceback per photo
        if not is_unavailable(exc, db.dialect):
            raise
        raise QuotaUnavailable(str(exc).splitlines()[0]) from exc


async def retrying(attempt: Callable[[], Awaitable[T]], delays_s: Sequence[float]) -> T:
    """attempt(), tried again after each delay while it raises QuotaUnavailable."""
    for delay in delays_s:
        try:
            return await attempt()
        except (QuotaDatabaseLost, QuotaDatabaseFull):
            await asyncio.sleep(delay)  # reported where it was found: not once per retry
        except QuotaUnavailable as exc:
            log.warning("quota database unavailable (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)
    return await attempt()


def is_full(exc: BaseException) -> bool:
    """SQLite's "database or disk is full" (SQLITE_FULL), from the driver or wrapped by SQLAlchemy."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_FULL


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
        # "database is locked" past busy_timeout; a file that cannot be read, written or opened
        # (I/O error; a file gone between the check and the open). "No such table" stays a bug.
        code = getattr(exc.orig, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
            return True
        return "locked" in text or "busy" in text
    # asyncpg: the server went away, refuses connections, or is shutting down.
    return any(w in text for w in ("connection", "shutting down", "too many clients"))
