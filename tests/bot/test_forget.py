"""QuotaService.forget on a real SQLite file and a real PostgreSQL: preferences, past counts and
an admin's name go; today's counts, a running cooldown and open charges stay, so a user at the
limit is still at it; other users and a Discord server's default style are untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot import messages
from bot.config import DatabaseSettings, QuotaSettings
from bot.db import Database
from bot.quota import ForgetResult, QuotaExceeded, QuotaService, QuotaUnavailable
from bot.quota.forget import FORGOTTEN_ADMIN
from tests.bot.postgres import PostgresCluster, running_postgres

DAY_S = 86_400
DAY0 = 20_000 * DAY_S  # 2024-10-04 00:00:00 UTC
YESTERDAY = DAY0 + 12 * 3600
TODAY = YESTERDAY + DAY_S  # 12:00 UTC, 12 h before midnight
GROUP = "tg:-100"
USER = "tg:7"  # in Telegram their private chat has the same key
OTHER = "tg:8"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    with running_postgres() as started:
        if isinstance(started, str):
            pytest.skip(started)
        yield started


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database of each dialect the quota service runs on."""
    if request.param == "sqlite":
        settings = DatabaseSettings(sqlite_path=str(tmp_path / "quota.sqlite3"))
        async with Database(settings) as database:
            yield database
        return
    pytest.importorskip("asyncpg")
    cluster: PostgresCluster = request.getfixturevalue("cluster")
    async with Database(DatabaseSettings(), await cluster.fresh_database("forget")) as database:
        yield database


async def rows(db: Database, query: str) -> list[tuple[object, ...]]:
    """Rows of a raw query, read straight from the tables."""
    async with db.transaction() as conn:
        return [tuple(row) for row in (await conn.execute(text(query))).all()]


async def test_forget_deletes_history_and_keeps_what_the_limits_rest_on(db: Database) -> None:
    clock = Clock(YESTERDAY)
    quota = QuotaService(
        db, QuotaSettings(daily_per_user=2, cooldown_s=0, per_chat_per_hour=50), clock=clock
    )
    # Yesterday: pictures in a group and in the private chat, a style, an admin change.
    for chat in (GROUP, USER):
        await quota.settle(await quota.consume(USER, chat, platform="telegram"))
    await quota.settle(await quota.consume(OTHER, GROUP, platform="telegram"))
    await quota.set_style(USER, "sketch")
    await quota.set_style(OTHER, "manhwa")
    await quota.set_style("dc:server:7", "classic")  # a server's default, not a user's
    await quota.set_chat_limits(GROUP, daily_per_user=2, updated_by=USER)

    # Today: the user reaches the limit in the group; one picture is still being drawn.
    clock.now = TODAY
    await quota.settle(await quota.consume(USER, GROUP, platform="telegram"))
    await quota.consume(USER, GROUP, platform="telegram")

    result = await quota.forget(USER)

    assert result == ForgetResult(
        preferences=1, history=3, admin_marks=1, kept=2, kept_until=float(DAY0 + 2 * DAY_S)
    )
    # Kept: today's count (so the limit holds) and the open charge; everyone else's rows.
    with pytest.raises(QuotaExceeded) as refused:
        await quota.consume(USER, GROUP, platform="telegram")
    assert refused.value.reason == "daily"
    assert (await quota.status(USER, GROUP)).remaining_today == 0
    assert await quota.open_charges() == 1
    counters = await rows(db, "SELECT scope, window_start FROM quota_usage ORDER BY 1, 2")
    assert counters == [
        (f"day {GROUP} {USER}", DAY0 + DAY_S),
        (f"day {GROUP} {OTHER}", DAY0),
        (f"hour {GROUP}", DAY0 + 12 * 3600),  # the group's, not the user's
        (f"hour {GROUP}", TODAY),
    ]
    assert await quota.get_style(USER) is None
    assert await quota.get_style(OTHER) == "manhwa"
    assert await quota.get_style("dc:server:7") == "classic"
    limits = await quota.chat_limits(GROUP)
    assert (limits.daily_per_user, limits.updated_by) == (2, FORGOTTEN_ADMIN)

    # Idempotent: nothing more to delete, the same rows kept.
    again = await quota.forget(USER)
    assert again == ForgetResult(0, 0, 0, kept=2, kept_until=float(DAY0 + 2 * DAY_S))


