"""The quota service on real SQLite files: atomic counts under concurrency, windows, refunds,
per-chat overrides, preferences, and the words users see."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot import messages
from bot.config import DatabaseSettings, QuotaSettings
from bot.db import Database
from bot.quota import (
    UNCHANGED,
    EffectiveLimits,
    Grant,
    LimitOutOfRange,
    QuotaExceeded,
    QuotaService,
    QuotaStatus,
)

DAY0 = 20_000 * 86_400  # 2024-10-04 00:00:00 UTC
NOON = DAY0 + 12 * 3600 + 30 * 60  # 12:30:00 UTC, 11 h 30 min before midnight
CHAT = "tg:-100"
USER = "tg:7"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(tmp_path: Path) -> DatabaseSettings:
    return DatabaseSettings(sqlite_path=str(tmp_path / "quota.sqlite3"))


@pytest.fixture
async def db(settings: DatabaseSettings) -> AsyncIterator[Database]:
    async with Database(settings) as database:
        yield database


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make(db: Database, clock: Clock) -> Callable[..., QuotaService]:
    def make_service(**limits: int) -> QuotaService:
        return QuotaService(db, QuotaSettings(**limits), clock=clock)

    return make_service


def _split(results: list[Grant | BaseException]) -> tuple[list[Grant], list[QuotaExceeded]]:
    grants = [r for r in results if isinstance(r, Grant)]
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(grants) + len(refused) == len(results), results
    return grants, refused


def _counters(path: str) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT scope, used FROM quota_usage").fetchall())


async def test_concurrent_consumes_grant_exactly_the_daily_limit(
    make: Callable[..., QuotaService], settings: DatabaseSettings
) -> None:
    quota = make(daily_per_user=10, cooldown_s=0)
    results = await asyncio.gather(
        *(quota.consume(USER, CHAT, platform="telegram") for _ in range(100)),
        return_exceptions=True,
    )
    grants, refused = _split(results)
    assert sorted(g.used_today for g in grants) == list(range(1, 11))
    assert len(refused) == 90
    assert {(e.reason, e.limit, e.retry_after_s) for e in refused} == {("daily", 10, 41_400)}
    assert _counters(settings.sqlite_path) == {f"day {CHAT} {USER}": 10}
    assert (await quota.status(USER, CHAT)).remaining_today == 0


async def test_two_processes_sharing_one_file_grant_exactly_the_limit(
    settings: DatabaseSettings, clock: Clock
) -> None:
    defaults = QuotaSettings(daily_per_user=10, cooldown_s=0)
    async with Database(settings) as db_a, Database(settings) as db_b:
        a = QuotaService(db_a, defaults, clock=clock)
        b = QuotaService(db_b, defaults, clock=clock)
        calls = [(a if i % 2 else b).consume(USER, CHAT, platform="telegram") for i in range(60)]
        grants, refused = _split(await asyncio.gather(*calls, return_exceptions=True))
    assert len(grants) == 10
    assert len(refused) == 50
    assert {e.reason for e in refused} == {"daily"}
    assert _counters(settings.sqlite_path) == {f"day {CHAT} {USER}": 10}


async def test_chat_hourly_limit_spans_users_and_refusals_count_nothing(
    make: Callable[..., QuotaService], clock: Clock, settings: DatabaseSettings
) -> None:
    quota = make(daily_per_user=20, cooldown_s=0, per_chat_per_hour=5)
    users = [f"dc:{i}" for i in range(20)]
    results = await asyncio.gather(
        *(quota.consume(u, CHAT, platform="telegram") for u in users), return_exceptions=True
    )
    grants, refused = _split(results)
    assert len(grants) == 5
    assert {(e.reason, e.limit, e.retry_after_s) for e in refused} == {("chat_hourly", 5, 1800)}
    counters = _counters(settings.sqlite_path)
    assert counters.pop(f"hour {CHAT}") == 5
    # Refused users' daily counts were rolled back with the transaction.
    assert sorted(counters) == sorted(f"day {CHAT} {g.user}" for g in grants)
    assert set(counters.values()) == {1}
    status = await quota.status(users[0], CHAT)
    assert (status.chat_hourly_used, status.chat_hourly_limit) == (5, 5)
    # Another chat has its own hour; the next hour this chat has a fresh one.
    await quota.consume(users[0], "tg:-200", platform="telegram")
    clock.now = DAY0 + 13 * 3600
    late = next(u for u in users if u not in {g.user for g in grants})
    assert (await quota.consume(late, CHAT, platform="telegram")).used_today == 1


async def test_zero_chat_hourly_limit_means_unlimited(
    make: Callable[..., QuotaService], settings: DatabaseSettings
) -> None:
    quota = make(daily_per_user=1, cooldown_s=0, per_chat_per_hour=0)
    grants = await asyncio.gather(
        *(quota.consume(f"tg:{i}", CHAT, platform="telegram") for i in range(40))
    )
    assert all(g.hourly_scope is None for g in grants)
    assert f"hour {CHAT}" not in _counters(settings.sqlite_path)
    assert len(_counters(settings.sqlite_path)) == 40


async def test_cooldown_refuses_with_the_time_left_and_counts_nothing(
    make: Callable[..., QuotaService], clock: Clock
) -> None:
    quota = make(daily_per_user=5, cooldown_s=10)
    await quota.consume(USER, CHAT, platform="telegram")
    clock.now += 3
    with pytest.raises(QuotaExceeded) as caught:
        await quota.consume(
            USER, "tg:-200", platform="telegram"
        )  # the cooldown is per user, across chats
    assert (caught.value.reason, caught.value.retry_after_s, caught.value.limit) == (
        "cooldown",
        7,
        10,
    )
    assert messages.quota_message(caught.value) == "Slow down a little \u2014 try again in 7 s."
    status = await quota.status(USER, "tg:-200")
    assert (status.used_today, status.cooldown_remaining_s) == (0, 7)
    clock.now += 6.5
    with pytest.raises(QuotaExceeded, match="retry in 1 s"):
        await quota.consume(USER, CHAT, platform="telegram")
    clock.now += 0.5
    assert (await quota.consume(USER, CHAT, platform="telegram")).used_today == 2


async def test_refund_restores_the_unit_and_clears_the_cooldown(
    make: Callable[..., QuotaService], clock: Clock
) -> None:
    quota = make(daily_per_user=3, cooldown_s=60, per_chat_per_hour=10)
    grant = await quota.consume(USER, CHAT, platform="telegram")
    before = await quota.status(USER, CHAT)
    assert (before.used_today, before.chat_hourly_used, before.cooldown_remaining_s) == (1, 1, 60)
    await quota.refund(grant)
    after = await quota.status(USER, CHAT)
    assert (after.used_today, after.chat_hourly_used, after.cooldown_remaining_s) == (0, 0, 0)
    assert grant.refunded
    again = await quota.consume(USER, CHAT, platform="telegram")  # at once: no cooldown left
    assert again.used_today == 1


async def test_refunding_twice_gives_back_one_unit_and_keeps_a_newer_cooldown(
    make: Callable[..., QuotaService], clock: Clock
) -> None:
    quota = make(daily_per_user=3, cooldown_s=10)
    first = await quota.consume(USER, CHAT, platform="telegram")
    clock.now += 10
    await quota.consume(USER, CHAT, platform="telegram")
    clock.now += 2
    await asyncio.gather(quota.refund(first), quota.refund(first))
    await quota.refund(first)
    status = await quota.status(USER, CHAT)
    assert status.used_today == 1
    assert status.cooldown_remaining_s == 8  # the second grant's mark survives


async def test_a_new_utc_day_resets_the_count(
    make: Callable[..., QuotaService], clock: Clock
) -> None:
    quota = make(daily_per_user=2, cooldown_s=0)
    await quota.consume(USER, CHAT, platform="telegram")
    await quota.consume(USER, CHAT, platform="telegram")
    clock.now = DAY0 + 86_400 - 0.5
    with pytest.raises(QuotaExceeded) as caught:
        await quota.consume(USER, CHAT, platform="telegram")
    assert (caught.value.reason, caught.value.retry_after_s) == ("daily", 1)
    clock.now = DAY0 + 86_400
    grant = await quota.consume(USER, CHAT, platform="telegram")
    assert (grant.used_today, grant.remaining_today) == (1, 1)
    status = await quota.status(USER, CHAT)
    assert (status.used_today, status.resets_in_s) == (1, 86_400)
    assert await quota.purge_expired() == 1  # yesterday's counter


async def test_chat_overrides_apply_and_reset_to_the_default(
    make: Callable[..., QuotaService], clock: Clock
) -> None:
    quota = make(daily_per_user=20, cooldown_s=0, per_chat_per_hour=0)
    limits = await quota.set_chat_limits(
        CHAT, daily_per_user=1, per_chat_per_hour=3, updated_by="tg:1"
    )
    assert limits == EffectiveLimits(
        daily_per_user=1,
        per_chat_per_hour=3,
        cooldown_s=0,
        overridden=frozenset({"daily_per_user", "per_chat_per_hour"}),
        updated_by="tg:1",
        updated_at=NOON,
    )
    await quota.consume(USER, CHAT, platform="telegram")
    with pytest.raises(QuotaExceeded) as caught:
        await quota.consume(USER, CHAT, platform="telegram")
    assert (caught.value.reason, caught.value.limit) == ("daily", 1)
    assert (
        await quota.consume(USER, "tg:-200", platform="telegram")
    ).daily_limit == 20  # other chats keep defaults

    clock.now += 60
    limits = await quota.set_chat_limits(
        CHAT, daily_per_user=None, cooldown_s=UNCHANGED, updated_by="dc:2"
    )
    assert (limits.daily_per_user, limits.per_chat_per_hour) == (20, 3)
    assert limits.overridden == frozenset({"per_chat_per_hour"})
    assert (limits.updated_by, limits.updated_at) == ("dc:2", NOON + 60)
    assert await quota.chat_limits(CHAT) == limits
    assert (await quota.consume(USER, CHAT, platform="telegram")).used_today == 2


async def test_zero_daily_limit_refuses_every_photo(
    make: Callable[..., QuotaService], settings: DatabaseSettings
) -> None:
    quota = make(daily_per_user=0)
    with pytest.raises(QuotaExceeded) as caught:
        await quota.consume(USER, CHAT, platform="telegram")
    assert (caught.value.reason, caught.value.retry_after_s, caught.value.limit) == (
        "daily",
        None,
        0,
    )
    assert messages.quota_message(caught.value) == "Toons are switched off in this chat."
    open_chat = make(daily_per_user=5)
    await open_chat.set_chat_limits(CHAT, daily_per_user=0, updated_by="tg:1")
    with pytest.raises(QuotaExceeded, match="retry never"):
        await open_chat.consume(USER, CHAT, platform="telegram")
    assert _counters(settings.sqlite_path) == {}


@pytest.mark.parametrize(
    ("name", "value", "low", "high"),
    [
        ("daily_per_user", 1001, 0, 1000),
        ("daily_per_user", -1, 0, 1000),
        ("per_chat_per_hour", 10_001, 0, 10_000),
        ("cooldown_s", 86_401, 0, 86_400),
    ],
)
async def test_admin_limits_out_of_range_are_refused(
    make: Callable[..., QuotaService], name: str, value: int, low: int, high: int
) -> None:
    quota = make()
    with pytest.raises(LimitOutOfRange) as caught:
        await quota.set_chat_limits(CHAT, updated_by="tg:1", **{name: value})
    assert (caught.value.name, caught.value.value, caught.value.low, caught.value.high) == (
        name,
        value,
        low,
        high,
    )
    assert (await quota.chat_limits(CHAT)).overridden == frozenset()
    with pytest.raises(TypeError):
        await quota.set_chat_limits(CHAT, updated_by="tg:1", **{name: True})


async def test_malformed_ids_are_a_programming_error(make: Callable[..., QuotaService]) -> None:
    quota = make()
    for bad in ("", "tg 7", "tg:\n7", "x" * 129):
        with pytest.raises(ValueError, match="key must be"):
            await quota.consume(bad, CHAT, platform="telegram")
        with pytest.raises(ValueError, match="key must be"):
            await quota.consume(USER, bad, platform="telegram")


async def test_style_preference_persists_across_a_new_database(
    settings: DatabaseSettings, clock: Clock
) -> None:
    async with Database(settings) as db:
        quota = QuotaService(db, QuotaSettings(), clock=clock)
        assert await quota.get_style(USER) is None
        await quota.set_style(USER, "webtoon")
        await quota.set_style(USER, "sketch")
        with pytest.raises(ValueError, match="style"):
            await quota.set_style(USER, "")
    async with Database(settings) as db:
        quota = QuotaService(db, QuotaSettings(), clock=clock)
        assert await quota.get_style(USER) == "sketch"
        assert await quota.get_style("dc:7") is None


async def test_status_reports_counts_limits_and_waits(
    make: Callable[..., QuotaService], clock: Clock
) -> None:
    quota = make(daily_per_user=20, cooldown_s=10, per_chat_per_hour=30)
    await quota.consume(USER, CHAT, platform="telegram")
    clock.now += 2
    status = await quota.status(USER, CHAT)
    assert status == QuotaStatus(
        used_today=1,
        daily_limit=20,
        remaining_today=19,
        resets_in_s=41_398,
        cooldown_remaining_s=8,
        chat_hourly_used=1,
        chat_hourly_limit=30,
        chat_hourly_resets_in_s=1798,
    )
    assert messages.quota_status_message(status) == (
        "Today: 1 of 20 toons used, 19 left. Resets in 11 h 30 min.\n"
        "This chat this hour: 1 of 30. Resets in 29 min 58 s.\n"
        "Next photo in 8 s."
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            QuotaExceeded("daily", 11_520, 20),
            "You've used all 20 toons for today. More in 3 h 12 min.",
        ),
        (QuotaExceeded("daily", 45, 1), "You've used your toon for today. More in 45 s."),
        (QuotaExceeded("daily", None, 0), "Toons are switched off in this chat."),
        (
            QuotaExceeded("chat_hourly", 125, 30),
            "This chat has used all 30 toons for this hour. More in 2 min 5 s.",
        ),
        (QuotaExceeded("cooldown", 8, 10), "Slow down a little \u2014 try again in 8 s."),
        (
            LimitOutOfRange("daily_per_user", 5000, 0, 1000),
            "daily_per_user must be between 0 and 1000 (you asked for 5000).",
        ),
    ],
)
def test_quota_messages(error: QuotaExceeded | LimitOutOfRange, expected: str) -> None:
    assert messages.quota_message(error) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0.2, "1 s"),
        (59, "59 s"),
        (60, "1 min"),
        (61, "1 min 1 s"),
        (3599, "59 min 59 s"),
        (3600, "1 h"),
        (3601, "1 h 1 min"),
        (7199.5, "2 h"),
        (11_520, "3 h 12 min"),
        (86_400, "24 h"),
    ],
)
def test_human_duration_rounds_up(seconds: float, expected: str) -> None:
    assert messages.human_duration(seconds) == expected
