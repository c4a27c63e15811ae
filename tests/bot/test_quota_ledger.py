"""The open-charge ledger and a busy database, on real SQLite files: settle, refund and recover
each close a charge once, and a locked database is reported, retried, or left for recover()."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import DatabaseSettings, QuotaSettings
from bot.db import Database
from bot.quota import QuotaService, QuotaUnavailable, RecoveredCharge

CHAT = "tg:-100"
USER = "tg:7"
LIMITS = QuotaSettings(daily_per_user=5, cooldown_s=30, per_chat_per_hour=10)
QUICK = (0.02, 0.05, 0.1)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "quota.sqlite3"


@pytest.fixture
async def db(path: Path) -> AsyncIterator[Database]:
    # A short busy_timeout: a lock held by "another process" is reported at once.
    async with Database(DatabaseSettings(sqlite_path=str(path), busy_timeout_ms=50)) as database:
        yield database


def service(db: Database, instance: str = "default") -> QuotaService:
    return QuotaService(db, LIMITS, instance=instance, retry_delays_s=QUICK)


def counters(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT scope, used FROM quota_usage").fetchall())


def cooldowns(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM quota_cooldowns").fetchone()[0])


@pytest.fixture
def lock(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection, as another process would hold it; BEGIN EXCLUSIVE to lock."""
    other = sqlite3.connect(path, isolation_level=None)
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


async def test_a_delivered_grant_is_settled_and_stays_counted(db: Database, path: Path) -> None:
    quota = service(db)
    grant = await quota.consume(
        USER, CHAT, notify_chat="-100", notify_message="42", platform="telegram"
    )
    assert await quota.open_charges() == 1
    await quota.settle(grant)
    await quota.settle(grant)
    await quota.refund(grant)  # too late: it was delivered
    assert await quota.open_charges() == 0
    assert set(counters(path).values()) == {1}
    assert await quota.recover() == []


async def test_recover_refunds_only_this_instances_charges_once(db: Database, path: Path) -> None:
    first, second = service(db, "first"), service(db, "second")
    await first.consume(USER, CHAT, notify_chat="-100", notify_message="42", platform="telegram")
    await second.consume("dc:9", "dc:55", notify_chat="777", platform="discord")
    assert set(counters(path).values()) == {1} and cooldowns(path) == 2

    # "first" died with its job in flight and starts again on the same database.
    restarted = service(db, "first")
    assert await restarted.recover() == [
        RecoveredCharge("telegram", USER, CHAT, notify_chat="-100", notify_message="42")
    ]
    assert counters(path)[f"day {CHAT} {USER}"] == 0 and cooldowns(path) == 1
    assert counters(path)["day dc:55 dc:9"] == 1  # the other instance's job is untouched
    assert await restarted.recover() == []
    assert await first.open_charges() == 1


async def test_recover_hands_back_the_language_each_charge_was_made_in(
    db: Database, path: Path
) -> None:
    quota = service(db)
    await quota.consume(USER, CHAT, notify_chat="-100", platform="telegram", locale="ko")
    await quota.consume("tg:8", CHAT, notify_chat="-100", platform="telegram")  # no language
    assert set(await quota.recover()) == {
        RecoveredCharge("telegram", USER, CHAT, "-100", None, locale="ko"),
        RecoveredCharge("telegram", "tg:8", CHAT, "-100", None),  # None: the notice is English
    }


@pytest.mark.parametrize("locale", ["", "k" * 17, "ko KR", "한국어", "ko;DROP"])
async def test_a_malformed_locale_is_refused_before_anything_is_counted(
    db: Database, path: Path, locale: str
) -> None:
    with pytest.raises(ValueError, match="locale"):
        await service(db).consume(USER, CHAT, platform="telegram", locale=locale)
    assert counters(path) == {} and await service(db).open_charges() == 0


async def test_a_job_finishing_after_its_charge_was_recovered_refunds_nothing_more(
    db: Database, path: Path
) -> None:
    old = service(db)
    grant = await old.consume(USER, CHAT, platform="telegram")
    assert len(await service(db).recover()) == 1
    await old.refund(grant)  # the old job fails late: the unit was already given back
    await old.consume(USER, CHAT, platform="telegram")
    assert counters(path)[f"day {CHAT} {USER}"] == 1


async def test_consume_on_a_locked_database_raises_quota_unavailable_and_counts_nothing(
    db: Database, path: Path, lock: sqlite3.Connection
) -> None:
    quota = service(db)
    lock.execute("BEGIN EXCLUSIVE")
    with pytest.raises(QuotaUnavailable):
        await quota.consume(USER, CHAT, platform="telegram")
    lock.execute("ROLLBACK")
    assert counters(path) == {} and await quota.open_charges() == 0


async def test_a_refund_retries_until_the_lock_is_released(
    db: Database, path: Path, lock: sqlite3.Connection
) -> None:
    quota = service(db)
    grant = await quota.consume(USER, CHAT, platform="telegram")
    lock.execute("BEGIN EXCLUSIVE")
    # Released while the refund waits between tries.
    asyncio.get_running_loop().call_later(0.1, lock.execute, "ROLLBACK")
    await quota.refund(grant)
    assert grant.refunded
    assert set(counters(path).values()) == {0}
    assert await quota.open_charges() == 0


async def test_a_refund_that_never_gets_the_lock_is_kept_for_recover(
    db: Database, path: Path, lock: sqlite3.Connection
) -> None:
    quota = service(db)
    grant = await quota.consume(USER, CHAT, notify_chat="7", platform="telegram")
    lock.execute("BEGIN EXCLUSIVE")
    with pytest.raises(QuotaUnavailable):
        await quota.refund(grant)
    lock.execute("ROLLBACK")
    assert not grant.refunded
    assert set(counters(path).values()) == {1}  # not given back yet, but not lost:
    [charge] = await service(db).recover()  # the next start refunds it
    assert charge.user == USER
    assert set(counters(path).values()) == {0}
    await quota.refund(grant)  # and the late retry of the old job does nothing more
    assert set(counters(path).values()) == {0}