async def test_forgetting_an_unknown_user_deletes_and_keeps_nothing(db: Database) -> None:
    quota = QuotaService(db, QuotaSettings(), clock=Clock(TODAY))
    await quota.set_style(USER, "sketch")
    assert await quota.forget("dc:404") == ForgetResult(0, 0, 0, kept=0, kept_until=None)
    assert await quota.get_style(USER) == "sketch"


async def test_a_running_cooldown_is_kept_and_a_spent_one_deleted(db: Database) -> None:
    clock = Clock(TODAY)
    quota = QuotaService(db, QuotaSettings(cooldown_s=600), clock=clock)
    await quota.settle(await quota.consume(USER, GROUP, platform="telegram"))
    clock.now += 60
    result = await quota.forget(USER)
    # The mark outlives midnight: it goes once the longest cooldown (24 h) has passed.
    assert (result.history, result.kept, result.kept_until) == (0, 2, TODAY + DAY_S)
    with pytest.raises(QuotaExceeded) as refused:
        await quota.consume(USER, GROUP, platform="telegram")
    assert refused.value.reason == "cooldown"

    clock.now = TODAY + DAY_S + 1  # tomorrow: yesterday's count and the spent mark go
    assert await quota.forget(USER) == ForgetResult(0, 2, 0, kept=0, kept_until=None)
    assert await rows(db, "SELECT user_key FROM quota_cooldowns") == []


async def test_keys_with_like_wildcards_forget_only_themselves(db: Database) -> None:
    clock = Clock(YESTERDAY)
    quota = QuotaService(db, QuotaSettings(cooldown_s=0), clock=clock)
    for user in ("tg:12", "tg:1_", "x%"):
        await quota.settle(await quota.consume(user, GROUP, platform="telegram"))
    clock.now = TODAY
    assert (await quota.forget("tg:1_")).history == 1
    assert (await quota.forget("%")).history == 0
    scopes = await rows(db, "SELECT scope FROM quota_usage WHERE scope LIKE 'day %' ORDER BY 1")
    assert scopes == [(f"day {GROUP} tg:12",), (f"day {GROUP} x%",)]


async def test_a_lost_database_is_reported_as_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "quota.sqlite3"
    async with Database(DatabaseSettings(sqlite_path=str(path))) as db:
        quota = QuotaService(db, QuotaSettings(), clock=Clock(TODAY))
        await quota.set_style(USER, "sketch")
        path.unlink()
        with pytest.raises(QuotaUnavailable):
            await quota.forget(USER)
    assert not path.exists(), "an empty database was created in its place"


def test_the_forget_reply_says_what_went_and_what_stays_until_when() -> None:
    full = ForgetResult(1, 3, 1, kept=2, kept_until=TODAY + 5 * 3600)
    assert messages.forget_message(full, now=TODAY, purge_interval_s=3600) == (
        "Done \u2014 I deleted what I kept about you:\n"
        "\u2022 your usual style\n"
        "\u2022 your picture counts from earlier days\n"
        "\u2022 your user id beside limits you set as an admin (the limits stay)\n"
        "Kept until they expire in 5 h, so limits can't be reset this way: today's picture "
        "counts, your cooldown and any picture still being drawn. They are deleted at the next "
        "clean-up after that (every 1 h)."
    )
    only_style = ForgetResult(1, 0, 0, kept=0, kept_until=None)
    assert messages.forget_message(only_style, now=TODAY, purge_interval_s=600) == (
        "Done \u2014 I deleted what I kept about you:\n\u2022 your usual style\n"
        "Nothing else about you is stored."
    )
    nothing = ForgetResult(0, 0, 0, kept=0, kept_until=None)
    assert messages.forget_message(nothing, now=TODAY, purge_interval_s=600) == (
        "There was nothing of yours left to delete.\nNothing else about you is stored."
    )
