"""A full database ("database or disk is full", SQLITE_FULL) is "quota unavailable": nothing is
counted, the user gets the usual words, and the log gets one line, not a traceback per photo.

SQLite's own `PRAGMA max_page_count` caps the real file at its current size, so SQLite itself
raises the real SQLITE_FULL error inside the real quota service."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot import messages
from bot.config import DatabaseSettings, QuotaSettings
from bot.db import Database
from bot.quota import QuotaDatabaseFull, QuotaService, QuotaUnavailable
from bot.quota.access import FullReports

CHAT = "tg:-100"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "quota.sqlite3"


@pytest.fixture
async def db(path: Path) -> AsyncIterator[Database]:
    async with Database(DatabaseSettings(sqlite_path=str(path))) as database:
        yield database


class PageCap:
    """Caps every new connection of db at the file's page count when capped (a full disk)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.on = False
        event.listen(db.engine.sync_engine, "connect", self._connect)

    def _connect(self, dbapi_connection: Any, _record: Any) -> None:
        if self.on:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
            cursor.close()

    async def set(self, on: bool) -> None:
        self.on = on
        await self.db.engine.dispose()  # connections open afresh, with or without the cap


@pytest.fixture
async def cap(db: Database) -> PageCap:
    return PageCap(db)


def counters(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        found = dict(conn.execute("SELECT scope, used FROM quota_usage").fetchall())
    conn.close()
    return found


def quota_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("bot.quota", "bot.db"))]


async def fill_up(quota: QuotaService) -> tuple[int, QuotaDatabaseFull]:
    """Consume for new users until the database is full: how many got in, and the refusal."""
    for n in range(10_000):
        try:
            await quota.consume(f"tg:{n}", CHAT, platform="telegram")
        except QuotaDatabaseFull as exc:
            return n, exc
    raise AssertionError("the database never filled up")


@pytest.fixture
def quota(db: Database) -> Iterator[QuotaService]:
    yield QuotaService(db, QuotaSettings(daily_per_user=5, cooldown_s=0, per_chat_per_hour=0))


async def test_a_full_database_refuses_with_the_usual_words_and_one_log_line(
    quota: QuotaService, cap: PageCap, path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await cap.set(True)
    granted, refused = await fill_up(quota)
    assert granted > 0
    assert isinstance(refused, QuotaUnavailable)
    assert messages.quota_message(refused) == messages.QUOTA_UNAVAILABLE
    before = counters(path)
    for n in range(20):  # twenty more photos while it stays full
        with pytest.raises(QuotaDatabaseFull):
            await quota.consume(f"tg:{granted + n}", CHAT, platform="telegram")
    assert counters(path) == before, "a refused photo was counted"
    assert await quota.open_charges() == granted
    (line,) = quota_lines(caplog)
    assert line.levelno == logging.ERROR and line.exc_info is None
    assert "is full (database or disk is full)" in line.message and str(path) in line.message

    # Space is freed: the next photo is counted, and the log says so once.
    caplog.clear()
    await cap.set(False)
    grant = await quota.consume("tg:late", CHAT, platform="telegram")
    assert grant.used_today == 1
    await quota.consume("tg:later", CHAT, platform="telegram")
    (back,) = quota_lines(caplog)
    assert back.levelno == logging.WARNING and "takes writes again (21 refused" in back.message


async def test_settling_and_refunding_on_a_full_database_still_close_charges(
    quota: QuotaService, cap: PageCap, path: Path
) -> None:
    grant = await quota.consume("tg:first", CHAT, platform="telegram")
    other = await quota.consume("tg:second", CHAT, platform="telegram")
    await cap.set(True)
    await fill_up(quota)
    # Closing a charge frees space rather than taking it.
    await quota.settle(grant)
    await quota.refund(other)
    assert counters(path)[f"day {CHAT} tg:second"] == 0


def test_while_it_stays_full_one_line_per_interval_says_how_many_were_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    reports = FullReports("sqlite+aiosqlite:///q.sqlite3", interval_s=60.0, clock=lambda: now[0])
    caplog.set_level(logging.INFO)
    for second in range(0, 150, 5):  # a refusal every 5 s for 2.5 minutes
        now[0] = float(second)
        reports.refused("database or disk is full")
    reports.wrote()
    reports.wrote()
    assert [r.getMessage() for r in caplog.records] == [
        "the quota database sqlite+aiosqlite:///q.sqlite3 is full (database or disk is full): "
        "photos are refused until space is freed",
        "the quota database sqlite+aiosqlite:///q.sqlite3 is still full: 12 more refused",
        "the quota database sqlite+aiosqlite:///q.sqlite3 is still full: 12 more refused",
        "the quota database sqlite+aiosqlite:///q.sqlite3 takes writes again "
        "(30 refused while it was full)",
    ]
